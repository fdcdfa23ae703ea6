"""`teleo extract --show-prompt SOURCE`: the exact messages of every chunk and their tokens; nothing sent."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from e2e_helpers import base_files
from typer.testing import CliRunner

from teleo.cli.app import app
from teleo.extract.chunks import count_tokens
from teleo.extract.context import build_request
from teleo.extract.prompt import render_prompts

SOURCE = "inbox/archive/2026-01-06-depotco-long-report.md"
PARAGRAPHS = [f"Paragraph {n}: depot {n} keeps {n * 7} tonnes of propellant cold behind a sunshield, the report says."
              for n in range(120)]
SOURCE_TEXT = """\
---
type: source
title: "DepotCo long report"
author: "DepotCo (@depotco)"
url: https://example.org/depot-report
date: 2026-01-06
domain: space-development
format: report
status: unprocessed
---

## Content

## Findings

""" + "\n\n".join(PARAGRAPHS) + "\n\n## Agent Notes\nCurator's remark, not the source.\n"


class Recorder:
    """Any HTTP request at all is recorded (a provider that sent something would be seen here)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                recorder.requests.append(self.path)
                self.send_response(500)
                self.end_headers()

            do_GET = do_POST

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def vault(make_vault, recorder, monkeypatch):
    import pydantic_ai.models

    import teleo.llm.factory
    import teleo.llm.providers

    def no_provider(*args, **kwargs):
        raise AssertionError("--show-prompt built a provider")

    def no_send(*args, **kwargs):
        raise AssertionError("--show-prompt sent a request")

    monkeypatch.setattr(teleo.llm.factory, "provider_from_config", no_provider)
    monkeypatch.setattr(teleo.llm.providers.ModelProvider, "_send", no_send)
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    files = base_files(**{SOURCE: SOURCE_TEXT})
    files["teleo.toml"] = (f'[llm]\nprovider = "openai"\nmodel = "gpt-4o-mini"\nbase_url = "{recorder.url}"\n'
                           "chunk_tokens = 600\nchunk_overlap_tokens = 60\n")
    return make_vault(files, git=True)


def _invoke(vault, *args):
    return CliRunner().invoke(app, ["--vault", str(vault.root), "extract", "--show-prompt", SOURCE, *args])


def test_show_prompt_prints_every_chunk_exactly_and_sends_nothing(vault, recorder):
    result = _invoke(vault, "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["sent"] is False and shown["provider"] == "openai" and shown["chunk_tokens"] == 600
    assert "cl100k_base" in shown["tokenizer"]
    messages = shown["messages"]
    assert len(messages) > 2 and {m["chunks"] for m in messages} == {len(messages)}
    users = [m["user"] for m in messages]
    for paragraph in PARAGRAPHS:
        assert any(paragraph in user for user in users)
    assert not any("Curator's remark" in user for user in users)
    for m in messages:
        assert m["tokens"] == {"system": count_tokens(m["system"]), "user": count_tokens(m["user"]),
                               "total": count_tokens(m["system"]) + count_tokens(m["user"])}
    assert shown["total_tokens"] == sum(m["tokens"]["total"] for m in messages)
    # the same messages a job renders (the fence tag aside, drawn anew per job)
    request = build_request(vault, SOURCE)
    expected = render_prompts(request, chunk_tokens=600, overlap_tokens=60, nonce="0" * 12)
    tag = messages[0]["user"].split("<source-", 1)[1].split(">", 1)[0]
    assert [m["user"].replace(tag, "0" * 12) for m in messages] == [p.user for p in expected]
    assert messages[0]["system"].replace(tag, "0" * 12) == expected[0].system
    assert recorder.requests == []


def test_show_prompt_text_output_and_usage_errors(vault, recorder):
    result = _invoke(vault)
    assert result.exit_code == 0, result.output
    assert "part 1 of" in result.stdout and "system message" in result.stdout and "prompt tokens in all" in result.stdout
    assert PARAGRAPHS[-1] in result.stdout
    assert recorder.requests == []
    both = CliRunner().invoke(app, ["--vault", str(vault.root), "extract", "--show-prompt", SOURCE, SOURCE])
    assert both.exit_code == 2 and "exactly one SOURCE" in both.output
    missing = CliRunner().invoke(app, ["--vault", str(vault.root), "extract", "--show-prompt", "inbox/archive/nope.md"])
    assert missing.exit_code == 2 and "nope.md" in missing.output and "Traceback" not in missing.output
