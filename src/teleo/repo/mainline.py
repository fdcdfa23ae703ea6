"""Writing to `main`: merges and direct commits by compare-and-swap, branch deletion, the working tree.

**Compare-and-swap.** Every change to `main` is built from objects, never in a
working tree: read the tip, build the new commit in memory (pygit2
`merge_commits` for a merge, an in-memory index for a plain commit), then
`git update-ref refs/heads/main <new> <tip>`. When another process moved
`main` in between, the swap fails and the whole build is redone on the new
tip (up to `MAX_ATTEMPTS`). A merge whose head is already on `main` is
reported as `already` and never merged twice.

**Merge commits** are named as the reference's forge named them (§4.13):
`Merge pull request '<title>' from <branch> into main` — with no forge there
is no PR number, so `(#N)` is left out; the body lists the verdicts, and the
trailers `Teleo-Proposal: <branch>` and `Teleo-Head: <commit>` let later runs
find merges that still need their cascade (`pending_cascades`).

**The working tree.** When `main` is checked out (`HEAD` → `refs/heads/main`),
moving the ref leaves the files behind. `sync_worktree` brings them up to
date with `git read-tree -m -u <from> <main>`: `<from>` is the commit the
index still matches (found by comparing `git write-tree` with the trees of
`main`'s recent first-parent history), so a merge run that was killed after
the swap is caught up by the next one. Git refuses to overwrite a file with
local edits, and an index with staged changes matches no commit: in both
cases nothing is touched and the message says why (the edits are never
clobbered; the files stay behind until the person commits or discards them).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    signature,
    tip,
    update_branch,
    write_commit,
)

MAX_ATTEMPTS = 200
MAIN_LOCK_STALE_S = 5.0
"""main's lock file older than this was left by a killed process (`branches.clear_stale_lock`)."""
SYNC_DEPTH = 200
"""How far back `sync_worktree` looks for the commit the index matches."""
TRAILER_PROPOSAL = "Teleo-Proposal"
TRAILER_HEAD = "Teleo-Head"
TRAILER_CASCADE = "Cascade-Of"
TRAILER_RESOLUTION = "Teleo-Resolution"
"""On a flag resolution that revised or abandoned a belief: its cascade is still owed."""


class MergeConflict(BranchError):
    """The proposal does not merge cleanly into main (both changed the same lines)."""

    def __init__(self, message: str, paths: list[str]) -> None:
        super().__init__(message)
        self.paths = paths


class MergeResult(BaseModel):
    status: Literal["merged", "already"]
    commit: str
    """The merge commit (or main's tip when the head was already there)."""
    old: str
    """main before the merge."""
    changed: list[str] = Field(default_factory=list)
    """Repository paths the merge changed on main."""
    attempts: int = 1


class WorktreeSync(BaseModel):
    status: Literal["updated", "current", "not-checked-out", "refused"]
    message: str = ""


def short_branch(ref: str) -> str:
    return ref.removeprefix("refs/heads/")


def _move(repo: pygit2.Repository, ref: str, new: str, old: str, reason: str) -> None:
    """The compare-and-swap; a ref locked by another writer counts as a lost swap (the caller retries)."""
    try:
        with main_writer(repo, ref):
            update_branch(repo, short_branch(ref), new, old, reason=reason)
    except BranchConflict:
        raise
    except (OSError, BranchError) as exc:
        lock = Path(repo.path) / f"{ref}.lock"
        if not lock.exists():
            raise BranchError(f"cannot move {short_branch(ref)}: {exc}") from None
        clear_stale_lock(lock, MAIN_LOCK_STALE_S)
        raise BranchConflict(f"{short_branch(ref)} is locked by another writer") from None


class MainMoved(BranchConflict):
    """`ref` is no longer at the commit the caller judged the merge against."""


def merge_into(repo: pygit2.Repository, ref: str, head: str, message: str, *, judged: str | None = None) -> MergeResult:
    """Merge the commit `head` into `ref` with a merge commit (compare-and-swap, retried).

    With `judged` (the tip the caller checked the proposal against), a tip that moved raises
    `MainMoved` instead of merging onto something nobody checked; the caller judges again.
    """
    head_commit = repo[head]
    for attempt in range(1, MAX_ATTEMPTS + 1):
        base = tip(repo, ref)
        if base.id == head_commit.id or repo.descendant_of(base.id, head_commit.id):
            return MergeResult(status="already", commit=str(base.id), old=str(base.id), attempts=attempt)
        if judged is not None and str(base.id) != judged:
            raise MainMoved(f"{short_branch(ref)} moved to {str(base.id)[:12]} after the proposal was judged")
        index = repo.merge_commits(base, head_commit)
        if index.conflicts is not None:
            paths = sorted({(entry.path) for triple in index.conflicts for entry in triple if entry is not None})
            raise MergeConflict(f"the proposal conflicts with main in {', '.join(paths[:5])}", paths)
        tree = index.write_tree(repo)
        who = signature(repo)
        now = pygit2.Signature(who.name, who.email)
        commit = str(repo.create_commit(None, now, now, message, tree, [base.id, head_commit.id]))
        try:
            _move(repo, ref, commit, str(base.id), message.splitlines()[0])
        except BranchConflict:
            _pause(attempt)
            continue
        return MergeResult(status="merged", commit=commit, old=str(base.id), attempts=attempt,
                           changed=changed_paths(repo, base, repo[commit]))
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
    args = ["git", f"--git-dir={repo.path}", "update-ref", "-d", f"refs/heads/{branch}", expected]
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=_env())
    return result.returncode == 0


