"""A checked-out `main`'s working tree and index, kept in step with the ref that Teleo moves by compare-and-swap.

Teleo writes `main` from git objects (`mainline.merge_into`, `commit_onto`) and moves the ref,
never the files: when `main` is checked out (`HEAD` → `refs/heads/main`) the working tree and
git's index stay where they were until `sync_worktree` brings them up with
`git read-tree -m -u <base> <main>`, where `<base>` is the commit they still show. In between,
`HEAD` says main but the index says `<base>`: a plain `git commit` there would record every
newer change of main as undone. So `<base>` must be known exactly, however far main moved:

- **The record.** Before the first move of a checked-out ref that leaves the index behind, the
  commit the index is at is written to `<git dir>/teleo-worktree-base` (git's own rule: with
  no record, the index is based on `HEAD`). Later moves keep it; a sync that catches up removes
  it. Written before the ref moves, so a process SIGKILLed between the swap and the sync leaves
  the record behind, and the next sync (every `teleo merge` starts with one) repairs the tree.
- **The index checks it.** `git write-tree` names the tree the index holds. Equal to the tip's:
  nothing to do. Else the record, when its tree is the index's; else the nearest commit of
  main's first-parent history with that tree, back to the record or, with none, however far
  (a process killed after the catch-up but before removing the record; a repository left
  behind by a Teleo that kept no record); else the record (the index has staged changes on top
  of it); else the tip (staged changes on top of `HEAD`: git's ordinary state, nothing to move).
  A record main no longer descends from (history rewritten) is ignored.
- **Never clobbering.** Before anything is written, every path main changed since `<base>` is
  checked: a staged change, an edit or deletion in the working tree, or a file that is not in
  the index where main adds one (untracked or ignored) is *in the way*. Then nothing is moved —
  index, files and record stay as they are — and the message names each path and gives the
  commands that catch up while keeping the changes (saved as a patch, restored to `<base>`,
  caught up, re-applied with `git apply --3way`). Changes elsewhere are carried along, as
  `git checkout` carries them. `git read-tree` refuses on its own anything else that would be
  lost.
- **Kills.** The sync and the ref moves of a checked-out main hold one file lock; the git
  commands that write the index run in their own session and inherit that lock, so a kill of
  Teleo's process group never cuts one in half, and the next writer waits until it is done.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shlex
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pygit2
from pydantic import BaseModel, Field

from teleo.repo.branches import tip
from teleo.repo.command import git_command, git_env, run_git

RECORD = "teleo-worktree-base"
"""In the repository's git folder: the commit the index and working tree still show while the ref moved on."""
LOCK = "teleo-worktree.lock"
CATCH_UP = "teleo merge"
"""The command that finishes a sync (every `teleo merge` starts and ends with one)."""

InTheWay = Literal["staged", "edited", "deleted", "untracked"]


class WorktreeSync(BaseModel):
    status: Literal["updated", "current", "not-checked-out", "refused"]
    message: str = ""
    base: str = ""
    """The commit the working tree and index show (when it is not the tip)."""
    in_the_way: dict[str, InTheWay] = Field(default_factory=dict)
    """Repository path → what is there that main's newer changes would overwrite."""
    fix: list[str] = Field(default_factory=list)
    """Shell commands, in order, that catch the working tree up and keep the changes in the way."""


# -- the lock ------------------------------------------------------------------------------

_held = threading.local()


