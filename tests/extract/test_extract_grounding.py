"""Grounding: quotes re-found in the source exactly, normalised, fuzzily — or reported."""

from __future__ import annotations

import teleo.gates.grounding as matcher_module
from teleo.contract.extraction import ClaimDraft, EnrichmentDraft, ExtractionResult, Quote
from teleo.extract.grounding import ground, ground_all, ground_result
from teleo.gates.grounding import WINDOW_CHARS

SOURCE = (
    "# Notes\n\n"
    "Futarchy lets markets decide.\n"
    "The \u201cmarket\u201d   **always** knows \u2014 or so its fans say.\n"
    "Prediction markets aggregate dispersed information better than polls do.\n"
)


def test_exact_match_reports_span_and_line():
    quote = "Prediction markets aggregate dispersed information"
    found = ground(quote, SOURCE)
    assert found.found and found.method == "exact" and found.score == 100
    assert SOURCE[found.start:found.end] == quote
    assert found.line == 5


def test_normalised_match_handles_curly_quotes_whitespace_emphasis_and_case():
    quote = 'the "market" always knows - or so its fans say'
    found = ground(quote, SOURCE)
    assert found.found and found.method == "normalised"
    assert found.line == 4
    matched = found.matched(SOURCE)
    assert matched.startswith("The \u201cmarket\u201d") and matched.endswith("fans say")


def test_fuzzy_match_tolerates_a_small_typo():
    quote = "Prediction markets agregate dispersed informaton better than polls"
    found = ground(quote, SOURCE)
    assert found.found and found.method == "fuzzy"
    assert found.score >= 90
    assert "aggregate dispersed information" in found.matched(SOURCE)
    assert found.line == 5


def test_not_found():
    found = ground("Central banks should adopt nominal GDP targeting immediately", SOURCE)
    assert not found.found and found.method is None and found.start is None
    assert not ground("", SOURCE).found
    assert not ground("   ", SOURCE).found


def test_short_quotes_are_not_fuzzy_matched():
    assert not ground("markets decidd", SOURCE).found


def test_fuzzy_search_of_a_large_source_stays_linear(monkeypatch):
    """A 110 kB source is compared in bounded windows, each about once: the work grows with
    the source's length, not with its square (no whole-source or per-offset comparison)."""
    filler = "Some unrelated sentence about weather and farming in the valley number {}. "
    big = "".join(filler.format(i) for i in range(1500))  # ~110 kB
    target = "Liquidity providers earn fees proportional to the depth they supply in the pool."
    text = big[:60_000] + target + big[60_000:]
    windows: list[int] = []
    real = matcher_module.fuzz

    class CountingFuzz:
        @staticmethod
        def partial_ratio_alignment(quote, window, **kwargs):
            windows.append(len(window))
            return real.partial_ratio_alignment(quote, window, **kwargs)

    monkeypatch.setattr(matcher_module, "fuzz", CountingFuzz)
    typo = "Liquidity providers earn fes proportional to the depth they suply in the pool"
    found = ground(typo, text)
    assert found.found and found.method == "fuzzy"
    assert text[found.start:found.end].startswith("Liquidity providers")
    missing = ground("Quantum entanglement of governance tokens is measured in bits per block", text)
    assert not missing.found
    per_search = 2 * len(text) // WINDOW_CHARS + 2  # windows overlap by at most half
    assert 0 < len(windows) <= 2 * per_search
    assert max(windows) <= WINDOW_CHARS + len(typo)


def test_ground_result_reports_every_ungrounded_quote():
    result = ExtractionResult(
        claims=[
            ClaimDraft(
                title="prediction markets beat polls at aggregating information",
                description="A grounded claim and an invented quote, for the test.",
                evidence=[Quote(text="aggregate dispersed information better than polls"),
                          Quote(text="this sentence is nowhere in the source text at all")],
            )
        ],
        enrichments=[
            EnrichmentDraft(target="futarchy works", type="confirm", evidence="A paragraph of new evidence.",
                            quote=Quote(text="Futarchy lets markets decide.")),
            EnrichmentDraft(target="polls are fine", type="challenge", evidence="Another paragraph of evidence.",
                            quote=Quote(text="Polls were never part of the argument here")),
        ],
    )
    issues = ground_result(result, SOURCE)
    assert [(i.kind, i.subject) for i in issues] == [
        ("claim", "prediction markets beat polls at aggregating information"),
        ("enrichment", "polls are fine"),
    ]
    assert "not found" in issues[0].message
    assert [g.grounding.method for g in ground_all(result, SOURCE)] == ["exact", None, "exact", None]
