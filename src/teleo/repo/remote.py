"""A shared git remote: hosts with their own clones, and every write to it a compare-and-swap.

When workers run on several hosts (`[pipeline] remote = "origin"`), each host has its own clone
of the vault and they share one remote repository. The remote is the truth; a clone's refs are a
cache of it plus the work a job has not published yet. Git itself is the arbiter: `git push`
sends, for every ref it updates, the value it expects the ref to hold, and the receiving side
updates the ref under its lock only if it still holds that value (a ref transaction). So:

- **Pushes are leased** (`Remote.push`): each `RefUpdate` names the value it expects on the
  remote — a commit, or *absent* for a new branch — as `--force-with-lease=<ref>:<expected>`,
  and several updates go in one `--atomic` push (all or none). A lease that no longer holds,
  or a ref another push holds locked at that moment, is `RemoteConflict`: the compare-and-swap
  was lost, nothing was written, and the job may be retried (it will see the winner's work).
- **Reaching the remote is retried**: a fetch or a push that did not reach the remote (no such
  path, connection refused, a lock held by a concurrent fetch in the same clone) is retried
  `attempts` times with doubling pauses, then `RemoteUnreachable` carries git's own message.
  A push the remote refused for another reason (a hook, permissions) is `RemoteRefused`.
- **Fetch** (`Remote.fetch`) mirrors the remote's branches into `refs/remotes/<name>/*` and its
  owed-cascade records into `refs/remotes/<name>-teleo/cascade-owed/*` (pruned, so a merged and
  deleted proposal, a cascade done, disappear) and, when asked, its verdicts into the clone's own
  `refs/teleo/verdicts/*` — never pruned, so a verdict written here and not pushed yet survives.
- **What a source left on the remote** (`Remote.source_record`): a proposal branch whose commits
  name the source (`- Source: <path>`, the extraction's message), else a commit of the remote's
  main naming it (a merged proposal's head is in main's history). Either way the source is done.
- **Following the remote's main** (`follow`): the clone's `main` is moved to the remote's tip by
  a local compare-and-swap, recording a checked-out working tree's base first (as every move of
  main does, `teleo.repo.worktree`). Local commits the remote lacks are Teleo's own merges and
  cascades of a lost or killed job (redone from the remote's state) and are dropped; anything
  else is kept under `refs/teleo/unpushed/<commit>` before main moves, so nothing is lost.
- **Publishing the clone's own commits on main** (`local_only`, `replay`): a source ingested or
  dropped on a host is committed on the clone's main; the jobs push such commits before following
  — replayed onto the remote's tip when it moved (a cherry-pick in memory, refused on a conflict
  or a merge: then the commits are kept aside as above).
- **One merger per clone** (`host_lock`): the processes of one host take a file lock around
  follow → merge → push, so they never move the clone's main under each other; hosts exclude
  each other through the leased push of main alone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pygit2

from teleo.repo.branches import (
    BranchConflict,
    BranchError,
    clear_stale_lock,
    durable_writes,
    proposal_branches,
    source_of,
    update_branch,
)
from teleo.repo.command import run_git
from teleo.repo.mainline import OWED_PREFIX
from teleo.repo.trailers import trailers
from teleo.repo.worktree import main_writer, remember_base

log = logging.getLogger("teleo.remote")

UNPUSHED_PREFIX = "refs/teleo/unpushed/"
"""Where `follow` keeps local commits of main that are neither on the remote nor Teleo's own merges."""
VERDICT_REFS = "refs/teleo/verdicts/"
"""Fetched into the clone's own namespace, never pruned (a verdict written here and not pushed yet stays)."""
HOST_LOCK = "teleo-remote.lock"
"""In the clone's git folder: held while a process follows, merges into and pushes main."""
FETCH_LOCK = "teleo-fetch.lock"
"""In the clone's git folder: held during a fetch."""
MAIN_LOCK_STALE_S = 5.0
"""The clone's `refs/heads/main.lock` older than this was left by a killed process (as in `mainline`)."""
TELEO_OWN = ("Teleo-Proposal", "Cascade-Of")
"""Trailers of the merges and cascades Teleo redoes from the remote's state (safe to drop when unpushed)."""
_PORCELAIN = re.compile(r"^([ +\-*!=])\t(\S*):(\S+)\t(.*)$")
_LOCKED = re.compile(r"Unable to create '([^']+?\.lock)': File exists")
"""git's words (on the remote's side) for a ref whose lock file is already there."""
_LOST = ("stale info", "fetch first", "non-fast-forward", "already exists", "cannot lock", "failed to update",
         "incorrect old value", "is at ", "transaction failed", "failed to lock", "unable to lock")
