"""The provider seam: every extractor (offline, Anthropic, OpenAI-compatible) looks like this."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from teleo.contract.extraction import Dropped, ExtractionResult
from teleo.contract.request import ExtractionRequest

T = TypeVar("T")


class LLMCall(BaseModel):
    """One model call, as written to the ledger."""

    provider: str
    model: str
    job: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    """None when the provider's price is unknown."""
    latency_s: float = 0.0
    prompt_chars: int = 0
    ok: bool = True
    error: str | None = None
    started_at: str = ""
    """ISO 8601 UTC."""
    attempt: int = 1
    """1 for the first call of a job, counting every call (retries and repairs) after it."""
    purpose: str = "extract"
    """`extract` (a fresh attempt) or `repair` (the validation errors sent back)."""
    finish_reason: str | None = None
    """As the provider reported it (`stop`, `length`, …), when it answered."""
    chunk: int = 1
    """Which part of the source this call extracted from (1-based)."""
    chunks: int = 1
    """How many parts the source was split into (1: the whole source in one call)."""


class ProviderResult(BaseModel, Generic[T]):
    output: T
    calls: list[LLMCall] = Field(default_factory=list)
    chunks: int = 1
    """How many parts of the source were extracted separately and merged into `output`."""
    dropped: list[Dropped] = Field(default_factory=list)
    """Candidates the provider considered and filtered out itself, with why (the offline extractor's)."""


class ProviderError(Exception):
    """A provider could not produce a valid result; the calls made are attached."""

    def __init__(self, message: str, calls: list[LLMCall] | None = None) -> None:
        super().__init__(message)
        self.calls = calls or []


class Provider(ABC):
    """An extractor behind the seam."""

    name: str = "provider"
    model: str = ""

    @abstractmethod
    def extract(self, request: ExtractionRequest) -> ProviderResult[ExtractionResult]:
        """Extract from one source; raise ProviderError after retries are exhausted."""
