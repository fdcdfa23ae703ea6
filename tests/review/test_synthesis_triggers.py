"""The four synthesis triggers (issue 16.2, reference §4.7): each fires on its condition and stays quiet
just short of it, counted since the last sweep."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_helpers import claim, claims, commit, enrichment, new_vault  # noqa: E402

from teleo.review.synthesis import asserted, enrichment_count, sweep  # noqa: E402
from teleo.vault import Vault  # noqa: E402


def check(root: Path, name: str):
    report = sweep(Vault.open(root), write=False)
    return next(c for c in report.checks if c.trigger == name), [e for e in report.triggers if e.trigger == name]


# -- new claims ----------------------------------------------------------------------------------


def test_ten_new_claims_across_two_domains_fire(tmp_path):
    root = new_vault(tmp_path / "v", {**claims("health", 6, "care"), **claims("internet-finance", 4, "markets")})
    found, [entry] = check(root, "new-claims")
    assert found.figures["new_claims"] == 10 and found.figures["domains"] == 2
    assert entry.domains == ["health", "internet-finance"]
    assert {p.split("/")[1] for p in entry.claims} == {"health", "internet-finance"}


def test_nine_new_claims_or_one_domain_stay_quiet(tmp_path):
    root = new_vault(tmp_path / "v", {**claims("health", 5, "care"), **claims("internet-finance", 4, "markets")})
    assert check(root, "new-claims")[1] == []
    one = new_vault(tmp_path / "w", claims("health", 12, "care"))
    assert check(one, "new-claims")[1] == []


def test_new_claims_count_from_the_sweep_point_which_moves_only_when_asked(tmp_path):
    root = new_vault(tmp_path / "v", {**claims("health", 6, "care"), **claims("internet-finance", 4, "markets")})
    vault = Vault.open(root)
    written = sweep(vault)  # writes the queue, does not advance
    assert written.commit and not written.advanced and written.since is None
    assert [e.trigger for e in sweep(vault, write=False).triggers].count("new-claims") == 1
    sweep(vault, advance=True)
    commit(root, claims("health", 3, "later"))
    found, fired = check(root, "new-claims")
    assert found.figures["new_claims"] == 3 and fired == []


# -- enrichments ---------------------------------------------------------------------------------


def test_a_claim_enriched_three_times_fires_two_does_not(tmp_path):
    path, text = claim("health", "care costs fall when hospitals share discharge data")
    root = new_vault(tmp_path / "v", {path: text + enrichment(1) + enrichment(2)})
    assert check(root, "enriched")[1] == []
    commit(root, {path: text + enrichment(1) + enrichment(2) + enrichment(3)})
    found, [entry] = check(root, "enriched")
    assert entry.claims[0] == path and found.figures["max_enrichments"] == 3


def test_an_enriched_claim_fires_again_only_when_enriched_again_after_the_sweep(tmp_path):
    path, text = claim("health", "care costs fall when hospitals share discharge data")
    root = new_vault(tmp_path / "v", {path: text + enrichment(1) + enrichment(2) + enrichment(3)})
    sweep(Vault.open(root), advance=True)
    assert check(root, "enriched")[1] == []
    commit(root, {path: text + "".join(enrichment(i) for i in range(1, 5))})
    assert len(check(root, "enriched")[1]) == 1


def test_enrichment_blocks_are_headings_or_provenance_lines():
    assert enrichment_count("x" + enrichment(1) + enrichment(2)) == 2
    bare = "\n*Source: [[a]] | Added: 2026-01-01 | Extractor: m*\n\ntext\n"
    assert enrichment_count(bare * 3) == 3  # later runs wrote the line without the heading
    assert enrichment_count("no blocks here") == 0


# -- link density --------------------------------------------------------------------------------


def _linked_vault(root: Path, cross: int, home: int) -> Path:
    """Health claims linking `home` times inside health and `cross` times to internet-finance."""
    targets_home = [f"health target {i} holds in clinics" for i in range(home)]
    targets_cross = [f"finance target {i} holds in markets" for i in range(cross)]
    files = dict(claim("health", t) for t in targets_home)
    files.update(dict(claim("internet-finance", t) for t in targets_cross))
    files.update([claim("health", "the linking claim ties care to money", links=targets_home + targets_cross)])
    return new_vault(root, files)


def test_cross_domain_link_density_below_fifteen_percent_fires(tmp_path):
    root = _linked_vault(tmp_path / "v", cross=1, home=7)  # 1 of 8 = 12.5 %
    found, [entry] = check(root, "link-density")
    assert found.figures == {"links": 8, "cross_domain": 1, "density": 0.125}
    assert len(entry.domains) == 2


def test_cross_domain_link_density_at_fifteen_percent_or_more_is_quiet(tmp_path):
    root = _linked_vault(tmp_path / "v", cross=2, home=6)  # 2 of 8 = 25 %
    found, fired = check(root, "link-density")
    assert found.figures["density"] == 0.25 and fired == []


# -- contradictions ------------------------------------------------------------------------------


def test_a_new_claim_challenged_by_a_claim_of_another_domain_fires(tmp_path):
    other = "hospital consolidation raises prices for insured patients"
    path, text = claim("internet-finance", "market concentration lowers prices through economies of scale",
                       challenged_by=f"[\"[[{other}]]\"]")
    root = new_vault(tmp_path / "v", dict([claim("health", other), (path, text)]))
    found, [entry] = check(root, "contradiction")
    assert set(entry.claims) == {path, f"domains/health/{other}.md"} and found.figures["explicit"] >= 1


def test_a_challenge_inside_one_domain_is_no_cross_domain_contradiction(tmp_path):
    other = "hospital consolidation raises prices for insured patients"
    path, text = claim("health", "market concentration lowers prices through economies of scale",
                       challenged_by=f"[\"[[{other}]]\"]")
    root = new_vault(tmp_path / "v", dict([claim("health", other), (path, text)]))
    assert check(root, "contradiction")[1] == []


def test_the_same_proposition_negated_in_another_domain_fires_and_a_restatement_does_not(tmp_path):
    said = "prediction markets aggregate dispersed information better than expert panels"
    denied = "prediction markets do not aggregate dispersed information better than expert panels"
    root = new_vault(tmp_path / "v", dict([claim("internet-finance", said), claim("health", denied)]))
    found, [entry] = check(root, "contradiction")
    assert found.figures["inferred"] >= 1 and {p.split("/")[1] for p in entry.claims} == {"internet-finance", "health"}
    again = new_vault(tmp_path / "w", dict([claim("internet-finance", said),
                                            claim("health", "prediction markets aggregate dispersed information "
                                                            "better than panels of experts")]))
    assert check(again, "contradiction")[1] == []


def test_additive_and_contrastive_not_negate_nothing():
    assert "not" not in asserted("futarchy solves ownership not just decisions")
    assert "not" not in asserted("gaps are widening not narrowing because x")
    assert "not" in asserted("markets do not clear") and "not" in asserted("it is not true")
