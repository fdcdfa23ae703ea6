"""The offline extractor: deterministic, safe titles, grounded quotes, dedupe, null results."""

from __future__ import annotations

import re

import pytest

from teleo.contract.extraction import ExtractionResult
from teleo.extract.dedupe import DUPLICATE_THRESHOLD, nearest
from teleo.extract.grounding import ground, ground_result
from teleo.extract.offline import MACHINE_NOTE, clean_title, enrichment_type, extract_offline, extract_offline_detailed
from teleo.contract.request import ExtractionRequest, SimilarClaim
from teleo.extract.sentences import split_sentences
from teleo.gates.quality import is_mergeable, judge_claim

ESSAY = """\
---
title: pasted frontmatter that is not ours
---

# Why futarchy beats token voting

Published in Governance Weekly. Click here to subscribe.

Token voting concentrates power in whales because voting weight scales linearly with holdings.
Futarchy replaces votes with conditional markets, so decisions follow predicted outcomes rather than headcounts.
I'm really excited to share this with you all!

## Evidence

- MetaDAO ran 40 proposals through conditional markets in 2024, and pass rates fell by 30 percent when markets disagreed with insiders.
- Liquidity requirements increase the cost of manipulation, which makes futarchy more robust than token voting at scale.
- See [the report](https://example.org/report) for details.

What does this mean for DAOs?

> Markets aggregate dispersed information better than committees do, since traders who are wrong lose money.

Thanks for reading! Follow us on X.
"""


def request(text: str = ESSAY, **overrides) -> ExtractionRequest:
    fields = {
        "job_id": "job-1", "agent": "rio", "domain": "internet-finance",
        "source_path": "inbox/archive/2026-01-01-essay.md", "source_title": "Why futarchy beats token voting",
        "source_text": text,
    }
    fields.update(overrides)
    return ExtractionRequest(**fields)


def assert_valid(result: ExtractionResult) -> None:
    again = ExtractionResult.model_validate(result.model_dump())
    assert again == result
    assert result.problems() == []


def test_deterministic():
    first = extract_offline(request())
    second = extract_offline(request())
    assert first.model_dump() == second.model_dump()
    assert first.claims, first.source_update.notes


def test_candidates_are_the_sources_own_sentences_and_pass_the_rubric():
    result = extract_offline(request())
    assert_valid(result)
    assert 1 <= len(result.claims) <= 8
    plain = " ".join(s.text for s in split_sentences(ESSAY).sentences)
    for claim in result.claims:
        assert claim.confidence == "speculative"
        assert MACHINE_NOTE in claim.body
        assert claim.body.startswith("> ")
        assert "Machine candidate" not in claim.description
        assert claim.description in plain, claim.description  # a sentence of the source, not a note about it
        assert is_mergeable(judge_claim(claim.title, claim.description, written_body(claim), source_text=ESSAY))
    titles = " | ".join(c.title for c in result.claims)
    assert "excited" not in titles and "Click here" not in titles and "subscribe" not in titles
    assert "What does this mean" not in titles
    assert "Thanks for reading" not in titles


def test_every_quote_grounds_exactly():
    result = extract_offline(request())
    for claim in result.claims:
        for quote in claim.evidence:
            found = ground(quote.text, ESSAY)
            assert found.found and found.method == "exact", quote.text
    assert ground_result(result, ESSAY) == []


def test_max_claims_is_respected():
    assert len(extract_offline(request(max_claims=2)).claims) == 2
    none = extract_offline(request(max_claims=0))
    assert none.is_null and none.problems() == []


HOSTILE = """\
The attacker wrote ../../etc/passwd into the config because path checks were missing in the loader.

Editors embed [[x]] wiki links and <script>alert(1)</script> tags since the renderer trusts every input blindly.

However, this means that "quoted" titles with a back\\slash and a pipe | or a hash # must never reach the file system unchanged.

Because unbounded recursion in the parser leads to stack exhaustion, """ + " ".join(
    f"clause number {i} adds more words to the sentence" for i in range(6)
) + """, which therefore ends up far longer than any title should be.
"""

_UNSAFE = re.compile(r"\[\[|\]\]|[/\\<>|#\"*?:\x00-\x1f\x7f]")


