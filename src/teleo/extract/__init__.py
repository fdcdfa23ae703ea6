"""Extraction: from a source note to claims, enrichments and a source update.

The contract every provider returns and the request every provider is given live in the leaf
`teleo.contract` (imported by `llm` too) and are re-exported here. Running an extraction job —
the provider, the writer, the lint gate, the commit — is `teleo.pipeline.job`, above both.
"""

from teleo.contract.extraction import ClaimDraft, EnrichmentDraft, ExtractionResult, Quote, RelatedNote, SourceUpdate
from teleo.contract.request import ExtractionRequest, SimilarClaim

__all__ = [
    "ClaimDraft", "EnrichmentDraft", "ExtractionRequest", "ExtractionResult", "Quote", "RelatedNote",
    "SimilarClaim", "SourceUpdate",
]
