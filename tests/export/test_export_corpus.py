"""The teleo-codex snapshot: counts beside the reference exporter's (docs/graph-export.md).

Reference, archive copy without history: 481 nodes, 1,893 edges (1,892 wiki-link,
1 conflict), 816 cross-domain, 0 events, 27 challenged.
"""

from __future__ import annotations

import json

import pytest

from teleo.export import ExportOptions, export_graph
from teleo.vault import Vault

pytestmark = pytest.mark.corpus

REFERENCE_NODES, REFERENCE_EDGES, REFERENCE_CHALLENGED = 481, 1893, 27
CORE_PROSE_DOCS = 2       # core/epistemology.md, core/collective-agent-core.md: not in a domain folder
LEGACY_CLAIMS = 19        # framework 13, insight 3, tension 2, pattern 1
LEGACY_EDGES = 181        # edges from or to those 19 notes
NEWLY_RESOLVED = 26       # `title.md`, punctuation/hyphen forms the reference's resolver missed
IN_CODE = 2               # links inside code the reference counted


def test_corpus_reference_types(corpus, tmp_path):
    summary = export_graph(Vault.open(corpus), tmp_path, ExportOptions(legacy_types=False))
    assert summary.nodes == REFERENCE_NODES - CORE_PROSE_DOCS
    assert summary.edges_total == REFERENCE_EDGES + NEWLY_RESOLVED - IN_CODE
    assert summary.edges["conflict"] == 1
    assert summary.challenged == REFERENCE_CHALLENGED
    assert summary.events == 0 and not summary.history


def test_corpus_default(corpus, tmp_path):
    summary = export_graph(Vault.open(corpus), tmp_path)
    assert summary.nodes == REFERENCE_NODES - CORE_PROSE_DOCS + LEGACY_CLAIMS
    assert summary.edges_total == REFERENCE_EDGES + NEWLY_RESOLVED - IN_CODE + LEGACY_EDGES
    assert abs(summary.cross_domain - 816) <= 20
    assert summary.challenged == REFERENCE_CHALLENGED
    assert summary.confidence["unrated"] == 8
    assert set(summary.agents) <= {"leo", "rio", "clay", "theseus", "vida", "astra"}
    text = (tmp_path / "claims-context.json").read_text(encoding="utf-8")
    assert len(text) <= 100_000
    assert json.loads(text)["truncation"]["claims_total"] == summary.nodes


def test_corpus_export_reads_each_candidate_note_once(corpus, tmp_path, monkeypatch):
    """The export parses each candidate note once itself and reads no note through the vault."""
    import teleo.export.graph as graph_module
    import teleo.vault.vault as vault_module
    from teleo.export.graph import candidate_paths

    reads: dict[str, int] = {}

    def counting(original):
        def read(root, relative, *args, **kwargs):
            reads[relative] = reads.get(relative, 0) + 1
            return original(root, relative, *args, **kwargs)
        return read

    monkeypatch.setattr(graph_module, "read_note", counting(graph_module.read_note))
    monkeypatch.setattr(vault_module, "read_note", counting(vault_module.read_note))
    vault = Vault.open(corpus)
    summary = export_graph(vault, tmp_path, ExportOptions(workers=1))  # in this process, where the count is
    assert reads and set(reads.values()) == {1}
    assert set(reads) == set(candidate_paths(Vault.open(corpus)))
    assert summary.nodes <= len(reads)
