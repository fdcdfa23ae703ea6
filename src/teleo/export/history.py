"""What git says about the graph: who added each node, and the merge events.

Everything comes from one `read_log` call over the history of HEAD (never
`--all`, never a git call per file), so unmerged branches credit nobody and
the output depends only on the commits, not on set or dict iteration order.

**Node agent.** The oldest commit on HEAD's history that added the file
(`first_additions`): the agent it speaks for when that is a configured agent
(`teleo.repo.agents`: its `Pentagon-Agent` trailer, else its `name:` subject prefix —
`rio: …`, `rio/contrib-x: …`).
Renames are read as delete + add, so the renaming commit counts as the adder
of the new path.

**Events.** Every merge commit on the first-parent chain of HEAD. The commits a
merge brings in are those reachable from its other parents and not from the
mainline before it; `claims_added` is the number of distinct current nodes
with an `A` change among them. Merges that add no node are left out (as the
reference did). The agent is the first of: a configured agent name as a
whole `/`-segment of the merged branch (`… from rio/claims-x into main`,
`Merge branch 'rio/x'`); the `name:` prefix of the PR title in the subject;
the agent of the oldest merged commit that names one; an agent name written
as a whole word in the subject (earliest position; `scenario` is not `rio`);
else `collective`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from teleo.repo.history import Commit, HistoryError, first_additions, read_log
from teleo.repo.discover import is_repository

_PR_NUMBER = re.compile(r"#(\d+)\b")
_BRANCH_PATTERNS = (
    re.compile(r"\bfrom\s+(\S+?)\s+into\s+\S+\s*$"),
    re.compile(r"^Merge pull request #\d+ from (\S+)"),
    re.compile(r"^Merge (?:remote-tracking )?branch '([^']+)'"),
    re.compile(r"^Merge (?:remote-tracking )?branch (\S+)"),
)
_PR_TITLE = re.compile(r"^Merge pull request '(.+)' \(#\d+\)")


@dataclass
class History:
    """The parts of the log the exporter uses."""

    commits: list[Commit]
    first_added: dict[str, Commit]
    known_agents: frozenset[str]
    _agents: dict[str, str | None] = field(default_factory=dict, repr=False)

    def agent_of(self, commit: Commit) -> str | None:
        """`commit.agent(known)`, parsed once per commit (many files share an adder)."""
        if commit.id not in self._agents:
            self._agents[commit.id] = commit.agent(set(self.known_agents))
        return self._agents[commit.id]

    @property
    def head(self) -> Commit | None:
        return self.commits[0] if self.commits else None


def load_history(root: Path, known_agents: set[str]) -> History | None:
    """The history of HEAD at `root`, or None outside a repository / without commits."""
    if not is_repository(root):
        return None
    try:
        commits = read_log(root)
    except HistoryError:
        return None
    if not commits:
        return None
    return History(commits, first_additions(commits), frozenset(a.lower() for a in known_agents))


def adder_agent(history: History | None, path: str) -> str | None:
    """The agent named by the oldest commit that added `path`, if any."""
    if history is None:
        return None
    commit = history.first_added.get(path)
    return history.agent_of(commit) if commit is not None else None


def first_parent_chain(commits: list[Commit]) -> list[Commit]:
    """HEAD and its first parents, oldest first."""
    by_id = {c.id: c for c in commits}
    chain: list[Commit] = []
    current: str | None = commits[0].id if commits else None
    while current is not None and current in by_id:
        commit = by_id[current]
        chain.append(commit)
        current = commit.parents[0] if commit.parents else None
    chain.reverse()
    return chain


def merged_commits(commits: list[Commit]) -> list[tuple[Commit, list[Commit]]]:
    """(merge, commits it brought in, oldest first) for every merge on the first-parent chain."""
    by_id = {c.id: c for c in commits}
    position = {c.id: i for i, c in enumerate(commits)}
    reached: set[str] = set()
    found: list[tuple[Commit, list[Commit]]] = []
    for commit in first_parent_chain(commits):
        if commit.is_merge:
            brought: list[str] = []
            stack = list(commit.parents[1:])
            while stack:
                current = stack.pop()
                if current in reached or current not in by_id:
                    continue
                reached.add(current)
                brought.append(current)
                stack.extend(by_id[current].parents)
            # log order is newest first: a larger position is older
            found.append((commit, sorted((by_id[i] for i in brought), key=lambda c: -position[c.id])))
        reached.add(commit.id)
    return found


def build_events(history: History | None, nodes: set[str], max_events: int | None = None) -> list[dict[str, Any]]:
    """The `pr-merge` events, sorted by (date, number, sha); the latest `max_events` when capped."""
    if history is None:
        return []
    events = []
    for merge, brought in merged_commits(history.commits):
        added = {ch.path for c in brought for ch in c.changes if ch.status == "A" and ch.path in nodes}
        if not added:
            continue
        number = _PR_NUMBER.search(merge.subject)
        events.append({
            "type": "pr-merge",
            "number": int(number.group(1)) if number else None,
            "agent": event_agent(merge, brought, history.known_agents),
            "claims_added": len(added),
            "date": merge.date[:10],
            "sha": merge.id,
        })
    events.sort(key=_event_key)
    if max_events is not None and max_events >= 0:
        events = events[len(events) - max_events:] if max_events else []
    return events


def _event_key(event: dict[str, Any]) -> tuple[str, int, int, str]:
    number = event["number"]
    return (event["date"], 0 if number is not None else 1, number or 0, event["sha"])


def event_agent(merge: Commit, brought: list[Commit], known: frozenset[str]) -> str:
    """Who a merge belongs to (see the module doc for the order of evidence)."""
    subject = merge.subject.strip()
    branch = merged_branch(subject)
    if branch:
        for segment in branch.split("/"):
            if segment.lower() in known:
                return segment.lower()
    title = _PR_TITLE.match(subject)
    if title and ":" in title.group(1):
        prefix = title.group(1).split(":", 1)[0].strip().lower().split("/", 1)[0]
        if prefix in known:
            return prefix
    for commit in brought:
        agent = commit.agent(set(known))
        if agent:
            return agent
    return mentioned_agent(subject, known) or "collective"


def merged_branch(subject: str) -> str | None:
    """The branch a merge subject names, if it names one."""
    for pattern in _BRANCH_PATTERNS:
        match = pattern.search(subject)
        if match:
            return match.group(1).strip("'\"")
    return None


def mentioned_agent(text: str, known: frozenset[str]) -> str | None:
    """The agent whose name appears earliest in `text` as a whole word."""
    best: tuple[int, str] | None = None
    for name in sorted(known):
        match = re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text, re.IGNORECASE)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else None


def commit_timestamp(commit: Commit) -> str:
    """The commit's date as `YYYY-MM-DDTHH:MM:SSZ` (UTC)."""
    try:
        moment = datetime.fromisoformat(commit.date)
    except ValueError:
        return commit.date
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
