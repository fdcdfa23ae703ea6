"""Unit tests of the web package's pieces: markdown rendering, evidence passages, the graph layout."""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
from web_fixtures import CLAIM_B, CLAIM_C, client, web_vault  # noqa: F401 (fixtures)

from teleo.web.evidence import locate, passages, sections
from teleo.web.graph import LAYOUT_SIZE, layout
from teleo.web.markdown import LinkTarget, note_href, render_markdown


def test_wikilinks_render_with_alias_heading_and_encoding():
    html = render_markdown(
        "See [[a b#Part|the part]], [[gone]] and `[[code]]`.",
        lambda raw: LinkTarget("domains/x/a b.md", "A & B") if raw.startswith("a b") else LinkTarget(None),
    )
    assert '<a class="wikilink" href="/notes/domains/x/a%20b.md" data-path="domains/x/a b.md" title="A &amp; B"' in html
    assert ">the part</a>" in html
    assert '<span class="wikilink broken" title="unresolved">gone</span>' in html
    assert "<code>[[code]]</code>" in html


def test_the_repeated_title_heading_is_dropped_and_headings_demoted():
    html = render_markdown("# My Claim.\n\nText\n\n# Another\n\n## Deeper", title="my claim")
    assert "My Claim" not in html and "<h2>Another</h2>" in html and "<h3>Deeper</h3>" in html
    assert render_markdown("# Kept\n\nx", title="other").startswith("<h2>Kept</h2>")


def test_note_href_keeps_slashes_and_encodes_the_rest():
    assert note_href("domains/a b/c#?%.md") == "/notes/domains/a%20b/c%23%3F%25.md"


def test_evidence_passages_prefer_blockquotes():
    body = "# T\n\n## Evidence\n\nIntro words.\n\n> first quote\n> continues\n\n(from [[s]], line 3)\n\n> second\n\n## Challenges\n\nx\n"
    found = dict(sections(body))
    assert passages(found["Evidence"]) == (["first quote continues", "second"], True)
    assert passages(["Plain words.", "", "*Source: [[s]] | Added: x*", "", "More words."]) == (["Plain words.", "More words."], False)


def test_locate_prose_exactly_or_normalised_only():
    source = "line one\nThe \u201cquoted\u201d — words here.\n"
    assert locate('The "quoted" - words here.', source, fuzzy=False).line == 2
    assert not locate("words that never appear anywhere in it", source, fuzzy=False).found
    assert locate("The \u201cquoted\u201d — words here.", source, fuzzy=True).method == "exact"


def test_layout_is_deterministic_bounded_and_pulls_linked_nodes_together():
    ids = [f"n{i}" for i in range(60)]
    pairs = [(f"n{i}", f"n{i + 1}") for i in range(0, 29)] + [(f"n{i}", f"n{i + 1}") for i in range(30, 59)]
    first, second = layout(ids, pairs), layout(ids, pairs)
    assert np.array_equal(first, second)
    assert np.abs(first).max() <= LAYOUT_SIZE / 2 + 1e-6
    linked = np.mean([np.linalg.norm(first[i] - first[i + 1]) for i in range(29)])
    unlinked = np.mean([np.linalg.norm(first[i] - first[59 - i]) for i in range(20)])
    assert linked < unlinked


def test_layout_warm_start_keeps_the_picture():
    ids = [f"n{i}" for i in range(80)]
    pairs = [(f"n{i}", f"n{(i * 7) % 80}") for i in range(80)]
    base = layout(ids, pairs)
    previous = {node: tuple(base[i]) for i, node in enumerate(ids)}
    moved = layout(ids + ["new"], pairs + [("new", "n3")], previous=previous)
    assert np.median(np.linalg.norm(moved[:-1] - base, axis=1)) < LAYOUT_SIZE / 10
    assert len(layout([], [])) == 0 and layout(["one"], []).tolist() == [[0.0, 0.0]]


def test_search_filters_repeat_like_the_command_line(client):
    data = client.get("/api/search", params=[("q", "storage"), ("mode", "text"), ("confidence", "experimental"),
                                             ("confidence", "speculative")]).json()
    assert {h["path"] for h in data["hits"]} >= {CLAIM_B, CLAIM_C}
    assert data["filters"]["confidence"] == ["experimental", "speculative"]
    html = client.get("/search?q=storage&mode=text&confidence=speculative").text
    assert '<option value="speculative" selected>' in html


def test_unknown_note_is_a_friendly_404(client):
    response = client.get("/notes/" + quote("domains/energy/no such note.md"))
    assert response.status_code == 404 and 'data-page="error"' in response.text and "Traceback" not in response.text
    assert client.get("/api/notes/" + quote("domains/energy/no such note.md")).json()["detail"].startswith("no note")


def test_compact_graph_is_the_same_graph(client):
    full = client.get("/api/graph").json()
    compact = client.get("/api/graph", params={"compact": "true"}).json()
    ids = [n["id"] for n in compact["nodes"]]
    assert ids == [n["id"] for n in full["nodes"]]
    assert [(ids[s], ids[t], "conflict" if c else "wiki-link") for s, t, c in compact["edges"]] == [
        (e["source"], e["target"], e["type"]) for e in full["edges"]
    ]
