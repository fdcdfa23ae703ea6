"""The verdict store: structured review records kept in git, bound to the commit they judged.

**Layout.** One ref per (head commit, reviewer)::

    refs/teleo/verdicts/<head commit id>/<reviewer>  →  a blob of JSON (a `Verdict`)

The ref names the commit and the reviewer; the JSON repeats both, and a
record whose JSON disagrees with its ref name is ignored. A reviewer who
reviews the same head again replaces its record (the older blob stays in the
object store until `git gc`; git keeps no reflog for refs outside `refs/heads`
and the like unless `core.logAllRefUpdates = always`). Because the head commit is part of the name, a new commit on a
proposal branch leaves every older verdict behind: `verdicts_for(repo, head)`
only ever reads the records of that exact commit, so a verdict on an older
commit never counts.

**Why refs to blobs** (not `git notes`): a notes ref is one commit chain that
every reviewer would have to extend with compare-and-swap; one ref per
verdict is written by a single ref update and never conflicts with another
reviewer's. The records travel with the repository like any ref
(`git fetch origin 'refs/teleo/*:refs/teleo/*'`, `git push origin
'refs/teleo/*'`) and `git gc` keeps them, since they are reachable.

**Only this store counts.** Text that looks like a verdict — an HTML comment
`VERDICT:LEO:APPROVE` in a note, a line in a commit message, a JSON blob in a
source — is never read by the merge gate; only records under
`refs/teleo/verdicts/` are. (Anyone who can write refs to the repository can
write a record: the store protects against text in content, not against the
repository's owners.)
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterable
from typing import Literal

import pygit2
from pydantic import BaseModel, Field, ValidationError

from teleo.contract.review import ClaimFinding
from teleo.repo.branches import BranchError, durable_writes

VERDICT_PREFIX = "refs/teleo/verdicts/"
STORE_ATTEMPTS = 5
"""Tries of a verdict's ref write whose lock another writer holds."""
GATES_REVIEWER = "gates"
"""The reserved reviewer name of the deterministic gates' verdicts."""

VerdictValue = Literal["approve", "request_changes", "reject"]
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


class Verdict(BaseModel):
    """A reviewer's judgement of one commit."""

    reviewer: str
    role: Literal["evaluator", "peer", "gates"]
    head: str
    """The commit judged (the proposal branch's head when reviewed)."""
    branch: str
    verdict: VerdictValue
    findings: list[ClaimFinding] = Field(default_factory=list)
    text: str = ""
    time: str = Field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    provider: str = "offline"
    model: str = "offline"


class VerdictError(Exception):
    """A verdict could not be stored."""


def verdict_ref(head: str, reviewer: str) -> str:
    if not _SHA.match(head):
        raise VerdictError(f"not a commit id: {head!r}")
    if not _NAME.match(reviewer):
        raise VerdictError(f"not a reviewer name Teleo stores: {reviewer!r}")
    return f"{VERDICT_PREFIX}{head}/{reviewer}"


def store_verdict(repo: pygit2.Repository, verdict: Verdict) -> str:
    """Write `verdict` as a blob and point its ref at it; returns the ref name.

    In process (libgit2 takes the ref's lock file, as `git update-ref` would): a review stores a
    verdict per reviewer and proposal, and a `git` child process for each cost more than the
    review itself on a few hundred proposals.
    """
    ref = verdict_ref(verdict.head, verdict.reviewer)
    with durable_writes():
        blob = repo.create_blob(verdict.model_dump_json(indent=2).encode("utf-8"))
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                repo.create_reference_direct(ref, blob, True, message=f"teleo: {verdict.reviewer} {verdict.verdict}")
                return ref
            except (pygit2.GitError, ValueError, OSError) as exc:
                # the ref's lock held by another writer of the same record (a fetch of the shared
                # remote's verdicts, a second review of the head): this write replaces it, so again
                if attempt == STORE_ATTEMPTS:
                    raise VerdictError(f"could not store the verdict ({ref}): {exc}") from None
                time.sleep(0.02 * attempt)
    return ref


def verdicts_for(repo: pygit2.Repository, head: str, reviewers: Iterable[str] | None = None) -> dict[str, Verdict]:
    """Reviewer → verdict, for the commit `head` only; malformed or mismatched records are skipped.

    With `reviewers`, only their records are looked up, by name (what the review and the merge
    gate need: the gates and the vault's agents) — instead of walking every ref of the
    repository, which grows by one per verdict and per proposal.
    """
    prefix = f"{VERDICT_PREFIX}{head}/"
    if reviewers is not None:
        names = [prefix + name for name in dict.fromkeys(reviewers) if _NAME.match(name)]
    else:
        names = [ref for ref in _ref_names(repo) if ref.startswith(prefix)]
    found: dict[str, Verdict] = {}
    for ref_name in names:
        reviewer = ref_name[len(prefix):]
        verdict = _load(repo, ref_name)
        if verdict is None or verdict.head != head or verdict.reviewer != reviewer:
            continue
        found[reviewer] = verdict
    return found


def _ref_names(repo: pygit2.Repository) -> list[str]:
    return [ref.name if hasattr(ref, "name") else str(ref) for ref in repo.references.iterator()]


def all_verdicts(repo: pygit2.Repository) -> list[Verdict]:
    """Every readable record in the store (for listings)."""
    out = []
    for ref in repo.references.iterator():
        name = ref.name if hasattr(ref, "name") else str(ref)
        if name.startswith(VERDICT_PREFIX):
            verdict = _load(repo, name)
            if verdict is not None:
                out.append(verdict)
    out.sort(key=lambda v: (v.time, v.reviewer))
    return out


def _load(repo: pygit2.Repository, ref_name: str) -> Verdict | None:
    try:
        obj = repo.references[ref_name].peel()
        if not isinstance(obj, pygit2.Blob):
            return None
        return Verdict.model_validate(json.loads(obj.data.decode("utf-8")))
    except (KeyError, ValueError, UnicodeDecodeError, ValidationError, pygit2.GitError, BranchError):
        return None