def test_titles_are_sanitised():
    result = extract_offline_detailed(request(HOSTILE, source_title="Hostile input"))
    assert_valid(result.result)
    claims = result.result.claims
    assert len(claims) == 2
    for claim in claims:
        assert not _UNSAFE.search(claim.title), claim.title
        assert not claim.title.startswith((".", "-", " "))
        assert not claim.title.endswith(".")
        assert len(claim.title) <= 200
        assert "[[" not in claim.body and "<script>" not in claim.body
        assert "[[" not in claim.description and "<script" not in claim.description
        assert ground(claim.evidence[0].text, HOSTILE).method == "exact"
    titles = [c.title for c in claims]
    assert "the attacker wrote etc-passwd into the config because path checks were missing in the loader" in titles
    # a sentence too long for a title, with no clause boundary to cut it at, is dropped (never cut mid-phrase)
    long = [d for d in result.dropped if d.subject.startswith("Because unbounded recursion")]
    assert [d.code for d in long] == ["no-usable-title"] and "200 characters" in long[0].reason


@pytest.mark.parametrize(
    ("sentence", "title"),
    [
        ("However, markets price risk better than committees.", "markets price risk better than committees"),
        ("This means that fees fall as volume grows.", "fees fall as volume grows"),
        ("\u201cNetworks compound value over time.\u201d", "networks compound value over time"),
        ("AI labs underinvest in safety because of racing.", "AI labs underinvest in safety because of racing"),
        ("Key finding: weak ties bridge otherwise separate clusters.", "weak ties bridge otherwise separate clusters"),
        ("The [[claim]] uses a/b testing and <b>bold</b> text.", "the claim uses a-b testing and bold text"),
        ("Ok.", None),
    ],
)
def test_clean_title(sentence, title):
    assert clean_title(sentence) == title


def test_proper_nouns_keep_their_capital():
    source = "Putnam argued this. Later, Putnam showed that Ethereum fees rose."
    assert clean_title("Putnam showed that civic life declined sharply.", source).startswith("Putnam")
    assert clean_title("Documents the erosion of civic life since 1960.", source).startswith("documents")


def test_near_copy_of_a_similar_claim_becomes_an_enrichment():
    similar = [
        SimilarClaim(
            title="token voting concentrates power in whales because voting weight scales linearly with holdings",
            description="Plutocratic capture follows from linear weights.",
            path="domains/internet-finance/token voting concentrates power.md",
        ),
        SimilarClaim(title="solar panels get cheaper every year", path="domains/energy/solar.md"),
    ]
    found = nearest("Token voting concentrates power in whales because voting weight scales with holdings.", similar)
    assert found is not None and found[0] is similar[0] and found[1] >= DUPLICATE_THRESHOLD
    result = extract_offline(request(similar=similar))
    assert_valid(result)
    targets = [e.target for e in result.enrichments]
    assert targets == [similar[0].title]
    enrichment = result.enrichments[0]
    assert enrichment.type == "confirm"
    assert enrichment.quote.text.startswith("Token voting concentrates power in whales")
    assert ground(enrichment.quote.text, ESSAY).method == "exact"
    assert "Token voting concentrates power" in enrichment.evidence
    assert all("whales" not in c.title for c in result.claims)


def test_enrichment_type_by_negation():
    assert enrichment_type("Futarchy does not outperform voting.", "futarchy outperforms voting") == "challenge"
    assert enrichment_type("Futarchy outperforms voting.", "futarchy never outperforms voting") == "challenge"
    assert enrichment_type("Futarchy outperforms voting.", "futarchy outperforms voting") == "confirm"
    assert enrichment_type("Voting isn't better.", "voting is not better than futarchy") == "confirm"


def test_boilerplate_only_source_is_a_null_result_with_notes():
    text = """\
# Newsletter

Published in The Weekly. Click here to read more.

Subscribe to our newsletter for updates!

Copyright 2025. All rights reserved.

Follow us on social media.
"""
    result = extract_offline(request(text))
    assert result.is_null
    assert "no sentence carried a claim cue" in result.source_update.notes
    assert_valid(result)


@pytest.mark.parametrize("text", ["", "   \n\n", "# Title only\n\n---\n", "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```\n"])
def test_a_source_empty_after_cleaning_is_a_null_result_that_says_so(text):
    result = extract_offline(request(text))
    assert result.is_null
    assert "empty after cleaning" in result.source_update.notes
    assert_valid(result)