@contextmanager
def _worktree_lock(repo: pygit2.Repository) -> Iterator[None]:
    """One writer at a time moves a checked-out main or its working tree (released by the OS if the process dies).

    Re-entrant within a thread; other threads and processes wait. A git command started under it
    (`_git_writing`) inherits the descriptor, so the lock outlives a killed Teleo until git is done.
    """
    depth = getattr(_held, "depth", 0)
    if depth:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    fd = os.open(os.path.join(repo.path, LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held.depth, _held.fd = 1, fd
        yield
    finally:
        _held.depth, _held.fd = 0, None
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def main_writer(repo: pygit2.Repository, ref: str) -> Iterator[bool]:
    """Held around every move of `ref` and around a `git commit` on it; yields whether `ref` is checked out.

    When it is, moves and working-tree commits exclude each other and the sync (one file lock),
    and the mover calls `remember_base` before the swap.
    """
    if checked_out(repo, ref):
        with _worktree_lock(repo):
            yield True
    else:
        yield False


def checked_out(repo: pygit2.Repository, ref: str) -> bool:
    try:
        head = repo.references["HEAD"]
    except KeyError:
        return False
    return not repo.is_bare and isinstance(head.target, str) and head.target == ref


def commit_worktree(repo: pygit2.Repository, ref: str, commit: Callable[[], object]) -> object:
    """Catch the working tree up with `ref`, then call `commit()` (a `git commit` on it), under `main_writer`.

    A `git commit -- <paths>` builds its commit from `HEAD` plus those paths, so it is right even
    when the sync was refused; the record (kept) still names the index's base for the next sync.
    """
    with main_writer(repo, ref):
        sync_worktree(repo, ref)
        return commit()


# -- the record ----------------------------------------------------------------------------


def remember_base(repo: pygit2.Repository, current: str) -> None:
    """Before a checked-out ref moves from `current`: record where the index is, unless a record already says."""
    if _read_record(repo) is None:
        _write_record(repo, current)


def _record_path(repo: pygit2.Repository) -> Path:
    return Path(repo.path) / RECORD


def _read_record(repo: pygit2.Repository) -> str | None:
    try:
        text = _record_path(repo).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text) else None


def _write_record(repo: pygit2.Repository, commit: str) -> None:
    path = _record_path(repo)
    temp = path.with_name(f"{RECORD}.{os.getpid()}.tmp")
    temp.write_text(commit + "\n", encoding="ascii")
    os.replace(temp, path)  # whole or absent, whenever the process dies


def _drop_record(repo: pygit2.Repository) -> None:
    _record_path(repo).unlink(missing_ok=True)


# -- the sync ------------------------------------------------------------------------------


def sync_worktree(repo: pygit2.Repository, ref: str, *, catch_up: str = CATCH_UP) -> WorktreeSync:
    """Bring a checked-out `ref`'s working tree and index to its tip, or move nothing and say why (module doc).

    `catch_up`: the command a person runs to finish, named in a refusal's fix.
    """
    if not checked_out(repo, ref):
        return WorktreeSync(status="not-checked-out")
    with _worktree_lock(repo):
        target = tip(repo, ref)
        written = _git_writing(repo, "write-tree")
        index_tree = written.stdout.strip()
        if written.returncode != 0 or not index_tree:
            return _unmerged(repo, written.stderr, catch_up)
        base = _base(repo, target, index_tree)
        if base == str(target.id):
            _drop_record(repo)
            return WorktreeSync(status="current")
        _write_record(repo, base)  # a sync refused or killed from here on resumes from the same base
        _git_writing(repo, "update-index", "-q", "--refresh")  # stale stat data would read as edits
        in_the_way = _in_the_way(repo, repo[base], target)
        if in_the_way:
            return _refusal(repo, repo[base], target, in_the_way, catch_up)
        result = _git_writing(repo, "read-tree", "-m", "-u", base, str(target.id))
        if result.returncode != 0:
            return _git_refused(repo, base, target, result.stderr, catch_up)
        _drop_record(repo)
        return WorktreeSync(status="updated", message=f"working tree {base[:12]} → {str(target.id)[:12]}")


def _base(repo: pygit2.Repository, target: pygit2.Commit, index_tree: str) -> str:
    """The commit the index is at (module doc: tip, the record, main's history, the record, the tip)."""
    if str(target.tree_id) == index_tree:
        return str(target.id)
    record = _read_record(repo)
    recorded = repo.get(record) if record else None
    if not isinstance(recorded, pygit2.Commit) or not (
            recorded.id == target.id or repo.descendant_of(target.id, recorded.id)):
        recorded = None  # main was rewritten since: the record means nothing now
    if recorded is not None and str(recorded.tree_id) == index_tree:
        return str(recorded.id)
    commit = target  # the index is never further back than the record, when there is one
    while commit.parents and (recorded is None or commit.id != recorded.id):
        commit = commit.parents[0]
        if str(commit.tree_id) == index_tree:
            return str(commit.id)
    return str(recorded.id) if recorded is not None else str(target.id)


def _in_the_way(repo: pygit2.Repository, base: pygit2.Commit, target: pygit2.Commit) -> dict[str, InTheWay]:
    """Paths main changed since `base` where the index or the working tree holds something else than `base` does."""
    changed = {path for delta in repo.diff(base.tree, target.tree).deltas
               for path in (delta.old_file.path, delta.new_file.path)}
    if not changed:
        return {}
    index = _index_entries(repo)
    edited = set(_git_z(repo, "diff-files", "--name-only", "-z"))
    found: dict[str, InTheWay] = {}
    for path in sorted(changed):
        have, was, will = index.get(path), _entry(base.tree, path), _entry(target.tree, path)
        if have == will:
            continue
        if have != was:
            found[path] = "staged"
        elif have is not None and path in edited:
            found[path] = "edited" if os.path.lexists(os.path.join(repo.workdir, path)) else "deleted"
        elif have is None and os.path.lexists(os.path.join(repo.workdir, path)):
            found[path] = "untracked"
    return found


def _entry(tree: pygit2.Tree, path: str) -> tuple[str, int] | None:
    try:
        obj = tree[path]
    except KeyError:
        return None
    return str(obj.id), obj.filemode


def _index_entries(repo: pygit2.Repository) -> dict[str, tuple[str, int]]:
    entries = {}
    for record in _git_z(repo, "ls-files", "-s", "-z"):
        meta, _, path = record.partition("\t")
        mode, oid, _stage = meta.split()
        entries[path] = (oid, int(mode, 8))
    return entries


def _refusal(repo: pygit2.Repository, base: pygit2.Commit, target: pygit2.Commit, in_the_way: dict[str, InTheWay],
             catch_up: str) -> WorktreeSync:
    short, behind = str(base.id)[:12], repo.ahead_behind(target.id, base.id)[0]
    ref = _head_branch(repo)
    listed = "; ".join(f"{kind} {path!r}" for path, kind in in_the_way.items())
    fix = _fix(repo, base, in_the_way, catch_up)
    message = (
        f"the working tree was not moved: {ref} is at {str(target.id)[:12]} but the working tree and index still "
        f"show {short} ({behind} commit(s) behind), and your uncommitted changes to files {ref} changed since are "
        f"in the way — {listed}. Nothing was changed. Do not `git commit` now: from here a commit would undo "
        f"{ref}'s newer changes. To catch up and keep your changes, run: " + shell_line(fix)
        + " (to drop them instead, leave out the `git diff` and `git apply` steps)")
    return WorktreeSync(status="refused", message=message, base=str(base.id), in_the_way=in_the_way, fix=fix)


def _fix(repo: pygit2.Repository, base: pygit2.Commit, in_the_way: dict[str, InTheWay], catch_up: str) -> list[str]:
    """Save the changes as a patch, put those paths back as `base` has them, catch up, apply the patch again."""
    short = str(base.id)[:12]
    tracked = [p for p in in_the_way if _entry(base.tree, p) is not None]
    aside = [p for p in in_the_way if _entry(base.tree, p) is None]
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    patch = shlex.quote(str(Path(repo.path).resolve() / f"teleo-local-{stamp}.patch"))
    quoted = " ".join(shlex.quote(p) for p in tracked)
    fix = [f"cd {shlex.quote(str(Path(repo.workdir).resolve()))}"]
    if tracked:
        fix += [f"git diff --binary {short} -- {quoted} > {patch}", f"git checkout {short} -- {quoted}"]
    for path in aside:
        if in_the_way[path] == "staged":
            fix.append(f"git rm -q --cached -- {shlex.quote(path)}")
        if os.path.lexists(os.path.join(repo.workdir, path)):
            fix.append(f"mv -- {shlex.quote(path)} {shlex.quote(_aside_name(repo, path))}")
    fix.append(catch_up)
    if tracked:
        fix.append(f"git apply --3way {patch}")
    return fix


def shell_line(fix: list[str]) -> str:
    """The fix as one line to paste: each step only after the last succeeded, except the patch's re-application,
    which runs whatever the catch-up did (onto main if it caught up, else back where the changes were)."""
    if fix and fix[-1].startswith("git apply "):
        return " && ".join(fix[:-1]) + " ; " + fix[-1]
    return " && ".join(fix)


def _aside_name(repo: pygit2.Repository, path: str) -> str:
    name, number = f"{path}.mine", 1
    while os.path.lexists(os.path.join(repo.workdir, name)):
        number += 1
        name = f"{path}.mine{number}"
    return name


def _git_refused(repo: pygit2.Repository, base: str, target: pygit2.Commit, stderr: str, catch_up: str) -> WorktreeSync:
    ref = _head_branch(repo)
    words = " ".join(stderr.split())[:400]
    return WorktreeSync(status="refused", base=base, message=(
        f"the working tree was not moved: {ref} is at {str(target.id)[:12]} but the working tree and index still "
        f"show {base[:12]}, and git would overwrite files to move them ({words}). Nothing was changed. Do not "
        f"`git commit` now: from here a commit would undo {ref}'s newer changes. Move the files git names out of "
        f"the way, then run `{catch_up}` again."))


def _unmerged(repo: pygit2.Repository, stderr: str, catch_up: str) -> WorktreeSync:
    paths = sorted({line.partition("\t")[2] for line in _git_z(repo, "ls-files", "-u", "-z")})
    if not paths:
        return WorktreeSync(status="refused", message=(
            f"the working tree was not moved: git cannot read the index ({' '.join(stderr.split())[:300]}); "
            f"fix that, then run `{catch_up}` again."))
    shown = ", ".join(repr(p) for p in paths[:10]) + (f" and {len(paths) - 10} more" if len(paths) > 10 else "")
    return WorktreeSync(status="refused", message=(
        f"the working tree was not moved: the index has unmerged entries ({shown}), left by a git merge, rebase, "
        f"stash or apply with conflicts. Resolve them and `git add` them (or abort what left them), then run "
        f"`{catch_up}` again."))


def _head_branch(repo: pygit2.Repository) -> str:
    target = repo.references["HEAD"].target
    return str(target).removeprefix("refs/heads/")


# -- proposals and local changes ------------------------------------------------------------


class LocalChanges:
    """What the working tree holds beyond `HEAD`, read once before a merge run (after a sync that caught up).

    A proposal that changes one of these paths is not merged: the working tree could not follow.
    """

    def __init__(self, repo: pygit2.Repository, ref: str) -> None:
        self.repo = repo
        self.active = checked_out(repo, ref)
        self.changed: set[str] = set()
        if self.active:
            _git_writing(repo, "update-index", "-q", "--refresh")
            self.changed = set(_git_z(repo, "diff-index", "--name-only", "-z", "HEAD"))

    def in_the_way(self, paths: list[str], main_tree: pygit2.Tree) -> dict[str, Literal["changed", "untracked"]]:
        """Of the repository `paths` a merge would write: those with uncommitted changes, or a file main does not track."""
        if not self.active:
            return {}
        found: dict[str, Literal["changed", "untracked"]] = {}
        for path in sorted(set(paths)):
            if path in self.changed:
                found[path] = "changed"
            elif _entry(main_tree, path) is None and os.path.lexists(os.path.join(self.repo.workdir, path)):
                found[path] = "untracked"
        return found


def in_the_way_reason(found: dict[str, str], catch_up: str = CATCH_UP) -> str:
    changed = [p for p, kind in found.items() if kind == "changed"]
    untracked = [p for p, kind in found.items() if kind == "untracked"]
    parts = []
    if changed:
        parts.append(f"your uncommitted changes to {', '.join(repr(p) for p in changed)} are in the way "
                     f"(the proposal changes these files): commit them, or set them aside with `git stash` "
                     f"and bring them back with `git stash pop` after the merge")
    if untracked:
        parts.append(f"the untracked {', '.join(repr(p) for p in untracked)} would be overwritten (the proposal "
                     f"adds these files): move them out of the way")
    return "; ".join(parts) + f"; then run `{catch_up}` again"


# -- git ------------------------------------------------------------------------------------


def _git_z(repo: pygit2.Repository, *args: str) -> list[str]:
    result = run_git(repo.workdir, *args, text=False)
    if result.returncode != 0:
        return []
    return [item for item in result.stdout.decode("utf-8", "surrogateescape").split("\0") if item]


def _git_writing(repo: pygit2.Repository, *args: str) -> subprocess.CompletedProcess:
    """A git command that writes the index, which nothing may cut in half (a stale `index.lock` blocks every later
    git command): in its own session, so a signal to Teleo's process group never reaches it; holding the worktree
    lock until it exits, even if Teleo dies first; and a Ctrl-C waits for it before it interrupts Teleo
    (`subprocess.run` would kill it)."""
    fd = getattr(_held, "fd", None)
    command = git_command(repo.workdir, *args)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=git_env(),
                               start_new_session=True, pass_fds=(fd,) if fd is not None else ())
    interrupted = False
    while True:
        try:
            out, err = process.communicate()
            break
        except KeyboardInterrupt:
            interrupted = True
    if interrupted:
        raise KeyboardInterrupt
    return subprocess.CompletedProcess(command, process.returncode, out, err)


__all__ = [
    "CATCH_UP",
    "LocalChanges",
    "WorktreeSync",
    "checked_out",
    "commit_worktree",
    "in_the_way_reason",
    "main_writer",
    "remember_base",
    "shell_line",
    "sync_worktree",
]