"""Words of a rejection that means the compare-and-swap was lost (another writer got there first)."""


class RemoteError(BranchError):
    """The shared remote could not be used; the message carries git's own words."""

    retryable = False


class RemoteUnreachable(RemoteError):
    """The remote did not answer after every attempt (no such path, connection refused, …)."""


class RemoteRefused(RemoteError):
    """The remote answered and refused the push for a reason that a retry does not cure (a hook, permissions)."""


class RemoteConflict(BranchConflict):
    """A leased push lost its compare-and-swap: the remote ref holds another writer's value. Retry the job.

    `lost`: the refs whose own lease failed, when git said which (the others of an atomic push were
    refused with them: "atomic push failed"); empty when it did not say."""

    retryable = True

    def __init__(self, message: str, lost: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.lost = lost


class RemoteRefLocked(RemoteConflict):
    """A push met a ref lock file on the remote (`<ref>.lock`). A live push holds one for milliseconds;
    one a killed `git receive-pack` left blocks that ref until someone removes it (git never does).
    Retryable; the message names the file and how to clear it. A remote in a folder this host reaches
    has such a lock cleared once it is older than `Remote.stale_lock_s` (`Remote.push`)."""


@dataclass(frozen=True)
class RefUpdate:
    """One ref of a push: set `ref` to `new` (None: delete it) iff the remote holds `expected` (None: absent).

    `force=True` writes whatever the remote holds (for records that only ever replace themselves,
    such as a verdict of the same reviewer on the same commit)."""

    ref: str
    new: str | None
    expected: str | None = None
    force: bool = False

    def refspec(self) -> str:
        return f"{'+' if self.force else ''}{self.new or ''}:{self.ref}"

    def lease(self) -> str | None:
        return None if self.force else f"--force-with-lease={self.ref}:{self.expected or ''}"


@dataclass(frozen=True)
class SourceRecord:
    """What a source left on the remote: its proposal branch, or the commit of main that names it."""

    state: str
    """"proposed" (a branch on the remote) or "merged" (in the remote main's history)."""
    where: str
    """The remote branch, or `main`."""
    commit: str

    def __str__(self) -> str:
        return f"{self.state} on {self.where} ({self.commit[:12]})"


@dataclass
class Remote:
    """A clone's view of the shared remote `name` (a `git remote` of the repository)."""

    repo: pygit2.Repository
    name: str
    attempts: int = 4
    """Tries of a fetch or push that does not reach the remote, before `RemoteUnreachable`."""
    backoff_s: float = 0.5
    """Pause after the first failed try; doubled after each next one (capped at 8 s)."""
    stale_lock_s: float = 60.0
    """A ref lock file on a remote this host reaches as a folder, older than this, was left by a killed
    push and is removed (`[pipeline] stall_seconds`: the window after which a silent job is retried too)."""

    @classmethod
    def open(cls, repo: pygit2.Repository, name: str, **options) -> "Remote":
        """The remote `name` of `repo`; `RemoteError` naming the fix when the clone has no such remote."""
        try:
            repo.remotes[name]
        except (KeyError, ValueError, pygit2.GitError):
            raise RemoteError(f"no git remote named '{name}' in {repo.workdir or repo.path} "
                              f"(add it with: git remote add {name} <url>)") from None
        return cls(repo, name, **options)

    # -- reading --------------------------------------------------------------------

    def tracking(self, branch: str) -> str:
        """The clone's copy of the remote's `branch`, as the last fetch left it."""
        return f"refs/remotes/{self.name}/{branch.removeprefix('refs/heads/')}"

    def head(self, branch: str) -> str | None:
        """The commit the remote's `branch` was at when last fetched (None: it had no such branch)."""
        try:
            return str(self.repo.references[self.tracking(branch)].peel(pygit2.Commit).id)
        except (KeyError, ValueError, pygit2.GitError):
            return None

    def owed_tracking(self, commit: str) -> str:
        """The clone's copy of the remote's owed-cascade record of `commit` (pruned with the branches)."""
        return f"refs/remotes/{self.name}-teleo/cascade-owed/{commit}"

    def owed(self) -> list[str]:
        """The commits whose cascade the remote still owes (records pushed by a merge whose cascade failed)."""
        start = self.owed_tracking("")
        return sorted(name[len(start):] for name in self.repo.references if name.startswith(start))

    def branches(self, prefix: str) -> dict[str, str]:
        """The remote's branches under `prefix` (e.g. `extract/`), branch → head, as last fetched."""
        root = self.tracking("")
        found = {}
        for name in self.repo.references:
            if name.startswith(root + prefix):
                head = self.head(name[len(root):])
                if head is not None:
                    found[name[len(root):]] = head
        return found

    def source_record(self, source_path: str, base: str = "main") -> SourceRecord | None:
        """Whether `source_path` is done on the remote: its proposal branch, else a commit of `base` naming it."""
        main = self.head(base)
        for branch in proposal_branches(source_path):
            head = self.head(branch)
            if head is not None and proposed_source(self.repo, head, main) in (None, source_path):
                return SourceRecord("proposed", branch, head)
        if main is None:
            return None
        found = commit_naming_source(self.repo, self.tracking(base), source_path)
        return SourceRecord("merged", base, found) if found else None

    # -- talking to the remote -------------------------------------------------------

    def fetch(self, *, verdicts: bool = False, only: Sequence[str] | None = None) -> None:
        """Bring the remote's branches and owed-cascade records (and with `verdicts` its verdicts) into the clone (module doc).

        `only`: just these branches (a name, or a pattern ending in `*`), pruned within them — what
        an extraction reads (main and its source's branch names): the remote then lists only those
        refs, where a whole fetch grows with every branch on the remote. The processes of one clone
        fetch one at a time (`FETCH_LOCK`): two fetches updating the same remote-tracking refs would
        fail on each other's ref locks."""
        quiet = ("-c", "gc.auto=0", "-c", "maintenance.auto=false", "fetch", "--quiet", "--no-tags",
                 "--no-write-fetch-head")
        if only is not None:
            specs = [f"+refs/heads/{name}:refs/remotes/{self.name}/{name}" for name in only]
        else:
            specs = [f"+refs/heads/*:refs/remotes/{self.name}/*", f"+{OWED_PREFIX}*:{self.owed_tracking('')}*"]
        with clone_lock(self.repo, FETCH_LOCK):
            self._run(*quiet, "--prune", self.name, *specs)
            if verdicts:
                self._run(*quiet, self.name, f"+{VERDICT_REFS}*:{VERDICT_REFS}*")

    def push(self, updates: list[RefUpdate]) -> None:
        """Write `updates` on the remote in one atomic, leased push (see the module doc for what it raises)."""
        if not updates:
            return
        leases = [lease for lease in (u.lease() for u in updates) if lease]
        args = ("push", "--porcelain", "--atomic", "--no-verify", *leases, self.name, *(u.refspec() for u in updates))
        self._run(*args, push=True)

    def _run(self, *args: str, push: bool = False) -> None:
        pause = self.backoff_s
        cleared: set[str] = set()
        for attempt in range(1, self.attempts + 1):
            result = run_git(None, f"--git-dir={self.repo.path}", *args, start_new_session=True)
            if result.returncode == 0:
                return
            rejected = [line for line in result.stdout.splitlines() if line.startswith("!\t")] if push else []
            if rejected:
                locks = _LOCKED.findall(result.stderr or "")
                if locks and self._clear_stale_locks(locks, cleared):
                    continue  # a dead push's lock removed: the same push again, at once
                _raise_rejection(self.name, rejected, result.stderr, locks)
            message = _git_words(result.stderr or result.stdout)
            if attempt == self.attempts:
                raise RemoteUnreachable(f"remote '{self.name}' unreachable after {attempt} attempts: {message}")
            time.sleep(pause)
            pause = min(pause * 2, 8.0)


    def _clear_stale_locks(self, locks: list[str], cleared: set[str]) -> bool:
        """Remove the remote's ref locks older than `stale_lock_s` when the remote is a folder this host
        reaches; True when one was removed (each at most once per push)."""
        root = self._folder()
        removed = False
        for lock in locks:
            path = os.path.realpath(lock)
            if root is None or not path.startswith(root + os.sep) or path in cleared:
                continue
            age = _age(path)
            if age is not None and clear_stale_lock(Path(path), self.stale_lock_s):
                cleared.add(path)
                removed = True
                log.warning("remote '%s': removed %s, a ref lock %.0f s old (a push killed mid-way left it)",
                            self.name, path, age)
        return removed

    def _folder(self) -> str | None:
        """The remote's repository folder when it is a path (or file:// URL) this host reaches, else None."""
        try:
            url = self.repo.remotes[self.name].url or ""
        except (KeyError, ValueError, pygit2.GitError):
            return None
        url = url.removeprefix("file://")
        if "://" in url or (":" in url.split("/", 1)[0] and not os.path.isabs(url)):
            return None  # ssh, https, host:path: the lock lives on another machine
        folder = Path(url) if os.path.isabs(url) else Path(self.repo.workdir or self.repo.path) / url
        return os.path.realpath(folder) if folder.is_dir() else None


def _age(path: str) -> float | None:
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return None


def _raise_rejection(name: str, rejected: list[str], stderr: str, locks: list[str] = ()) -> None:
    reasons, lost = [], []
    for line in rejected:
        found = _PORCELAIN.match(line)
        reasons.append(f"{found.group(3)} {found.group(4)}" if found else line.strip())
        if found and "atomic" not in found.group(4):  # not a bystander of an atomic push: its own lease
            lost.append(found.group(3))
    text = "; ".join(reasons)
    words = (text + " " + stderr).lower()
    if locks:
        held = ", ".join(sorted(set(locks)))
        raise RemoteRefLocked(
            f"the remote '{name}' holds a ref lock: {held} exists ({text}). A push in progress holds one for "
            f"milliseconds; one left by a push killed mid-way blocks that ref until it is removed: when no push "
            f"is running, remove it on the git server (rm '{locks[0]}')", tuple(lost))
    if any(word in words for word in _LOST):
        raise RemoteConflict(f"the remote '{name}' moved first: {text}", tuple(lost))
    raise RemoteRefused(f"the remote '{name}' refused the push: {text} {_git_words(stderr)}".rstrip())


def _git_words(text: str) -> str:
    return " ".join(line.strip() for line in (text or "").splitlines() if line.strip()) or "no message from git"


# -- sources on a ref ----------------------------------------------------------------


def proposed_source(repo: pygit2.Repository, head: str, base: str | None, limit: int = 50) -> str | None:
    """The source a proposal branch's commits name (`- Source:`), newest first back to `base`; None if none does.

    The head alone may be an auto-fix commit, which names no source."""
    commit = repo.get(head)
    stop = repo.merge_base(commit.id, pygit2.Oid(hex=base)) if base and commit is not None else None
    for _ in range(limit):
        if commit is None or (stop is not None and commit.id == stop):
            return None
        found = source_of(commit.message or "")
        if found is not None:
            return found
        commit = commit.parents[0] if commit.parents else None
    return None


def commit_naming_source(repo: pygit2.Repository, ref: str, source_path: str) -> str | None:
    """The newest commit reachable from `ref` whose message names `source_path` on a `- Source:` line.

    Read in process from what this process already read of `ref` (`_SourcesNamed`): a worker asks
    after each fetch, and the remote's main only grows, so each commit's message is read once —
    where a `git log --grep` per job read the whole history again in a process of its own."""
    try:
        head = str(repo.references[ref].peel(pygit2.Commit).id)
    except (KeyError, ValueError, pygit2.GitError):
        return None
    return _SourcesNamed.of(repo, ref).up_to(repo, head).get(source_path)


class _SourcesNamed:
    """For one ref of one repository: which commit names which source, for the history up to `scanned`."""

    _known: dict[tuple[str, str], "_SourcesNamed"] = {}
    _guard = threading.Lock()

    def __init__(self) -> None:
        self.scanned: str | None = None
        self.named: dict[str, str] = {}

    @classmethod
    def of(cls, repo: pygit2.Repository, ref: str) -> "_SourcesNamed":
        with cls._guard:
            return cls._known.setdefault((os.path.realpath(repo.path), ref), cls())

    def up_to(self, repo: pygit2.Repository, head: str) -> dict[str, str]:
        """source → the newest commit naming it, over `head`'s history (the commits since the last
        call only, when `head` descends from what was read; else from scratch: a ref moved back)."""
        with self._guard:
            if self.scanned == head:
                return self.named
            walker = repo.walk(pygit2.Oid(hex=head), pygit2.enums.SortMode.TIME)
            previous = self.scanned
            if previous is not None and repo.get(previous) is not None and \
                    repo.descendant_of(pygit2.Oid(hex=head), pygit2.Oid(hex=previous)):
                walker.hide(pygit2.Oid(hex=previous))
                named = dict(self.named)
            else:
                named = {}
            newer: dict[str, str] = {}
            for commit in walker:  # newest first: the first commit naming a source is its newest
                found = source_of(commit.message or "")
                if found is not None and found not in newer:
                    newer[found] = str(commit.id)
            named.update(newer)
            self.scanned, self.named = head, named
            return named


# -- the clone's own refs --------------------------------------------------------------


def set_local(repo: pygit2.Repository, branch: str, commit: str) -> None:
    """Point the clone's `refs/heads/<branch>` at `commit` (the remote's value wins), by compare-and-swap."""
    for _ in range(20):
        current = _local_head(repo, branch)
        if current == commit:
            return
        try:
            update_branch(repo, branch, commit, current, reason="teleo: follow the shared remote")
            return
        except BranchConflict:
            continue
    raise BranchError(f"{branch} kept moving in this clone while following the remote")


def drop_local(repo: pygit2.Repository, branch: str, expected: str) -> bool:
    """Delete the clone's `branch` iff it still points at `expected` (a proposal whose push was lost)."""
    result = run_git(None, f"--git-dir={repo.path}", "update-ref", "-d", f"refs/heads/{branch}", expected,
                     start_new_session=True)
    return result.returncode == 0


def follow(repo: pygit2.Repository, branch: str, commit: str) -> str | None:
    """Move the clone's `branch` (main) to the remote's `commit` (see the module doc).

    Returns the ref under `refs/teleo/unpushed/` that now keeps local commits the remote lacked, if any."""
    ref = f"refs/heads/{branch}"
    for _ in range(200):
        current = _local_head(repo, branch)
        if current == commit:
            return None
        kept = None
        if current is not None and not _dropped_safely(repo, current, commit):
            kept = UNPUSHED_PREFIX + current
            with durable_writes():  # the only record of those commits once main moves: on disk before it does
                repo.references.create(kept, pygit2.Oid(hex=current), force=True)
        try:
            with main_writer(repo, ref) as worktree:
                if worktree and current is not None:
                    remember_base(repo, current)
                update_branch(repo, branch, commit, current, reason="teleo: follow the shared remote")
        except BranchConflict:
            continue
        except BranchError:
            lock = Path(repo.path) / f"{ref}.lock"
            if not lock.exists():
                raise
            clear_stale_lock(lock, MAIN_LOCK_STALE_S)  # a writer killed under the lock; a live one is done in µs
            time.sleep(0.05)
            continue
        return kept
    raise BranchError(f"{branch} kept moving in this clone while following the remote")


def local_only(repo: pygit2.Repository, branch: str, remote: str) -> str | None:
    """The clone's `branch` when it holds commits the remote's `remote` lacks that are not Teleo's own
    merges and cascades (an ingest, the drop folder, a hand commit: work to publish); else None."""
    local = _local_head(repo, branch)
    if local is None or _dropped_safely(repo, local, remote):
        return None
    return local


def replay(repo: pygit2.Repository, local: str, onto: str) -> str | None:
    """`local`'s own commits (first-parent line back to the fork with `onto`) made again on top of `onto`.

    Each is a three-way merge in memory (a cherry-pick: its parent's tree as the ancestor), with
    its author and message; None when one of them is a merge, conflicts with what `onto` changed,
    or the line runs 200 commits past the fork — the caller then keeps it aside instead."""
    fork = repo.merge_base(pygit2.Oid(hex=local), pygit2.Oid(hex=onto))
    if fork is None:
        return None
    chain: list[pygit2.Commit] = []
    step = repo[local]
    while step.id != fork:
        if len(step.parents) != 1 or len(chain) >= 200:
            return None
        chain.append(step)
        step = step.parents[0]
    base = repo[onto]
    with durable_writes():  # the replayed objects are pushed, then main follows them: on disk first
        for commit in reversed(chain):
            index = repo.merge_trees(commit.parents[0].tree, base.tree, commit.tree)
            if index.conflicts is not None:
                return None
            tree = index.write_tree(repo)
            if tree == base.tree_id:
                continue  # already there (the remote holds the same change)
            base = repo[repo.create_commit(None, commit.author, commit.committer, commit.message, tree, [base.id])]
    return str(base.id)


def _dropped_safely(repo: pygit2.Repository, local: str, remote: str) -> bool:
    """Every commit of `local`'s first-parent line the remote's `remote` lacks is a Teleo merge or cascade.

    Those are redone from the remote's state; the proposals' own commits they merged stay on
    the remote's branches. A first-parent line running 200 commits past the remote is kept."""
    target = pygit2.Oid(hex=remote)
    step: pygit2.Commit | None = repo[local]
    for _ in range(200):
        if step is None:
            return False
        if step.id == target or repo.descendant_of(target, step.id):
            return True
        if not any(key in trailers(step.message or "") for key in TELEO_OWN):
            return False
        step = step.parents[0] if step.parents else None
    return False


def _local_head(repo: pygit2.Repository, branch: str) -> str | None:
    try:
        return str(repo.references[f"refs/heads/{branch}"].peel(pygit2.Commit).id)
    except (KeyError, ValueError, pygit2.GitError):
        return None


def host_lock(repo: pygit2.Repository):
    """One process of this clone at a time follows, merges into and pushes main (released by the OS on death)."""
    return clone_lock(repo, HOST_LOCK)


@contextmanager
def clone_lock(repo: pygit2.Repository, name: str) -> Iterator[None]:
    """An exclusive file lock `name` in the clone's git folder, for the processes of this host."""
    fd = os.open(os.path.join(repo.path, name), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


__all__ = [
    "RefUpdate",
    "Remote",
    "RemoteConflict",
    "RemoteError",
    "RemoteRefLocked",
    "RemoteRefused",
    "RemoteUnreachable",
    "SourceRecord",
    "drop_local",
    "clone_lock",
    "follow",
    "host_lock",
    "local_only",
    "replay",
    "set_local",
]
