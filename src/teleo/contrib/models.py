"""What a person hands `teleo contribute`, and what comes back.

Everything in a draft is untrusted text from a person: the writer (`contrib.draft`) makes it inert
before it enters a note, a commit message or a branch name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Confidence = Literal["proven", "likely", "experimental", "speculative"]
What = Literal["source", "claim", "challenge"]


class ClaimDraft(BaseModel):
    """A claim a person proposes (or a counter-claim: `ChallengeDraft.counter`)."""

    title: str
    """The proposition; also the file name (`extract.writer.safe_title`)."""
    domain: str | None = None
    """A domain of the vault (a counter-claim defaults to the challenged claim's)."""
    description: str
    confidence: Confidence = "experimental"
    body: str = ""
    """The argument (markdown); the description stands in when empty."""
    source: str | None = None
    """Free-text attribution for the claim's `source:` field; default `<handle>, original analysis`."""
    related: list[str] = Field(default_factory=list)
    """Titles of existing notes the claim relates to (each must resolve: the links gate)."""


class SourceDraft(BaseModel):
    """A source a person adds to `inbox/archive/`, unprocessed, for the domain's agent to extract."""

    title: str
    domain: str
    text: str
    """The source's text (markdown or plain; from a file, a PDF or HTML read by `teleo.ingest`)."""
    url: str | None = None
    author: str | None = None
    """Default: the contributor's handle."""
    date: str | None = None
    """YYYY-MM-DD (default: today)."""
    format: str = "essay"


class ChallengeDraft(BaseModel):
    """A challenge of an existing claim: a counter-claim linking to it (`counter`), or — without one —
    a `challenged_by` entry and a paragraph in the claim's `## Challenges` section."""

    target: str
    """The challenged claim: a title or a vault path."""
    text: str = ""
    """The argument against it (required without `counter`)."""
    counter: ClaimDraft | None = None


class Contribution(BaseModel):
    """One contribution of one person."""

    handle: str
    """The contributor (`repo.agents.normalise_handle`)."""
    what: What
    claim: ClaimDraft | None = None
    source: SourceDraft | None = None
    challenge: ChallengeDraft | None = None
    context: str | None = None
    """Where the contribution came from (a conversation, a review), kept in its attribution entry."""


class DraftFinding(BaseModel):
    """Why a draft was not committed: a gate's finding on the file it would have written."""

    file: str
    line: int | None = None
    field: str | None = None
    rule: str
    message: str


class ContributionOutcome(BaseModel):
    status: Literal["proposed", "already proposed", "refused"]
    handle: str
    what: What
    branch: str | None = None
    commit: str | None = None
    """The proposal's head commit (None when refused)."""
    files: list[str] = Field(default_factory=list)
    """Vault paths the contribution adds or changes."""
    reviewers: list[str] = Field(default_factory=list)
    """Who `teleo review` will ask: the evaluator and the domain's agent (as for an extraction)."""
    findings: list[DraftFinding] = Field(default_factory=list)
    """Why it was refused (nothing committed)."""
    subject: str = ""
