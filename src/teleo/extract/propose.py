"""The proposal: the commit message, the lint gate over the proposal's tree, the commit.

**Message** (reference §4.13, deployed extractor)::

    <agent>: extract from <file>.md

    - Source: <vault-relative source path>
    - Domain: <domain>
    - Extracted by: headless extraction cron (worker N)

    Pentagon-Agent: <Agent> <id>

`<id>` is the agent's `id` in `teleo.toml` (`HEADLESS` by default). Names
from the vault are written on one line with control characters removed, so
a hostile file name cannot add lines or trailers to the message.

**Lint gate.** The files of a proposal exist only as texts, so they are
checked where they will live: a `TreeVault` of the base tip with the
proposal's texts as an overlay, whose resolver knows every title of the
tree plus the new ones. Every note rule runs on the touched files (plus the
cross-note rules that can raise an error). A proposal passes when no *error* is found in
a touched file that was not already there before: for files the proposal
modifies (enriched claims, the source) the same check runs on the base
version, and errors present before — same file, rule and message — are not
held against the proposal (an enrichment must not be blocked by an old
problem of the note it enriches). New files must be free of errors.

The alternative — writing the files into a scratch copy of the vault — would
copy or link the whole vault for every job; the overlay reads only what the
rules ask for, from git objects, and cannot leak into the working tree.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pygit2

from teleo.gates import Finding, Severity, check
from teleo.gates.registry import RULES
from teleo.notes.untrusted import one_line
from teleo.repo.agents import agent_trailer
from teleo.repo.branches import propose
from teleo.vault.tree import TreeVault
from teleo.vault import Vault

EXTRACTED_BY = "headless extraction cron (worker {worker})"


def _line(text: str, limit: int = 300) -> str:
    """One line for a commit message (`teleo.notes.untrusted.one_line`), cut at `limit` characters."""
    return one_line(text)[:limit]


def commit_message(vault: Vault, *, agent: str, source_path: str, domain: str, worker: int = 1) -> str:
    """The proposal commit's message (see the module doc)."""
    name = _line(source_path.rsplit("/", 1)[-1], 250)
    if not name.endswith(".md"):
        name += ".md"
    lines = [
        f"{_line(agent, 60)}: extract from {name}",
        "",
        f"- Source: {_line(source_path, 500)}",
        f"- Domain: {_line(domain, 100)}",
        f"- Extracted by: {EXTRACTED_BY.format(worker=int(worker))}",
        "",
        agent_trailer(agent, vault.config.agents),
    ]
    return "\n".join(lines) + "\n"


def lint_rules() -> list[str]:
    """Every note rule, plus the cross-note rules that can raise an error.

    Only errors block a proposal, and a vault-wide rule reads the whole tree: one whose
    severity is below error (today `title-duplicate`, a warning) would cost a job most of its
    time on a large vault and could never change the verdict. The writer already turns a
    candidate that repeats an existing title into an enrichment.
    """
    return [rule.id for rule in RULES.values()
            if rule.note_check is not None or (rule.vault_check is not None and rule.severity is Severity.ERROR)]


JUDGED_IN_REVIEW = frozenset({"claim-quality"})
"""Rules whose errors do not stop an extraction job: the proposal is made and the review gates and
reviewers reject it with the findings (a model's weak claim becomes review findings, not a lost job)."""


def new_errors(base: TreeVault, files: dict[str, str], *, today: dt.date | None = None,
               skip: frozenset[str] = frozenset()) -> list[Finding]:
    """Error findings in the proposal's files that the base did not already have (see the module doc).

    `skip` leaves out rules by id (the extraction job skips `JUDGED_IN_REVIEW`)."""
    touched = sorted(files)
    rules = [rule for rule in lint_rules() if rule not in skip]
    after = check(base.with_overlay(files), touched, rules=rules, today=today)
    existing = [path for path in touched if base.exists(path)]
    baseline: Counter = Counter()
    if existing:
        before = check(base, existing, rules=rules, today=today)
        baseline.update((f.file, f.rule, f.message) for f in before.findings if f.severity is Severity.ERROR)
    found = []
    for finding in after.findings:
        if finding.severity is not Severity.ERROR:
            continue
        key = (finding.file, finding.rule, finding.message)
        if baseline[key] > 0:
            baseline[key] -= 1
            continue
        found.append(finding)
    return found


def commit_proposal(
    repo: pygit2.Repository,
    parent: pygit2.Commit,
    branch: str,
    files: dict[str, str],
    message: str,
    *,
    prefix: str = "",
    expected: str | None = None,
) -> str:
    """Commit `files` (vault-relative) on top of `parent` and set `branch` to it (compare-and-swap)."""
    changes = {prefix + path: text.encode("utf-8") for path, text in files.items()}
    return propose(repo, branch, parent, changes, message, expected=expected)
