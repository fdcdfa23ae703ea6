"""Proposal branches, written without touching any working tree.

A proposal is one commit on top of the base branch's tip (`main`), on a branch of one of the
proposal kinds (`teleo.repo.kinds`: `extract/<source-slug>`, `flags/<agent>/<flag-id>`, …). It is
built from objects only:

1. the files are read from the base tip's tree (never from the working tree,
   which may hold someone's uncommitted edits or another branch);
2. the new contents are written as blobs, the base tree is loaded into an
   *in-memory* index (`pygit2.Index()`, not `.git/index`), patched and written
   as a tree, and a commit with parent = the base tip is written;
3. the branch ref is updated last, with compare-and-swap, in process
   (libgit2: the ref's lock file, the old value compared under the lock —
   "must not exist" for a new proposal, "must still point at the commit
   read" for a replaced one — then rename; see `update_branch`).

A process killed anywhere leaves at most unreferenced objects, which
`git fsck` reports as dangling, never as errors, and `git gc` prunes. The
working tree, `HEAD` and `.git/index` are never touched.

**Durability.** A ref never points at an object that is not on disk. libgit2
can fsync every object file and its folder as it writes it (`durable_writes`
turns that on), but one after the other: ~15 fsyncs, each a journal commit,
for a proposal's 6–8 objects. `write_commit` instead writes them with that
switch off, reads each back (its inflated bytes must hash to its id: a loose
file left empty by an OS crash, which libgit2 would take as present, is
removed and the commit written again the slow way), then fsyncs all the files
and their folders at once, in threads (the filesystem commits concurrent
fsyncs together) — before it returns, so before any ref can name them. Refs
are always written with the switch on. The switch is one per process, so the
window is exclusive: every in-process writer of objects or refs holds
`durable_writes()` (this module's functions do). After an OS crash (not a
process kill) during that window an *unreferenced* loose object may be left
empty, which `git fsck` reports as an error until it is written again or pruned.

A vault read from a git tree is `teleo.vault.tree.TreeVault`.

`open_proposals(repo)` lists the branches of every proposal kind not merged into the
base; a branch counts as merged when its head is an ancestor of the base tip,
or when every file its commits changed has the same content on the base (a
squash merge).
"""

from __future__ import annotations

import _thread
import datetime as dt
import hashlib
import os
import queue
import re
import threading
import time
import zlib
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Collection, Iterable, Iterator

import pygit2
from pydantic import BaseModel, Field

from teleo.repo.identity import signature
from teleo.repo.agents import CONTRIBUTOR
from teleo.repo.kinds import CONTRIB, EXTRACT, KINDS, MAX_PART_CHARS, ProposalKind, kind_of, ref_slug
from teleo.repo.trailers import trailer

EXTRACT_PREFIX = EXTRACT.prefix
DEFAULT_BASE = "main"
ZERO = "0" * 40
MAX_SLUG_CHARS = MAX_PART_CHARS

