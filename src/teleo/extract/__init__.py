"""Extraction: from a source note to claims, enrichments and a source update.

The contract (`contract.py`) is what every provider returns; the request
(`request.py`) is what every provider is given.
"""

from teleo.extract.contract import ClaimDraft, EnrichmentDraft, ExtractionResult, Quote, RelatedNote, SourceUpdate
from teleo.extract.request import ExtractionRequest, SimilarClaim

__all__ = [
    "ClaimDraft", "EnrichmentDraft", "ExtractionRequest", "ExtractionResult", "Quote", "RelatedNote",
    "SimilarClaim", "SourceUpdate",
]
