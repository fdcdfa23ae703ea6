"""The review contract: what a reviewer is given (`ReviewRequest`) and must answer (`ReviewAnswer`),
and the finding both carry (`ClaimFinding`, also the verdict store's record of a remark).

A leaf, like the extraction contract beside it: the reviewers (`teleo.review.reviewer`), the
providers that answer for them (`teleo.llm`, e.g. Claude Code's structured output against
`ReviewAnswer`'s schema) and the verdict store (`teleo.repo.verdicts`) import it, and it imports
nothing of Teleo.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ClaimFinding(BaseModel):
    """One remark about one file of the proposal."""

    path: str
    """Vault-relative path of the file the finding is about (`""` for the proposal as a whole)."""
    criterion: str
    """The checklist item or gate rule (`schema-required`, `grounding`, `confidence`, …)."""
    severity: Literal["blocking", "advice"] = "advice"
    message: str
    line: int | None = None



class ReviewRequest(BaseModel):
    reviewer: str
    role: Literal["evaluator", "peer"]
    branch: str
    head: str
    identity: str = ""
    diff: str = ""
    claims: dict[str, str] = Field(default_factory=dict)
    """Path → text (as it would be on main) of each claim the proposal adds or changes."""
    similar: dict[str, list[str]] = Field(default_factory=dict)
    """Claim path → titles of the most similar existing claims."""
    advice: list[ClaimFinding] = Field(default_factory=list)
    """What code could judge of the checklist (lint warnings and heuristics), for the reviewer to weigh."""
    new_claims: list[str] = Field(default_factory=list)
    """Paths among `claims` that are new files (the rest are enriched)."""
    sources: dict[str, str] = Field(default_factory=dict)
    """Claim path → the text of the source its evidence quotes (the proposal's source), for grounding."""
    errors: list[ClaimFinding] = Field(default_factory=list)
    """Blocking findings code already made (schema errors …): the offline reviewer requests changes on each."""
    before: dict[str, str] = Field(default_factory=dict)
    """Path → text on main of each claim the proposal changes (not the new ones): what the claim already was,
    so a rubric error it had before (a challenge or an enrichment of a flawed claim) is not held against it."""

    @property
    def job_id(self) -> str:
        return f"review:{self.branch}:{self.reviewer}:{self.head[:12]}"

    @property
    def source_path(self) -> str:  # read by ModelProvider's error messages
        return self.branch


class ReviewAnswer(BaseModel):
    verdict: Literal["approve", "request_changes", "reject"]
    findings: list[ClaimFinding] = Field(default_factory=list)
    text: str = Field(default="", max_length=20_000)
