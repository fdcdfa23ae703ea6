"""Who reviews a synthesis proposal (kind `synthesis`): one domain peer per touched domain, at least two, and the
merge gate requires each of them (reference §4.7, §5 #22)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
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
