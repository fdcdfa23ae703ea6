"""Ingest: a URL, a file or stdin becomes an unprocessed source note in `inbox/archive/`.

Entry point: `ingest(vault, IngestInput.parse(arg), IngestOptions(...)) -> IngestResult`.
Fetching a URL (`teleo.ingest.fetch`) is Teleo's only network access.
"""

from teleo.ingest.models import IngestError, IngestInput, IngestOptions, IngestResult, IngestUsageError
from teleo.ingest.pipeline import ingest, render

__all__ = ["IngestError", "IngestInput", "IngestOptions", "IngestResult", "IngestUsageError", "ingest", "render"]
