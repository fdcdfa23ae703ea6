"""The contracts between stages, imported by both sides and importing nothing of Teleo: what an
extractor is asked (`ExtractionRequest`) and must answer (`ExtractionResult`), what a reviewer is
asked (`ReviewRequest`) and must answer (`ReviewAnswer`), and what a research session's planner
answers (`research.ResearchPlan`, imported from its module). `extract`, `llm`, `review`, `pipeline`
and `mcp` meet here instead of importing one another for their vocabulary.
"""

from teleo.contract.extraction import (
    ClaimDraft,
    EnrichmentDraft,
    EntityDraft,
    ExtractionResult,
    Quote,
    RelatedNote,
    SourceUpdate,
    TimelineEntry,
)
from teleo.contract.request import ExtractionRequest, KnownEntity, SimilarClaim
from teleo.contract.review import ClaimFinding, ReviewAnswer, ReviewRequest

__all__ = [
    "ClaimDraft",
    "ClaimFinding",
    "EnrichmentDraft",
    "EntityDraft",
    "ExtractionRequest",
    "ExtractionResult",
    "KnownEntity",
    "Quote",
    "RelatedNote",
    "ReviewAnswer",
    "ReviewRequest",
    "SimilarClaim",
    "SourceUpdate",
    "TimelineEntry",
]
