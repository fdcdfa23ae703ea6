"""A parked source (`status: entity-data`, `teleo sources park`) is kept out of extraction: the
selection never takes it, named or not, and a forced job refuses it."""

from __future__ import annotations

from pipeline_helpers import FakeFactory, FakeProvider, branches, make_sources_vault, source_path, source_text

from teleo.pipeline import PipelineSettings, extract_all
from teleo.pipeline.job import extract_source
from teleo.pipeline.jobs import find_sources


def parked_text(i: int, status: str = "entity-data") -> str:
    return source_text(i).replace("status: unprocessed", f"status: {status}").replace("format: report", "format: data")


def test_the_selection_skips_parked_sources_named_or_not(tmp_path):
    vault = make_sources_vault(tmp_path / "v", 2, extra={source_path(7): parked_text(7)})
    assert [c.source for c in find_sources(vault)] == [source_path(0), source_path(1)]
    assert find_sources(vault, [source_path(7)]) == []
    report = extract_all(vault, provider_factory=FakeFactory(), settings=PipelineSettings(workers=1))
    assert sorted(j.source for j in report.jobs) == [source_path(0), source_path(1)]
    assert "extract/2026-01-04-report-007" not in branches(vault.root)


def test_a_forced_job_refuses_a_parked_source_and_names_the_way_back(tmp_path):
    vault = make_sources_vault(tmp_path / "v", 0, extra={source_path(7): parked_text(7), source_path(9): parked_text(9, "processed")})
    outcome = extract_source(vault, source_path(7), provider=FakeProvider(), force=True, journal=False)
    assert outcome.status == "skipped"
    assert "parked" in outcome.error and "teleo sources unpark" in outcome.error
    assert branches(vault.root) == ["main"]
    forced = extract_source(vault, source_path(9), provider=FakeProvider(), force=True, journal=False)
    assert forced.status in ("proposed", "null"), forced.error  # force still works for other statuses
