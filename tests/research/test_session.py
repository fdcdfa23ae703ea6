"""`teleo.research.research` as a library: the lock, the refusals, the model path, the review's scope gate."""

from __future__ import annotations

import json

import pytest
from research_fixture import git, research_vault

from teleo.llm.ledger import read_ledger
from teleo.research import ResearchBusy, ResearchError, research
from teleo.research.session import agent_lock
from teleo.vault import Vault

DATE = "2026-03-11"


@pytest.fixture
def vault(tmp_path) -> Vault:
    return Vault.open(research_vault(tmp_path / "vault"))


def test_a_second_session_of_the_same_agent_is_refused_while_the_first_holds_the_lock(vault):
    with agent_lock(vault, "rio"):
        with pytest.raises(ResearchBusy, match=r"a research session of rio is already running on this vault \(pid \d+"):
            research(vault, "rio", date=DATE)
        with agent_lock(vault, "theseus"):  # another agent is not held up
            pass
    assert git(vault.root, "branch", "--list", "rio/*") == ""
    outcome = research(vault, "rio", date=DATE)  # released: the next one runs
    assert outcome.branch == f"rio/research-{DATE}"


def test_refusals_name_the_cause_and_write_nothing(vault, tmp_path):
    main = git(vault.root, "rev-parse", "main")
    with pytest.raises(ResearchError, match="'nobody' is not an agent of this vault"):
        research(vault, "nobody", date=DATE)
    with pytest.raises(ResearchError, match="is not YYYY-MM-DD"):
        research(vault, "rio", date="11/03/2026")
    with pytest.raises(ResearchError, match="inbox-raw/theseus/ holds 0 new item"):
        research(vault, "theseus", date=DATE)
    with pytest.raises(ResearchError, match="agents/vida/beliefs.md: vida has no beliefs on main"):
        research(vault, "vida", date=DATE)
    research(vault, "rio", date=DATE)
    with pytest.raises(ResearchError, match=f"rio/research-{DATE} exists already \\(open, waiting for review"):
        research(vault, "rio", date=DATE)
    assert git(vault.root, "rev-parse", "main") == main
    assert git(vault.root, "status", "--porcelain") == ""


def test_a_network_with_a_bad_handle_stops_the_session_naming_file_and_field(vault):
    path = vault.root / "agents/rio/network.json"
    data = json.loads(path.read_text())
    data["accounts"][2]["username"] = "stable notes; rm -rf"
    path.write_text(json.dumps(data))
    git(vault.root, "commit", "-qam", "bad handle")
    with pytest.raises(ResearchError, match=r"agents/rio/network.json: field 'accounts\[2\].username'"):
        research(vault, "rio", date=DATE)
    assert git(vault.root, "branch", "--list", "rio/*") == ""


def _plan(ids: list[str], keystone: str = "1") -> dict:
    return {
        "keystone": keystone, "disconfirmation_target": "a deep market that lost to a poll",
        "question": "Did any deep market lose to a poll this month?", "why_this_question": "disconfirmation first",
        "sources": [{"id": i, "why_matters": f"matters {i} [[sneaky link]]", "kb_connections": [
            "prediction markets aggregate dispersed information better than expert panels when traders have skin in the game",
            "a title that does not exist"], "primary_connection": "no such note", "why_archived": "<b>because</b>"}
            for i in ids],
        "key_findings": ["finding one"], "belief_impact": "Belief 1 narrowed",
        "follow_up": {"active_threads": ["[depth] watch it"], "dead_ends": [], "branching_points": []},
        "journal": {"disconfirmation_result": "one case, thin market", "key_finding": "depth decides",
                    "pattern_update": "p", "confidence_shift": "Belief 1 narrowed"},
    }


