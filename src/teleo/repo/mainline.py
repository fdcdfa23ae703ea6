"""Writing to `main`: merges and direct commits by compare-and-swap, branch deletion, the working tree.

**Compare-and-swap.** Every change to `main` is built from objects, never in a
working tree: read the tip, build the new commit in memory (pygit2
`merge_commits` for a merge, an in-memory index for a plain commit), then
`git update-ref refs/heads/main <new> <tip>`. When another process moved
`main` in between, the swap fails and the whole build is redone on the new
tip (up to `MAX_ATTEMPTS`). A merge whose head is already on `main` is
reported as `already` and never merged twice.

**Conflicts a caller can settle.** `merge_into(…, resolve=)` hands each conflicting path's three
versions (ancestor, main, the proposal) to the caller's resolver (`settle_conflicts`); the merged
bytes it returns become the merge's blob, and a path it returns None for is a `MergeConflict` as
before. Teleo's resolver settles append-only entity lines only (`review.context.entity_resolver`).
`overrides` write given files over the merge's result (a proposal's entity folded into the one a
sibling created first, `review.context`), only onto the tip they were derived from (`judged`).

**Merge commits** are named as the reference's forge named them (§4.13):
`Merge pull request '<title>' from <branch> into main` — with no forge there
is no PR number, so `(#N)` is left out; the body lists the verdicts, and the
trailers `Teleo-Proposal: <branch>` and `Teleo-Head: <commit>` say which proposal it merged.

**Owed cascades.** A merge (and a flag resolution that revised a belief, trailer
`Teleo-Resolution`) owes a cascade. Before such a commit is swapped onto main, a record is
written — the ref `refs/teleo/cascade-owed/<commit>` — and `cascade_done` removes it once its
cascade is committed or found to change nothing. `pending_cascades` reads the records, so a
run killed between a merge and its cascade leaves the debt to the next `teleo merge` however
many commits came after, and a cascade that changes nothing is planned once. A record whose
commit never reached main (a lost swap whose writer was killed) is dropped once it is
`OWED_STALE_S` old. The records travel with the repository's other `refs/teleo/*`.

**The working tree** of a checked-out main follows in `teleo.repo.worktree`: every move here
first records where the index is (`remember_base`, under `main_writer`), and `sync_worktree`
catches the files up from there, however far main moved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pygit2
from pydantic import BaseModel, Field

from teleo.repo.branches import (
    ZERO,
    BranchConflict,
    BranchError,
    changed_paths,
    clear_stale_lock,
    durable_writes,
    tip,
    update_branch,
    write_commit,
)
from teleo.repo.identity import signature
from teleo.repo.command import run_git
from teleo.repo.trailers import trailers
from teleo.repo.worktree import (
    WorktreeSync,
    checked_out,
    commit_worktree,
    main_writer,
    remember_base,
    sync_worktree,
)

MAX_ATTEMPTS = 200
MAIN_LOCK_STALE_S = 5.0
"""main's lock file older than this was left by a killed process (`branches.clear_stale_lock`)."""
TRAILER_PROPOSAL = "Teleo-Proposal"
TRAILER_HEAD = "Teleo-Head"
TRAILER_CASCADE = "Cascade-Of"
TRAILER_RESOLUTION = "Teleo-Resolution"
"""On a flag resolution that revised or abandoned a belief: its cascade is still owed."""
OWED_PREFIX = "refs/teleo/cascade-owed/"
OWED_STALE_S = 3600.0
"""A record of a commit not on main and older than this was left by a writer killed after losing its swap."""


class MergeConflict(BranchError):
    """The proposal does not merge cleanly into main (both changed the same lines)."""

    def __init__(self, message: str, paths: list[str]) -> None:
        super().__init__(message)
        self.paths = paths


Resolver = Callable[[str, bytes | None, bytes | None, bytes | None], bytes | None]
"""(repository path, ancestor, ours = main, theirs = the proposal) → the merged bytes, or None: a real conflict."""


def settle_conflicts(repo: pygit2.Repository, index: pygit2.Index, resolve: Resolver | None, *,
                     write: bool = True) -> tuple[dict[str, bytes], list[str]]:
    """Which conflicts of the merge `index` `resolve` settles: ({path: merged bytes}, paths still in
    conflict). With `write` and nothing left in conflict, the merged blobs replace the conflicts in
    `index` (its tree is then the merge's). Without a resolver every conflict stays."""
    if index.conflicts is None:
        return {}, []
    settled: dict[str, bytes] = {}
    modes: dict[str, int] = {}
    left: list[str] = []
    for ancestor, ours, theirs in list(index.conflicts):
        entry = ours or theirs or ancestor
        data = None
        if resolve is not None and ours is not None and theirs is not None:
            data = resolve(entry.path, *(repo[e.id].data if e is not None else None for e in (ancestor, ours, theirs)))
        if data is None:
            left.append(entry.path)
        else:
            settled[entry.path], modes[entry.path] = data, ours.mode
    if left or not write:
        return settled, sorted(set(left))
    with durable_writes():
        for path, data in settled.items():
            del index.conflicts[path]
            index.add(pygit2.IndexEntry(path, repo.create_blob(data), modes[path]))
    return settled, []


