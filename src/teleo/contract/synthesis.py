"""The synthesis contract: what the evaluator's drafter is given (`SynthesisRequest`) and must answer
(`SynthesisDraft`) — reference §4.7. A leaf like the other contracts: `teleo.review.synthesize` and the
providers meet here, and it imports nothing of Teleo.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator


class SideClaim(BaseModel):
    title: str
    description: str = ""
    path: str
    text: str = ""
    """The claim's body (cut), for a model to read."""


class Side(BaseModel):
    """The claims of one domain a synthesis joins."""

    domain: str
    claims: list[SideClaim] = Field(default_factory=list)


class SynthesisRequest(BaseModel):
    agent: str
    """The evaluator, who drafts."""
    entry: str
    """The queue entry's id."""
    trigger: str
    summary: str
    domain: str
    """The domain the synthesis claim is filed in."""
    sides: list[Side] = Field(default_factory=list)
    job_id: str = ""

    @property
    def source_path(self) -> str:
        """What a ledger line or an error names (the providers' jobs name a source path)."""
        return f"synthesis-queue entry {self.entry}"


class SynthesisDraft(BaseModel):
    """A synthesis claim: a title naming a mechanism, and the claims of each side it depends on."""

    title: str = Field(min_length=10, max_length=240)
    """A proposition naming the mechanism that joins the sides (the "synthesis test")."""
    mechanism: str = Field(min_length=3, max_length=120)
    description: str = Field(min_length=20, max_length=400)
    body: str = Field(min_length=40, max_length=8000)
    """The argument: how the mechanism works on each side (markdown, no frontmatter, no H1)."""
    depends_on: list[str] = Field(min_length=2, max_length=10)
    """Titles of the given claims it rests on: at least one from each side."""
    confidence: Literal["speculative", "experimental", "likely"] = "speculative"

    @field_validator("title", "mechanism", "description")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())