def test_with_a_model_the_plan_comes_through_the_provider_is_repaired_once_and_every_call_is_in_the_ledger(
        vault, monkeypatch):
    from fake_llm import fake_provider

    from teleo.llm import Ledger

    ledger = Ledger.for_vault(vault.root)
    bad = _plan(["S1", "S2", "S99"])  # unknown id, too few
    good = _plan(["S1", "S2", "S3", "S4", "S5", "S6"])
    provider, seen = fake_provider(bad, good, ledger=ledger)
    monkeypatch.setattr("teleo.llm.provider_from_config", lambda *a, **k: provider)
    outcome = research(vault, "rio", date=DATE)
    assert outcome.researcher == "fake:fake-model" and outcome.calls == 2 and len(outcome.sources) == 6
    calls = [c for c in read_ledger(vault.root) if c.purpose.startswith("research")]
    assert [(c.purpose, c.ok) for c in calls] == [("research", False), ("research-repair", True)]
    prompt = str(seen[0])
    assert "never an instruction to you" in prompt and "Ignore previous instructions" in prompt  # fenced as data
    text = git(vault.root, "show", f"{outcome.branch}:{outcome.sources[0].path}")
    assert "[[prediction markets aggregate dispersed information" in text  # a title that resolves is linked
    assert "a title that does not exist" in text and "[[a title that does not exist]]" not in text
    assert "[[sneaky link]]" not in text and "<b>" not in text
    musing = git(vault.root, "show", f"{outcome.branch}:{outcome.musing}")
    assert "- [depth] watch it" in musing and "### Dead Ends (don't re-run these)\n- none" in musing


def test_a_model_that_never_gives_a_valid_plan_fails_the_session_cleanly(vault, monkeypatch):
    from fake_llm import fake_provider

    provider, _ = fake_provider("no json here")
    monkeypatch.setattr("teleo.llm.provider_from_config", lambda *a, **k: provider)
    with pytest.raises(ResearchError, match="the research plan failed: .*no valid research plan"):
        research(vault, "rio", date=DATE)
    assert git(vault.root, "branch", "--list", "rio/*") == ""


def test_the_review_scope_gate_rejects_a_research_branch_that_extracts(vault):
    from teleo.repo.branches import propose, tip
    from teleo.repo.discover import open_repository
    from teleo.review.context import load_view
    from teleo.review.gates import run_gates

    outcome = research(vault, "rio", date=DATE)
    view = load_view(vault, outcome.branch)
    assert [f for f in run_gates(view) if f.criterion == "kind-scope"] == []
    repo = open_repository(vault.root)
    claim = ("---\ntype: claim\ndomain: internet-finance\ndescription: A claim slipped into a research session.\n"
             "confidence: speculative\nsource: test\ncreated: 2026-03-11\n---\n\n# deep markets lose to polls\n")
    (vault.root / "agents/rio/research-journal.md").write_text("# Rio Research Journal\n\n## Session 2026-03-01\nold\n")
    git(vault.root, "add", "-A")
    git(vault.root, "commit", "-qm", "a journal on main")
    propose(repo, "rio/research-2026-03-12", tip(repo, "refs/heads/main"), {
        "domains/internet-finance/deep markets lose to polls.md": claim.encode(),
        "agents/rio/research-journal.md": b"# Rio Research Journal\n\n## Session 2026-03-01\nrewritten\n",
        "agents/theseus/musings/research-2026-03-12.md": b"---\ntype: musing\n---\n"},
        "rio: research session 2026-03-12 — 0 sources archived\n\nPentagon-Agent: Rio <HEADLESS>\n")
    found = {f.path: f.message for f in run_gates(load_view(vault, "rio/research-2026-03-12")) if f.criterion == "kind-scope"}
    assert set(found) == {"domains/internet-finance/deep markets lose to polls.md", "agents/rio/research-journal.md",
                          "agents/theseus/musings/research-2026-03-12.md"}
    assert "never extracts" in found["domains/internet-finance/deep markets lose to polls.md"]
    assert "appends to the journal only" in found["agents/rio/research-journal.md"]


def test_on_a_forge_a_research_session_is_titled_as_the_reference_titles_its_pull_request(vault):
    from teleo.forge.sync import pr_title
    from teleo.review.context import load_view

    outcome = research(vault, "rio", date=DATE)
    assert pr_title(load_view(vault, outcome.branch)) == f"rio: research session {DATE}"
