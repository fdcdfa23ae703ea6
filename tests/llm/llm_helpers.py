"""Shared helpers and fixtures for tests/llm: a sample source, valid answers, a fault-injecting server.

Test modules import the fixtures they use (`from llm_helpers import ...`):
tests/llm has no conftest.py, because other tests import the root one as
`conftest`. `no_real_model_requests` is autouse wherever it is imported: it
sets `pydantic_ai.models.ALLOW_MODEL_REQUESTS = False`; only the
`llm_server` fixture (a fault-injecting server on 127.0.0.1) switches it on.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from teleo.contract.request import ExtractionRequest, SimilarClaim

SOURCE_TEXT = (
    "Launch costs to low Earth orbit fell from about 54,500 dollars per kilogram on the Space Shuttle "
    "to roughly 2,700 dollars per kilogram on Falcon 9. Reusable first stages account for most of the drop, "
    "according to the report. Analysts expect fully reusable vehicles to cut costs by another order of magnitude."
)


def valid_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "claims": [
            {
                "title": "reusable first stages drove most of the fall in launch cost per kilogram to low Earth orbit",
                "description": "Falcon 9 reached about 2,700 dollars per kilogram against the Shuttle's 54,500, mostly through booster reuse.",
                "confidence": "likely",
                "body": "The report attributes most of the twentyfold drop to reuse.",
                "evidence": [{"text": "Reusable first stages account for most of the drop"}],
            }
        ],
        "enrichments": [],
        "source_update": {"key_facts": ["Falcon 9: ~2,700 USD/kg to LEO"], "notes": ""},
    }
    payload.update(changes)
    return payload


def valid_json(**changes: Any) -> str:
    return json.dumps(valid_payload(**changes))


# -- a fault-injecting OpenAI-compatible server --------------------------------------


class FaultServer:
    """Answers POST …/chat/completions from a script; each step is one response.

    Steps: ("ok", content[, finish_reason]) · ("status", code) · ("raw", body) ·
    ("sleep", seconds, content) · ("hang", content): no answer until the server stops (a model that
    never answers, whatever the client's timeout and however slow the machine). When the script
    runs out the last step repeats.
    """

    def __init__(self) -> None:
        self.script: list[tuple] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self.released = threading.Event()
        """Set when the server stops: a "hang" step answers then (to nobody)."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.paths.append(self.path)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    step = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                try:
                    server.answer(self, body, step)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.root = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = self.root + "/v1"
        self.paths: list[str] = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any], step: tuple) -> None:
        kind = step[0]
        if kind == "hang":
            self.released.wait(600)
            step, kind = ("ok", step[1]), "ok"
        if kind == "sleep":
            time.sleep(step[1])
            step = ("ok", step[2])
            kind = "ok"
        if kind == "status":
            self._send(handler, step[1], json.dumps({"error": {"message": f"injected {step[1]}", "type": "injected"}}),
                       {"retry-after": "0"})
            return
        if kind == "raw":
            self._send(handler, 200, step[1])
            return
        finish = step[2] if len(step) > 2 else "stop"
        if handler.path.endswith("/messages"):  # the Anthropic Messages API
            message = {
                "id": f"msg_{len(self.requests)}", "type": "message", "role": "assistant", "model": body.get("model", "m"),
                "content": [{"type": "text", "text": step[1]}],
                "stop_reason": "max_tokens" if finish == "length" else "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 1000, "output_tokens": 200},
            }
            self._send(handler, 200, json.dumps(message))
            return
        completion = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 1_767_000_000,
            "model": body.get("model", "m"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": step[1]}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
        }
        self._send(handler, 200, json.dumps(completion))

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, code: int, text: str, headers: dict[str, str] | None = None) -> None:
        data = text.encode("utf-8")
        handler.send_response(code)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)


# -- fixtures --------------------------------------------------------------------


@pytest.fixture
def make_request():
    def factory(**changes: Any) -> ExtractionRequest:
        data: dict[str, Any] = dict(
            job_id="job-1",
            agent="astra",
            domain="space-development",
            source_path="inbox/archive/2026-01-02-report-launch-costs.md",
            source_title="Launch costs report",
            source_text=SOURCE_TEXT,
            similar=[
                SimilarClaim(
                    title="launch cost is the binding constraint on the space economy",
                    description="Every other space market scales with the price of getting mass to orbit.",
                    path="domains/space-development/launch cost is the binding constraint on the space economy.md",
                    score=0.8,
                )
            ],
        )
        data.update(changes)
        return ExtractionRequest(**data)

    return factory


@pytest.fixture
def vault_dir(tmp_path) -> Path:
    """A fresh folder (unique even if a concurrent pytest session reuses the numbered tmp folder)."""
    folder = tmp_path / f"vault-{uuid.uuid4().hex[:10]}"
    folder.mkdir()
    return folder


@pytest.fixture(autouse=True)
def no_real_model_requests(monkeypatch):
    import pydantic_ai.models

    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def llm_server(monkeypatch) -> Iterator[FaultServer]:
    import pydantic_ai.models

    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    server = FaultServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.httpd.shutdown()
        server.httpd.server_close()
