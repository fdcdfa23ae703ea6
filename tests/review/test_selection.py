"""Reviewers who fit (issue 19, point 4): domain peers by domain, secondary domain and link overlap."""

from __future__ import annotations

import json

from review_helpers import (
    CONFIG,
    EXISTING,
    NEW_TITLE,
    PRICING,
    SOURCE,
    claim_text,
    git,
    good_files,
    make_proposal,
    make_review_vault,
    processed_source,
)

from teleo.repo.verdicts import verdicts_for
from teleo.review import load_view, merge_proposal, peer_counts, review, select_reviewers
from teleo.vault import Vault

CLAIM = f"domains/ai-alignment/{NEW_TITLE}.md"

TWO_MORE_ALIGNMENT_AGENTS = CONFIG + """
[agents.ada]
role = "proposer"
territory = ["domains/ai-alignment/", "agents/ada/"]
[agents.bo]
role = "proposer"
territory = ["domains/ai-alignment/", "domains/internet-finance/", "agents/bo/"]
"""


def vault_with(tmp_path, config: str) -> Vault:
    vault = make_review_vault(tmp_path / "v")
    (vault.root / "teleo.toml").write_text(config)
    git(vault.root, "commit", "-qam", "config")
    return Vault.open(vault.root)


def only_inside_links(title: str = NEW_TITLE) -> str:
    """The claim, linking only into its own domain (and its source, which is everyone's)."""
    return claim_text(title).replace(f"- [[{PRICING}]] — the pricing side\n", "")


def peers(selection) -> list[tuple[str, str | None]]:
    return [(slot.agent, slot.basis) for slot in selection.peers]


def test_a_domain_agent_other_than_the_proposer_is_the_peer_ranked_by_link_overlap(tmp_path):
    vault = vault_with(tmp_path, TWO_MORE_ALIGNMENT_AGENTS)
    make_proposal(vault, "extract/audit", good_files())
    selection = select_reviewers(load_view(vault, "extract/audit"))
    # ada and bo both hold ai-alignment; the claim links into ai-alignment (both) and internet-finance (bo only)
    assert selection.agents == ["leo", "bo"]
    assert peers(selection) == [("bo", "domain")] and selection.peers[0].overlap == 2
    assert not selection.notes and not selection.shortfall


