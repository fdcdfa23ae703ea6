"""Search (text, semantic, hybrid), filters, FTS syntax safety, similar()."""

from __future__ import annotations

import pytest
from index_fixtures import vault  # noqa: F401 (fixture)

import teleo.index
from teleo.index import Filters, Index, SearchMode

HEALTH = "domains/health/preventive care saves money only when targeted at high risk groups.md"
ALIGNMENT = "domains/ai-alignment/AI alignment is a coordination problem not a technical problem.md"
FUTARCHY = "core/mechanisms/futarchy solves trustless joint ownership.md"
MARKETS = "domains/internet-finance/prediction markets aggregate dispersed information.md"
ESSAY = "inbox/archive/2026-01-03-hanson-futarchy-essay.md"
REPORT = "inbox/archive/2026-02-01-someone-unread-report.md"
METADAO = "entities/internet-finance/metadao.md"


@pytest.fixture
def index(vault):
    with Index.open(vault) as idx:
        idx.sync()
        yield idx


def paths(hits):
    return [h.path for h in hits]


def test_text_search_ranks_title_matches_first_and_shows_facets(index):
    hits = index.search("futarchy", SearchMode.text)
    assert hits[0].path == FUTARCHY
    assert set(paths(hits)) == {FUTARCHY, ESSAY, METADAO}
    top = hits[0]
    assert (top.kind, top.type, top.domain, top.confidence, top.agent) == ("claim", "analysis", "mechanisms", "experimental", "leo")
    assert top.text_rank == 1 and top.description.startswith("Conditional markets")


def test_text_search_stems_and_snippets(index):
    hits = index.search("screenings", SearchMode.text)  # stemmed: matches "Screening" in the description
    assert paths(hits) == [HEALTH]
    assert "Screening" in hits[0].snippet and "\x02" in hits[0].marked_snippet and "\x02" not in hits[0].snippet
    body_hit = index.search("punished", SearchMode.text)[0]
    assert body_hit.path == ALIGNMENT and "punished" in body_hit.snippet


def test_all_words_rank_above_any_word(index):
    hits = index.search("market price traders", SearchMode.text)
    assert hits[0].path == MARKETS  # the only note with all three words
    assert len(hits) > 1  # notes with some of the words follow


def test_quoted_phrase(index):
    assert paths(index.search('"safety pledge"', SearchMode.text)) == [ALIGNMENT]
    assert index.search('"pledge safety"', SearchMode.text) == []


def test_semantic_search_finds_meaning_without_shared_words(index):
    hits = index.search("labs must cooperate for safe artificial intelligence", SearchMode.semantic)
    assert hits[0].path == ALIGNMENT and hits[0].semantic_rank == 1 and hits[0].text_rank is None
    assert 0 < hits[0].similarity <= 1


def test_hybrid_fuses_both_rankings(index):
    hits = index.search("betting market pools private knowledge", SearchMode.hybrid, k=3)
    assert hits[0].path == MARKETS
    assert hits[0].text_rank is not None and hits[0].semantic_rank is not None
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_maps_are_found_by_text_not_embedded(index):
    assert "domains/health/_map.md" in paths(index.search("preventive care", SearchMode.text))
    assert "domains/health/_map.md" not in paths(index.search("preventive care", SearchMode.semantic, k=50))


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters.of(domain="health"), {HEALTH, REPORT, "domains/health/_map.md"}),
        (Filters.of(domain=["health", "ai-alignment"], type="claim"), {HEALTH, ALIGNMENT}),
        (Filters.of(type="analysis"), {FUTARCHY}),  # a legacy type value
        (Filters.of(type="claim"), {HEALTH, ALIGNMENT, FUTARCHY, MARKETS}),  # its kind
        (Filters.of(type="source", status="unprocessed"), {REPORT}),
        (Filters.of(confidence="Proven"), {MARKETS}),  # case-insensitive
        (Filters.of(agent="rio"), {MARKETS, ESSAY, METADAO}),  # domain owner, entity tracker
        (Filters.of(agent="vida", type="claim"), {HEALTH}),
        (Filters.of(status="active"), {METADAO}),
        (Filters.of(domain="nowhere"), set()),
    ],
)
def test_each_filter_in_each_mode(index, filters, expected):
    query = "the markets care costs labs money information knowledge report hospital futarchy"
    for mode in SearchMode:
        found = set(paths(index.search(query, mode, filters, k=50)))
        allowed = expected - {"domains/health/_map.md"} if mode is SearchMode.semantic else expected
        assert found <= expected, (mode, found - expected)
        if mode is SearchMode.text:
            assert found == allowed, mode


@pytest.mark.parametrize(
    "query",
    ['AI "alignment', "OR AND (", '"', "*", "NEAR(a b)", "-x", "title:foo", "^start", "a:b:c", "'", "(((", "\\", "AND", 'x" OR "y', "¿qué?", "🙂"],
)
def test_query_syntax_never_crashes(index, query):
    for mode in SearchMode:
        index.search(query, mode)