def test_a_negated_copy_becomes_a_challenge():
    similar = [SimilarClaim(
        title="token voting does not concentrate power in whales because voting weight scales linearly with holdings",
        path="domains/internet-finance/x.md",
    )]
    result = extract_offline(request(similar=similar))
    assert [(e.target, e.type) for e in result.enrichments] == [(similar[0].title, "challenge")]
    assert_valid(result)


# -- the claim-quality filter ----------------------------------------------------------


def written_body(claim) -> str:
    """The body as the writer lays it out: H1, argument, the evidence quoted and cited."""
    quote = "\n".join(f"> {line}" for line in claim.evidence[0].text.splitlines())
    return f"# {claim.title}\n\n{claim.body}\n\n## Evidence\n\n{quote}\n\n(from [[the source]], line 3)\n"

FRAGMENTS = """\
# Notes from the panel on municipal broadband

They argued that this changes everything about how towns should finance their fibre networks.

These results hold only for the second group of towns in the sample, which were already wealthier.

However, it was never clear which of the two operators would lower prices first in that market.

The authors traced most of the difference in take-up to choices made after the networks were built.

Towns in which the council owns the ducts, for example by leasing them to several competing operators.

Why do some towns manage to connect every household while their neighbours still wait for fibre?
"""


def test_a_source_of_fragments_and_anaphora_is_a_null_result_that_says_why():
    detailed = extract_offline_detailed(request(FRAGMENTS, source_title="Municipal broadband panel"))
    result = detailed.result
    assert result.is_null and result.problems() == []
    notes = result.source_update.notes
    assert notes.startswith("offline extractor: no candidate passed the claim-quality rubric")
    assert len(detailed.dropped) >= 4
    codes = {d.code for d in detailed.dropped}
    assert codes & {"title-anaphor", "title-connective", "title-unnamed-reference", "needs-context"}, codes
    for dropped in detailed.dropped:  # each candidate considered is named in the notes, with why it was dropped
        assert dropped.code in notes
        assert dropped.subject[:30].lower() in notes.lower()
    assert "question" in notes  # the question was never a candidate: rejected outright, and counted
    unfiltered = extract_offline(request(FRAGMENTS, source_title="Municipal broadband panel"), quality_filter=False)
    assert unfiltered.claims  # the filter is what made it null


ARGUED = """\
# Why maker rebates deepen thin markets

Exchange designers have argued about fees for years. Maker rebates deepen thin prediction markets because they pay liquidity providers to post quotes before informed traders arrive. When one exchange introduced rebates in 2025, quoted depth within two cents of the midpoint tripled within a month.
"""


def test_an_arguable_sentence_becomes_a_claim_described_by_the_sentence_that_supports_it():
    result = extract_offline(request(ARGUED, source_title="Maker rebates"))
    assert_valid(result)
    claim = next(c for c in result.claims if c.title.startswith("maker rebates deepen"))
    assert claim.title == ("maker rebates deepen thin prediction markets because they pay liquidity providers "
                           "to post quotes before informed traders arrive")
    assert claim.description == ("When one exchange introduced rebates in 2025, quoted depth within two cents of "
                                 "the midpoint tripled within a month.")
    assert claim.evidence[0].text.startswith("Maker rebates deepen thin prediction markets")
    assert is_mergeable(judge_claim(claim.title, claim.description, written_body(claim), source_text=ARGUED))


FRAMED = """\
# Readmission programmes

On costs, Okoye notes that home-visiting programmes cost several times more per patient than call-based ones, and that hospitals paid under readmission penalties see only part of the savings.
"""


def test_the_clause_a_frame_announced_next_to_the_title_becomes_its_description():
    result = extract_offline(request(FRAMED, source_title="Readmission programmes"))
    [claim] = result.claims
    assert claim.title == "home-visiting programmes cost several times more per patient than call-based ones"
    assert claim.description == "Hospitals paid under readmission penalties see only part of the savings."


def test_every_offline_claim_passes_the_rubric_and_drops_are_reported():
    for text in (ESSAY, HOSTILE, FRAGMENTS, ARGUED, FRAMED):
        detailed = extract_offline_detailed(request(text))
        for claim in detailed.result.claims:
            issues = judge_claim(claim.title, claim.description, written_body(claim), source_text=text)
            assert is_mergeable(issues), (claim.title, issues)
        for dropped in detailed.dropped:
            assert dropped.code and dropped.reason and dropped.subject
