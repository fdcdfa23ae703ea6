"""A fake LLM (pydantic-ai FunctionModel) through the whole job: links, enrichments, grounding, dedupe."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import (
    DOMAIN,
    EXISTING,
    HEALTH,
    OTHER,
    SOURCE,
    ScriptedProvider,
    base_files,
    changed_files,
    fsck_clean,
    git,
    show,
    snapshot,
)
from fake_llm import fake_provider

from teleo.pipeline.job import extract_source

BRANCH = "extract/2026-01-02-orbitalreport-launch-costs"
NEW = "booster reuse explains most of the twentyfold fall in the price of reaching low Earth orbit since the Shuttle"
UNGROUNDED = "launch prices rose after 2020 because tariffs on rocket engines doubled component costs"


@pytest.fixture(autouse=True)
def no_real_model_requests(monkeypatch):
    import pydantic_ai.models

    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


@pytest.fixture
def vault(make_vault):
    return make_vault(base_files(), git=True)


def answer(**changes):
    payload = {
        "claims": [
            {
                "title": NEW,
                "description": "Falcon 9 reached about 2,700 dollars per kilogram against the Shuttle's 54,500, mostly by recovering the booster.",
                "confidence": "likely",
                "body": "The report attributes most of the drop to reuse of the first stage, the costliest part of the vehicle.",
                "evidence": [
                    {"text": "Reusable first stages account for most of the drop"},
                    {"text": "the booster is the most expensive part of the vehicle"},
                ],
                "related": [
                    {"title": EXISTING, "relation": "supports"},
                    {"title": "a claim nobody ever wrote about rockets", "relation": "extends"},
                    {"title": HEALTH, "relation": "related"},
                    {"title": "2026-01-03-depots", "relation": "related"},
                ],
                "challenges": ["Falcon 9 prices are list prices; internal costs are not disclosed."],
            },
            {
                "title": UNGROUNDED,
                "description": "A fabricated claim whose quote is nowhere in the source, so grounding must drop it.",
                "confidence": "experimental",
                "body": "Tariffs.",
                "evidence": [{"text": "tariffs on rocket engines doubled the price of components in 2021"}],
            },
        ],
        "enrichments": [
            {
                "target": OTHER,
                "type": "extend",
                "evidence": "Cheaper insurance compounds the saving: premiums fell as failure rates declined.",
                "quote": {"text": "Insurance premiums for launches fell by 40 percent between 2015 and 2023"},
            },
            {
                "target": HEALTH,
                "type": "confirm",
                "evidence": "A listed claim of another agent's domain: enriching it would write outside the territory.",
                "quote": {"text": "Insurance premiums for launches fell by 40 percent"},
            },
        ],
        "source_update": {"key_facts": ["Falcon 9: about 2,700 dollars per kilogram (2023)"], "notes": "one claim, one enrichment"},
    }
    payload.update(changes)
    return payload


def links(text: str) -> list[str]:
    return re.findall(r"\[\[([^\]]+)\]\]", text)


def test_claims_links_enrichments_and_grounding_through_a_fake_llm(vault):
    before = snapshot(vault.root)
    provider, seen = fake_provider(answer())
    outcome = extract_source(vault, SOURCE, provider=provider)
    assert outcome.status == "proposed", outcome.error

    # the prompt carried the similar claims and the fenced source, and its size is recorded
    [messages] = seen
    prompt = "".join(getattr(p, "content", "") for m in messages for p in m.parts)
    assert EXISTING in prompt and HEALTH in prompt and "Reusable first stages account for most of the drop" in prompt
    assert outcome.prompt_chars > 1000 and outcome.tokens == 1500 and outcome.calls == 1

    path = f"{DOMAIN}/{NEW}.md"
    assert changed_files(vault.root, BRANCH) == sorted([path, f"{DOMAIN}/{OTHER}.md", SOURCE])
    assert outcome.claims == [NEW] and outcome.enrichments == [OTHER]

    claim = show(vault.root, BRANCH, path)
    assert claim.startswith(
        "---\ntype: claim\ndomain: space-development\ndescription: Falcon 9 reached about 2,700 dollars per kilogram"
    )
    assert "\nconfidence: likely\nsource: Orbital Report (@orbitalreport), The economics of launch, 2010-2023\n" in claim
    assert f"\n# {NEW}\n\nThe report attributes most of the drop" in claim
    assert "## Evidence\n\n> Reusable first stages account for most of the drop\n\n(from [[2026-01-02-orbitalreport-launch-costs]], line 17)" in claim
    assert "## Challenges\n\n- Falcon 9 prices are list prices" in claim
    assert "*Source: [[2026-01-02-orbitalreport-launch-costs]] | Added: " in claim and "| Extractor: fake/fake-model*" in claim
    tail = claim.split("\n---\n", 2)[-1]
    assert tail == (
        f"\nRelevant Notes:\n- [[{EXISTING}]] \u2014 supports\n- [[{HEALTH}]] \u2014 related\n\n"
        f"Topics:\n- [[{DOMAIN}/_map]]\n"
    )
    # only existing notes are linked: not the invented one, not the musing
    assert "nobody ever wrote" not in claim and "depots" not in claim.split("Relevant Notes:")[1]

    enriched = show(vault.root, BRANCH, f"{DOMAIN}/{OTHER}.md")
    original = (vault.root / f"{DOMAIN}/{OTHER}.md").read_text()
    head, _, rest = original.partition("\n---\n\nTopics:")
    assert enriched.startswith(head.rstrip() + "\n\n### Additional Evidence (extend)\n*Source: [[2026-01-02-orbitalreport-launch-costs]] | Added: ")
    assert "Cheaper insurance compounds the saving" in enriched
    assert "> Insurance premiums for launches fell by 40 percent between 2015 and 2023" in enriched
    assert enriched.endswith("\n---\n\nTopics:" + rest)  # the link block stays last
    assert enriched.split("\n---\n", 2)[:1] == original.split("\n---\n", 2)[:1]  # frontmatter untouched

    reasons = {(d.kind, d.subject): d.reason for d in outcome.dropped}
    assert "not found in the source" in reasons[("claim", UNGROUNDED)]
    assert "outside astra's territory" in reasons[("enrichment", HEALTH)]
    link_drops = [d.reason for d in outcome.dropped if d.kind == "link" and d.subject == NEW]
    assert len(link_drops) == 2
    assert any("nobody ever wrote" in r for r in link_drops) and any("2026-01-03-depots" in r for r in link_drops)
    assert not (vault.root / DOMAIN / f"{UNGROUNDED}.md").exists()

    source = show(vault.root, BRANCH, SOURCE)
    assert f"\nclaims_extracted: [{NEW}]\n" in source
    assert f"\nenrichments: [{OTHER}]\n" in source
    assert "\nextraction_model: fake/fake-model\n" in source and "\nextraction_notes: one claim, one enrichment\n" in source

    for text in (claim, enriched, source):
        for target in links(text):
            assert target in (EXISTING, HEALTH, OTHER, f"{DOMAIN}/_map", "2026-01-02-orbitalreport-launch-costs")
    assert show(vault.root, BRANCH, f"domains/health/{HEALTH}.md") == (vault.root / f"domains/health/{HEALTH}.md").read_text()
    assert snapshot(vault.root) == before and git(vault.root, "status", "--porcelain") == ""
    assert fsck_clean(vault.root)


def test_the_writer_holds_when_a_provider_lets_bad_targets_through(vault):
    payload = answer()
    payload["enrichments"] = [
        dict(payload["enrichments"][0], target="a claim that does not exist at all anywhere"),
        dict(payload["enrichments"][0], target="2026-01-03-depots"),  # a musing
        dict(payload["enrichments"][0], target=SOURCE.removesuffix(".md")),  # a source, not a claim
        dict(payload["enrichments"][0], target=f"../../{DOMAIN}/{OTHER}"),
        dict(payload["enrichments"][0], target=OTHER),
        dict(payload["enrichments"][0], target=OTHER),  # the same quote twice
    ]
    outcome = extract_source(vault, SOURCE, provider=ScriptedProvider(payload))
    assert outcome.status == "proposed", outcome.error
    reasons = [d.reason for d in outcome.dropped if d.kind == "enrichment"]
    assert sum("does not resolve" in r for r in reasons) == 2
    assert sum("is not a claim" in r for r in reasons) == 2
    assert sum("same quote" in r for r in reasons) == 1
    assert outcome.enrichments == [OTHER]
    assert show(vault.root, BRANCH, f"{DOMAIN}/{OTHER}.md").count("### Additional Evidence") == 1


def test_a_restated_claim_becomes_an_enrichment_not_a_new_file(vault):
    restated = "the cost of launch is the main limit on the space economy since all other markets scale with launch prices"
    exact = dict(answer()["claims"][0], title=EXISTING, related=[])
    near = dict(answer()["claims"][0], title=restated, related=[],
                evidence=[{"text": "Cheaper launch does not automatically create demand"}])
    provider, _ = fake_provider(answer(claims=[exact, near], enrichments=[]))
    outcome = extract_source(vault, SOURCE, provider=provider)
    assert outcome.status == "proposed", outcome.error
    assert outcome.claims == [] and outcome.enrichments == [EXISTING]
    assert changed_files(vault.root, BRANCH) == sorted([f"{DOMAIN}/{EXISTING}.md", SOURCE])
    enriched = show(vault.root, BRANCH, f"{DOMAIN}/{EXISTING}.md")
    assert enriched.count("### Additional Evidence (") == 2
    assert "\nenrichments: [" in show(vault.root, BRANCH, SOURCE)


def test_nothing_valid_left_fails_the_job_and_commits_nothing(vault):
    bad = answer()["claims"][1]
    provider, _ = fake_provider(answer(claims=[bad], enrichments=[]))
    outcome = extract_source(vault, SOURCE, provider=provider)
    assert outcome.status == "failed" and "nothing valid remained" in outcome.error
    assert [d.subject for d in outcome.dropped] == [UNGROUNDED]
    assert git(vault.root, "branch", "--list", "extract/*").strip() == ""


def test_an_invalid_answer_fails_the_job_with_its_calls_counted(vault):
    provider, _ = fake_provider("I cannot help with that.")
    outcome = extract_source(vault, SOURCE, provider=provider)
    assert outcome.status == "failed" and "extraction failed" in outcome.error
    assert outcome.calls >= 2 and outcome.tokens >= 3000
    assert git(vault.root, "branch", "--list", "extract/*").strip() == ""


def test_restating_another_domains_claim_is_neither_duplicated_nor_enriched(vault):
    near = "remote monitoring lowers readmissions because nurses titrate medication faster than clinic visits do"
    base = answer()["claims"][0]
    claims = [dict(base, title=near, related=[]), dict(base, title=HEALTH, related=[]),
              dict(base, title=NEW, related=[], evidence=[{"text": "Cheaper launch does not automatically create demand"}])]
    provider, _ = fake_provider(answer(claims=claims, enrichments=[]))
    outcome = extract_source(vault, SOURCE, provider=provider)
    assert outcome.status == "proposed", outcome.error
    assert outcome.claims == [NEW] and outcome.enrichments == []
    reasons = {d.subject: d.reason for d in outcome.dropped}
    assert "outside astra's territory" in reasons[near] and "outside astra's territory" in reasons[HEALTH]
    assert changed_files(vault.root, BRANCH) == sorted([f"{DOMAIN}/{NEW}.md", SOURCE])


def test_a_model_claim_that_breaks_the_rubric_becomes_review_findings_never_a_crash_or_a_merge(vault):
    """Issue 19, bad input: the job proposes it (no crash); review requests changes naming the rule; nothing merges."""
    from teleo.review import merge_all, review

    junk = "these results show the booster is the most expensive part of the vehicle"  # an anaphor opener
    claim = dict(answer()["claims"][0], title=junk, related=[],
                 evidence=[{"text": "the booster is the most expensive part of the vehicle"}])
    provider, _ = fake_provider(answer(claims=[claim], enrichments=[]))
    outcome = extract_source(vault, SOURCE, provider=provider)
    assert outcome.status == "proposed", outcome.error
    reviewed = review(vault, BRANCH)
    assert reviewed.status == "changes_requested", reviewed.message
    findings = [f for v in reviewed.verdicts for f in v.findings if f.severity == "blocking"]
    assert any(f.criterion == "claim-quality" and f.message.startswith("title-anaphor") for f in findings), findings
    merged = merge_all(vault)
    assert merged.merged == []
    assert junk not in git(vault.root, "ls-tree", "-r", "--name-only", "main")
