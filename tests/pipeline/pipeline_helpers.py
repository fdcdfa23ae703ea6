"""Shared pieces of the pipeline tests: tiny git vaults of sources, a fast fake provider, git probes.

Imported by name (tests/pipeline has no conftest.py). Everything here must be importable by a
spawned worker process (providers are built there from a picklable factory).
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the root conftest's helpers

from conftest import git_init, write_files  # noqa: E402

from teleo.contract.extraction import ClaimDraft, ExtractionResult, Quote, SourceUpdate  # noqa: E402
from teleo.llm.base import LLMCall, Provider, ProviderError, ProviderResult  # noqa: E402
from teleo.vault import Vault  # noqa: E402

SENTENCE = "Reusable first stages account for most of the drop in launch costs because the booster is the most expensive part."


def source_text(i: int) -> str:
    return f"""---
type: source
title: "Launch report {i}"
author: "Some Author (@someone)"
url: https://example.org/report-{i}
date: 2026-01-04
domain: space-development
format: report
status: unprocessed
---

# Launch report {i}

## Content

{SENTENCE} Report number {i} says so.
"""


def source_path(i: int) -> str:
    return f"inbox/archive/2026-01-04-report-{i:03d}.md"


def make_sources_vault(root: Path, n: int, *, extra: dict[str, str] | None = None) -> Vault:
    root.mkdir(parents=True, exist_ok=True)
    files = {"domains/space-development/_map.md": "# Space development\n"}
    files.update({source_path(i): source_text(i) for i in range(n)})
    # a note that mentions "status: unprocessed" in its body but is not a source: never selected
    files["domains/space-development/notes-on-status.md"] = (
        "# notes\n\nstatus: unprocessed\n"
    )
    files.update(extra or {})
    write_files(root, files)
    git_init(root)
    return Vault.open(root)


@dataclass
class FakeProvider(Provider):
    """Answers at once (after an optional delay): a claim for odd-numbered sources, a null result otherwise."""

    delay: tuple[float, float] = (0.0, 0.0)
    fail_always: bool = False
    name: str = "fake"
    model: str = "fake-1"

    def extract(self, request):
        lo, hi = self.delay
        if hi > 0:
            time.sleep(random.uniform(lo, hi))
        call = LLMCall(provider=self.name, model=self.model, job=request.job_id,
                       prompt_tokens=100, completion_tokens=20, cost_usd=0.001)
        if self.fail_always:
            raise ProviderError("the fake provider always fails", [call])
        number = int(request.source_path.rsplit("-", 1)[-1].removesuffix(".md"))
        if number % 2:
            result = ExtractionResult(claims=[ClaimDraft(
                title=f"reusable boosters cut launch costs because the booster is the priciest part ({number})",
                description="The report attributes most of the drop in price per kilogram to reusable first stages.",
                evidence=[Quote(text="Reusable first stages account for most of the drop")])])
        else:
            result = ExtractionResult(source_update=SourceUpdate(notes="nothing arguable in this test source"))
        return ProviderResult(output=result, calls=[call])


@dataclass
class FakeFactory:
    """Picklable: builds the provider inside the worker process."""

    delay: tuple[float, float] = (0.0, 0.0)
    fail_always: bool = False

    def __call__(self, vault: Vault) -> FakeProvider:
        return FakeProvider(delay=self.delay, fail_always=self.fail_always)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def branches(root: Path) -> list[str]:
    return sorted(git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split())


def fsck_clean(root: Path) -> tuple[bool, str]:
    result = subprocess.run(["git", "-C", str(root), "fsck", "--full", "--no-dangling"], capture_output=True, text=True)
    return result.returncode == 0 and "error" not in result.stderr.lower(), result.stdout + result.stderr


@dataclass
class RecordingExtract:
    """Picklable: runs the real `extract_source` in the worker and appends, per job, a JSON line to
    `log`: the worker's process class (ForkProcess or SpawnProcess), the id of the base tip's
    `TreeVault` it found before the job, and whether the embedding model was loaded after it."""

    log: str

    def __call__(self, vault: Vault, source: str, **options):
        import json
        import multiprocessing
        import os

        from teleo.pipeline.job import extract_source
        from teleo.index.embed import model_loaded
        from teleo.vault import tree as tree_module

        kept = tree_module._SHARED.get("last")
        outcome = extract_source(vault, source, **options)
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({
                "pid": os.getpid(), "process": type(multiprocessing.current_process()).__name__,
                "tree": id(kept[2]) if kept is not None else None, "model": model_loaded(),
            }) + "\n")
        return outcome


def recorded(log: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