def _override(repo: pygit2.Repository, index: pygit2.Index, overrides: dict[str, bytes | None]) -> None:
    if not overrides:
        return
    with durable_writes():
        for path, data in overrides.items():
            if data is None:
                if path in index:
                    index.remove(path)
            else:
                index.add(pygit2.IndexEntry(path, repo.create_blob(data), pygit2.enums.FileMode.BLOB))


class MergeResult(BaseModel):
    status: Literal["merged", "already"]
    commit: str
    """The merge commit (or main's tip when the head was already there)."""
    old: str
    """main before the merge."""
    changed: list[str] = Field(default_factory=list)
    """Repository paths the merge changed on main."""
    settled: list[str] = Field(default_factory=list)
    """Repository paths in conflict that the resolver settled."""
    attempts: int = 1


def short_branch(ref: str) -> str:
    return ref.removeprefix("refs/heads/")


def _move(repo: pygit2.Repository, ref: str, new: str, old: str, reason: str) -> None:
    """The compare-and-swap; a ref locked by another writer counts as a lost swap (the caller retries).

    A checked-out ref's working tree stays at `old`: that is recorded first (`remember_base`), so
    the next sync catches it up even if this process is killed right after the swap."""
    owed = owes_cascade(repo[new])
    if owed:
        _owe(repo, new)
    try:
        with main_writer(repo, ref) as worktree:
            if worktree:
                remember_base(repo, old)
            update_branch(repo, short_branch(ref), new, old, reason=reason)
    except BranchConflict:
        if owed:
            cascade_done(repo, new)
        raise
    except (OSError, BranchError) as exc:
        if owed:
            cascade_done(repo, new)
        lock = Path(repo.path) / f"{ref}.lock"
        if not lock.exists():
            raise BranchError(f"cannot move {short_branch(ref)}: {exc}") from None
        clear_stale_lock(lock, MAIN_LOCK_STALE_S)
        raise BranchConflict(f"{short_branch(ref)} is locked by another writer") from None


class MainMoved(BranchConflict):
    """`ref` is no longer at the commit the caller judged the merge against."""


def merge_into(repo: pygit2.Repository, ref: str, head: str, message: str, *, judged: str | None = None,
               resolve: Resolver | None = None, overrides: dict[str, bytes | None] | None = None) -> MergeResult:
    """Merge the commit `head` into `ref` with a merge commit (compare-and-swap, retried).

    With `judged` (the tip the caller checked the proposal against), a tip that moved raises
    `MainMoved` instead of merging onto something nobody checked; the caller judges again.
    `resolve` may settle conflicting paths (`settle_conflicts`); any other conflict raises `MergeConflict`.
    `overrides` (repository path → bytes, or None to leave the path out) replace git's merge result
    there — only with `judged`, since the caller derived them from that tip.
    """
    if overrides and judged is None:
        raise ValueError("overrides are derived from a judged tip: pass judged")
    head_commit = repo[head]
    for attempt in range(1, MAX_ATTEMPTS + 1):
        base = tip(repo, ref)
        if base.id == head_commit.id or repo.descendant_of(base.id, head_commit.id):
            return MergeResult(status="already", commit=str(base.id), old=str(base.id), attempts=attempt)
        if judged is not None and str(base.id) != judged:
            raise MainMoved(f"{short_branch(ref)} moved to {str(base.id)[:12]} after the proposal was judged")
        index = repo.merge_commits(base, head_commit)
        settled, paths = settle_conflicts(repo, index, resolve)
        if paths:
            raise MergeConflict(f"the proposal conflicts with main in {', '.join(paths[:5])}", paths)
        _override(repo, index, overrides or {})
        who = signature(repo)
        now = pygit2.Signature(who.name, who.email)
        with durable_writes():
            tree = index.write_tree(repo)
            commit = str(repo.create_commit(None, now, now, message, tree, [base.id, head_commit.id]))
        try:
            _move(repo, ref, commit, str(base.id), message.splitlines()[0])
        except BranchConflict:
            _pause(attempt)
            continue
        return MergeResult(status="merged", commit=commit, old=str(base.id), attempts=attempt,
                           changed=changed_paths(repo, base, repo[commit]), settled=sorted(settled))
    raise BranchError(f"{short_branch(ref)} kept moving: gave up after {MAX_ATTEMPTS} attempts")


