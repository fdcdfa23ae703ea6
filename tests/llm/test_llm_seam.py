"""A fake LLM through the seam: pydantic-ai's FunctionModel and TestModel, no network."""

from __future__ import annotations

import json
import sys
import types

import pytest
from llm_helpers import (  # noqa: F401
    make_request,
    no_real_model_requests,
    valid_json,
    valid_payload,
    vault_dir,
)
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.usage import RequestUsage

from teleo.contract.extraction import ExtractionResult
from teleo.extract.prompt import render_prompt
from teleo.llm import (
    LLMSettings,
    ModelProvider,
    OfflineProvider,
    ProviderError,
    ProviderResult,
)
from teleo.llm.ledger import Ledger
from teleo.llm.output import InvalidOutput, extract_json_object, parse_result

FAST = LLMSettings(max_retries=2, backoff_s=0.0, max_backoff_s=0.0)


def scripted(*answers, usage=(500, 100)):
    """A FunctionModel answering with `answers` in turn (str → text; ModelResponse as is); records what it saw."""
    seen: list[list] = []
    queue = list(answers)

    def fn(messages, info: AgentInfo) -> ModelResponse:
        seen.append(messages)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, ModelResponse):
            return answer
        return ModelResponse(parts=[TextPart(answer)], usage=RequestUsage(input_tokens=usage[0], output_tokens=usage[1]))

    return FunctionModel(fn, model_name="fake-model"), seen


def provider(model, vault_dir, **settings):
    chosen = FAST.model_copy(update=settings)
    return ModelProvider(model, name="fake", settings=chosen, ledger=Ledger(vault_dir / "ledger.jsonl"), sleep=lambda s: None)


def _last_user_text(messages) -> str:
    request = messages[-1]
    assert isinstance(request, ModelRequest)
    return "".join(p.content for p in request.parts if isinstance(p, UserPromptPart))


def test_valid_answer_gives_a_result_and_one_recorded_call(make_request, vault_dir):
    model, seen = scripted(valid_json())
    chosen = provider(model, vault_dir)
    result = chosen.extract(make_request())
    assert isinstance(result, ProviderResult)
    assert isinstance(result.output, ExtractionResult)
    assert result.output.claims[0].evidence[0].text.startswith("Reusable first stages")
    [call] = result.calls
    assert call.ok and call.provider == "fake" and call.model == "fake-model" and call.job == "job-1"
    assert (call.prompt_tokens, call.completion_tokens) == (500, 100)
    assert call.cost_usd is None  # unknown model: no guess
    assert call.started_at and call.latency_s >= 0 and call.purpose == "extract" and call.attempt == 1
    assert Ledger(vault_dir / "ledger.jsonl").read() == [call]
    assert len(seen) == 1


def test_prompt_size_is_recorded(make_request, vault_dir):
    model, seen = scripted(valid_json())
    request = make_request()
    [call] = provider(model, vault_dir).extract(request).calls
    sent = sum(len(p.content) for p in seen[0][0].parts)
    assert call.prompt_chars == sent
    system, user = render_prompt(request)
    assert abs(call.prompt_chars - (len(system) + len(user))) == 0


def test_test_model_through_the_seam(make_request, vault_dir):
    result = provider(TestModel(custom_output_text=valid_json()), vault_dir).extract(make_request())
    assert result.output.claims and result.calls[0].ok and result.calls[0].model == "test"


def test_invalid_then_valid_on_repair(make_request, vault_dir):
    broken = valid_payload()
    del broken["claims"][0]["evidence"]
    model, seen = scripted(json.dumps(broken), valid_json())
    result = provider(model, vault_dir).extract(make_request())
    assert result.output.claims
    first, second = result.calls
    assert not first.ok and "invalid output" in first.error and "evidence" in first.error
    assert second.ok and second.purpose == "repair" and second.attempt == 2
    repair = seen[1]
    assert len(repair) == 3  # the prompt, the bad answer, the errors
    assert isinstance(repair[1], ModelResponse) and repair[1].parts[0].content == json.dumps(broken)
    assert "claims.0.evidence: Field required" in _last_user_text(repair)
    assert [c.ok for c in Ledger(vault_dir / "ledger.jsonl").read()] == [False, True]


def test_contract_problems_count_as_invalid(make_request, vault_dir):
    null_without_notes = json.dumps({"claims": [], "enrichments": [], "source_update": {"key_facts": []}})
    model, seen = scripted(null_without_notes, valid_json())
    result = provider(model, vault_dir).extract(make_request())
    assert result.output.claims
    assert "null result needs source_update.notes" in _last_user_text(seen[1])


def test_null_result_with_notes_is_valid(make_request, vault_dir):
    null = json.dumps({"claims": [], "source_update": {"notes": "a press release with no arguable content"}})
    model, _ = scripted(null)
    result = provider(model, vault_dir).extract(make_request())
    assert result.output.is_null and len(result.calls) == 1


