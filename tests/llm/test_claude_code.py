"""Provider `claude-code`: the Agent SDK driving a fake Claude Code CLI (its stream-JSON protocol)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from llm_helpers import make_request, valid_payload, vault_dir  # noqa: F401

from teleo.llm import LLMSettings, ProviderError
from teleo.llm.claude_code import ClaudeCodeProvider
from teleo.llm.ledger import Ledger

FAKE = Path(__file__).with_name("fake_claude_cli.py")

if os.environ.get("TELEO_REQUIRE_CLAUDE") != "1":  # CI sets it: there a missing SDK is a failure
    pytest.importorskip("claude_agent_sdk", reason="the claude extra is not installed: pip install -e '.[test,claude]'")


@pytest.fixture
def fake_cli(tmp_path, monkeypatch):
    """`script(*steps)` → the path of an executable fake CLI answering `steps` in turn; its log's reader."""
    wrapper = tmp_path / "claude"
    wrapper.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{FAKE}' \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "cli-log.jsonl"
    monkeypatch.setenv("FAKE_CLAUDE_LOG", str(log))

    def script(*steps):
        path = tmp_path / "script.json"
        path.write_text(json.dumps(list(steps)))
        path.with_suffix(".count").unlink(missing_ok=True)
        monkeypatch.setenv("FAKE_CLAUDE_SCRIPT", str(path))
        return str(wrapper)

    def runs():
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    script.runs = runs
    return script


def provider(cli: str, vault_dir, **settings) -> ClaudeCodeProvider:
    chosen = LLMSettings(provider="claude-code", backoff_s=0.0, max_backoff_s=0.0,
                         **{"max_retries": 1, "timeout_s": 300, **settings})  # generous: the fake answers at once
    return ClaudeCodeProvider(chosen, cli_path=cli, ledger=Ledger.for_vault(vault_dir), sleep=lambda s: None)


def test_a_structured_answer_becomes_the_result_with_its_usage_and_cost_in_the_ledger(fake_cli, make_request, vault_dir):
    usage = {"input_tokens": 900, "cache_read_input_tokens": 100, "output_tokens": 250}
    cli = fake_cli({"structured": valid_payload(), "usage": usage, "cost": 0.0421})
    answer = provider(cli, vault_dir).extract(make_request())
    assert answer.output.claims[0].title.startswith("reusable first stages")
    [call] = answer.calls
    assert (call.provider, call.prompt_tokens, call.completion_tokens, call.cost_usd, call.ok) == (
        "claude-code", 1000, 250, 0.0421, True)
    [line] = Ledger.for_vault(vault_dir).read()
    assert line.provider == "claude-code" and line.cost_usd == 0.0421 and line.purpose == "extract"
    [run] = fake_cli.runs()
    argv = " ".join(run["argv"])
    assert "--json-schema=" in argv and '"claims"' in argv  # the contract's schema
    assert "--tools=" in run["argv"] and "--model=claude-sonnet-4-6" in run["argv"]
    assert any(a.startswith("--system-prompt=") and "JSON" in a for a in run["argv"])
    assert "Launch costs to low Earth orbit" in run["prompt"]


def test_malformed_output_is_repaired_with_the_errors_sent_back(fake_cli, make_request, vault_dir):
    cli = fake_cli({"text": "Here are the claims: none, sorry"}, {"structured": valid_payload()})
    answer = provider(cli, vault_dir).extract(make_request())
    assert answer.output.claims and [c.purpose for c in answer.calls] == ["extract", "repair"]
    assert answer.calls[0].ok is False and "invalid output" in answer.calls[0].error
    repair = fake_cli.runs()[1]["prompt"]
    assert "Here are the claims: none, sorry" in repair and "<previous-answer>" in repair


def test_output_that_stays_malformed_is_recorded_and_fails(fake_cli, make_request, vault_dir):
    cli = fake_cli({"text": "not json at all"})
    with pytest.raises(ProviderError, match="gave no valid extraction") as failed:
        provider(cli, vault_dir).extract(make_request())
    assert len(failed.value.calls) == 3 and not any(c.ok for c in failed.value.calls)
    assert len(Ledger.for_vault(vault_dir).read()) == 3


def test_a_timeout_is_retried_then_fails_with_every_attempt_recorded(fake_cli, make_request, vault_dir):
    cli = fake_cli({"sleep": 30})
    with pytest.raises(ProviderError, match="2 attempts") as failed:
        provider(cli, vault_dir, timeout_s=1.5).extract(make_request())
    assert [c.error.split(":")[0] for c in failed.value.calls] == ["timeout", "timeout"]


def test_a_non_zero_exit_is_retried_and_can_recover(fake_cli, make_request, vault_dir):
    cli = fake_cli({"exit": 3, "stderr": "segmentation fault in the fake"}, {"structured": valid_payload()})
    answer = provider(cli, vault_dir).extract(make_request())
    assert answer.output.claims and answer.calls[0].ok is False
    assert "exited with code 3: segmentation fault in the fake" in answer.calls[0].error and answer.calls[1].ok


