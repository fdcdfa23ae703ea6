"""Grounding: every evidence quote is re-found in the archived source by code.

The matcher itself (`ground`, `normalise`, `Grounding`) lives in `teleo.gates.grounding`,
below extract, so the claim-quality rubric grounds quotes the same way; it is re-exported here.

`ground(quote, source_text)` tries exact, then normalised, then fuzzy matching; the steps and
their thresholds are specified in `teleo.gates.grounding`'s docstring.

The result says where: character span and 1-based line in the original
text, the method and the score. `ground_result(result, source_text)` lists
every quote of an `ExtractionResult` that is not found — an ungrounded quote
fails the extraction gate; `ground_all` returns every quote's grounding so a
writer can record where each one was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from teleo.contract.extraction import ExtractionResult
from teleo.gates.grounding import (  # noqa: F401 - the pure matcher lives below extract, shared with the rubric
    FUZZY_MIN_CHARS,
    FUZZY_THRESHOLD,
    WINDOW_CHARS,
    Grounding,
    Method,
    ground,
    normalise,
)


@dataclass(frozen=True)
class QuoteGrounding:
    """One quote of an extraction result and its grounding."""

    kind: Literal["claim", "enrichment"]
    subject: str
    """The claim's title, or the enrichment's target."""
    quote: str
    grounding: Grounding


@dataclass(frozen=True)
class GroundingIssue:
    """A quote that could not be found in the source."""

    kind: Literal["claim", "enrichment"]
    subject: str
    quote: str
    best_score: float

    @property
    def message(self) -> str:
        shown = self.quote if len(self.quote) <= 80 else self.quote[:79] + "…"
        return (
            f"{self.kind} '{self.subject}': quote not found in the source "
            f"(best fuzzy score {self.best_score:.0f} < {FUZZY_THRESHOLD:.0f}): \"{shown}\""
        )


def ground_all(result: ExtractionResult, source_text: str) -> list[QuoteGrounding]:
    """Every quote of `result` (claims' evidence, then enrichments'), grounded."""
    out = []
    for claim in result.claims:
        for quote in claim.evidence:
            out.append(QuoteGrounding("claim", claim.title, quote.text, ground(quote.text, source_text)))
    for enrichment in result.enrichments:
        text = enrichment.quote.text
        out.append(QuoteGrounding("enrichment", enrichment.target, text, ground(text, source_text)))
    return out


def ground_result(result: ExtractionResult, source_text: str) -> list[GroundingIssue]:
    """The quotes of `result` that are not found in `source_text` (empty: all grounded)."""
    return [
        GroundingIssue(g.kind, g.subject, g.quote, g.grounding.score)
        for g in ground_all(result, source_text)
        if not g.grounding.found
    ]
