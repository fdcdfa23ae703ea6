"""Shared pieces of the extraction end-to-end tests: a small vault with real git, fake LLMs, git probes.

Imported by name (`from e2e_helpers import ...`): tests/extract_e2e has no
conftest.py, because other tests import the root one as `conftest`.
The sample notes are written for these tests; nothing is copied from the corpus.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from teleo.contract.extraction import ExtractionResult
from teleo.llm import (
    LLMCall,
    OfflineProvider,
    Provider,
    ProviderResult,
)

DOMAIN = "domains/space-development"
SOURCE = "inbox/archive/2026-01-02-orbitalreport-launch-costs.md"
EXISTING = "launch cost is the binding constraint on the space economy because every other market scales with the price of mass to orbit"
OTHER = "orbital refuelling depots extend mission reach more cheaply than larger launch vehicles do"
HEALTH = "remote monitoring lowers readmissions because nurses titrate medication faster than clinic visits allow"

CONTENT = """\
Launch costs to low Earth orbit fell from about 54,500 dollars per kilogram on the Space Shuttle to roughly 2,700 dollars per kilogram on Falcon 9 by 2023.
Reusable first stages account for most of the drop, according to the report, because the booster is the most expensive part of the vehicle.

The report argues that fully reusable vehicles will cut costs by another order of magnitude, which would make orbital manufacturing viable for pharmaceuticals and fibre optics.
Cheaper launch does not automatically create demand: the report finds that satellite operators still spend more on spacecraft than on launch, so payload costs become the binding constraint once launch falls below 1,000 dollars per kilogram.

Insurance premiums for launches fell by 40 percent between 2015 and 2023 as failure rates declined.
"""

BASE_FILES: dict[str, str] = {
    f"{DOMAIN}/_map.md": f"""\
        # Space development

        - [[{EXISTING}]]
        - [[{OTHER}]]
        """,
    f"{DOMAIN}/{EXISTING}.md": f"""\
        ---
        type: claim
        domain: space-development
        description: "Satellite, station and manufacturing markets all price in the dollars per kilogram it takes to reach orbit, so launch prices gate their size."
        confidence: likely
        source: "Astra, from launch market data 2010-2024"
        created: 2026-01-01
        ---

        # {EXISTING}

        Every space market is downstream of launch. When launch cost per kilogram falls, the set of payloads that pay for themselves grows, and markets that were uneconomic in 2010 open up by 2024.

        ## Challenges

        Spacecraft costs may dominate once launch is cheap enough.

        ---

        Relevant Notes:
        - [[{OTHER}]] — related

        Topics:
        - [[{DOMAIN}/_map]]
        """,
    f"{DOMAIN}/{OTHER}.md": f"""\
        ---
        type: claim
        domain: space-development
        description: "Depots let a medium launcher refuel in orbit, reaching destinations that would otherwise need a vehicle twice the size and 3 times the cost."
        confidence: experimental
        source: "Astra, from mission architecture studies"
        created: 2026-01-01
        ---

        # {OTHER}

        A depot turns one large launch into several small ones. Studies from 2019 put the saving at up to 60 percent for lunar missions.

        ---

        Topics:
        - [[{DOMAIN}/_map]]
        """,
    f"domains/health/{HEALTH}.md": f"""\
        ---
        type: claim
        domain: health
        description: "In a 2024 programme evaluation, nurse-led titration from home readings cut 30-day readmissions by 18 percent against usual care."
        confidence: experimental
        source: "Vida, from a programme evaluation"
        created: 2026-01-01
        ---

        # {HEALTH}

        Home readings let nurses adjust doses weekly rather than quarterly; the 2024 evaluation found 18 percent fewer readmissions.
        """,
    "agents/astra/identity.md": """\
        # Astra

        Astra tracks the space economy: launch, in-orbit infrastructure and the markets they open.
        """,
    "agents/astra/musings/2026-01-03-depots.md": """\
        ---
        type: musing
        agent: astra
        title: depots and refuelling
        status: seed
        created: 2026-01-03
        ---

        # depots and refuelling

        Half-formed thoughts about depots.
        """,
    SOURCE: """\
        ---
        type: source
        title: "The economics of launch, 2010-2023"
        author: "Orbital Report (@orbitalreport)"
        url: https://example.org/launch-costs
        date: 2026-01-02
        domain: space-development
        format: report
        status: unprocessed
        ---

        # The economics of launch, 2010-2023

        ## Content

        {content}
        ## Agent Notes

        **Why this matters:** launch prices gate every other market.
        """,
}


def base_files(**extra: str) -> dict[str, str]:
    files = dict(BASE_FILES)
    files[SOURCE] = files[SOURCE].replace("{content}", _indent(CONTENT))
    files.update(extra)
    return files


def _indent(text: str) -> str:
    # the BASE_FILES texts are dedented by write_files: indent inserted text the same way
    lines = text.splitlines()
    return ("\n" + " " * 8).join(lines) + "\n"


def source_note(name: str, content: str, *, domain: str = "space-development", status: str = "unprocessed",
                title: str = "A report") -> tuple[str, str]:
    """(path, dedent-ready text) of a source note with `content` as its `## Content`."""
    path = f"inbox/archive/{name}.md"
    text = (
        "---\n"
        "type: source\n"
        f"title: {json.dumps(title)}\n"
        'author: "Some Author (@someone)"\n'
        "url: https://example.org/x\n"
        "date: 2026-01-04\n"
        f"domain: {domain}\n"
        "format: report\n"
        f"status: {status}\n"
        "---\n\n"
        f"# {title}\n\n## Content\n\n{content}\n"
    )
    return path, text


# -- providers -------------------------------------------------------------------


def offline_provider() -> OfflineProvider:
    return OfflineProvider(ledger=None)


# -- git probes --------------------------------------------------------------------


def git(root: Path, *args: str, check: bool = True) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    result = subprocess.run(["git", "-C", str(root), *args], check=False, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {result.stderr}")
    return result.stdout


def branches(root: Path) -> list[str]:
    return sorted(line.strip() for line in git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads/").splitlines())


def changed_files(root: Path, branch: str) -> list[str]:
    out = git(root, "diff", "--name-only", "-z", f"main..{branch}")
    return sorted(p for p in out.split("\0") if p)


def show(root: Path, branch: str, path: str) -> str:
    return git(root, "show", f"{branch}:{path}")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the working tree (outside .git and .teleo) and its bytes."""
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", ".teleo")]
        for name in names:
            full = Path(folder) / name
            files[full.relative_to(root).as_posix()] = full.read_bytes()
    return files


def export_branch(root: Path, branch: str, target: Path) -> Path:
    """The branch's tree written into `target` (git archive; the repository is not touched)."""
    data = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", branch], capture_output=True, check=True
    ).stdout
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(target, filter="data")
    return target


def fsck_clean(root: Path) -> bool:
    result = subprocess.run(["git", "-C", str(root), "fsck", "--full", "--no-dangling"], check=False, capture_output=True, text=True)
    return result.returncode == 0 and "error" not in result.stderr.lower()


class ScriptedProvider(Provider):
    """A provider returning a fixed result without the seam's target checks (model output is data: the
    writer must hold even when a provider lets anything through)."""

    name = "scripted"
    model = "scripted-model"

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.requests: list = []

    def extract(self, request):
        self.requests.append(request)
        result = ExtractionResult.model_validate(self.payload)
        call = LLMCall(provider=self.name, model=self.model, job=request.job_id, prompt_tokens=10, completion_tokens=5)
        return ProviderResult[ExtractionResult](output=result, calls=[call])
