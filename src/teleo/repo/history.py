"""Reading a vault's git history: commits, the files they touched, their trailers.

One `git log` call reads the whole history (or a path's) and is parsed here;
paths are read with `core.quotePath=false` so non-ASCII titles match the files
on disk (the reference exporter's quoted paths never did).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping, Set
from pathlib import Path

from teleo.repo.command import GitError, run_git
from teleo.repo.agents import known_agent, pentagon_agent
from teleo.repo.trailers import trailers

_RECORD = "\x1e"
_FIELD = "\x1f"
_FORMAT = _RECORD + _FIELD.join(["%H", "%P", "%an", "%ae", "%aI", "%s", "%b"]) + _FIELD


@dataclass(frozen=True)
class FileChange:
    status: str
    """A, M, D (renames are read as delete + add)."""
    path: str


@dataclass(frozen=True)
class Commit:
    id: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: str
    """Author date, ISO 8601."""
    subject: str
    body: str
    changes: tuple[FileChange, ...] = field(default=())

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def message(self) -> str:
        return self.subject + "\n\n" + self.body

    @property
    def trailers(self) -> dict[str, list[str]]:
        """The message's trailers (`teleo.repo.trailers`)."""
        return trailers(self.message)

    @property
    def pentagon_agent(self) -> tuple[str, str | None] | None:
        """(name, id) from the `Pentagon-Agent: Name <id>` trailer, if any (`teleo.repo.agents`)."""
        return pentagon_agent(self.message)

    def agent(self, known: set[str]) -> str | None:
        """The agent of the vault this commit speaks for (`teleo.repo.agents.known_agent`)."""
        return known_agent(self.message, known)


class HistoryError(Exception):
    """git could not read the history."""


def read_log(root: Path, paths: list[str] | None = None, *, ref: str = "HEAD", follow: bool = False) -> list[Commit]:
    """Commits reachable from `ref` (newest first), optionally only those touching `paths`."""
    args = [
        "-c", "core.quotePath=false", "log", ref, "--no-renames", "--relative",
        f"--format={_FORMAT}", "--name-status", "--no-color",
    ]
    if follow and paths and len(paths) == 1:
        args.insert(args.index("--no-renames"), "--follow")
        args.remove("--no-renames")
    if paths:
        args += ["--", *paths]
    try:
        result = run_git(root, *args, encoding="utf-8", errors="replace")
    except GitError as exc:
        raise HistoryError(str(exc)) from None
    if result.returncode != 0:
        message = result.stderr.strip()
        if "does not have any commits" in message or "unknown revision" in message:
            return []
        raise HistoryError(message or "git log failed")
    return parse_log(result.stdout)


def parse_log(text: str) -> list[Commit]:
    commits = []
    for record in text.split(_RECORD):
        if not record.strip():
            continue
        parts = record.split(_FIELD)
        if len(parts) < 8:
            continue
        commit_id, parents, name, email, date, subject, body, rest = parts[:8]
        changes = tuple(_changes(rest))
        commits.append(
            Commit(commit_id, tuple(parents.split()), name, email, date, subject, body.strip("\n"), changes)
        )
    return commits


def _changes(text: str) -> list[FileChange]:
    found = []
    for line in text.splitlines():
        if "\t" not in line:
            continue
        status, _, path = line.partition("\t")
        if "\t" in path:  # a copy/rename line: status, old, new
            path = path.split("\t")[-1]
        found.append(FileChange(status[:1], path))
    return found


MERGED_AGENT_DEPTH = 200
"""Commits of a merged branch looked at for an agent's name before giving up."""


def mainline_ids(head: Commit, by_id: Mapping[str, Commit]) -> frozenset[str]:
    """The ids on `head`'s first-parent chain: main's own history, which no merge brought in."""
    found: set[str] = set()
    current: Commit | None = head
    while current is not None and current.id not in found:
        found.add(current.id)
        current = by_id.get(current.parents[0]) if current.parents else None
    return frozenset(found)


def merged_agent(merge: Commit, by_id: Mapping[str, Commit], mainline: Set[str], known: set[str]) -> str | None:
    """The agent a merge speaks for: its own (`Commit.agent`: trailer, then subject prefix), else the
    first agent named by the commits it brought in — its second parent's first-parent chain, newest
    first, down to `mainline` (an `auto-fix` commit on top names no agent and is passed over).

    A merge made by `teleo merge` or a forge carries the machine's git identity as author; the
    proposal's agent is in the commits it merged."""
    own = merge.agent(known)
    if own is not None or not merge.is_merge:
        return own
    current = by_id.get(merge.parents[1])
    for _ in range(MERGED_AGENT_DEPTH):
        if current is None or current.id in mainline:
            return None
        agent = current.agent(known)
        if agent is not None:
            return agent
        current = by_id.get(current.parents[0]) if current.parents else None
    return None


def first_additions(commits: list[Commit]) -> dict[str, Commit]:
    """For each path, the commit that first added it (walks oldest first)."""
    first: dict[str, Commit] = {}
    for commit in reversed(commits):
        for change in commit.changes:
            if change.status == "A" and change.path not in first:
                first[change.path] = commit
    return first
