"""The OpenAI-compatible provider against a fault-injecting server on 127.0.0.1.

Every fault ends retried or recorded: the provider returns a valid
ExtractionResult or raises ProviderError carrying every call, and every call
(failed or not) is in the ledger.
"""

from __future__ import annotations

import json

import pytest
from llm_helpers import (  # noqa: F401
    llm_server,
    make_request,
    no_real_model_requests,
    valid_json,
    vault_dir,
)

from teleo.contract.extraction import ExtractionResult
from teleo.llm import (
    AnthropicProvider,
    LLMSettings,
    OpenAICompatibleProvider,
    ProviderError,
    provider_from_config,
)
from teleo.llm.ledger import Ledger, read_ledger, summarize


@pytest.fixture
def make_provider(llm_server, vault_dir):
    """The provider on the fault server. Its timeout is generous (the server is local, but the machine may be
    loaded): only the timeout test lowers it, against an answer that never comes."""
    sleeps: list[float] = []

    def factory(**changes) -> OpenAICompatibleProvider:
        settings = LLMSettings(provider="openai", model="gpt-4o-mini", base_url=llm_server.url, timeout_s=60,
                               max_retries=2, backoff_s=0.01, max_backoff_s=0.05).model_copy(update=changes)
        chosen = OpenAICompatibleProvider(settings, api_key="sk-test-0123456789", ledger=Ledger.for_vault(vault_dir),
                                          sleep=sleeps.append)
        chosen.sleeps = sleeps
        return chosen

    return factory


def _ledger(vault_dir):
    return read_ledger(vault_dir)


def test_success_records_tokens_cost_and_request(make_provider, llm_server, make_request, vault_dir):
    llm_server.script = [("ok", valid_json())]
    result = make_provider().extract(make_request())
    assert isinstance(result.output, ExtractionResult)
    [call] = result.calls
    assert call.ok and call.provider == "openai" and call.model == "gpt-4o-mini"
    assert (call.prompt_tokens, call.completion_tokens) == (1000, 200)
    assert call.cost_usd == pytest.approx((1000 * 0.15 + 200 * 0.60) / 1e6)
    assert call.finish_reason == "stop"
    [sent] = llm_server.requests
    assert sent["model"] == "gpt-4o-mini"
    assert 8192 in (sent.get("max_tokens"), sent.get("max_completion_tokens"))
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert llm_server.headers[0]["authorization"] == "Bearer sk-test-0123456789"
    assert _ledger(vault_dir) == [call]
    assert (vault_dir / ".teleo" / ".gitignore").read_text() == "*\n"


def test_timeout_is_retried(make_provider, llm_server, make_request, vault_dir):
    llm_server.script = [("hang", valid_json()), ("ok", valid_json())]
    chosen = make_provider(timeout_s=5)  # the retry's answer comes at once: 5 s is plenty for it, even under load
    result = chosen.extract(make_request())
    first, second = result.calls
    assert not first.ok and "Timeout" in first.error  # gave up on the slow answer, did not wait for it
    assert second.ok and len(llm_server.requests) == 2
    assert len(chosen.sleeps) == 1 and chosen.sleeps[0] <= 0.05
    assert [c.ok for c in _ledger(vault_dir)] == [False, True]


def test_http_429_then_success(make_provider, llm_server, make_request, vault_dir):
    llm_server.script = [("status", 429), ("status", 503), ("ok", valid_json())]
    chosen = make_provider()
    result = chosen.extract(make_request())
    assert [c.ok for c in result.calls] == [False, False, True]
    assert "429" in result.calls[0].error and "503" in result.calls[1].error
    assert len(chosen.sleeps) == 2 and all(0 < s <= 0.05 for s in chosen.sleeps)
    assert [c.attempt for c in _ledger(vault_dir)] == [1, 2, 3]


def test_malformed_response_body_is_retried(make_provider, llm_server, make_request, vault_dir):
    llm_server.script = [("raw", '{"choices": [ this is not json'), ("raw", '{"unexpected": true}'), ("ok", valid_json())]
    result = make_provider().extract(make_request())
    assert [c.ok for c in result.calls] == [False, False, True]
    assert "decode" in result.calls[0].error.lower()
    assert len(_ledger(vault_dir)) == 3


def test_malformed_json_completion_gets_a_repair(make_provider, llm_server, make_request, vault_dir):
    llm_server.script = [("ok", '{"claims": [{"title": "unterminated'), ("ok", valid_json())]
    result = make_provider().extract(make_request())
    first, second = result.calls
    assert not first.ok and "invalid output" in first.error and second.purpose == "repair"
    repair = llm_server.requests[1]["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"] == '{"claims": [{"title": "unterminated'
    assert "no complete JSON object" in repair[3]["content"]