BLOB_MODES = {pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE}
_SOURCE_LINE = re.compile(r"^- Source: (.+)$", re.MULTILINE)
_DOMAIN_LINE = re.compile(r"^- Domain: (.+)$", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BranchError(Exception):
    """A proposal branch could not be written; nothing was changed."""


class BranchConflict(BranchError):
    """The compare-and-swap lost: the branch exists, or moved since it was read."""


class Proposal(BaseModel):
    """An open proposal: a branch not yet merged into the base."""

    branch: str
    head: str
    kind: str | None = None
    """Its proposal kind (`teleo.repo.kinds`: `extract`, `flags`, …); None for a branch of no kind."""
    source: str | None = None
    """The vault-relative source path, from the commit's `- Source:` line."""
    agent: str | None = None
    """The agent named in the commit subject as its kind writes it (`<agent>: extract from …`)."""
    domain: str | None = None
    contributor: str | None = None
    """The person of a contribution (`contrib/…`): the head commit's `Contributor:` trailer."""
    files: list[str] = Field(default_factory=list)
    """Repository paths the proposal changes (relative to the base)."""
    created: str
    """ISO 8601 time of the head commit."""
    subject: str = ""


# -- the repository ---------------------------------------------------------------


def base_ref(repo: pygit2.Repository, base: str | None = None) -> str:
    """`refs/heads/<base>`; by default `main`, else the branch `HEAD` names."""
    if base:
        return base if base.startswith("refs/") else f"refs/heads/{base}"
    if f"refs/heads/{DEFAULT_BASE}" in repo.references:
        return f"refs/heads/{DEFAULT_BASE}"
    try:
        target = repo.references["HEAD"].target
    except KeyError:
        raise BranchError("the repository has no HEAD") from None
    if isinstance(target, str):
        return target
    raise BranchError(f"no '{DEFAULT_BASE}' branch and HEAD is detached: name the base branch")


def tip(repo: pygit2.Repository, ref: str) -> pygit2.Commit:
    """The commit `ref` points at."""
    try:
        return repo.references[ref].peel(pygit2.Commit)
    except (KeyError, pygit2.GitError, ValueError):
        if repo.head_is_unborn:
            raise BranchError(
                f"{ref} does not exist: the repository has no commit yet "
                "(commit the vault first: git add -A && git commit -m 'first commit')"
            ) from None
        raise BranchError(f"{ref} does not exist (is there a commit yet?)") from None


def branch_head(repo: pygit2.Repository, branch: str) -> str | None:
    ref = f"refs/heads/{branch}"
    try:
        return str(repo.references[ref].peel(pygit2.Commit).id)
    except (KeyError, pygit2.GitError, ValueError):
        return None


# -- names ----------------------------------------------------------------------

def source_slug(source_path: str) -> str:
    """The branch-safe slug of a source: its file stem, anything git refuses in a ref replaced by `-`."""
    stem = PurePosixPath(source_path).name
    if stem.lower().endswith(".md"):
        stem = stem[:-3]
    return ref_slug(stem, fallback="source")


def proposal_branches(source_path: str) -> list[str]:
    """The branch names a source's proposal may carry: `extract/<slug>`, then `extract/<slug>-<hash>`.

    The second is used only when the first is taken by another source with the same slug.
    """
    slug = source_slug(source_path)
    digest = hashlib.sha1(source_path.encode("utf-8")).hexdigest()[:8]
    return [EXTRACT.branch_name(slug=slug), EXTRACT.branch_name(slug=f"{slug}-{digest}")]


def valid_branch(name: str) -> bool:
    """`git check-ref-format --branch` rules, for the names Teleo makes."""
    if not name or name.startswith(("-", "/")) or name.endswith(("/", ".", ".lock")):
        return False
    if ".." in name or "//" in name or "@{" in name or name == "@":
        return False
    if any(ch in name for ch in " ~^:?*[\\") or _CONTROL.search(name):
        return False
    return all(part and not part.startswith(".") for part in name.split("/"))


def safe_repo_path(path: str) -> bool:
    """A repository path Teleo may write: relative, no `..`, no `.git`, no control characters."""
    if not path or path.startswith("/") or "\\" in path or _CONTROL.search(path):
        return False
    parts = path.split("/")
    return all(p and p not in (".", "..") and p.lower() != ".git" for p in parts)


def _tolerable(path: str) -> bool:
    parts = path.split("/")
    return not path.startswith("/") and all(p and p not in (".", "..") and p.lower() != ".git" for p in parts)


# -- writing ----------------------------------------------------------------------


def write_commit(
    repo: pygit2.Repository,
    parent: pygit2.Commit,
    changes: dict[str, bytes],
    message: str,
    *,
    author: pygit2.Signature | None = None,
) -> str:
    """Write blobs, a tree (the parent's tree with `changes`) and a commit; return its id. No ref moves.

    Only the trees along the changed paths are rebuilt (`TreeBuilder` per folder), so the cost
    does not grow with the size of the vault. A file may not replace a folder, nor a folder a file.
    Every object is on disk when it returns (fsynced together, see the module doc).
    """
    base = parent.tree
    for path in changes:
        # a new path must be plain; an odd name already in the tree (a newline, say) may be updated
        if not safe_repo_path(path) and not (_blob_entry(base, path) is not None and _tolerable(path)):
            raise BranchError(f"refusing to write the path {path!r}")
    who = author or signature(repo)
    objects = objects_folder(repo)
    for _attempt in range(3):
        written: list[pygit2.Oid] = []
        try:
            with _objects_window(unsynced=objects is not None):
                commit = _write_objects(repo, parent, changes, message, who, written)
        except pygit2.GitError:  # libgit2 read back an object it took as present and found it damaged
            if objects is None or sync_objects(objects, written):
                raise
            continue  # the damaged files are removed: written again
        if objects is None or sync_objects(objects, written):
            return commit
    raise BranchError("could not write the proposal's objects intact (damaged object files keep appearing)")


def _write_objects(repo: pygit2.Repository, parent: pygit2.Commit, changes: dict[str, bytes], message: str,
                   who: pygit2.Signature, written: list[pygit2.Oid]) -> str:
    """The blobs, trees and commit of `write_commit`; the id of every object written is added to `written`."""
    blobs = {tuple(path.split("/")): repo.create_blob(data) for path, data in sorted(changes.items())}
    written.extend(blobs.values())
    tree = _patched_tree(repo, parent.tree, blobs, written=written)
    now = pygit2.Signature(who.name, who.email)  # the current time
    commit = repo.create_commit(None, now, now, message, tree, [parent.id])
    written.append(commit)
    return str(commit)


_FSYNC_SWITCH = threading.RLock()
"""Held while libgit2's fsync switch (one per process) must not change: by `durable_writes` and by
the window in which `write_commit` writes objects with it off."""


def _set_fsync(on: bool) -> None:
    try:
        pygit2.option(pygit2.enums.Option.ENABLE_FSYNC_GITDIR, 1 if on else 0)
    except (AttributeError, pygit2.GitError, ValueError):  # pragma: no cover - older pygit2
        pass


@contextmanager
def durable_writes() -> Iterator[None]:
    """Hold while writing git objects or refs in process: libgit2 then fsyncs each file (and its
    folder) before it is renamed into place, and no `write_commit` turns that off meanwhile."""
    with _FSYNC_SWITCH:
        _set_fsync(True)
        yield


@contextmanager
def _objects_window(*, unsynced: bool) -> Iterator[None]:
    """`write_commit`'s objects are written in here: with libgit2's fsync off when `unsynced` (the
    caller then makes them durable itself, see `sync_objects`), else as `durable_writes`."""
    if not unsynced:
        with durable_writes():
            yield
        return
    with _FSYNC_SWITCH:
        _set_fsync(False)
        try:
            yield
        finally:
            _set_fsync(True)


def objects_folder(repo: pygit2.Repository) -> Path | None:
    """The folder of the repository's loose objects (a linked worktree's is its common git folder's)."""
    git = Path(repo.path)
    try:
        common = (git / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        common = ""
    folder = (git / common if common else git) / "objects"
    return folder if folder.is_dir() else None


def sync_objects(objects: Path, oids: Iterable[pygit2.Oid | str]) -> bool:
    """Make the loose objects `oids` durable: each read back and checked against its id, then every
    file, its folder and `objects` fsynced at once (objects only in a pack are left alone).

    False when some were damaged (an empty or truncated file an OS crash left, which libgit2 takes
    for the object and does not write again): those are removed, so the caller writes them again."""
    files, damaged = [], False
    for oid in dict.fromkeys(str(o) for o in oids):
        path = objects / oid[:2] / oid[2:]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue  # packed: not written by us
        if _intact(data, oid):
            files.append(path)
        else:
            path.unlink(missing_ok=True)
            damaged = True
    folders = [*sorted({p.parent for p in files}), objects] if os.name == "posix" else []  # Windows cannot open one
    fsync_together([*files, *folders])
    return not damaged


def fsync_together(paths: list[Path]) -> None:
    """fsync every path at once, one thread each (this one takes the first): the filesystem commits
    concurrent fsyncs in one journal commit. Low-level threads: `threading.Thread.start` waits
    until each new thread runs, a context switch apiece on a loaded machine (twice the wall time
    and CPU). Raises the first error once all are done."""
    done: queue.SimpleQueue = queue.SimpleQueue()

    def one(path: Path) -> None:
        try:
            _fsync(path)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            done.put(exc)
        else:
            done.put(None)

    started = 0
    for path in paths[1:]:
        try:
            _thread.start_new_thread(one, (path,))
        except RuntimeError:  # no thread to be had: this one does it
            one(path)
        started += 1
    if paths:
        one(paths[0])
    errors = [error for error in (done.get() for _ in range(started + bool(paths))) if error is not None]
    if errors:
        raise errors[0]


def _intact(data: bytes, oid: str) -> bool:
    """A loose object's file inflates to bytes whose hash is its id."""
    try:
        raw = zlib.decompress(data)
    except zlib.error:
        return False
    digest = hashlib.sha256 if len(oid) == 64 else hashlib.sha1
    return digest(raw).hexdigest() == oid


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _blob_entry(tree: pygit2.Tree, path: str):
    try:
        entry = tree[path]
    except (KeyError, ValueError):
        return None
    return entry if entry.filemode in BLOB_MODES or entry.filemode == pygit2.enums.FileMode.LINK else None


def _patched_tree(
    repo: pygit2.Repository, tree: pygit2.Tree | None, changes: dict[tuple[str, ...], pygit2.Oid], folder: str = "",
    *, written: list[pygit2.Oid],
) -> pygit2.Oid:
    """`tree` (None: an empty one) with the blobs of `changes` (path parts → blob id) put in; the new
    tree's id (it and every subtree written are added to `written`)."""
    builder = repo.TreeBuilder(tree) if tree is not None else repo.TreeBuilder()
    inner: dict[str, dict[tuple[str, ...], pygit2.Oid]] = {}
    for parts, blob in sorted(changes.items()):
        name = parts[0]
        if len(parts) > 1:
            inner.setdefault(name, {})[parts[1:]] = blob
            continue
        existing = builder.get(name)
        if existing is not None and existing.filemode == pygit2.enums.FileMode.TREE:
            raise BranchError(f"refusing to replace the folder {folder + name!r} with a file")
        keep = existing is not None and existing.filemode in BLOB_MODES
        builder.insert(name, blob, existing.filemode if keep else pygit2.enums.FileMode.BLOB)
    for name, below in inner.items():
        existing = builder.get(name)
        if existing is not None and existing.filemode != pygit2.enums.FileMode.TREE:
            raise BranchError(f"refusing to write under {folder + name!r}: it is a file")
        subtree = repo[existing.id] if existing is not None else None
        builder.insert(name, _patched_tree(repo, subtree, below, folder + name + "/", written=written),
                       pygit2.enums.FileMode.TREE)
    written.append(builder.write())
    return written[-1]


def update_branch(repo: pygit2.Repository, branch: str, new: str, expected: str | None, *, reason: str = "") -> None:
    """Point `refs/heads/<branch>` at `new` iff it is still at `expected` (None: iff it does not exist).

    In process, through libgit2's own compare-and-swap: the ref's lock file
    (`<ref>.lock`, created exclusively — the same protocol git uses, so a
    concurrent `git` or Teleo process is excluded too), the current value
    compared under the lock, the new value renamed into place, the reflog
    appended. `create_reference_direct(force=False)` refuses an existing ref;
    `Reference.set_target` is `git_reference_create_matching` with the value
    the ref had when it was read, so a ref moved since then is refused.
    """
    if not valid_branch(branch):
        raise BranchError(f"invalid branch name {branch!r}")
    with durable_writes():
        try:
            _swap(repo, branch, new, expected, reason)
        except BranchError as exc:
            if isinstance(exc, BranchConflict) or not _clear_stale_lock(repo, branch):
                raise
            _swap(repo, branch, new, expected, reason)  # once more, the dead worker's lock gone


PROPOSAL_LOCK_STALE_S = 2.0
"""A proposal ref's lock file older than this was left by a killed process: the swap holds it for
microseconds, and the job's lease means no other worker updates that ref meanwhile."""


def _clear_stale_lock(repo: pygit2.Repository, branch: str) -> bool:
    """Remove `refs/heads/<branch>.lock` when it is a proposal branch's (`kinds.kind_of`) and a stale one.

    A worker SIGKILLed between creating the lock and renaming it into place leaves the lock
    behind, and every later update of that ref would fail; only proposal refs, which one writer
    updates at a time (a job under its lease, the MCP server under its write lock), are cleared
    this way (`mainline` clears main's, more cautiously).
    """
    if kind_of(branch) is None:
        return False
    return clear_stale_lock(Path(repo.path) / "refs" / "heads" / f"{branch}.lock", PROPOSAL_LOCK_STALE_S)


def clear_stale_lock(lock: Path, older_than: float) -> bool:
    """Remove a ref's lock file last written more than `older_than` seconds ago; True when removed.

    A live writer holds a ref lock for well under a millisecond (create, write forty bytes,
    rename), so an old one has no owner left: git never removes one by itself.
    """
    try:
        if time.time() - lock.stat().st_mtime < older_than:
            return False
        lock.unlink()
    except OSError:
        return False
    return True


def _swap(repo: pygit2.Repository, branch: str, new: str, expected: str | None, reason: str) -> None:
    ref = f"refs/heads/{branch}"
    message = _one_line(reason)[:200] if reason else None
    target = pygit2.Oid(hex=new)
    try:
        if expected is None:
            repo.create_reference_direct(ref, target, False, message=message)
            return
        try:
            current = repo.references[ref]
        except KeyError:
            raise BranchConflict(f"{branch} moved since it was read ({expected[:12]} → deleted)") from None
        if str(current.target) != expected:
            raise BranchConflict(f"{branch} moved since it was read ({expected[:12]} → {str(current.target)[:12]})")
        current.set_target(target, message) if message else current.set_target(target)
    except BranchError:
        raise
    except (pygit2.GitError, ValueError, OSError) as exc:  # AlreadyExistsError: GitError + ValueError; a held lock: OSError
        now = branch_head(repo, branch)
        if expected is None and now is not None:
            raise BranchConflict(f"{branch} already exists (at {now[:12]})") from None
        if expected is not None and now != expected:
            raise BranchConflict(f"{branch} moved since it was read ({expected[:12]} → {(now or 'deleted')[:12]})") from None
        raise BranchError(f"cannot update {ref}: {exc}") from None


def propose(
    repo: pygit2.Repository,
    branch: str,
    parent: pygit2.Commit,
    changes: dict[str, bytes],
    message: str,
    *,
    expected: str | None = None,
) -> str:
    """One commit with `changes` on top of `parent`, then the branch set to it (compare-and-swap)."""
    commit = write_commit(repo, parent, changes, message)
    update_branch(repo, branch, commit, expected, reason=f"teleo: {message.splitlines()[0] if message else branch}")
    return commit


# -- reading proposals --------------------------------------------------------------


_CHANGED: dict[tuple[str, str, str], list[str]] = {}
_CHANGED_KEPT = 4096


def changed_paths(repo: pygit2.Repository, old: pygit2.Commit | None, new: pygit2.Commit) -> list[str]:
    """Repository paths that differ between the two commits' trees (every file when `old` is None).

    Kept per (repository, old tree, new tree) — trees never change — since listing, reviewing
    and merging a proposal each ask for the same fork..head diff."""
    if old is None:
        return sorted(_tree_files(repo, new.tree))
    key = (repo.path, str(old.tree_id), str(new.tree_id))
    found = _CHANGED.get(key)
    if found is None:
        diff = repo.diff(old.tree, new.tree)
        paths = set()
        for delta in diff.deltas:
            paths.add(delta.new_file.path)
            paths.add(delta.old_file.path)
        if len(_CHANGED) >= _CHANGED_KEPT:
            _CHANGED.clear()
        found = _CHANGED[key] = sorted(paths)
    return list(found)


def _tree_files(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str = "") -> list[str]:
    out = []
    for entry in tree:
        if entry.type_str == "tree":
            out.extend(_tree_files(repo, repo[entry.id], prefix + entry.name + "/"))
        else:
            out.append(prefix + entry.name)
    return out


def _entry_id(tree: pygit2.Tree, path: str):
    try:
        return tree[path].id
    except (KeyError, ValueError):
        return None


def is_merged(repo: pygit2.Repository, head: pygit2.Commit, base: pygit2.Commit) -> bool:
    """The branch's work is in the base: an ancestor of it, or every changed file identical there (squash)."""
    if head.id == base.id or repo.descendant_of(base.id, head.id):
        return True
    fork = repo.merge_base(head.id, base.id)
    if fork is None:
        return False
    paths = changed_paths(repo, repo[fork], head)
    if not paths:
        return True
    return all(_entry_id(head.tree, p) == _entry_id(base.tree, p) for p in paths)


def read_proposal(repo: pygit2.Repository, branch: str, base: pygit2.Commit, *,
                  agents: Collection[str] | None = None) -> Proposal | None:
    """The proposal on `branch` (None when the branch does not exist); `agents`: the vault's, which the
    branch's kind is read with (`kinds.kind_of`)."""
    try:
        head = repo.references[f"refs/heads/{branch}"].peel(pygit2.Commit)
    except (KeyError, pygit2.GitError, ValueError):
        return None
    fork = repo.merge_base(head.id, base.id)
    message = head.message or ""
    subject = message.splitlines()[0] if message else ""
    source = source_of(message)
    domain = _DOMAIN_LINE.search(message)
    kind = kind_of(branch, agents)
    when = dt.datetime.fromtimestamp(head.commit_time, dt.timezone(dt.timedelta(minutes=head.commit_time_offset)))
    return Proposal(
        branch=branch,
        head=str(head.id),
        kind=kind.name if kind else None,
        source=source,
        agent=(kind or EXTRACT).agent_of(subject),
        domain=domain.group(1).strip() if domain else None,
        contributor=trailer(message, CONTRIBUTOR) if kind is CONTRIB else None,
        files=changed_paths(repo, repo[fork] if fork is not None else None, head),
        created=when.isoformat(),
        subject=subject,
    )


def source_of(message: str) -> str | None:
    """The vault-relative source a proposal commit's message names on its `- Source:` line, if any."""
    found = _SOURCE_LINE.search(message)
    return found.group(1).strip() if found else None


def open_proposals(
    repo: pygit2.Repository, *, base: str | None = None, kinds: tuple[ProposalKind, ...] = KINDS,
    prefix: str | None = None, agents: Collection[str] | None = None,
) -> list[Proposal]:
    """Every branch of one of `kinds` (default: every proposal kind; `prefix`: only names starting
    with it) not merged into the base, oldest first. `agents`: the vault's (`vault.config.agents`),
    so that only an agent of the vault's `<agent>/research-<date>` is a research session (`kinds`)."""
    base_commit = tip(repo, base_ref(repo, base))
    found = []
    for name in repo.branches.local:
        if (prefix is not None and not name.startswith(prefix)) or not any(kind.matches(name, agents) for kind in kinds):
            continue
        try:
            head = repo.branches.local[name].peel(pygit2.Commit)
        except (KeyError, pygit2.GitError, ValueError):
            continue
        if is_merged(repo, head, base_commit):
            continue
        proposal = read_proposal(repo, name, base_commit, agents=agents)
        if proposal is not None:
            found.append(proposal)
    found.sort(key=lambda p: (p.created, p.branch))
    return found


def find_proposal(repo: pygit2.Repository, source_path: str, *, base: str | None = None) -> tuple[str, Proposal | None, bool]:
    """(branch to use, the proposal now on it or None, whether it is open) for `source_path`.

    The branch is `extract/<slug>` unless that branch carries another source's
    proposal, then `extract/<slug>-<hash>`.
    """
    base_commit = tip(repo, base_ref(repo, base))
    first, second = proposal_branches(source_path)
    for branch in (first, second):
        proposal = read_proposal(repo, branch, base_commit)
        if proposal is None:
            return branch, None, False
        if proposal.source not in (None, source_path):
            continue  # the slug belongs to another source
        head = repo[proposal.head]
        return branch, proposal, not is_merged(repo, head, base_commit)
    raise BranchError(f"both {first} and {second} carry other sources' proposals")


def has_open_proposal(repo: pygit2.Repository, source_path: str, *, base: str | None = None) -> bool:
    """A branch `extract/<slug>` for this source exists and is not merged into the base."""
    return find_proposal(repo, source_path, base=base)[2]


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())
