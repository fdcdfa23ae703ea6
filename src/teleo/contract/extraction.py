"""The extraction contract: what any extractor — offline or an LLM — must return.

Reference §4.3 (deployed extractor): claims, enrichments typed
extend/confirm/challenge, entity updates and creations (§4.10), a source update
with key facts, or a null result with notes. Every provider's output is validated against these models before
anything is written; text inside them is data, never instructions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Confidence = Literal["proven", "likely", "experimental", "speculative"]
EnrichmentType = Literal["extend", "confirm", "challenge"]
Relation = Literal["supports", "extends", "challenges", "depends on", "related"]

MAX_TITLE_CHARS = 200
"""Titles become file names; 200 characters keeps `<title>.md` well under 255 bytes for ASCII."""


class Quote(BaseModel):
    """A verbatim passage of the source that supports a claim."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=8, max_length=2000)


class RelatedNote(BaseModel):
    """A link the extractor proposes to an existing note, and why."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    relation: Relation = "related"


class ClaimDraft(BaseModel):
    """A new claim: one arguable proposition, grounded in the source."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=10, max_length=MAX_TITLE_CHARS)
    description: str = Field(min_length=20, max_length=400)
    confidence: Confidence = "speculative"
    body: str = Field(default="", max_length=20_000)
    """The argument with inline evidence, markdown, without the H1 or link sections."""
    evidence: list[Quote] = Field(min_length=1, max_length=10)
    related: list[RelatedNote] = Field(default_factory=list, max_length=20)
    challenges: list[str] = Field(default_factory=list, max_length=10)
    """Known counter-evidence or objections, in prose."""

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split()).rstrip(".")


class EnrichmentDraft(BaseModel):
    """New evidence for an existing claim, appended as an `### Additional Evidence` block."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(min_length=1, max_length=300)
    """The existing claim's title."""
    type: EnrichmentType
    evidence: str = Field(min_length=20, max_length=4000)
    """The paragraph to append."""
    quote: Quote


class SourceUpdate(BaseModel):
    """What the extractor says about the source itself."""

    model_config = ConfigDict(extra="forbid")

    key_facts: list[str] = Field(default_factory=list, max_length=30)
    notes: str = Field(default="", max_length=2000)
    """Why nothing was extracted (mandatory for a null result), or remarks."""


EntityType = Literal[
    "company", "person", "organization", "product", "market",
    "protocol", "token", "decision_market", "exchange", "fund",
    "vehicle", "mission", "facility", "program",
    "therapy", "drug", "insurer", "provider", "policy",
    "studio", "creator", "franchise", "platform",
    "lab", "model", "framework", "governance_body",
]
"""Reference §2.5: five core types and the domain extensions; an entity takes the most specific."""
EntityStatus = Literal["active", "inactive", "acquired", "liquidated", "emerging", "passed", "failed"]
"""`passed`/`failed` are a decision market's terminal states; the others any entity's."""
EntityAction = Literal["create", "update"]

_DATE = r"^\d{4}-\d{2}-\d{2}$"


class TimelineEntry(BaseModel):
    """One `- **YYYY-MM-DD** — event` line of an entity's append-only `## Timeline`."""

    model_config = ConfigDict(extra="forbid")

    date: str = Field(pattern=_DATE)
    event: str = Field(min_length=5, max_length=300)


class EntityDraft(BaseModel):
    """An entity mention worth tracking (reference §2.5, §4.10): an update of an existing entity, or a creation.

    Every value — status, a field, a date, a handle, the website — must be written in the
    source (its text or its frontmatter/data fields): the writer checks each one and drops
    what it cannot find (no invented values). A creation needs `significance` (why tracking
    it helps evaluate claims) and is turned into an update when an entity of the same name,
    handle or website exists in any `entities/*` folder.
    """

    model_config = ConfigDict(extra="forbid")

    action: EntityAction
    name: str = Field(min_length=2, max_length=120)
    """The display name (for an update: the existing entity's name or file title)."""
    entity_type: EntityType | None = None
    """The most specific type (required to create)."""
    status: EntityStatus | None = None
    handles: list[str] = Field(default_factory=list, max_length=10)
    website: str = Field(default="", max_length=300)
    parent: str = Field(default="", max_length=120)
    """The parent entity's name (a decision market's `parent_entity`, a launched project's platform)."""
    fields: dict[str, str] = Field(default_factory=dict, max_length=20)
    """Type-specific frontmatter fields and metrics, values as the source writes them
    (`proposal_date`, `resolution_date`, `proposer`, `proposal_url`, `platform`, `category`,
    `funding_target`, `total_committed`, `amount_raised`, `launch_date`, …)."""
    summary: str = Field(default="", max_length=400)
    """One sentence: what it is (a new entity's overview) or what the proposal does."""
    timeline: list[TimelineEntry] = Field(default_factory=list, max_length=10)
    significance: str = Field(default="", max_length=400)
    """Why tracking it helps evaluate claims or form positions (required to create)."""

    @field_validator("name", "parent")
    @classmethod
    def _entity_name(cls, value: str) -> str:
        return " ".join(value.split())


DropKind = Literal["candidate", "claim", "enrichment", "link", "fact", "entity"]


class Dropped(BaseModel):
    """An item that was not proposed, and why — not part of any extractor's answer.

    `candidate`: something an extractor considered and filtered out itself (the offline
    extractor's claim-quality filter); the other kinds are items of an answer the writer
    could not write (ungrounded quotes, unsafe titles, links that do not resolve, …).
    """

    kind: DropKind
    subject: str
    reason: str
    code: str = ""
    """A short key to group by (a `claim-quality` issue code, `near-duplicate`, …); "" when the reason is the key."""

    @property
    def group(self) -> str:
        """What drops are counted by: the code, else the reason up to its first colon."""
        return self.code or self.reason.split(":", 1)[0].strip()


class ExtractionResult(BaseModel):
    """The whole answer for one source."""

    model_config = ConfigDict(extra="forbid")

    claims: list[ClaimDraft] = Field(default_factory=list, max_length=25)
    enrichments: list[EnrichmentDraft] = Field(default_factory=list, max_length=25)
    entities: list[EntityDraft] = Field(default_factory=list, max_length=25)
    source_update: SourceUpdate = Field(default_factory=SourceUpdate)

    @property
    def is_null(self) -> bool:
        return not self.claims and not self.enrichments and not self.entities

    def problems(self) -> list[str]:
        """Contract rules a JSON schema cannot express."""
        found = []
        if self.is_null and not self.source_update.notes.strip():
            found.append("a null result needs source_update.notes saying why nothing was extracted")
        titles = [c.title.casefold() for c in self.claims]
        if len(titles) != len(set(titles)):
            found.append("two claims share a title")
        for entity in self.entities:
            if entity.action == "create" and entity.entity_type is None:
                found.append(f"entity '{entity.name}': a creation needs entity_type")
            if entity.action == "create" and not entity.significance.strip():
                found.append(f"entity '{entity.name}': a creation needs significance (why it is worth tracking)")
        return found