def test_syntax_characters_are_words_not_operators(index):
    assert paths(index.search('AI "alignment', SearchMode.text))[0] == ALIGNMENT
    # `OR` and `AND` are searched as the words they are, `(` is dropped
    assert ALIGNMENT in paths(index.search("OR AND (", SearchMode.text))


def test_empty_and_wordless_queries(index):
    for mode in SearchMode:
        assert index.search("", mode) == [] and index.search("  (( ", mode) == []


def test_similar_ranks_a_paraphrase_first(index):
    hits = index.similar("betting on outcomes pools what many people privately know", k=3)
    assert hits[0].path == MARKETS and hits[0].similarity == hits[0].score
    assert index.similar("targeting screening at the sick few is what saves money", k=1)[0].path == HEALTH
    claims = index.similar("shared ownership without trust", k=10, kinds=["claim"])
    assert claims[0].path == FUTARCHY and {h.kind for h in claims} == {"claim"}


def test_similar_among_kinds_no_note_has_needs_no_model(index, monkeypatch):
    """A vault without claims answers 'similar claims' with nothing, and never loads the model for it
    (an extraction worker of such a vault then starts without the model)."""
    import teleo.index.search as search_module

    def no_model(texts):
        raise AssertionError("embedded a query no note could answer")

    monkeypatch.setattr(search_module, "embed", no_model)
    monkeypatch.setattr(index._ranking, "_embed_pending", no_model)
    assert index.similar("shared ownership without trust", k=5, kinds=["sector"]) == []
    assert index.similar("shared ownership without trust", k=5, filters=Filters(domain=("no-such-domain",))) == []


def test_similar_to_a_note_excludes_itself(index):
    hits = index.similar_to(FUTARCHY, k=3)
    assert FUTARCHY not in paths(hits) and len(hits) == 3


def test_module_level_similar(vault):
    hits = teleo.index.similar(vault, "labs must cooperate for safe AI", k=2)
    assert hits[0].path == ALIGNMENT


def test_semantic_results_follow_edits_in_the_same_index(index, vault):
    index.search("anything", SearchMode.semantic)  # loads the vector matrix
    path = vault.root / METADAO
    path.write_text(path.read_text().replace("Runs futarchy markets on Solana.", "Breeds racing pigeons in Belgium."))
    index.sync()
    assert index.search("pigeon racing birds", SearchMode.semantic, k=1)[0].path == METADAO
    (vault.root / MARKETS).unlink()
    index.sync()
    assert MARKETS not in paths(index.similar("betting on outcomes pools private knowledge", k=10))


def test_a_new_note_embedded_as_it_is_parsed_is_found_in_the_same_index(index, vault):
    """A new file's vector made where it was parsed (the model loaded) patches the vector matrix."""
    index.search("anything", SearchMode.semantic)  # loads the model and the vector matrix
    new = "domains/health/racing pigeons find home by the earth's magnetic field.md"
    (vault.root / new).write_text("---\ntype: claim\ndomain: health\n---\n\nHoming pigeons navigate by magnetism.\n")
    stats = index.sync()
    assert stats.added == 1 and stats.embedded == 1 and stats.pending_embeddings == 0
    assert index.search("pigeons navigating with magnetism", SearchMode.semantic, k=1)[0].path == new


def test_large_vault_caps_keep_results_sensible(index, monkeypatch):
    """With the caps for big vaults forced down, every path of the ranking code still answers."""
    import teleo.index.search as search_module

    for name in ("RANK_CAP", "HYBRID_HEAD_CAP", "BODY_RANK_CAP"):
        monkeypatch.setattr(search_module, name, 1)
    assert index.search("traders price", SearchMode.text)[0].path == MARKETS  # bodies listed unranked
    assert MARKETS in paths(index.search("betting market pools private knowledge", SearchMode.hybrid))
    assert paths(index.search("screening", SearchMode.text, Filters.of(domain="health"))) == [HEALTH]


def test_broad_filters_are_checked_after_ranking(index, monkeypatch):
    import teleo.index.search as search_module

    monkeypatch.setattr(search_module, "BROAD_FILTER_MIN_NOTES", 0)
    monkeypatch.setattr(search_module, "BROAD_FILTER_SHARE", 0.1)
    assert paths(index.search("screening", SearchMode.text, Filters.of(domain="health"))) == [HEALTH]
    assert set(paths(index.search("market", SearchMode.text, Filters.of(type="claim"), k=50))) <= {
        HEALTH, ALIGNMENT, FUTARCHY, MARKETS,
    }
    assert index.search("screening", SearchMode.text, Filters.of(domain="ai-alignment")) == []
