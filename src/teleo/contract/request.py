"""What an extractor is given for one source: structured inputs, not a prompt.

LLM providers render these into a prompt (`teleo.extract.prompt`); the
offline extractor works on them directly. Keeping the inputs structured is
what lets every provider sit behind one seam.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class SimilarClaim(BaseModel):
    """An existing claim close to the source: for dedupe and linking, not the whole domain."""

    title: str
    description: str = ""
    path: str
    score: float = 0.0


class KnownEntity(BaseModel):
    """An existing entity the source names (by name, handle or website): update it rather than create it."""

    title: str
    """Its file title (the slug a wiki link uses)."""
    name: str
    entity_type: str = ""
    domain: str = ""
    status: str = ""
    path: str
    handles: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    """Its website and, for a decision market, its proposal URL."""
    aliases: list[str] = Field(default_factory=list)
    """Its other names (a source may name it by one of them)."""


class ExtractionRequest(BaseModel):
    job_id: str
    agent: str
    domain: str
    source_path: str
    source_title: str
    source_text: str
    """The source's own text (its whole `## Content` when present, `teleo.extract.context.source_text`): untrusted data."""
    identity: str = ""
    """The agent's `agents/<name>/identity.md`, when the vault has one."""
    guidance: str = ""
    """The vault's `skills/extract.md` ("" when absent): added to Teleo's built-in rules in the prompt."""
    claim_schema: str = ""
    """The vault's `schemas/claim.md` ("" when absent): added to Teleo's claim fields, mapped onto the JSON."""
    similar: list[SimilarClaim] = Field(default_factory=list)
    max_claims: int = 8
    source_format: str = ""
    """The source's `format` (`data` for a structured page such as a futardio launch or proposal)."""
    source_fields: dict[str, str] = Field(default_factory=dict)
    """A `format: data` source's fields: its frontmatter scalars, then the `- Key: value` lines of its
    `## Launch Details` / `## Proposal Details` / `## Raw Data` sections (keys snake_cased)."""
    entities: list[KnownEntity] = Field(default_factory=list)
    """Existing entities (any `entities/*` folder) the source names."""