def _pause(attempt: int) -> None:
    time.sleep(min(0.1, 0.005 * attempt))


def trailers(message: str) -> dict[str, str]:
    """`Key: value` lines of the message's last paragraph."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if not paragraphs:
        return {}
    out = {}
    for line in paragraphs[-1].splitlines():
        key, sep, value = line.partition(": ")
        if sep and key and " " not in key:
            out[key] = value.strip()
    return out


def pending_cascades(repo: pygit2.Repository, ref: str, depth: int = 30) -> list[str]:
    """Teleo merge commits (and flag resolutions that revised a belief) among `ref`'s last `depth`
    first-parent commits with no cascade commit after them."""
    done: set[str] = set()
    merges: list[str] = []
    commit = tip(repo, ref)
    for _ in range(depth):
        found = trailers(commit.message or "")
        if TRAILER_CASCADE in found:
            done.add(found[TRAILER_CASCADE])
        elif TRAILER_PROPOSAL in found and len(commit.parents) == 2 or TRAILER_RESOLUTION in found:
            merges.append(str(commit.id))
        if not commit.parents:
            break
        commit = commit.parents[0]
    return [m for m in reversed(merges) if m not in done]


# -- the working tree ---------------------------------------------------------------------


_held = threading.local()


@contextmanager
def _worktree_lock(repo: pygit2.Repository) -> Iterator[None]:
    """One writer at a time moves a checked-out main or its working tree (released by the OS if the process dies).

    Re-entrant within a thread; other threads and processes wait.
    """
    depth = getattr(_held, "depth", 0)
    if depth:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    path = os.path.join(repo.path, "teleo-worktree.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held.depth = 1
        yield
    finally:
        _held.depth = 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def main_writer(repo: pygit2.Repository, ref: str) -> Iterator[None]:
    """Held around every move of `ref` when it is checked out, and around a `git commit` on it.

    A `git commit -- <paths>` made while the index still shows an older main
    leaves the index matching no commit (the newer merge's files read as staged
    deletions, which a later `git commit -a` would turn into a real revert, and
    which `sync_worktree` then refuses to touch). So a working-tree commit first
    catches the index up, and ref moves by compare-and-swap (`_move`) and
    working-tree commits (`commit_worktree`) exclude each other with this lock.
    """
    if checked_out(repo, ref):
        with _worktree_lock(repo):
            yield
    else:
        yield


def commit_worktree(repo: pygit2.Repository, ref: str, commit) -> object:
    """Catch the working tree up with `ref`, then call `commit()` (a `git commit` on it), under `main_writer`."""
    with main_writer(repo, ref):
        sync_worktree(repo, ref)
        return commit()


def checked_out(repo: pygit2.Repository, ref: str) -> bool:
    try:
        head = repo.references["HEAD"]
    except KeyError:
        return False
    return not repo.is_bare and isinstance(head.target, str) and head.target == ref


def sync_worktree(repo: pygit2.Repository, ref: str) -> WorktreeSync:
    """Bring the checked-out working tree and index up to `ref`'s tip without clobbering edits (module doc)."""
    if not checked_out(repo, ref):
        return WorktreeSync(status="not-checked-out")
    with _worktree_lock(repo):
        target = tip(repo, ref)
        index_tree = _git(repo, "write-tree")
        if index_tree is None:
            return WorktreeSync(status="refused", message="the index has unmerged entries; the working tree was left as it is")
        if index_tree == str(target.tree.id):
            return WorktreeSync(status="current")
        origin = _commit_with_tree(target, index_tree)
        if origin is None:
            return WorktreeSync(status="refused", message=(
                f"the index has staged changes, so the working tree was not moved to {short_branch(ref)} "
                f"({str(target.id)[:12]}); commit or unstage them, then run `git read-tree -m -u <your base> "
                f"{short_branch(ref)}` or `git reset --keep {short_branch(ref)}`"))
        _git(repo, "update-index", "-q", "--refresh")  # stale stat data would read as local edits
        result = subprocess.run(["git", "-C", repo.workdir, "read-tree", "-m", "-u", origin, str(target.id)],
                                capture_output=True, text=True, check=False, env=_env())
        if result.returncode != 0:
            words = " ".join(result.stderr.split())[:400]
            return WorktreeSync(status="refused", message=(
                f"local edits would be overwritten, so the working tree still shows {origin[:12]} while "
                f"{short_branch(ref)} is at {str(target.id)[:12]} ({words}); commit or discard them, then run "
                f"`git read-tree -m -u {origin[:12]} {short_branch(ref)}`"))
        return WorktreeSync(status="updated", message=f"working tree {origin[:12]} → {str(target.id)[:12]}")


def _commit_with_tree(start: pygit2.Commit, tree_id: str) -> str | None:
    commit = start
    for _ in range(SYNC_DEPTH):
        if str(commit.tree.id) == tree_id:
            return str(commit.id)
        for parent in commit.parents[1:]:  # a merged proposal's own commits
            if str(parent.tree.id) == tree_id:
                return str(parent.id)
        if not commit.parents:
            return None
        commit = commit.parents[0]
    return None


def _git(repo: pygit2.Repository, *args: str) -> str | None:
    result = subprocess.run(["git", "-C", repo.workdir, *args], capture_output=True, text=True, check=False, env=_env())
    return result.stdout.strip() if result.returncode == 0 else None


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    return env


__all__ = [
    "ZERO",
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
    "sync_worktree",
    "trailers",
]