def test_the_proposer_never_reviews_however_much_its_territory_is_linked(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    links = "".join(f"- [[{EXISTING}]] — again {n}\n" for n in range(5))  # five links into theseus's own domain
    make_proposal(vault, "extract/audit", {CLAIM: claim_text() + links, SOURCE: processed_source([NEW_TITLE])})
    selection = select_reviewers(load_view(vault, "extract/audit"))
    assert "theseus" not in selection.agents
    assert peers(selection) == [("rio", "links")]  # the one other territory the claim links into


def test_ties_are_spread_over_proposals_deterministically(tmp_path):
    vault = vault_with(tmp_path, TWO_MORE_ALIGNMENT_AGENTS.replace('"domains/internet-finance/", ', ""))
    chosen = {}
    for number in range(12):
        title = f"{NEW_TITLE} in deployment cohort {number}"
        make_proposal(vault, f"extract/audit-{number}", {f"domains/ai-alignment/{title}.md": only_inside_links(title),
                                                        SOURCE: processed_source([title])})
        view = load_view(vault, f"extract/audit-{number}")
        first = select_reviewers(view)
        assert [s.overlap for s in first.peers] == [1]  # ada and bo tie: one link each into ai-alignment
        assert select_reviewers(view).agents == first.agents  # the same proposal, the same peer
        chosen[number] = peers(first)[0]
    assert {agent for agent, _ in chosen.values()} == {"ada", "bo"}  # not always the alphabetically first
    assert {basis for _, basis in chosen.values()} == {"domain"}


def test_no_fitting_peer_means_the_evaluator_alone_and_says_so(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    make_proposal(vault, "extract/audit", {CLAIM: only_inside_links(), SOURCE: processed_source([NEW_TITLE])})
    outcome = review(vault, "extract/audit")
    assert outcome.status == "approved" and outcome.required == ["leo"]
    notes = " ".join(outcome.selection.notes)
    assert "no peer from ai-alignment: its only agent is theseus (proposer)" in notes
    assert "evaluator (leo) reviews alone" in notes
    view = load_view(vault, "extract/audit")
    stored = verdicts_for(view.repo, view.head_id)
    assert set(stored) == {"gates", "leo"}
    assert "Reviewer selection — peers: none" in stored["leo"].text and "no peer from ai-alignment" in stored["leo"].text
    assert merge_proposal(vault, "extract/audit").status == "merged"


def test_without_a_domain_peer_the_agent_the_claims_link_into_most_reviews(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    make_proposal(vault, "extract/audit", good_files())
    outcome = review(vault, "extract/audit")
    assert outcome.required == ["leo", "rio"]
    assert peers(outcome.selection) == [("rio", "links")]
    assert any("rio reviews instead: 1 of the claims' links lead into its territory" in n for n in outcome.selection.notes)


HEALTH_NOTE = "domains/health/engagement-optimised chat assistants lengthen the time patients wait for a human answer.md"
ALIGNMENT_TO_HEALTH = {
    HEALTH_NOTE: "---\ntype: claim\ndomain: health\ndescription: \"x\"\nconfidence: speculative\nsource: \"t\"\n"
                 "created: 2026-03-01\n---\n\n# engagement-optimised chat assistants lengthen the time patients wait "
                 "for a human answer\n",
    "domains/ai-alignment/deployment harms show up first in clinical triage.md":
        "---\ntype: claim\ndomain: ai-alignment\ndescription: \"x\"\nconfidence: speculative\nsource: \"t\"\n"
        "created: 2026-03-01\n---\n\n# deployment harms show up first in clinical triage\n\n"
        "- [[engagement-optimised chat assistants lengthen the time patients wait for a human answer]]\n",
}


def source_naming(secondary: str) -> str:
    return processed_source([NEW_TITLE]).replace("domain: ai-alignment\n",
                                                 f"domain: ai-alignment\nsecondary_domains:\n  - {secondary}\n")


def test_a_secondary_domain_named_by_the_source_brings_its_agent_when_the_domain_links_there(tmp_path):
    vault = make_review_vault(tmp_path / "v", extra=ALIGNMENT_TO_HEALTH)  # ai-alignment links into health on main
    make_proposal(vault, "extract/audit", {CLAIM: claim_text(), SOURCE: source_naming("health")})
    selection = select_reviewers(load_view(vault, "extract/audit"))
    assert selection.secondary == ["health"]
    assert peers(selection) == [("vida", "secondary")]  # preferred to rio, whom the claim links into
    assert not selection.synthesis  # the source's word does not make its claims a synthesis


def test_a_secondary_domain_without_link_evidence_brings_nobody(tmp_path):
    vault = make_review_vault(tmp_path / "v")  # nothing in ai-alignment links into health
    make_proposal(vault, "extract/audit", {CLAIM: only_inside_links(), SOURCE: source_naming("health")})
    selection = select_reviewers(load_view(vault, "extract/audit"))
    assert selection.secondary == ["health"] and peers(selection) == []
    assert any("evaluator (leo) reviews alone" in n for n in selection.notes)
    make_proposal(vault, "extract/linked", {CLAIM: claim_text(), SOURCE: source_naming("health")})
    assert peers(select_reviewers(load_view(vault, "extract/linked"))) == [("rio", "links")]


def test_a_synthesis_claim_needs_two_fitting_peers(tmp_path):
    vault = make_review_vault(tmp_path / "v", extra=ALIGNMENT_TO_HEALTH)
    synthesis = claim_text().replace("domain: ai-alignment\n", "domain: ai-alignment\nsecondary_domains: [health]\n")
    make_proposal(vault, "extract/both", {CLAIM: synthesis, SOURCE: processed_source([NEW_TITLE])})
    selection = select_reviewers(load_view(vault, "extract/both"))
    assert selection.synthesis == [CLAIM] and selection.peers_needed == 2
    assert sorted(peers(selection)) == [("rio", "links"), ("vida", "secondary")] and not selection.shortfall

    lone = only_inside_links().replace("domain: ai-alignment\n", "domain: ai-alignment\nsecondary_domains: [health]\n")
    make_proposal(vault, "extract/lone", {CLAIM: lone, SOURCE: processed_source([NEW_TITLE])})
    outcome = review(vault, "extract/lone")  # vida fits, nobody else does: no padding with an unfit agent
    assert outcome.status == "blocked" and "needs 2 domain peers" in outcome.message
    assert peers(outcome.selection) == [("vida", "secondary")]


def test_the_evaluators_proposal_without_fitting_peers_is_a_shortfall(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    title = "institutions that measure deployer incentives catch harms that model audits miss"
    text = claim_text(title, domain="grand-strategy").replace(f"- [[{EXISTING}]] — extends\n", "")
    text = text.replace(f"- [[{PRICING}]] — the pricing side\n", "")
    make_proposal(vault, "leo/alone", {f"core/grand-strategy/{title}.md": text, SOURCE: processed_source([title])},
                  agent="leo", domain="grand-strategy")
    outcome = review(vault, "leo/alone")
    assert outcome.status == "blocked" and "needs 2 domain peers because the evaluator proposed it" in outcome.message
    assert outcome.required == []


def test_peer_counts_per_domain_and_agent_in_json(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from teleo.cli.app import app

    vault = make_review_vault(tmp_path / "v")
    make_proposal(vault, "extract/linked", good_files())
    make_proposal(vault, "extract/alone", {CLAIM.replace("replies", "answers"): only_inside_links(NEW_TITLE.replace("replies", "answers")),
                                           SOURCE: processed_source([NEW_TITLE.replace("replies", "answers")])})
    monkeypatch.chdir(vault.root)
    result = CliRunner().invoke(app, ["review", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["peers"] == [{"domain": "ai-alignment", "agent": "rio", "reviews": 1, "links": 1, "bases": ["links"]}]
    by_branch = {r["branch"]: r for r in payload["reviews"]}
    assert by_branch["extract/alone"]["selection"]["slots"] == [
        {"agent": "leo", "role": "evaluator", "domain": None, "overlap": 0, "basis": None}]

    text = CliRunner().invoke(app, ["review"])  # verdicts stored: the same selection, as tables
    assert "Domain peers" in text.output and "1 of 2 proposals had no fitting domain peer" in text.output
    from teleo.review.engine import ReviewOutcome

    rows = peer_counts([ReviewOutcome.model_validate(r) for r in payload["reviews"]])
    assert [(r.domain, r.agent, r.reviews) for r in rows] == [("ai-alignment", "rio", 1)]


def test_a_review_run_parses_each_note_of_main_once_and_reads_verdicts_by_name(tmp_path, counted_parses):
    """The proposals of one run share main's parsed notes, walk and resolver (issue 12, point 6)."""
    from teleo.review import review_all

    vault = make_review_vault(tmp_path / "v")
    for number in range(3):
        title = f"{NEW_TITLE} in deployment cohort {number}"
        make_proposal(vault, f"extract/audit-{number}", {f"domains/ai-alignment/{title}.md": claim_text(title),
                                                        SOURCE: processed_source([title])})
    parsed = counted_parses
    outcomes = review_all(vault)
    assert [o.status for o in outcomes] == ["approved"] * 3
    assert parsed and max(parsed.count(path) for path in parsed) == 1
    view = load_view(vault, "extract/audit-0")
    assert verdicts_for(view.repo, view.head_id, ["gates", "leo", "rio", "nobody"]) == verdicts_for(view.repo, view.head_id)
