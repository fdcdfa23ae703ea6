"""The data of every page, as pydantic models: templates render them, `/api/...` returns them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from teleo.index.models import Facets, NoteFacets


class NoteRef(BaseModel):
    """A note as a link target: enough to show a linked title with its facets."""

    path: str
    title: str
    href: str
    kind: str | None = None
    domain: str | None = None
    confidence: str | None = None
    description: str | None = None


class LinkRef(BaseModel):
    """A link between notes: where it is written and where it leads (path None: unresolved)."""

    raw: str
    path: str | None = None
    title: str
    href: str | None = None
    line: int
    field: str | None = None
    source: str | None = None
    """The note that holds the link (for backlinks)."""


class CommitRow(BaseModel):
    id: str
    date: str
    subject: str
    author: str
    agent: str | None = None
    agent_id: str | None = None
    change: str | None = None
    merge: bool = False


class Grounded(BaseModel):
    """Where an evidence passage stands in its source."""

    found: bool
    method: str | None = None
    line: int | None = None
    score: float = 0.0
    passage: str = ""


class Evidence(BaseModel):
    section: str
    text: str
    source: NoteRef | None = None
    grounding: Grounded | None = None


class SourceLink(BaseModel):
    path: str
    title: str
    href: str
    how: str
    line: int


class Field_(BaseModel):
    key: str
    value: str


class NotePage(NoteFacets):
    """A note page: claim, source, or any other note (`page` says which template)."""

    page: str
    frontmatter: list[Field_] = Field(default_factory=list)
    body_html: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    backlinks: list[LinkRef] = Field(default_factory=list)
    depends_on: list[LinkRef] = Field(default_factory=list)
    challenged_by: list[LinkRef] = Field(default_factory=list)
    challenges: list[LinkRef] = Field(default_factory=list)
    sources: list[SourceLink] = Field(default_factory=list)
    source_text: str | None = None
    claims_extracted: list[LinkRef] = Field(default_factory=list)
    enrichments: list[LinkRef] = Field(default_factory=list)
    unresolved: list[LinkRef] = Field(default_factory=list)
    history: list[CommitRow] = Field(default_factory=list)
    history_note: str | None = None
    problems: list[str] = Field(default_factory=list)


class DomainCount(BaseModel):
    name: str
    href: str
    claims: int
    notes: int
    agent: str | None = None
    color: str


class ProposalRow(BaseModel):
    branch: str
    href: str
    head: str
    kind: str | None = None
    """The proposal kind (`teleo.repo.kinds`): extract, flags, …"""
    kind_label: str | None = None
    source: str | None = None
    agent: str | None = None
    domain: str | None = None
    created: str
    subject: str
    files: list[str] = Field(default_factory=list)


class HomePage(BaseModel):
    vault: str
    notes: int
    kinds: dict[str, int]
    domains: list[DomainCount]
    agents: list[str]
    merges: list[CommitRow]
    merges_note: str | None = None
    proposals: list[ProposalRow]
    proposals_note: str | None = None


class ConfidenceGroup(BaseModel):
    confidence: str
    claims: list[NoteRef]


class DomainPage(BaseModel):
    name: str
    agent: str | None = None
    folder: str | None = None
    color: str
    map: NoteRef | None = None
    map_html: str = ""
    groups: list[ConfidenceGroup]
    claims: int


class AgentPage(BaseModel):
    name: str
    role: str | None = None
    domains: list[str] = Field(default_factory=list)
    identity: NoteRef | None = None
    identity_html: str = ""
    beliefs: list["Belief"] = Field(default_factory=list)
    beliefs_html: str = ""
    positions: list[NoteRef] = Field(default_factory=list)
    flags: list["OpenFlag"] = Field(default_factory=list)
    """The agent's open cascade flags, highest priority first."""
    flags_note: str | None = None
    """Flag notes of the agent that are not valid flags (file, line and field named)."""
    claims: list[NoteRef] = Field(default_factory=list)
    commits: list[CommitRow] = Field(default_factory=list)
    history_note: str | None = None


class OpenFlag(BaseModel):
    """A cascade flag waiting for its owner (`teleo flags resolve <id>` closes it)."""

    id: str
    note: NoteRef
    priority: str
    target_kind: str
    target: NoteRef | None = None
    target_path: str
    change: str = ""
    """The first change reaching the target, e.g. `challenge: <claim title>`."""
    when: str = ""


class Belief(BaseModel):
    note: NoteRef
    grounding: list[LinkRef] = Field(default_factory=list)


class SearchHit(Facets):
    href: str
    snippet: str = ""
    snippet_html: str = ""
    """The snippet, HTML-escaped, with the matched words in `<mark>`."""
    score: float


class SearchPage(BaseModel):
    q: str
    mode: str
    filters: dict[str, list[str]]
    hits: list[SearchHit]
    note: str | None = None
    options: dict[str, list[str]] = Field(default_factory=dict)
    """The values each filter select offers."""


class Verdict(BaseModel):
    reviewer: str | None = None
    verdict: str | None = None
    commit: str | None = None
    current: bool | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class ProposalPage(BaseModel):
    proposal: ProposalRow
    diff: str
    diff_truncated: bool = False
    verdicts: list[Verdict] = Field(default_factory=list)
    verdicts_note: str | None = None


class ProposalsPage(BaseModel):
    proposals: list[ProposalRow]
    note: str | None = None


class Preview(BaseModel):
    path: str
    title: str
    kind: str
    domain: str | None = None
    confidence: str | None = None
    description: str | None = None
    href: str


AgentPage.model_rebuild()
