"""A source longer than the budget: one call chain per chunk, every call in the ledger, the claims merged."""

from __future__ import annotations

import json
import re

import pytest
from llm_helpers import make_request, no_real_model_requests, vault_dir  # noqa: F401
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from teleo.extract.chunks import count_tokens, split_source
from teleo.contract.extraction import ExtractionResult
from teleo.extract.merge import merge_results
from teleo.llm import LLMSettings, ModelProvider, ProviderError
from teleo.llm.ledger import Ledger, read_ledger

PARAGRAPHS = [f"Paragraph {n}: depot number {n} stores {n * 10} tonnes of propellant in orbit, the operator says."
              for n in range(400)]
SOURCE = "\n\n".join(PARAGRAPHS)
SHARED_TITLE = "orbital depots store propellant for months without losing much of it to boil-off"
DISTINCT = [
    "insurance premiums for satellite launches fell as failure rates declined",
    "reusable boosters cut the marginal cost of a launch more than larger rockets did",
    "lunar water ice could supply oxygen for crewed missions within a decade",
    "spectrum auctions decide which broadband constellations can reach profitability",
    "space debris removal lacks a business model because no one owns the risk",
    "pharmaceutical crystals grown in microgravity are purer than those grown on Earth",
    "small satellite makers now compete on software rather than on hardware",
    "export controls slow international partnerships on launch vehicles",
    "ground stations have become a bottleneck for earth observation data delivery",
    "national space agencies increasingly buy services instead of owning hardware",
    "asteroid mining remains uneconomic while launch costs exceed a thousand dollars per kilogram",
    "orbital manufacturing of fibre optics depends on cheap return capsules",
]


def claim(title: str, quote: str) -> dict:
    return {"title": title, "description": "A description long enough to pass the contract's minimum.",
            "confidence": "experimental", "body": "Body.", "evidence": [{"text": quote}]}


def chunked_model(fail_part: int | None = None):
    """Answers each part with one claim of its own and the shared claim (reworded case), quoting the part."""
    seen: list[str] = []

    def fn(messages, info: AgentInfo) -> ModelResponse:
        user = messages[0].parts[1].content
        seen.append(user)
        part = int(re.search(r"This is part (\d+) of", user).group(1))
        if part == fail_part:
            return ModelResponse(parts=[TextPart("not json")], usage=RequestUsage(input_tokens=10, output_tokens=2))
        quote = re.search(r"(Paragraph \d+: depot number \d+ stores)", user).group(1)
        shared = SHARED_TITLE if part % 2 else SHARED_TITLE.capitalize()
        payload = {"claims": [claim(DISTINCT[part - 1], quote),
                              claim(shared, quote)],
                   "enrichments": [],
                   "source_update": {"key_facts": [f"fact of part {part}", "a fact every part repeats"], "notes": ""}}
        return ModelResponse(parts=[TextPart(json.dumps(payload))], usage=RequestUsage(input_tokens=100, output_tokens=20))

    return FunctionModel(fn, model_name="fake-model"), seen


def provider(model, vault_dir, **settings) -> ModelProvider:
    chosen = LLMSettings(max_retries=0, backoff_s=0.0, max_backoff_s=0.0, chunk_tokens=3_000, **settings)
    return ModelProvider(model, name="fake", settings=chosen, ledger=Ledger.for_vault(vault_dir), sleep=lambda s: None)


def test_every_chunk_is_extracted_recorded_and_merged(make_request, vault_dir):
    model, seen = chunked_model()
    result = provider(model, vault_dir).extract(make_request(source_text=SOURCE))
    parts = len(seen)
    assert parts == result.chunks and parts > 3
    for paragraph in PARAGRAPHS:  # the whole source went out, over the calls
        assert any(paragraph in user for user in seen)
    calls = read_ledger(vault_dir)
    assert [(c.chunk, c.chunks) for c in calls] == [(n, parts) for n in range(1, parts + 1)]
    assert calls == result.calls and all(c.ok for c in calls)
    titles = [c.title for c in result.output.claims]
    assert len(titles) == parts + 1  # one per part, and the shared claim once
    assert sum(t.casefold() == SHARED_TITLE for t in titles) == 1
    shared = next(c for c in result.output.claims if c.title.casefold() == SHARED_TITLE)
    assert len(shared.evidence) == min(10, parts)  # the merged copies gave their quotes
    assert result.output.source_update.key_facts.count("a fact every part repeats") == 1
    assert "merged" in result.output.source_update.notes


def test_a_failing_chunk_fails_the_source_with_every_call_attached(make_request, vault_dir):
    model, seen = chunked_model(fail_part=2)
    with pytest.raises(ProviderError) as caught:
        provider(model, vault_dir).extract(make_request(source_text=SOURCE))
    assert "part 2 of" in str(caught.value)
    assert [c.chunk for c in caught.value.calls] == [1, 2, 2, 2]  # part 1, then part 2's extract, repair, extract
    assert read_ledger(vault_dir) == caught.value.calls


def test_a_short_source_is_one_call_as_before(make_request, vault_dir):
    model, seen = chunked_model()
    # a source within the budget has no "part" line: the fake would fail to find it, so answer plainly
    plain = FunctionModel(lambda m, i: ModelResponse(parts=[TextPart(json.dumps({
        "claims": [], "enrichments": [], "source_update": {"key_facts": [], "notes": "nothing here"}}))]))
    result = provider(plain, vault_dir).extract(make_request())
    assert result.chunks == 1 and [(c.chunk, c.chunks) for c in result.calls] == [(1, 1)]


def test_split_source_covers_everything_within_budget():
    chunks = split_source(SOURCE, 1_000, 100)
    assert len(chunks) > 3 and all(count_tokens(c.text) <= 1_000 for c in chunks)
    assert all(SOURCE[c.start:c.end] == c.text for c in chunks)
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(SOURCE) if not ch.isspace())
    assert all(b.start < a.end for a, b in zip(chunks, chunks[1:]))  # neighbours overlap
    one = split_source("short text", 1_000, 100)
    assert len(one) == 1 and one[0].text == "short text"


def test_merge_caps_what_the_contract_cannot_hold_and_says_so(monkeypatch):
    from teleo.extract import merge

    monkeypatch.setattr(merge, "earlier_duplicates", lambda titles: [None] * len(titles))  # 36 distinct claims
    many = [ExtractionResult.model_validate({
        "claims": [claim(f"{DISTINCT[k]} according to study {p}", "Paragraph 1: depot") for k in range(9)],
        "source_update": {"notes": ""}}) for p in range(4)]
    merged = merge_results(many)
    assert len(merged.claims) == 25 and "left out" in merged.source_update.notes
    assert merged.problems() == []


def test_an_empty_source_is_a_null_result_that_says_why_and_costs_no_call(make_request, vault_dir):
    def never(messages, info):
        raise AssertionError("an empty source was sent")

    result = provider(FunctionModel(never), vault_dir).extract(make_request(source_text=" \n\x00\x07 \n"))
    assert result.output.is_null and "empty after cleaning" in result.output.source_update.notes
    assert result.calls == [] and read_ledger(vault_dir) == []
