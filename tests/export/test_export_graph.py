"""Graph export: node selection, edges, determinism, the claims-context budget, the CLI."""

from __future__ import annotations

import json

import pytest
from export_helpers import claim
from typer.testing import CliRunner

from teleo.cli.app import app
from teleo.export import ExportOptions, export_graph
from teleo.export.context import build_context
from teleo.export.graph import GraphNode, derived_color

HEALTH = "domains/health"
FIN = "domains/internet-finance"


def _load(out, name="graph-data.json"):
    return json.loads((out / name).read_text(encoding="utf-8"))


@pytest.fixture
def small(make_vault):
    return make_vault({
        f"{HEALTH}/a claim about health.md": claim(
            "health",
            "Links [[b claim about markets]] twice [[b claim about markets]], itself [[a claim about health]],\n"
            "an entity [[kestrel]], a missing [[nowhere]], a normalised [[C-Framework-Note]].\n\n"
            "```\n[[a claim in a code block]]\n```\n",
            confidence="likely", created="2026-01-02", description="'A description that says more.'",
        ),
        f"{FIN}/b claim about markets.md": claim(
            "internet-finance", "Back to [[a claim about health]].\n\n## Counter-evidence\n\nSome.",
            challenged_by='["[[a claim about health]] shows otherwise"]',
        ),
        f"{FIN}/c framework note.md": "---\ntype: framework\ndomain: internet-finance\n---\n\nA framework.\n",
        f"{FIN}/d topic map.md": "---\ntype: topic-map\n---\n\n[[a claim about health]]\n",
        f"{FIN}/_map.md": "[[a claim about health]]\n",
        f"{FIN}/e no frontmatter.md": "# A claim that lost its header\n\nSee [[b claim about markets]].\n",
        f"{HEALTH}/a claim in a code block.md": claim("health"),
        "core/epistemology.md": "# Epistemology\n\n[[a claim about health]]\n",
        "convictions/a conviction.md": "---\ntype: conviction\ndomain: internet-finance\nconfidence: strong\n---\n\n[[b claim about markets]]\n",
        "entities/internet-finance/kestrel.md": "---\ntype: entity\n---\nx\n",
        "inbox/archive/2026-01-01-x-source.md": "---\ntype: source\n---\n[[a claim about health]]\n",
    })


def test_node_selection(small, tmp_path):
    export_graph(small, tmp_path / "out")
    nodes = {n["id"]: n for n in _load(tmp_path / "out")["nodes"]}
    assert sorted(nodes) == [
        "convictions/a conviction.md",
        f"{HEALTH}/a claim about health.md",
        f"{HEALTH}/a claim in a code block.md",
        f"{FIN}/b claim about markets.md",
        f"{FIN}/c framework note.md",
        f"{FIN}/e no frontmatter.md",
    ]
    assert list(nodes) == sorted(nodes)  # path order
    a = nodes[f"{HEALTH}/a claim about health.md"]
    assert a == {
        "id": f"{HEALTH}/a claim about health.md", "title": "a claim about health", "domain": "health",
        "agent": "vida", "created": "2026-01-02", "confidence": "likely", "challenged": False,
    }
    bare = nodes[f"{FIN}/e no frontmatter.md"]
    assert (bare["domain"], bare["confidence"], bare["agent"], bare["created"]) == ("internet-finance", "unrated", "rio", "")
    assert nodes["convictions/a conviction.md"]["confidence"] == "strong"


def test_reference_types_drop_legacy_claims(small, tmp_path):
    summary = export_graph(small, tmp_path / "out", ExportOptions(legacy_types=False))
    ids = {n["id"] for n in _load(tmp_path / "out")["nodes"]}
    assert f"{FIN}/c framework note.md" not in ids
    assert summary.nodes == 5