def commit_onto(repo: pygit2.Repository, ref: str, build, message: str) -> tuple[str, str] | None:
    """Commit on `ref` the changes `build(tip_commit) -> {repo path: bytes}` returns (CAS, retried).

    `build` is called again on the new tip after a lost swap, so it must read
    what it changes from the commit it is given. An empty change set commits
    nothing and returns None; else (old tip, new commit).
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        base = tip(repo, ref)
        changes = build(base)
        changes = {p: data for p, data in changes.items() if _differs(base.tree, p, data)}
        if not changes:
            return None
        commit = write_commit(repo, base, changes, message)
        try:
            _move(repo, ref, commit, str(base.id), message.splitlines()[0])
        except BranchConflict:
            _pause(attempt)
            continue
        return str(base.id), commit
    raise BranchError(f"{short_branch(ref)} kept moving: gave up after {MAX_ATTEMPTS} attempts")


def _differs(tree: pygit2.Tree, path: str, data: bytes) -> bool:
    try:
        entry = tree[path]
    except (KeyError, ValueError):
        return True
    return entry.id != pygit2.hash(data)


def delete_branch(repo: pygit2.Repository, branch: str, expected: str) -> bool:
    """Delete `refs/heads/<branch>` iff it still points at `expected`; False when it moved or is gone."""
    # in its own session: a kill of Teleo's process group must not leave git's ref or packed-refs lock behind
    result = run_git(None, f"--git-dir={repo.path}", "update-ref", "-d", f"refs/heads/{branch}", expected,
                     start_new_session=True)
    return result.returncode == 0


def _pause(attempt: int) -> None:
    time.sleep(min(0.1, 0.005 * attempt))


def owes_cascade(commit: pygit2.Commit) -> bool:
    """A Teleo merge (two parents, `Teleo-Proposal`) or a flag resolution that revised a belief."""
    found = trailers(commit.message or "")
    return (TRAILER_PROPOSAL in found and len(commit.parents) == 2) or TRAILER_RESOLUTION in found


def _owe(repo: pygit2.Repository, commit: str) -> None:
    with durable_writes():
        repo.references.create(OWED_PREFIX + commit, pygit2.Oid(hex=commit), force=True)


def cascade_done(repo: pygit2.Repository, commit: str) -> None:
    """The cascade `commit` owed is on main, or changes nothing: remove its record."""
    try:
        repo.references.delete(OWED_PREFIX + commit)
    except (KeyError, pygit2.GitError, ValueError):
        pass


def pending_cascades(repo: pygit2.Repository, ref: str) -> list[str]:
    """The commits on `ref` whose cascade is still owed (see the module doc), oldest first."""
    head = tip(repo, ref)
    owed: set[str] = set()
    for name in [r.name if hasattr(r, "name") else str(r) for r in repo.references.iterator()]:
        if not name.startswith(OWED_PREFIX):
            continue
        commit = repo.get(name[len(OWED_PREFIX):])
        if not isinstance(commit, pygit2.Commit):
            cascade_done(repo, name[len(OWED_PREFIX):])
        elif commit.id == head.id or repo.descendant_of(head.id, commit.id):
            owed.add(str(commit.id))
        elif time.time() - commit.commit_time > OWED_STALE_S:
            cascade_done(repo, str(commit.id))
    return _oldest_first(head, owed)


def _oldest_first(head: pygit2.Commit, wanted: set[str]) -> list[str]:
    """`wanted` in the order of `head`'s first-parent history, oldest first (walked only as far as needed)."""
    order: list[str] = []
    commit: pygit2.Commit | None = head
    left = set(wanted)
    while commit is not None and left:
        if str(commit.id) in left:
            order.append(str(commit.id))
            left.discard(str(commit.id))
        commit = commit.parents[0] if commit.parents else None
    return list(reversed(order)) + sorted(left)  # merged in from a side branch: after, in a fixed order


__all__ = [
    "ZERO",
    "cascade_done",
    "owes_cascade",
    "MainMoved",
    "MergeConflict",
    "MergeResult",
    "WorktreeSync",
    "checked_out",
    "commit_onto",
    "commit_worktree",
    "delete_branch",
    "main_writer",
    "merge_into",
    "pending_cascades",
    "settle_conflicts",
    "sync_worktree",
]
