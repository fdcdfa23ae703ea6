"""Graph export with real git history: agents, merge events, contributors."""

from __future__ import annotations

import json

from export_helpers import claim, commit, git, init, merge

from teleo.export import export_graph
from teleo.export.history import mentioned_agent, merged_branch
from teleo.vault import Vault

FIN = "domains/internet-finance"
ENT = "domains/entertainment"
KNOWN = frozenset({"leo", "rio", "clay", "theseus", "vida", "astra"})


def _graph(out):
    return json.loads((out / "graph-data.json").read_text(encoding="utf-8"))


def _by_title(data):
    return {n["title"]: n for n in data["nodes"]}


def test_agent_is_the_first_adder(tmp_path):
    root = tmp_path / "v"
    init(root)
    commit(root, {f"{FIN}/x claim.md": claim("internet-finance")}, "rio: add x\n\nPentagon-Agent: Rio <UUID-1>",
           date="2026-03-01T10:00:00+00:00")
    commit(root, {f"{FIN}/x claim.md": claim("internet-finance", "Edited by leo.")}, "leo: tidy x",
           date="2026-03-02T10:00:00+00:00")
    # an add whose message names no agent: the domain's owner
    commit(root, {f"{ENT}/y claim.md": claim("entertainment")}, "Auto: y.md | 1 file changed",
           date="2026-03-03T10:00:00+00:00")
    # the trailer wins over a subject prefix naming nobody
    commit(root, {"core/grand-strategy/z claim.md": claim("grand-strategy")},
           "extract: z\n\nPentagon-Agent: Theseus <HEADLESS>", date="2026-03-04T10:00:00+00:00")
    # an add on a branch that is never merged credits nobody
    git(root, "checkout", "-q", "-b", "clay/unmerged")
    commit(root, {f"{FIN}/w claim.md": claim("internet-finance")}, "clay: add w", date="2026-03-05T10:00:00+00:00")
    git(root, "checkout", "-q", "main")
    summary = export_graph(Vault.open(root), tmp_path / "out")
    nodes = _by_title(_graph(tmp_path / "out"))
    assert nodes["x claim"]["agent"] == "rio"
    assert nodes["y claim"]["agent"] == "clay"
    assert nodes["z claim"]["agent"] == "theseus"
    assert "w claim" not in nodes
    assert summary.history and summary.commits == 4
    context = json.loads((tmp_path / "out" / "claims-context.json").read_text(encoding="utf-8"))
    assert context["generated"] == "2026-03-04T10:00:00Z"  # HEAD's date, in UTC


def _history_with_merges(root):
    init(root)
    commit(root, {f"{FIN}/base claim.md": claim("internet-finance")}, "leo: base", date="2026-03-01T09:00:00+00:00")
    # a Forgejo-style merge of rio/claims-a
    git(root, "checkout", "-q", "-b", "rio/claims-a")
    commit(root, {f"{FIN}/a1 claim.md": claim("internet-finance"), f"{FIN}/a2 claim.md": claim("internet-finance"),
                  f"{FIN}/_map.md": "[[a1 claim]]\n"}, "rio: add a1, a2", date="2026-03-02T09:00:00+00:00")
    git(root, "checkout", "-q", "main")
    merge(root, "rio/claims-a", "Merge pull request 'rio: add a1, a2' (#12) from rio/claims-a into main",
          date="2026-03-03T09:00:00+00:00")
    # an extract branch about scenarios: the subject mentions no agent by word ("scenario" is not "rio")
    git(root, "checkout", "-q", "-b", "extract/scenario-planning")
    commit(root, {f"{ENT}/s claim.md": claim("entertainment")},
           "extract from scenario-planning.md\n\nPentagon-Agent: Clay <HEADLESS>", date="2026-03-03T10:00:00+00:00")
    git(root, "checkout", "-q", "main")
    merge(root, "extract/scenario-planning", "Merge pull request 'extract/scenario-planning' (#11) from extract/scenario-planning into main",
          date="2026-03-03T09:00:00+00:00")
    # a merge whose branch adds only a non-node file: no event
    git(root, "checkout", "-q", "-b", "theseus/sources")
    commit(root, {"inbox/archive/2026-03-01-a-source.md": "---\ntype: source\n---\n"}, "theseus: archive a source",
           date="2026-03-04T09:00:00+00:00")
    git(root, "checkout", "-q", "main")
    merge(root, "theseus/sources", "Merge branch 'theseus/sources'", date="2026-03-05T09:00:00+00:00")
    # a merge without a PR number, branch naming nobody, commits naming nobody: collective
    git(root, "checkout", "-q", "-b", "fix/scenario")
    commit(root, {f"{ENT}/t claim.md": claim("entertainment")}, "add t about a scenario", date="2026-03-05T10:00:00+00:00")
    git(root, "checkout", "-q", "main")
    merge(root, "fix/scenario", "Merge branch 'fix/scenario' about a scenario", date="2026-03-06T09:00:00+00:00")
    # a direct commit on main is not an event
    commit(root, {f"{FIN}/direct claim.md": claim("internet-finance")}, "rio: direct", date="2026-03-07T09:00:00+00:00")