def test_edges(small, tmp_path):
    summary = export_graph(small, tmp_path / "out")
    data = _load(tmp_path / "out")
    edges = {(e["source"].split("/")[-1], e["target"].split("/")[-1], e["type"]): e["cross_domain"] for e in data["edges"]}
    assert edges == {
        ("a claim about health.md", "b claim about markets.md", "wiki-link"): True,
        ("a claim about health.md", "c framework note.md", "wiki-link"): True,  # normalised title
        ("b claim about markets.md", "a claim about health.md", "wiki-link"): True,
        ("b claim about markets.md", "a claim about health.md", "conflict"): True,
        ("a conviction.md", "b claim about markets.md", "wiki-link"): False,
        ("e no frontmatter.md", "b claim about markets.md", "wiki-link"): False,
    }
    assert summary.edges == {"conflict": 1, "wiki-link": 5}
    assert summary.cross_domain == 4
    assert summary.isolated == 1  # the claim only linked from a code block
    b = next(n for n in data["nodes"] if n["title"] == "b claim about markets")
    assert b["challenged"] is True
    assert b["challenges"] == ["a claim about health shows otherwise"]


def test_domain_colors_cover_every_domain(small, tmp_path):
    export_graph(small, tmp_path / "out")
    colors = _load(tmp_path / "out")["domain_colors"]
    assert colors["internet-finance"] == "#4A90D9"
    assert len(colors) == 14
    assert derived_color("new-domain") == derived_color("new-domain")
    assert derived_color("new-domain").startswith("#") and len(derived_color("new-domain")) == 7


