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
