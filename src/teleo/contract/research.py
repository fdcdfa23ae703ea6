"""The research contract: what a research session's planner (the offline one or a model) must answer.

A leaf like the other contracts: `teleo.research` asks for a `ResearchPlan` and writes the notes
from it; a provider that answers with structured output (Claude Code) takes its JSON schema from
here. The planner chooses among the candidates it was shown (by id) and says why; it never names
a file, a branch or a status — the session decides those — so nothing it writes can reach
outside the agent's territory or the archive.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

MIN_SOURCES = 5
MAX_SOURCES = 15
"""A session archives 5–15 sources (reference §4.2)."""


class SourceNotes(BaseModel):
    """One candidate to archive, and the `## Agent Notes` / `## Curator Notes` the researcher gives it."""

    id: str
    """The candidate's id as shown (`S1`, `S2`, …)."""
    why_matters: str
    surprised: str = ""
    expected_not_found: str = ""
    kb_connections: list[str] = Field(default_factory=list)
    """Titles of existing notes (claims) it connects to; linked only when the title resolves."""
    extraction_hints: str = ""
    context: str = ""
    primary_connection: str = ""
    """A title of an existing note (linked when it resolves) or a belief, in words."""
    why_archived: str = ""
    extraction_hint: str = ""


class FollowUp(BaseModel):
    """The musing's closing `## Follow-up Directions` (reference §2.8)."""

    active_threads: list[str] = Field(default_factory=list)
    dead_ends: list[str] = Field(default_factory=list)
    branching_points: list[str] = Field(default_factory=list)


class JournalEntry(BaseModel):
    """One `## Session DATE` entry of `agents/<agent>/research-journal.md` (reference §2.8)."""

    disconfirmation_result: str
    key_finding: str
    pattern_update: str = ""
    confidence_shift: str = ""


class ResearchPlan(BaseModel):
    """A whole session: the belief attacked, the one question, the sources kept with their notes,
    the findings, the follow-ups and the journal entry."""

    keystone: str
    """The number of the keystone belief (`1`), as numbered in the agent's beliefs."""
    disconfirmation_target: str
    question: str
    why_this_question: str = ""
    sources: list[SourceNotes]
    key_findings: list[str] = Field(default_factory=list)
    belief_impact: str = ""
    follow_up: FollowUp = Field(default_factory=FollowUp)
    journal: JournalEntry

    def problems(self, candidates: set[str], beliefs: set[str]) -> list[str]:
        """What makes the plan unusable for the candidates shown and the beliefs numbered (empty: none)."""
        out = []
        ids = [source.id for source in self.sources]
        if not MIN_SOURCES <= len(set(ids)) <= MAX_SOURCES:
            out.append(f"sources: {len(set(ids))} distinct candidates chosen, {MIN_SOURCES}–{MAX_SOURCES} needed")
        unknown = sorted({i for i in ids if i not in candidates})
        if unknown:
            out.append(f"sources: unknown candidate ids {', '.join(unknown[:10])} (choose among those shown)")
        if len(ids) != len(set(ids)):
            out.append("sources: a candidate is chosen twice")
        if beliefs and self.keystone.strip().rstrip(".") not in beliefs:
            out.append(f"keystone: '{self.keystone[:40]}' is not a belief number ({', '.join(sorted(beliefs))})")
        if not self.question.strip():
            out.append("question: empty")
        return out