def test_byte_identical_rerun(small, tmp_path):
    first = export_graph(small, tmp_path / "one")
    assert all(f.written for f in first.files)
    again = export_graph(small, tmp_path / "one")
    assert not any(f.written for f in again.files)
    export_graph(small, tmp_path / "two")
    for name in ("graph-data.json", "claims-context.json", "contributors.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_generated_is_pinned_or_derived(small, tmp_path):
    export_graph(small, tmp_path / "out")
    context = _load(tmp_path / "out", "claims-context.json")
    assert context["generated"] == "2026-01-02T00:00:00Z"  # no git: newest created date
    export_graph(small, tmp_path / "out", ExportOptions(generated="2026-03-14T00:00:00Z"))
    assert _load(tmp_path / "out", "claims-context.json")["generated"] == "2026-03-14T00:00:00Z"


def _nodes(count: int, description_chars: int) -> list[GraphNode]:
    return [
        GraphNode(
            id=f"domains/health/claim number {i:03d}.md", title=f"claim number {i:03d} about something", domain="health",
            created="", confidence=("likely", "speculative", "unrated")[i % 3], challenged=False, challenges=[],
            description="é" + "word " * (description_chars // 5), agent="vida",
        )
        for i in range(count)
    ]


def test_context_fits_without_truncation():
    document, text = build_context(_nodes(3, 50), [], "2026-01-01T00:00:00Z", budget=100_000)
    assert document["truncation"]["description_cap"] is None
    assert document["claimCount"] == 3
    assert json.loads(text) == document


@pytest.mark.parametrize("budget", [20_000, 12_000, 7_000, 4_000, 2_500, 1_000, 600])
def test_context_budget_holds(budget):
    nodes = _nodes(60, 400)
    document, text = build_context(nodes, [], "2026-01-01T00:00:00Z", budget=budget)
    assert len(text) <= budget
    assert json.loads(text) == document
    truncation = document["truncation"]
    assert truncation["claims_total"] == 60
    assert document["claimCount"] == len(document["claims"]) == 60 - truncation["claims_dropped"]
    assert truncation["description_cap"] is not None
    if truncation["claims_dropped"]:
        assert truncation["descriptions_dropped"]
        # the better-rated claims are kept
        kept = {c["confidence"] for c in document["claims"]}
        assert "likely" in kept or not document["claims"]


@pytest.mark.parametrize("budget", [15_000, 9_000, 3_000])
def test_context_budget_is_tight(budget):
    """The chosen step is the first that fits: one character less forces a harder cut."""
    nodes = _nodes(40, 300)
    document, text = build_context(nodes, [], None, budget=budget)
    same, _ = build_context(nodes, [], None, budget=len(text))
    assert same["claims"] == document["claims"]  # the text differs only in the recorded budget
    tighter, tighter_text = build_context(nodes, [], None, budget=len(text) - 1)
    assert len(tighter_text) < len(text)
    assert tighter["truncation"] != document["truncation"] or tighter["claimCount"] < document["claimCount"]


def test_context_budget_on_a_vault(make_vault, tmp_path):
    files = {
        f"{HEALTH}/claim {i:02d} with a reasonably long title about health outcomes.md":
            claim("health", description='"' + "long description " * 30 + '"')
        for i in range(40)
    }
    vault = make_vault(files)
    summary = export_graph(vault, tmp_path / "out", ExportOptions(context_budget=8_000))
    text = (tmp_path / "out" / "claims-context.json").read_text(encoding="utf-8")
    assert len(text) <= 8_000
    assert summary.context["chars"] == len(text)
    assert summary.context["description_cap"] is not None


def test_cli_json_summary(small, tmp_path):
    result = CliRunner().invoke(app, ["graph", str(small.root), "--out", str(tmp_path / "cli"), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["nodes"] == 6 and summary["edges_total"] == 6
    assert (tmp_path / "cli" / "graph-data.json").is_file()
    text = CliRunner().invoke(app, ["graph", str(small.root), "--out", str(tmp_path / "cli")])
    assert text.exit_code == 0 and "unchanged" in text.output


def test_encoded_edges_match_the_encoder():
    from teleo.export.export import _RECORD, encode_edges
    from teleo.export.graph import GraphEdge

    edges = [GraphEdge('domains/a/"quoted" é.md', "domains/b/x\\y.md", "conflict", True),
             GraphEdge("a.md", "b.md", "wiki-link", False)]
    assert encode_edges(edges) == [_RECORD.encode(e.as_json()) for e in edges]


def test_parallel_parse_gives_the_same_nodes(small):
    from teleo.export.graph import candidate_paths, read_nodes

    paths = candidate_paths(small)
    serial = read_nodes(small, paths, workers=1)
    calls = []
    parallel = read_nodes(small, paths, workers=2, chunk=2, while_waiting=lambda: calls.append(1))
    assert [n.as_json() for n in parallel] == [n.as_json() for n in serial]
    assert [(n.body_links, n.conflict_links) for n in parallel] == [(n.body_links, n.conflict_links) for n in serial]
    assert calls == [1]


def test_any_vault_layout(make_vault, tmp_path):
    vault = make_vault(
        {
            "notes/science/a physics claim.md": "---\ntype: claim\n---\n[[a biology claim]]\n",
            "notes/biology/a biology claim.md": "---\ntype: claim\n---\nx\n",
            "domains/health/not scanned here.md": claim("health"),
        },
        config="""
        [agents.ada]
        [agents.bo]
        [domains.science]
        folder = "notes/science"
        agent = "ada"
        [domains.biology]
        folder = "notes/biology/"
        agent = "bo"
        """,
    )
    summary = export_graph(vault, tmp_path / "out")
    data = _load(tmp_path / "out")
    assert [(n["title"], n["domain"], n["agent"]) for n in data["nodes"]] == [
        ("a biology claim", "biology", "bo"), ("a physics claim", "science", "ada"),
    ]
    assert summary.cross_domain == 1
    assert set(data["domain_colors"]) == {"science", "biology"}


def test_no_configured_domains_scans_the_reference_folders(make_vault, tmp_path):
    vault = make_vault(
        {"core/x/a claim.md": "---\ntype: claim\n---\n", "notes/b claim.md": "---\ntype: claim\n---\n"},
        config="[vault]\nname = \"bare\"\n[domains]\n",  # an explicitly empty domain table
    )
    summary = export_graph(vault, tmp_path / "out")
    nodes = _load(tmp_path / "out")["nodes"]
    assert [(n["id"], n["domain"], n["agent"]) for n in nodes] == [("core/x/a claim.md", "x", "collective")]
    assert summary.nodes == 1


def test_empty_vault(make_vault, tmp_path):
    vault = make_vault({"README.md": "# nothing\n"})
    summary = export_graph(vault, tmp_path / "out")
    assert summary.nodes == 0 and summary.edges_total == 0
    context = _load(tmp_path / "out", "claims-context.json")
    assert context["claims"] == [] and context["generated"] is None