def test_events(tmp_path):
    root = tmp_path / "v"
    _history_with_merges(root)
    summary = export_graph(Vault.open(root), tmp_path / "out")
    events = _graph(tmp_path / "out")["events"]
    simplified = [(e["date"], e["number"], e["agent"], e["claims_added"]) for e in events]
    assert simplified == [
        ("2026-03-03", 11, "clay", 1),  # same date as #12: number order
        ("2026-03-03", 12, "rio", 2),   # _map.md is not a node: 2, not 3
        ("2026-03-06", None, "collective", 1),
    ]
    assert all(e["type"] == "pr-merge" and len(e["sha"]) == 40 for e in events)
    assert summary.events == 3
    # deterministic: a second export writes nothing
    again = export_graph(Vault.open(root), tmp_path / "out")
    assert not any(f.written for f in again.files)


def test_event_cap_keeps_the_latest(tmp_path):
    from teleo.export import ExportOptions

    root = tmp_path / "v"
    _history_with_merges(root)
    export_graph(Vault.open(root), tmp_path / "out", ExportOptions(max_events=1))
    events = _graph(tmp_path / "out")["events"]
    assert [e["date"] for e in events] == ["2026-03-06"]


def test_agent_names_match_whole_words_only():
    assert mentioned_agent("rio: scenario planning", KNOWN) == "rio"
    assert mentioned_agent("extract scenario-planning", KNOWN) is None
    assert mentioned_agent("claynosaurz launch", KNOWN) is None
    assert mentioned_agent("review by Leo and Clay", KNOWN) == "leo"  # earliest mention
    assert mentioned_agent("Clay and Leo", KNOWN) == "clay"
    assert merged_branch("Merge pull request '#x' (#3) from theseus/claims into main") == "theseus/claims"
    assert merged_branch("Merge pull request #7 from living-ip/vida/claims") == "living-ip/vida/claims"
    assert merged_branch("Merge branch 'astra/x' into main") == "astra/x"
    assert merged_branch("astra: not a merge subject") is None


def test_contributors_weights_and_trailers(tmp_path):
    root = tmp_path / "v"
    init(root)
    attributed = (
        "---\ntype: claim\ndomain: internet-finance\ncreated: 2026-02-10\nattribution:\n"
        "  sourcer:\n    - handle: \"@TheiaResearch\"\n      context: published the letter\n    - m3taversal\n"
        "  extractor:\n    - handle: rio\n      agent_id: UUID\n"
        "  challenger: []\n  reviewer:\n    - handle: leo\n      date: 2026-03-02\n---\n\nBody.\n"
    )
    commit(root, {
        "schemas/contribution-weights.yaml": "role_weights:\n  sourcer: 0.5\n  extractor: 1.0\n  reviewer: 0.25\n",
        f"{FIN}/attributed claim.md": attributed,
    }, "rio: add attributed claim\n\nPentagon-Agent: Rio <UUID>", date="2026-03-01T09:00:00+00:00")
    commit(root, {f"{ENT}/visitor claim.md": claim("entertainment", created="2026-03-05")},
           "clay/contrib-ann: add visitor claim\n\nContributor: Ann\nPentagon-Agent: Clay <HEADLESS>",
           date="2026-04-02T09:00:00+00:00")
    export_graph(Vault.open(root), tmp_path / "out")
    data = json.loads((tmp_path / "out" / "contributors.json").read_text(encoding="utf-8"))
    assert data["weights"] == {"sourcer": 0.5, "extractor": 1.0, "challenger": 0.2, "synthesizer": 0.15, "reviewer": 0.25}
    assert data["weights_source"] == "schemas/contribution-weights.yaml"
    people = {p["handle"]: p for p in data["contributors"]}
    assert set(people) == {"@theiaresearch", "m3taversal", "rio", "leo", "ann", "clay"}
    rio = people["rio"]  # attribution block and trailer name the same contribution: counted once
    assert rio["roles"] == {"sourcer": 0, "extractor": 1, "challenger": 0, "synthesizer": 0, "reviewer": 0}
    assert rio["weighted_score"] == 1.0
    assert rio["first_contribution"] == "2026-02-10"  # the claim's created date beats the commit date
    assert people["leo"]["first_contribution"] == "2026-03-02" and people["leo"]["weighted_score"] == 0.25
    ann = people["ann"]
    assert ann["roles"]["sourcer"] == 1 and ann["weighted_score"] == 0.5
    assert ann["domains"] == {"entertainment": 1}
    assert ann["timeline"] == [{"date": "2026-04", "count": 1, "domains": ["entertainment"]}]
    assert people["@theiaresearch"]["claim_count"] == 1
    scores = [(-p["weighted_score"], p["handle"]) for p in data["contributors"]]
    assert scores == sorted(scores)


def test_contributors_default_weights(make_vault, tmp_path):
    vault = make_vault({
        f"{FIN}/a claim.md": "---\ntype: claim\nattribution:\n  extractor: [rio]\n  challenger: [leo]\n---\nx\n",
    })
    export_graph(vault, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "contributors.json").read_text(encoding="utf-8"))
    assert data["weights_source"] == "defaults"
    people = {p["handle"]: p for p in data["contributors"]}
    assert people["rio"]["weighted_score"] == 0.4 and people["leo"]["weighted_score"] == 0.2
    assert people["rio"]["first_contribution"] is None and people["rio"]["timeline"] == []
