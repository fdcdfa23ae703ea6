"""The offline extractor over real corpus sources: valid, grounded, and fast enough."""

from __future__ import annotations

import time

import pytest

from teleo.extract.contract import ExtractionResult
from teleo.extract.grounding import ground
from teleo.extract.offline import extract_offline
from teleo.extract.request import ExtractionRequest
from teleo.ingest.dedupe import content_section
from teleo.vault import Vault

pytestmark = pytest.mark.corpus


def test_archive_sources_give_valid_grounded_results(corpus):
    vault = Vault.open(corpus)
    paths = [p for p in vault.markdown_paths() if p.startswith("inbox/archive/")][::8]  # a spread, ~55 sources
    assert paths
    started = time.perf_counter()
    claims = 0
    for path in paths:
        note = vault.note(path)
        content = content_section(note.doc.body)
        text = content if content and content.strip() else note.doc.body
        result = extract_offline(ExtractionRequest(
            job_id="t", agent="t", domain=str(note.data.get("domain", "")), source_path=path,
            source_title=str(note.data.get("title", "") or ""), source_text=text,
        ))
        assert ExtractionResult.model_validate(result.model_dump()) == result
        assert result.problems() == [], path
        for claim in result.claims:
            claims += 1
            assert ground(claim.evidence[0].text, text).method == "exact", (path, claim.title)
    assert claims > len(paths)
    assert time.perf_counter() - started < 30