def test_enrichment_target_must_be_a_listed_claim(make_request, vault_dir):
    enrichment = {"type": "confirm", "evidence": "Falcon 9 prices confirm that launch cost dominates.",
                  "quote": {"text": "Reusable first stages account for most of the drop"}}
    wrong = valid_json(enrichments=[{**enrichment, "target": "a claim nobody listed"}])
    near = valid_json(enrichments=[{**enrichment, "target": "Launch cost is the binding constraint on the space economy."}])
    model, seen = scripted(wrong, near)
    result = provider(model, vault_dir).extract(make_request())
    assert "is not one of the listed similar claims" in _last_user_text(seen[1])
    assert result.output.enrichments[0].target == "launch cost is the binding constraint on the space economy"


def test_always_invalid_ends_in_provider_error_with_every_call(make_request, vault_dir):
    model, seen = scripted("I cannot help with that.")
    with pytest.raises(ProviderError) as caught:
        provider(model, vault_dir).extract(make_request())
    calls = caught.value.calls
    assert [c.purpose for c in calls] == ["extract", "repair", "extract"]
    assert not any(c.ok for c in calls) and all("no complete JSON object" in c.error for c in calls)
    assert "no valid extraction" in str(caught.value)
    assert len(Ledger(vault_dir / "ledger.jsonl").read()) == 3
    assert len(seen[2]) == 1  # the retry starts afresh


def test_fenced_json_after_prose_is_accepted(make_request, vault_dir):
    model, _ = scripted("Sure! Here is the extraction:\n```json\n" + valid_json() + "\n```\nLet me know.")
    result = provider(model, vault_dir).extract(make_request())
    assert result.output.claims and len(result.calls) == 1


def test_truncated_completion_is_retried_not_parsed(make_request, vault_dir):
    half = valid_json()[: len(valid_json()) // 2]
    cut = ModelResponse(parts=[TextPart(half)], finish_reason="length", usage=RequestUsage(input_tokens=500, output_tokens=8192))
    model, seen = scripted(cut, valid_json())
    result = provider(model, vault_dir).extract(make_request())
    first, second = result.calls
    assert not first.ok and first.error.startswith("truncated") and first.finish_reason == "length"
    assert first.completion_tokens == 8192  # paid for, so recorded
    assert second.ok and second.purpose == "extract"
    assert "cut off at the output limit" in _last_user_text(seen[1])


def test_requests_are_forbidden_in_tests(make_request, vault_dir):
    from teleo.llm import OpenAICompatibleProvider

    chosen = OpenAICompatibleProvider(LLMSettings(provider="openai", base_url="http://127.0.0.1:9/v1", max_retries=3),
                                      api_key="unused", ledger=Ledger(vault_dir / "l.jsonl"), sleep=lambda s: None)
    with pytest.raises(ProviderError) as caught:
        chosen.extract(make_request())
    assert len(caught.value.calls) == 1  # not retried
    assert "ALLOW_MODEL_REQUESTS" in caught.value.calls[0].error


def test_offline_provider_delegates_and_records(make_request, vault_dir, monkeypatch):
    answer = ExtractionResult.model_validate(valid_payload())
    stub = types.ModuleType("teleo.extract.offline")
    filtered = [types.SimpleNamespace(subject="they said so", code="title-anaphor", reason="opens with 'they'")]
    stub.extract_offline_detailed = lambda request: types.SimpleNamespace(result=answer, dropped=filtered)
    monkeypatch.setitem(sys.modules, "teleo.extract.offline", stub)
    ledger = Ledger(vault_dir / "ledger.jsonl")
    result = OfflineProvider(ledger=ledger).extract(make_request())
    assert result.output == answer
    assert [(d.kind, d.subject, d.code) for d in result.dropped] == [("candidate", "they said so", "title-anaphor")]
    [call] = ledger.read()
    assert call.provider == "offline" and call.cost_usd == 0.0 and call.ok

    # a null result without notes
    stub.extract_offline_detailed = lambda request: types.SimpleNamespace(result=ExtractionResult(), dropped=[])
    with pytest.raises(ProviderError, match="broke the contract"):
        OfflineProvider(ledger=ledger).extract(make_request())

    def boom(request):
        raise RuntimeError("embedding file missing")

    stub.extract_offline_detailed = boom
    with pytest.raises(ProviderError, match="embedding file missing") as caught:
        OfflineProvider(ledger=ledger).extract(make_request())
    assert not caught.value.calls[0].ok
    assert [c.ok for c in ledger.read()] == [True, False, False]


@pytest.mark.parametrize(
    "text",
    [
        '{"claims": []}',
        '  ```json\n{"claims": []}\n```',
        'Here you go: {"claims": []} — done',
        'prefix {not json} then {"claims": [], "source_update": {"notes": "x"}} suffix {"a": 1}',
        '\ufeff{"claims": []}',
    ],
)
def test_outermost_object_is_found(text):
    assert "claims" in extract_json_object(text)


@pytest.mark.parametrize("text", ["", "no json here", '{"claims": [', '[1, 2]'])
def test_no_object_is_invalid(text):
    with pytest.raises(InvalidOutput):
        extract_json_object(text)


def test_parse_result_lists_schema_errors():
    with pytest.raises(InvalidOutput) as caught:
        parse_result('{"claims": [{"title": "short"}], "extra": 1}')
    joined = "\n".join(caught.value.errors)
    assert "claims.0.title" in joined and "extra: Extra inputs are not permitted" in joined