def test_the_real_clis_not_logged_in_shape_is_final_too(fake_cli, make_request, vault_dir):
    """As Claude Code 2.1 answers without credentials: an error result of subtype success, no HTTP status."""
    cli = fake_cli({"error": "Not logged in · Please run /login", "subtype": "success"})
    with pytest.raises(ProviderError, match="not logged in") as failed:
        provider(cli, vault_dir, max_retries=3).extract(make_request())
    assert len(failed.value.calls) == 1


def test_not_logged_in_is_a_clear_final_error(fake_cli, make_request, vault_dir):
    cli = fake_cli({"error": "Not logged in · Please run /login", "status": 401})
    with pytest.raises(ProviderError) as failed:
        provider(cli, vault_dir, max_retries=3).extract(make_request())
    message = str(failed.value)
    assert "not logged in" in message and "ANTHROPIC_API_KEY" in message and "/login" in message
    assert len(failed.value.calls) == 1  # never retried
    assert "Traceback" not in message


def test_a_missing_cli_says_how_to_get_one(tmp_path, make_request, vault_dir):
    with pytest.raises(ProviderError, match="Claude Code CLI was not found") as failed:
        provider(str(tmp_path / "no-such-claude"), vault_dir).extract(make_request())
    assert "teleo[claude]" in str(failed.value) and len(failed.value.calls) == 1


def test_reviews_go_through_claude_code_with_the_review_schema(fake_cli, vault_dir):
    from teleo.review.reviewer import ModelReviewer, ReviewRequest

    cli = fake_cli({"structured": {"verdict": "request_changes", "text": "Needs a second quote.",
                                   "findings": [{"path": "a.md", "criterion": "evidence", "severity": "blocking",
                                                 "message": "one quote"}]}})
    reviewer = ModelReviewer(provider(cli, vault_dir))
    answer = reviewer.review(ReviewRequest(reviewer="leo", role="evaluator", branch="extract/x", head="0" * 40,
                                           diff="+ a claim", claims={"a.md": "text"}))
    assert answer.output.verdict == "request_changes" and answer.calls[0].purpose == "review"
    schema_arg = next(a for a in fake_cli.runs()[0]["argv"] if a.startswith("--json-schema="))
    assert '"verdict"' in schema_arg and '"claims"' not in schema_arg


def test_a_research_session_asks_claude_code_for_the_research_plans_schema():
    from teleo.llm.claude_code import ClaudeCodeProvider

    for purpose in ("research", "research-repair"):
        schema = ClaudeCodeProvider._schema(None, purpose)
        assert "disconfirmation_target" in schema["properties"] and "claims" not in schema["properties"]


def test_the_role_tables_choose_claude_code_for_review_only(tmp_path):
    from teleo.llm.factory import resolve_settings

    (tmp_path / "teleo.toml").write_text('[llm]\nprovider = "offline"\n\n[llm.review]\nprovider = "claude-code"\n'
                                         'timeout_s = 300\n', encoding="utf-8")
    assert resolve_settings(tmp_path, role="extract").provider == "offline"
    review = resolve_settings(tmp_path, role="review")
    assert (review.provider, review.model_name, review.timeout_s) == ("claude-code", "claude-sonnet-4-6", 300)


def test_a_bad_role_table_names_its_field(tmp_path):
    from teleo.llm.factory import resolve_settings
    from teleo.vault.config import ConfigError

    (tmp_path / "teleo.toml").write_text('[llm.review]\nprovider = "claude-codex"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"field 'llm\.review\.provider'"):
        resolve_settings(tmp_path, role="extract")


def test_without_the_extra_the_provider_is_a_config_error_naming_the_install(tmp_path, monkeypatch):
    from teleo.llm import provider_from_config
    from teleo.vault.config import ConfigError

    monkeypatch.setitem(sys.modules, "claude_agent_sdk", None)  # as if the extra were not installed
    (tmp_path / "teleo.toml").write_text('[llm]\nprovider = "claude-code"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pip install 'teleo\[claude\]'"):
        provider_from_config(tmp_path)


def test_teleo_review_without_the_extra_prints_one_line_not_a_traceback(tmp_path):
    import subprocess

    code = ("import sys; sys.modules['claude_agent_sdk'] = None; from teleo.cli.app import main; "
            f"sys.argv = ['teleo', '--vault', {str(tmp_path)!r}, 'review', '--provider', 'claude-code']; main()")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import SAMPLE_VAULT, git_init

    import shutil

    shutil.rmtree(tmp_path)
    shutil.copytree(SAMPLE_VAULT, tmp_path)
    git_init(tmp_path)
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "teleo[claude]" in done.stderr + done.stdout


def test_teleo_extract_without_the_extra_says_so_once_before_any_worker_starts(tmp_path):
    """The workers import the SDK in their own processes: a module on PYTHONPATH that refuses to
    import stands for the missing extra there too."""
    import shutil
    import subprocess

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import SAMPLE_VAULT, git_init

    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "claude_agent_sdk.py").write_text("raise ImportError('not installed')\n", encoding="utf-8")
    vault = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    git_init(vault)
    env = {**os.environ, "PYTHONPATH": str(blocker), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "teleo.cli.app", "--vault", str(vault), "extract", "-p", "claude-code"],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "pip install 'teleo[claude]'" in done.stderr
    assert done.stderr.strip().count("\n") == 0  # one line
