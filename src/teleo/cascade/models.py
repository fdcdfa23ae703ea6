"""The cascade's records: what changed, the flags it raises, the plan it returns."""

from __future__ import annotations

from collections import Counter, defaultdict
from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field

Priority = Literal["high", "normal", "low"]
TargetKind = Literal["belief", "position", "sector"]
"""What a flag can point at: a belief (a file or a `beliefs.md` section), a position, a sector."""
PRIORITIES: tuple[Priority, ...] = ("high", "normal", "low")
"""Highest first; the order `teleo flags` lists them in."""


class Change(str, Enum):
    """How a changed note changed, as far as its dependents care."""

    CHALLENGE = "challenge"
    """An `### Additional Evidence (challenge)` block or a `challenged_by` entry was added."""
    CONFIDENCE_DOWN = "confidence-down"
    RETIRED = "retired"
    REMOVED = "removed"
    """The note is gone (the reference forbids deletion; a rename looks like this too)."""
    EXTEND = "extend"
    CONFIRM = "confirm"
    CONFIDENCE_UP = "confidence-up"
    MODIFIED = "modified"
    LINKED = "linked"
    """Only links were added (Relevant Notes bullets, depends_on entries)."""
    ADDED = "added"
    """A new note: a belief whose link dangled until now gains grounding."""


CHANGE_PRIORITY: dict[Change, Priority] = {
    Change.CHALLENGE: "high", Change.CONFIDENCE_DOWN: "high", Change.RETIRED: "high", Change.REMOVED: "high",
    Change.EXTEND: "normal", Change.CONFIRM: "normal", Change.CONFIDENCE_UP: "normal", Change.MODIFIED: "normal",
    Change.LINKED: "low", Change.ADDED: "low",
}
"""The base priority of a flag is that of the strongest change reaching it (see `plan.priority_of`)."""


class ChangedVia(BaseModel):
    """One changed note that reaches the flagged target, and the dependency chain it took."""

    path: str
    """The changed note (vault-relative)."""
    change: Change
    chain: list[str]
    """Vault-relative paths from the changed note to the target, both ends included; a
    section of `beliefs.md` is written `agents/<name>/beliefs.md#<number>`."""


class Flag(BaseModel):
    """A belief, position or sector its owner must re-review because something it depends on changed.

    Stored as the note `agents/<agent>/flags/<id>.md` (`type: flag`); see `teleo.cascade.flags`.
    """

    id: str
    agent: str
    priority: Priority
    target: str
    """The belief, position or sector file (vault-relative path)."""
    target_kind: TargetKind
    section: str | None = None
    """For a belief that is a `### N. statement` section of `beliefs.md`: that heading."""
    changed: list[ChangedVia]
    why: str
    when: str
    commit: str
    status: Literal["open", "resolved"] = "open"
    created: str = ""
    resolved: str | None = None
    """The date the owner resolved it (`teleo flags resolve`)."""
    resolution: str | None = None
    """What the owner concluded, when they said."""
    path: str = Field(default="", description="The flag note's own vault-relative path.")

    @property
    def flag_path(self) -> str:
        return self.path or f"agents/{self.agent}/flags/{self.id}.md"


class CascadePlan(BaseModel):
    """What a cascade would write: pure data; the caller commits it."""

    files: dict[str, str] = {}
    """Vault-relative path → the new full text (flags, belief status lines, link fixes)."""
    flags: list[Flag] = []
    under_review: list[str] = []
    """Belief files whose `status` this plan sets to `under_review`."""
    link_fixes: dict[str, list[str]] = {}
    """Touched note → the link repairs made in it (`line N: [[a]] → [[b]] (why)`)."""

    def summary(self) -> str:
        """One line for a commit message or a run summary, e.g. `2 flags: theseus (1 belief, 1 position)`."""
        parts = [self._flag_summary()]
        if self.link_fixes:
            count = sum(len(changes) for changes in self.link_fixes.values())
            parts.append(f"{count} link fix{'es' if count != 1 else ''} in {_plural(len(self.link_fixes), 'note')}")
        return "; ".join(parts)

    def _flag_summary(self) -> str:
        if not self.flags:
            return "no flags"
        by_agent: dict[str, Counter] = defaultdict(Counter)
        for flag in self.flags:
            by_agent[flag.agent][flag.target_kind] += 1
        agents = ", ".join(
            f"{agent} ({', '.join(_plural(n, kind) for kind, n in sorted(kinds.items()))})"
            for agent, kinds in sorted(by_agent.items())
        )
        return f"{_plural(len(self.flags), 'flag')}: {agents}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
