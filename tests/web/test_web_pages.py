"""Pages and their JSON twins: the URL/DOM contract the browser tests and scripts rely on."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.testclient import TestClient
from web_fixtures import CLAIM_A, CLAIM_B, CLAIM_C, SOURCE, SPACED, build_vault, client, web_vault  # noqa: F401 (fixtures)

from teleo.web import create_app

PAGES = {
    "/": "home",
    "/domains/energy": "domain",
    "/notes/" + quote(CLAIM_A): "claim",
    "/notes/" + quote(SOURCE): "source",
    "/notes/" + quote(SPACED): "note",
    "/agents/mira": "agent",
    "/search?q=peakers": "search",
    "/graph": "graph",
    "/proposals": "proposals",
    "/proposals/extract/2026-01-10-okoye-grid-storage-survey": "proposal",
}


def test_every_page_has_main_h1_and_nav(client):
    for url, kind in PAGES.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.text
        assert f'<main id="main" data-page="{kind}">' in html, url
        assert re.search(r"<h1[^>]*>.+?</h1>", html, re.S), url
        for target in ('href="/"', 'href="/search"', 'href="/graph"', 'href="/proposals"'):
            assert target in html, (url, target)
        assert "Content-Security-Policy" in response.headers


def test_home_lists_domains_merges_and_proposals(client):
    html = client.get("/").text
    assert 'href="/domains/energy"' in html and 'href="/domains/markets"' in html
    assert "Merge branch &#39;mira/auctions&#39;" in html or "Merge branch 'mira/auctions'" in html
    assert "/proposals/extract/2026-01-10-okoye-grid-storage-survey" in html
    data = client.get("/api/home").json()
    energy = next(d for d in data["domains"] if d["name"] == "energy")
    assert energy["claims"] == 2 and energy["agent"] == "mira"
    assert data["merges"][0]["merge"] is True


def test_claim_page_links_badge_evidence_history(client):
    html = client.get("/notes/" + quote(CLAIM_A)).text
    assert '<span class="badge conf-likely">likely</span>' in html
    assert f'<a class="wikilink" href="/notes/{quote(CLAIM_B)}"' in html
    assert ">the peaker economics</a>" in html
    assert '<span class="wikilink broken" title="unresolved">a claim that does not exist anywhere</span>' in html
    assert "<code>[[not a link]]</code>" in html
    data = client.get("/api/notes/" + quote(CLAIM_A)).json()
    assert data["page"] == "claim"
    assert [l["path"] for l in data["depends_on"]] == [CLAIM_B]
    assert {b["source"] for b in data["backlinks"]} >= {CLAIM_B, SOURCE, SPACED}
    assert data["sources"][0]["path"] == SOURCE and data["sources"][0]["how"] == "extracted"
    grounded = [e["grounding"] for e in data["evidence"]]
    assert grounded[0]["found"] is True and grounded[0]["line"] == 20 and grounded[0]["method"] == "exact"
    assert grounded[1]["found"] is False
    assert "found at line 20" in html and "not found in the source" in html
    assert data["history"] and data["history"][0]["subject"] == "initial"


def test_claim_history_names_the_agent_from_the_trailer(client):
    data = client.get("/api/notes/" + quote(CLAIM_C)).json()
    assert data["history"][0]["agent"] == "mira" and data["history"][0]["agent_id"] == "M-1"


def test_challenged_by_and_hover_preview(client):
    data = client.get("/api/notes/" + quote(CLAIM_B)).json()
    assert [l["path"] for l in data["challenged_by"]] == [CLAIM_C]
    html = client.get("/notes/" + quote(CLAIM_B)).text
    assert 'title="Midday solar stored in batteries is sold into the evening peak, so gas peakers run less."' in html
    preview = client.get("/api/preview", params={"path": CLAIM_A}).json()
    assert preview["confidence"] == "likely" and preview["href"] == "/notes/" + quote(CLAIM_A)


def test_source_page_status_claims_and_enrichments(client):
    data = client.get("/api/notes/" + quote(SOURCE)).json()
    assert data["page"] == "source" and data["status"] == "processed"
    assert [l["path"] for l in data["claims_extracted"]] == [CLAIM_A]
    assert [l["path"] for l in data["enrichments"]] == [CLAIM_B]
    html = client.get("/notes/" + quote(SOURCE)).text
    assert 'id="claims-extracted"' in html and f'href="/notes/{quote(CLAIM_A)}"' in html


def test_domain_page_groups_by_confidence_and_renders_the_map(client):
    data = client.get("/api/domains/energy").json()
    assert [g["confidence"] for g in data["groups"]] == ["likely", "experimental"]
    assert data["map"]["path"] == SPACED and "wikilink" in data["map_html"]
    assert client.get("/domains/nowhere").status_code == 404
    assert client.get("/api/domains").json()[0]["name"] == "energy"


def test_agent_page_sections(client):
    html = client.get("/agents/mira").text
    for section in ("identity", "beliefs", "positions", "contributions"):
        assert f'id="{section}"' in html
    data = client.get("/api/agents/mira").json()
    assert "understand how storage changes power markets" in data["identity_html"]
    assert data["beliefs"][0]["grounding"][0]["path"] == CLAIM_A
    assert data["positions"][0]["title"].startswith("no new gas peakers")
    assert {c["path"] for c in data["claims"]} >= {CLAIM_A, CLAIM_B}
    assert any(c["agent"] == "mira" for c in data["commits"])
    assert client.get("/agents/nobody").status_code == 404


def test_search_page_form_filters_and_results(client):
    html = client.get("/search", params={"q": "peakers", "mode": "text", "domain": "energy"}).text
    assert '<form id="search-form"' in html and 'name="q"' in html
    for name in ("mode", "domain", "type", "confidence", "agent", "status"):
        assert f'<select name="{name}"' in html
    assert '<ol id="results">' in html and '<li class="result">' in html
    assert f'<a class="result-title" href="/notes/{quote(CLAIM_B)}">' in html
    data = client.get("/api/search", params={"q": "peakers", "mode": "text", "domain": "markets"}).json()
    assert data["hits"] and all(h["domain"] == "markets" for h in data["hits"])
    data = client.get("/api/search", params={"q": "peakers", "mode": "text", "confidence": "experimental"}).json()
    assert [h["path"] for h in data["hits"]] == [CLAIM_B]


def test_graph_page_and_data(client):
    html = client.get("/graph").text
    data = client.get("/api/graph").json()
    assert f'data-nodes="{len(data["nodes"])}" data-edges="{len(data["edges"])}"' in html
    assert '<canvas id="graph-canvas"' in html and 'class="domain-filter" value="energy"' in html
    ids = {n["id"] for n in data["nodes"]}
    assert {CLAIM_A, CLAIM_B, CLAIM_C} <= ids
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in data["nodes"])
    assert {"source": CLAIM_B, "target": CLAIM_C, "type": "conflict", "cross_domain": True} in data["edges"]
    assert data["domain_colors"]["energy"].startswith("#")
    assert client.get("/api/graph").json() == data  # deterministic layout


def test_proposal_page_diff_and_verdicts(client):
    listing = client.get("/api/proposals").json()
    assert [p["branch"] for p in listing["proposals"]] == ["extract/2026-01-10-okoye-grid-storage-survey"]
    data = client.get("/api/proposals/extract/2026-01-10-okoye-grid-storage-survey").json()
    assert "+# proposed claim about storage" in data["diff"]
    assert data["verdicts"][0]["reviewer"] == "leo" and data["verdicts"][0]["verdict"] == "request_changes"
    html = client.get("/proposals/extract/2026-01-10-okoye-grid-storage-survey").text
    assert "<script>alert" not in html and "request changes" in html
    assert client.get("/proposals/extract/nothing-here").status_code == 404


def test_docs_page_is_our_own_and_openapi_is_served(client):
    html = client.get("/docs").text
    assert "/api/notes/{path}" in html and "/api/search" in html
    assert "<script src=\"http" not in html and "cdn" not in html.lower()
    spec = client.get("/openapi.json").json()
    assert "/api/graph" in spec["paths"]
    assert client.get("/healthz").json()["ok"] is True


def test_static_assets_are_local(client):
    for url in PAGES:
        html = client.get(url).text
        for ref in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html):
            assert ref.startswith("/"), (url, ref)
            assert client.get(ref).status_code == 200


def test_agent_page_lists_open_flags_highest_priority_first(tmp_path):
    root = build_vault(tmp_path / "v")
    target = "agents/mira/positions/no new gas peakers will be financed in sunny grids after 2030.md"
    flags = root / "agents/mira/flags"
    flags.mkdir(parents=True)
    for name, priority, status in (("2026-03-10-low-one", "low", "open"), ("2026-03-11-high-one", "high", "open"),
                                   ("2026-03-09-closed-one", "normal", "resolved")):
        (flags / f"{name}.md").write_text(
            f"---\ntype: flag\nid: {name}\nagent: mira\npriority: {priority}\nstatus: {status}\ntarget: {target}\n"
            f"target_kind: position\nchanged:\n- path: {CLAIM_A}\n  change: challenge\n  chain:\n  - {CLAIM_A}\n  - {target}\n"
            f"why: 'merge <script>alert(1)</script>'\nwhen: 2026-03-10\ncommit: abc123\ncreated: 2026-03-10\n---\n\n# Flag {name}\n",
            encoding="utf-8",
        )
    with TestClient(create_app(root, watch=False)) as c:
        data = c.get("/api/agents/mira").json()
        assert [f["id"] for f in data["flags"]] == ["2026-03-11-high-one", "2026-03-10-low-one"]
        assert data["flags"][0]["target"]["path"] == target and data["flags"][0]["change"].startswith("challenge: ")
        html = c.get("/agents/mira").text
        section = html.split('id="flags"', 1)[1].split("</section>", 1)[0]
        assert "priority-high" in section and "2026-03-09-closed-one" not in section and "<script>" not in html
        assert "teleo flags resolve 2026-03-11-high-one" in section