def test_truncated_output_then_success(make_provider, llm_server, make_request, vault_dir):
    whole = valid_json()
    llm_server.script = [("ok", whole[: len(whole) // 2], "length"), ("ok", whole)]
    result = make_provider().extract(make_request())
    first, second = result.calls
    assert not first.ok and first.error.startswith("truncated") and first.completion_tokens == 200
    assert first.cost_usd is not None  # a truncated call is still paid for
    assert second.ok
    assert "cut off at the output limit" in llm_server.requests[1]["messages"][-1]["content"]
    assert result.output.claims[0].title.startswith("reusable first stages")


def test_permanent_failure_is_a_provider_error_with_every_call(make_provider, llm_server, make_request, vault_dir):
    llm_server.script = [("status", 500)]
    with pytest.raises(ProviderError) as caught:
        make_provider().extract(make_request())
    calls = caught.value.calls
    assert len(calls) == 3 and not any(c.ok for c in calls)  # 1 + max_retries
    assert "3 attempts" in str(caught.value)
    assert _ledger(vault_dir) == calls
    assert summarize(_ledger(vault_dir)).total.failures == 3


def test_always_truncated_is_a_provider_error(make_provider, llm_server, make_request, vault_dir):
    llm_server.script = [("ok", '{"claims": [', "length")]
    with pytest.raises(ProviderError, match="truncated"):
        make_provider(max_retries=1).extract(make_request())
    assert len(_ledger(vault_dir)) == 2


def test_client_errors_are_not_retried_and_keys_are_not_recorded(make_provider, llm_server, make_request, vault_dir):
    llm_server.script = [("status", 401)]
    with pytest.raises(ProviderError) as caught:
        make_provider().extract(make_request())
    assert len(caught.value.calls) == 1 and "401" in caught.value.calls[0].error
    assert "sk-test-0123456789" not in (vault_dir / ".teleo" / "ledger.jsonl").read_text()


def test_native_output_mode_sends_the_json_schema(make_provider, llm_server, make_request):
    llm_server.script = [("ok", valid_json())]
    make_provider(output_mode="native", temperature=0.1).extract(make_request())
    sent = llm_server.requests[0]
    assert sent["response_format"]["type"] == "json_schema"
    assert "claims" in json.dumps(sent["response_format"]["json_schema"]["schema"])
    assert sent["temperature"] == 0.1


def test_provider_from_config_reads_the_llm_table(llm_server, make_request, vault_dir, monkeypatch):
    (vault_dir / "teleo.toml").write_text(
        "[llm]\n"
        'provider = "openai"\n'
        'model = "minimax/minimax-m2.5"\n'
        f'base_url = "{llm_server.url}"\n'
        'api_key_env = "TELEO_TEST_KEY"\n'
        "timeout_s = 5\n"
        "max_retries = 1\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TELEO_TEST_KEY", "sk-from-env-abcdef")
    llm_server.script = [("ok", valid_json())]
    chosen = provider_from_config(vault_dir)
    assert isinstance(chosen, OpenAICompatibleProvider)
    assert (chosen.name, chosen.model, chosen.base_url) == ("openai", "minimax/minimax-m2.5", llm_server.url)
    [call] = chosen.extract(make_request(job_id="job-9")).calls
    assert llm_server.headers[0]["authorization"] == "Bearer sk-from-env-abcdef"
    assert call.cost_usd == pytest.approx((1000 * 0.30 + 200 * 1.20) / 1e6)
    assert read_ledger(vault_dir)[0].job == "job-9"


def test_anthropic_provider_speaks_the_messages_api(llm_server, make_request, vault_dir):
    whole = valid_json()
    llm_server.script = [("ok", whole[:100], "length"), ("status", 529), ("ok", whole)]
    settings = LLMSettings(provider="anthropic", base_url=llm_server.root, timeout_s=60, backoff_s=0.01, max_backoff_s=0.02)
    chosen = AnthropicProvider(settings, api_key="sk-ant-test-0123456789", ledger=Ledger.for_vault(vault_dir))
    result = chosen.extract(make_request())
    assert result.output.claims
    truncated, overloaded, good = result.calls
    assert truncated.finish_reason == "length" and not truncated.ok
    assert "529" in overloaded.error
    assert good.ok and good.model == "claude-sonnet-4-6"
    assert good.cost_usd == pytest.approx((1000 * 3 + 200 * 15) / 1e6)
    assert llm_server.paths[0] == "/v1/messages"
    sent = llm_server.requests[0]
    assert sent["max_tokens"] == 8192 and "untrusted DATA" in json.dumps(sent["system"])
    sent_headers = llm_server.headers[0]
    assert "sk-ant-test-0123456789" in (sent_headers.get("x-api-key"), sent_headers.get("authorization", "").removeprefix("Bearer "))
    assert len(read_ledger(vault_dir)) == 3
