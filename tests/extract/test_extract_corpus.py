"""The offline extractor over real corpus sources: valid, grounded, and bounded in its work."""

from __future__ import annotations

import pytest

import teleo.extract.offline as offline_module
from teleo.contract.extraction import ExtractionResult
from teleo.extract.grounding import ground
from teleo.extract.offline import extract_offline
from teleo.contract.request import ExtractionRequest
from teleo.ingest.dedupe import content_section
from teleo.vault import Vault

pytestmark = pytest.mark.corpus


def test_archive_sources_give_valid_grounded_results(corpus, monkeypatch):
    vault = Vault.open(corpus)
    paths = [p for p in vault.markdown_paths() if p.startswith("inbox/archive/")][::8]  # a spread, ~55 sources
    assert paths
    embedded: list[int] = []
    original_embed = offline_module.embed

    def counting_embed(texts):
        embedded.append(len(texts))
        return original_embed(texts)

    monkeypatch.setattr(offline_module, "embed", counting_embed)
    claims = 0
    for path in paths:
        note = vault.note(path)
        content = content_section(note.doc.body)
        text = content if content and content.strip() else note.doc.body
        request = ExtractionRequest(
            job_id="t", agent="t", domain=str(note.data.get("domain", "")), source_path=path,
            source_title=str(note.data.get("title", "") or ""), source_text=text,
        )
        calls_before = len(embedded)
        result = extract_offline(request)
        # the work is bounded: the source's sentences embedded in one batch (and its title in
        # another), never one call per sentence; no more candidates than asked for
        assert len(embedded) - calls_before <= 2, path
        assert len(result.claims) + len(result.enrichments) <= request.max_claims, path
        assert ExtractionResult.model_validate(result.model_dump()) == result
        assert result.problems() == [], path
        for claim in result.claims:
            claims += 1
            assert ground(claim.evidence[0].text, text).method == "exact", (path, claim.title)
    assert claims > len(paths)
    assert max(embedded) > 1  # sentences are embedded together
