"""Who reviews a synthesis proposal (kind `synthesis`): one domain peer per touched domain, at least two, and the
merge gate requires each of them (reference §4.7, §5 #22)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synth_helpers import claim, new_vault  # noqa: E402

from teleo.repo.branches import tip, update_branch, write_commit  # noqa: E402
from teleo.repo.discover import open_repository  # noqa: E402
from teleo.repo.kinds import SYNTHESIS, kind_of  # noqa: E402
from teleo.repo.verdicts import Verdict, store_verdict  # noqa: E402
from teleo.review.context import load_view  # noqa: E402
from teleo.review.merge import decide, merge_proposal  # noqa: E402
from teleo.review.selection import select_reviewers  # noqa: E402
from teleo.vault import Vault  # noqa: E402

HEALTH = "price transparency lowers hospital charges for elective procedures"
FINANCE = "price transparency on exchanges narrows bid ask spreads for retail traders"
STRATEGY = "institutions that publish their prices lose the rents that opacity protected"
TITLE = "price transparency erodes rents in any market where sellers once profited from opacity"


def propose(root: Path, sides: list[str], secondary: str) -> str:
    vault = Vault.open(root)
    repo = open_repository(root)
    depends = ", ".join(f"\"[[{t}]]\"" for t in sides)
    body = ("Where sellers profited from opacity, publishing prices lets buyers compare offers, so margins that "
            "rested on search costs shrink in hospitals and on exchanges alike.")
    path, text = claim("grand-strategy", TITLE, body=body, secondary_domains=secondary, depends_on=f"[{depends}]")
    branch = SYNTHESIS.branch_name(agent="leo", slug="abc123")
    message = SYNTHESIS.message({"agent": "leo", "title": TITLE}, [("Domain", "grand-strategy")],
                                [f"{SYNTHESIS.trailer}: abc123", "Pentagon-Agent: Leo <HEADLESS>"])
    head = write_commit(repo, tip(repo, "refs/heads/main"), {path: text.encode()}, message)
    update_branch(repo, branch, head, None)
    assert kind_of(branch) is SYNTHESIS and vault is not None
    return branch


def approve(root: Path, branch: str, agent: str) -> None:
    view = load_view(Vault.open(root), branch)
    store_verdict(view.repo, Verdict(reviewer=agent, role="peer", head=view.head_id, branch=branch, verdict="approve"))


def vault_with_sides(tmp_path) -> Path:
    return new_vault(tmp_path / "v", dict([claim("health", HEALTH), claim("internet-finance", FINANCE),
                                           claim("grand-strategy", STRATEGY)]))


def test_one_peer_per_touched_domain_and_merge_waits_for_each(tmp_path):
    root = vault_with_sides(tmp_path)
    branch = propose(root, [HEALTH, FINANCE], "[health, internet-finance]")
    view = load_view(Vault.open(root), branch)
    selection = select_reviewers(view)
    assert {(s.agent, s.domain) for s in selection.peers} == {("vida", "health"), ("rio", "internet-finance")}
    assert "leo" not in selection.agents and selection.shortfall is None and selection.peers_needed == 2

    approve(root, branch, "vida")
    refused = decide(load_view(Vault.open(root), branch))
    assert not refused.ready and any("rio" in r for r in refused.reasons)
    assert merge_proposal(Vault.open(root), branch, cascade=False).status == "not_ready"

    approve(root, branch, "rio")
    assert decide(load_view(Vault.open(root), branch)).ready
    assert merge_proposal(Vault.open(root), branch, cascade=False).status == "merged"


def test_a_synthesis_with_one_reviewable_domain_is_a_shortfall(tmp_path):
    root = vault_with_sides(tmp_path)
    branch = propose(root, [HEALTH, STRATEGY], "[health]")  # grand-strategy's only agent is the proposer
    view = load_view(Vault.open(root), branch)
    selection = select_reviewers(view)
    assert [s.agent for s in selection.peers] == ["vida"] and selection.shortfall
    approve(root, branch, "vida")
    decision = decide(load_view(Vault.open(root), branch))
    assert not decision.ready and any("at least 2" in r for r in decision.reasons)


def test_the_kind_scope_wants_depends_on_in_two_domains(tmp_path):
    from teleo.review.gates import run_gates

    root = vault_with_sides(tmp_path)
    branch = propose(root, [HEALTH], "[health]")
    findings = run_gates(load_view(Vault.open(root), branch))
    assert any(f.criterion == "kind-scope" and "two domains" in f.message for f in findings)


# -- drafting ------------------------------------------------------------------------------------


def _queued(tmp_path, files: dict[str, str]) -> tuple[Path, str]:
    """A vault whose queue holds a contradiction entry between the two claims of `files`."""
    from teleo.review.synthesis import sweep

    root = new_vault(tmp_path / "d", files)
    report = sweep(Vault.open(root))
    [entry] = [e for e in report.triggers if e.trigger == "contradiction"]
    return root, entry.id


def test_a_model_drafts_through_the_provider_with_one_repair_and_every_call_in_the_ledger(tmp_path):
    import json

    from fake_llm import fake_provider
    from teleo.llm.ledger import Ledger
    from teleo.review.synthesize import ModelDrafter, propose_synthesis

    other = "hospital consolidation raises prices for insured patients"
    path, text = claim("internet-finance", "market concentration lowers prices through economies of scale",
                       challenged_by=f"[\"[[{other}]]\"]")
    root, entry = _queued(tmp_path, dict([claim("health", other), (path, text)]))
    good = {"title": "market power raises prices wherever buyers cannot switch, in hospitals and in token markets alike",
            "mechanism": "market power over captive buyers",
            "description": "Concentration lowers costs only where buyers can leave; where they cannot, the saving "
                           "becomes margin, which is why the two domains disagree.",
            "body": "Where buyers can switch, scale economies reach them as lower prices. Where they cannot, the "
                    "same concentration turns the saving into margin: insured patients cannot leave a merged system.",
            "depends_on": [other, "market concentration lowers prices through economies of scale"],
            "confidence": "speculative"}
    bad = {**good, "depends_on": [other]}  # one side only: sent back for repair
    provider, seen = fake_provider(bad, good, ledger=Ledger.for_vault(root))
    made = propose_synthesis(Vault.open(root), entry, drafter=ModelDrafter(provider))
    assert made.status == "proposed" and made.mechanism == "market power over captive buyers"
    assert sorted(made.secondary_domains) == ["health", "internet-finance"] and len(seen) == 2
    calls = [json.loads(line) for line in (root / ".teleo/ledger.jsonl").read_text().splitlines()]
    assert [(c["purpose"], c["ok"]) for c in calls] == [("synthesis", False), ("synthesis-repair", True)]


def test_sides_whose_domains_bring_one_peer_are_refused_before_any_branch(tmp_path):
    import pytest

    from teleo.review.synthesize import SynthesisRefused, propose_synthesis

    other = "institutions lose the rents that opacity protected once they publish prices"
    path, text = claim("health", "hospital prices stay high because patients cannot compare offers",
                       challenged_by=f"[\"[[{other}]]\"]")
    root, entry = _queued(tmp_path, dict([claim("grand-strategy", other), (path, text)]))
    with pytest.raises(SynthesisRefused, match="could never merge"):
        propose_synthesis(Vault.open(root), entry)
    assert "synthesis/" not in subprocess_branches(root)


def subprocess_branches(root: Path) -> str:
    from synth_helpers import git

    return git(root, "branch", "--list")


def test_a_draft_the_gates_block_is_withdrawn_with_the_findings(tmp_path):
    import pytest

    from synth_helpers import CONFIG, commit
    from teleo.review.synthesize import SynthesisRefused, propose_synthesis

    other = "hospital consolidation raises prices for insured patients"
    path, text = claim("internet-finance", "hospital consolidation lowers prices for insured patients",
                       challenged_by=f"[\"[[{other}]]\"]")
    root, entry = _queued(tmp_path, dict([claim("health", other), (path, text)]))
    narrow = CONFIG.replace('territory = ["core/", "agents/leo/", "maps/", "inbox/archive/"]', 'territory = ["agents/leo/"]')
    assert narrow != CONFIG
    commit(root, {"teleo.toml": narrow}, "leo may write only its agent folder")
    with pytest.raises(SynthesisRefused, match="territory"):
        propose_synthesis(Vault.open(root), entry)
    assert "synthesis/" not in subprocess_branches(root)
