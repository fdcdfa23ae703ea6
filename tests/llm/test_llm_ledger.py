"""The call ledger, its sums, `teleo ledger`, and the `[llm]` settings."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from llm_helpers import no_real_model_requests, vault_dir  # noqa: F401 (fixtures)

from teleo.llm import LLMCall, LLMSettings, OfflineProvider, provider_from_config
from teleo.llm.ledger import (
    Ledger,
    cost_of,
    ledger_path,
    normalise_model,
    parse_since,
    price_of,
    read_ledger,
    summarize,
)
from teleo.llm.settings import load_llm_settings
from teleo.vault import ConfigError


def call(**fields) -> LLMCall:
    base = dict(provider="openai", model="gpt-4o-mini", job="j1", prompt_tokens=1000, completion_tokens=100,
                cost_usd=0.001, latency_s=1.0, started_at="2026-03-01T10:00:00+00:00")
    base.update(fields)
    return LLMCall(**base)


CALLS = [
    call(),
    call(job="j2", latency_s=3.0, cost_usd=0.002),
    call(provider="anthropic", model="claude-sonnet-4-5", job="j3", cost_usd=0.01, latency_s=10.0,
         started_at="2026-03-02T09:00:00+00:00"),
    call(model="local-llama", job="j4", cost_usd=None, ok=False, error="HTTP 500", prompt_tokens=0, completion_tokens=0,
         latency_s=0.5, started_at="2026-03-02T11:00:00+00:00"),
]


def test_ledger_appends_and_reads_back(vault_dir):
    ledger = Ledger.for_vault(vault_dir)
    for item in CALLS:
        ledger.append(item)
    assert ledger_path(vault_dir) == vault_dir / ".teleo" / "ledger.jsonl"
    assert read_ledger(vault_dir) == CALLS
    assert (vault_dir / ".teleo" / ".gitignore").read_text() == "*\n"
    lines = ledger_path(vault_dir).read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(line)["provider"] for line in lines)


def test_a_torn_line_is_skipped(vault_dir):
    ledger = Ledger.for_vault(vault_dir)
    ledger.append(CALLS[0])
    with open(ledger.path, "a", encoding="utf-8") as handle:
        handle.write('{"provider": "openai", "mod')
    assert read_ledger(vault_dir) == [CALLS[0]]


def test_sums_by_provider_with_unknown_costs_apart():
    report = summarize(CALLS, by="provider")
    rows = {row.key: row for row in report.rows}
    assert set(rows) == {"anthropic", "openai"}
    openai = rows["openai"]
    assert (openai.calls, openai.failures, openai.jobs) == (3, 1, 3)
    assert (openai.prompt_tokens, openai.completion_tokens) == (2000, 200)
    assert openai.cost_usd == pytest.approx(0.003) and openai.unknown_cost_calls == 1
    assert openai.mean_latency_s == pytest.approx(1.5) and openai.p95_latency_s == 3.0
    total = report.total
    assert (total.calls, total.failures, total.unknown_cost_calls) == (4, 1, 1)
    assert total.cost_usd == pytest.approx(0.013)
    assert total.p95_latency_s == 10.0


def test_sums_by_model_job_and_day_and_since():
    assert [r.key for r in summarize(CALLS, by="model").rows] == ["claude-sonnet-4-5", "gpt-4o-mini", "local-llama"]
    assert len(summarize(CALLS, by="job").rows) == 4
    days = summarize(CALLS, by="day")
    assert [(r.key, r.calls) for r in days.rows] == [("2026-03-01", 2), ("2026-03-02", 2)]
    later = summarize(CALLS, by="day", since=parse_since("2026-03-02"))
    assert later.total.calls == 2
    with pytest.raises(ValueError):
        summarize(CALLS, by="colour")


def test_parse_since():
    now = datetime(2026, 3, 10, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 3, 3, tzinfo=UTC)
    assert parse_since("2026-03-01T12:00:00") == datetime(2026, 3, 1, 12, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_since("last week")


def test_prices():
    assert normalise_model("anthropic/claude-sonnet-4.5") == "claude-sonnet-4-5"
    assert price_of("claude-sonnet-4-5-20250929") == (3.0, 15.0)
    assert price_of("gpt-4o-mini-2024-07-18") == (0.15, 0.60)
    assert price_of("openai/gpt-4o") == (2.50, 10.0)
    assert price_of("minimax/minimax-m2.5") == (0.30, 1.20)
    assert price_of("claude-opus-4-1") == (15.0, 75.0)
    assert price_of("llama-3.1-8b") is None and cost_of("llama-3.1-8b", 10, 10) is None
    assert cost_of("claude-sonnet-4.5", 1_000_000, 1_000_000) == 18.0
    assert cost_of("llama-3.1-8b", 1_000_000, 0, {"llama-3.1-8b": {"input": 0.1, "output": 0.2}}) == 0.1



def test_prices_beyond_the_table_come_from_the_vendor_snapshot_only_for_the_vendor():
    assert price_of("claude-opus-4-7") is None
    assert cost_of("claude-opus-4-7", 1000, 1000, vendor="anthropic") is not None
    assert cost_of("claude-opus-4-7", 1000, 1000) is None  # e.g. behind a local proxy: no guess
    assert cost_of("llama-3.1-8b", 1000, 1000, vendor="openai") is None


def test_vendor_of_an_endpoint():
    from teleo.llm.providers import _vendor_of

    assert _vendor_of(None) == "openai"
    assert _vendor_of("https://openrouter.ai/api/v1") == "openrouter"
    assert _vendor_of("http://127.0.0.1:8000/v1") is None
    assert _vendor_of("http://localhost:11434/v1") is None


def _append_many(args: tuple[str, int]) -> None:
    folder, worker = args
    ledger = Ledger.for_vault(folder)
    for number in range(200):
        ledger.append(call(job=f"w{worker}-{number}", error="x" * (number * 7 % 900) or None))


def test_appends_from_several_processes_never_interleave(vault_dir):
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_append_many, [(str(vault_dir), worker) for worker in range(4)])
    lines = ledger_path(vault_dir).read_bytes().splitlines()
    assert len(lines) == 800
    assert len({LLMCall.model_validate_json(line).job for line in lines}) == 800


# -- settings ------------------------------------------------------------------------


def _toml(folder: Path, text: str) -> Path:
    (folder / "teleo.toml").write_text(text, encoding="utf-8")
    return folder


def test_settings_default_to_offline(vault_dir):
    assert load_llm_settings(vault_dir) == LLMSettings()
    _toml(vault_dir, '[vault]\nname = "x"\n')
    chosen = provider_from_config(vault_dir)
    assert isinstance(chosen, OfflineProvider) and chosen.ledger.path == ledger_path(vault_dir)


def test_settings_errors_name_the_field(vault_dir):
    _toml(vault_dir, '[llm]\nprovider = "gemini"\n')
    with pytest.raises(ConfigError, match=r"field 'llm.provider'"):
        load_llm_settings(vault_dir)
    _toml(vault_dir, '[llm]\nprovider = "openai"\napi_key = "sk-secret"\n')
    with pytest.raises(ConfigError, match="environment variable"):
        load_llm_settings(vault_dir)
    _toml(vault_dir, '[llm]\nmax_retries = 99\n')
    with pytest.raises(ConfigError, match=r"llm.max_retries"):
        load_llm_settings(vault_dir)


def test_override_flag_and_missing_keys(vault_dir, monkeypatch):
    _toml(vault_dir, '[llm]\nprovider = "offline"\ntimeout_s = 30\n')
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        provider_from_config(vault_dir, override="anthropic")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-abcdef")
    chosen = provider_from_config(vault_dir, override="anthropic")
    assert (chosen.name, chosen.model, chosen.settings.timeout_s) == ("anthropic", "claude-sonnet-4-6", 30)
    assert provider_from_config(vault_dir, override="claude", model="claude-haiku-4-5").model == "claude-haiku-4-5"
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        provider_from_config(vault_dir, override="openai")  # OpenAI itself needs a key
    local = provider_from_config(vault_dir, override="openai", settings=LLMSettings(base_url="http://127.0.0.1:8080/v1"))
    assert local.model == "gpt-4o-mini" and local.base_url == "http://127.0.0.1:8080/v1"  # a local server needs none
    with pytest.raises(ConfigError, match="unknown provider 'gemini'"):
        provider_from_config(vault_dir, override="gemini")


# -- teleo ledger --------------------------------------------------------------------

RUN_CLI = (
    "import sys; from teleo.cli import app as cli, ledger\n"
    "if 'ledger' not in cli.COMMAND_MODULES: ledger.register(cli.app)\n"
    "sys.argv = ['teleo', *sys.argv[1:]]; cli.main()\n"
)


def _teleo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-c", RUN_CLI, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def test_teleo_ledger_json_and_text(vault_dir):
    ledger = Ledger.for_vault(vault_dir)
    for item in CALLS:
        ledger.append(item)
    done = _teleo("--vault", str(vault_dir), "ledger", "--by", "model", "--format", "json", cwd=vault_dir)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["by"] == "model" and len(report["rows"]) == 3
    assert report["total"]["calls"] == 4 and report["total"]["unknown_cost_calls"] == 1
    assert report["total"]["cost_usd"] == pytest.approx(0.013)
    since = json.loads(_teleo("--vault", str(vault_dir), "ledger", "--since", "2026-03-02", "-f", "json", cwd=vault_dir).stdout)
    assert since["total"]["calls"] == 2

    text = _teleo("--vault", str(vault_dir), "ledger", "--by", "model", cwd=vault_dir)
    assert text.returncode == 0, text.stderr
    [unknown] = [line for line in text.stdout.splitlines() if "local-llama" in line]
    assert "—" in unknown  # no price: no cost shown, not 0
    assert "total" in text.stdout and "0.0130" in text.stdout
    assert '[llm.prices."<model>"]' in text.stdout
    days = _teleo("--vault", str(vault_dir), "ledger", "--by", "day", cwd=vault_dir)
    assert "2026-03-01" in days.stdout and "2026-03-02" in days.stdout

    bad = _teleo("--vault", str(vault_dir), "ledger", "--since", "yesterday-ish", cwd=vault_dir)
    assert bad.returncode == 2 and "not a date" in bad.stderr
    helped = _teleo("ledger", "--help", cwd=vault_dir)
    assert "teleo ledger --by day --since 7d" in helped.stdout


def test_teleo_ledger_on_an_empty_vault(vault_dir):
    done = _teleo("--vault", str(vault_dir), "ledger", cwd=vault_dir)
    assert done.returncode == 0 and "No model calls recorded" in done.stdout


def test_teleo_ledger_reads_whole_at_80_columns(vault_dir):
    """Issue 12.5: at 80 columns every cell was cut (`prov…`, `0.00…`). Every figure is printed whole,
    no line is wider than the terminal, and what a cell holds is said by its header."""
    ledger = Ledger.for_vault(vault_dir)
    heavy = dict(prompt_tokens=12_345_678, completion_tokens=1_234_567, latency_s=123.45, started_at="2026-03-03T08:00:00+00:00")
    for item in [*CALLS, call(provider="openai-compatible", model="claude-sonnet-4-5-20250929", job="j9", cost_usd=1234.5678, **heavy)]:
        ledger.append(item)
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    for by in ("provider", "model", "job", "day"):
        done = subprocess.run([sys.executable, "-c", RUN_CLI, "--vault", str(vault_dir), "ledger", "--by", by],
                              cwd=vault_dir, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        out = done.stdout
        assert "…" not in out, out
        grid = out.split("call(s) to models with no known price")[0]  # the table; the notes after it are prose
        assert max(len(line) for line in grid.splitlines()) <= 80, out
        for figure in ("12.3M", "1.23M", "1,234.5808", "123.45"):  # tokens in k/M here, exact in json
            assert figure in out, (figure, out)
    assert "openai-compatible" in out or by != "provider"
    model = subprocess.run([sys.executable, "-c", RUN_CLI, "--vault", str(vault_dir), "ledger", "--by", "model"],
                           cwd=vault_dir, env=env, capture_output=True, text=True, timeout=60).stdout
    assert "claude-sonnet-4-5" in model and "gpt-4o-mini" in model and "local-llama" in model
