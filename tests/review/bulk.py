"""Hundreds of approved proposals, made cheaply: for the tests that merge many at once.

Each proposal adds one claim and marks its own source processed (every source is on main from
the start, so no two proposals touch the same file), as an extraction would write it; the
verdicts are written straight into the verdict store for the reviewers the selection requires,
instead of running hundreds of reviews.
The titles are propositions about four words drawn from a fixed list, so each passes the claim-quality
rubric and no two read as duplicates.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from review_helpers import SOURCE_TEXT, claim_text, make_review_vault

from teleo.pipeline.propose import commit_message
from teleo.repo.verdicts import Verdict, verdict_ref
from teleo.review.context import load_view
from teleo.review.selection import select_reviewers
from teleo.vault import Vault

VOCAB = (
    "harbour ledger orchard quarry lantern meadow copper falcon glacier tundra saffron violet walnut yarrow "
    "zephyr beacon canyon dolphin estuary foundry granite hollow islet jasmine kiln lichen marble nectar "
    "obsidian pebble quartz reed sorrel thistle umber vessel willow yeoman zinc anvil bramble cobalt drift "
    "elm flint gorse hazel ivory jetty kelp loam moss nettle oak pine quill rowan slate tallow urchin vale wren"
).split()
ENV = {"NO_COLOR": "1", "GIT_AUTHOR_NAME": "Bulk", "GIT_AUTHOR_EMAIL": "bulk@example.org",
       "GIT_COMMITTER_NAME": "Bulk", "GIT_COMMITTER_EMAIL": "bulk@example.org"}


def titles(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        a, b, c, d = rng.sample(VOCAB, 4)
        title = f"{a} {b} cooperatives lower {c} {d} costs"
        if title not in found:
            found.append(title)
    return found


def source_path(number: int) -> str:
    return f"inbox/archive/2026-04-01-bulk-audit-{number:03d}.md"


def bulk_vault(root: Path, count: int) -> tuple[Vault, list[str]]:
    """A review vault with `count` open proposals, each approved by every reviewer it needs.

    Written with `git fast-import` (one pack) rather than object by object: Teleo fsyncs every
    object it writes, which would make the setup cost more than the merges under test."""
    names = titles(count)
    sources = {source_path(n): SOURCE_TEXT.replace("An audit of deployed assistants", f"Audit {names[n]}")
               .replace("okoye/audit", f"okoye/audit-{n}") for n in range(count)}
    vault = make_review_vault(root, sources)
    main = _git(root, "rev-parse", "main").strip()
    stream = []
    branches = []
    for number, title in enumerate(names):
        source = source_path(number)
        processed = sources[source].replace(
            "status: unprocessed", f"status: processed\nprocessed_by: theseus\nclaims_extracted:\n  - \"{title}\"")
        files = {f"domains/ai-alignment/{title}.md": claim_text(title, source_stem=source[14:-3]), source: processed}
        message = commit_message(vault, agent="theseus", source_path=source, domain="ai-alignment")
        branch = f"extract/bulk-{number:03d}"
        stream += [f"commit refs/heads/{branch}", f"mark :{number + 1}", f"committer {SIGNATURE}", data(message),
                   f"from {main}"]
        stream += [f"M 100644 inline {path}\n{data(text)}" for path, text in files.items()]
        branches.append(branch)
    marks = fast_import(root, stream)
    heads = {branch: marks[f":{number + 1}"] for number, branch in enumerate(branches)}
    approve_all(vault, heads)
    return vault, branches


SIGNATURE = "Bulk <bulk@example.org> 1775000000 +0000"


def approve_all(vault: Vault, heads: dict[str, str]) -> None:
    """An `approve` from each required reviewer on each head (the proposals are alike: one selection serves all)."""
    slots = select_reviewers(load_view(vault, next(iter(heads)))).slots
    records = [(head, Verdict(reviewer=slot.agent, role=slot.role, head=head, branch=branch, verdict="approve",
                              text="approved in bulk for a test"))
               for branch, head in heads.items() for slot in slots]
    stream = []
    for number, (_, verdict) in enumerate(records, start=1):
        stream += ["blob", f"mark :{number}", data(verdict.model_dump_json(indent=2))]
    marks = fast_import(vault.root, stream)
    updates = "".join(f"create {verdict_ref(head, verdict.reviewer)} {marks[f':{number}']}\n"
                      for number, (head, verdict) in enumerate(records, start=1))
    subprocess.run(["git", "-C", str(vault.root), "update-ref", "--stdin"], input=updates.encode(), check=True)


def data(text: str) -> str:
    body = text.encode("utf-8")
    return f"data {len(body)}\n{text}"


def fast_import(root: Path, stream: list[str]) -> dict[str, str]:
    """Feed `stream` to `git fast-import`; the marks it exported (":n" → object id)."""
    marks = root.parent / f".bulk-marks-{os.getpid()}"
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet", f"--export-marks={marks}"],
                   input=("\n".join(stream) + "\n").encode("utf-8"), check=True)
    pairs = dict(line.split() for line in marks.read_text().splitlines())
    marks.unlink()
    return pairs


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def teleo(root: Path, *args: str, log: Path) -> subprocess.Popen:
    """The real command line in its own session (a kill of the group reaches everything it started)."""
    handle = open(log, "ab")  # noqa: SIM115 - closed right after the start; the child keeps its copy
    try:
        return subprocess.Popen([sys.executable, "-m", "teleo.cli.app", *args], cwd=root, env={**os.environ, **ENV},
                                stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    finally:
        handle.close()
