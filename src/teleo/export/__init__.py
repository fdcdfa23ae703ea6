"""Export: the claim graph for the front end (graph-data.json), a claim index for
chat prompts (claims-context.json) and contributor profiles (contributors.json).

Entry point: `export_graph(vault, out_dir)` → `ExportSummary`. Format and every
difference from the reference exporter: docs/graph-export.md.
"""

from teleo.export.export import (
    CONTEXT_FILE, CONTRIBUTORS_FILE, GRAPH_FILE, SCHEMA_VERSION, ExportOptions, ExportSummary, FileResult, contributors_document,
    export_graph,
)

__all__ = [
    "CONTEXT_FILE", "CONTRIBUTORS_FILE", "GRAPH_FILE", "SCHEMA_VERSION", "ExportOptions", "ExportSummary", "FileResult",
    "contributors_document", "export_graph",
]
