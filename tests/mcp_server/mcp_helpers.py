"""Shared by the MCP tests: a git copy of the sample vault, and the SDK's client in process.

Imported by name (`from mcp_helpers import ...`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import SAMPLE_VAULT, git_init

THESEUS_BELIEF = "agents/theseus/beliefs/alignment has to be pursued at the level of the sociotechnical system rather than model by model.md"
MARKETS = "prediction markets aggregate dispersed information better than expert panels when traders have skin in the game"
MARKETS_PATH = f"domains/internet-finance/{MARKETS}.md"


def flag_note(name: str, agent: str, target: str, changed: str, priority: str = "normal", status: str = "open") -> str:
    return (f"---\ntype: flag\nid: {name}\nagent: {agent}\npriority: {priority}\nstatus: {status}\ntarget: {target}\n"
            f"target_kind: belief\nchanged:\n- path: {changed}\n  change: challenge\n  chain:\n  - {changed}\n  - {target}\n"
            f"why: 'merge extract/test'\nwhen: 2026-03-10\ncommit: abc123\ncreated: 2026-03-10\n---\n\n# Flag {name}\n")


def git_sample(target: Path, extra: dict[str, str] | None = None) -> Path:
    """A private copy of the sample vault, committed on main (plus `extra` files)."""
    shutil.copytree(SAMPLE_VAULT, target)
    for rel, text in (extra or {}).items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, encoding="utf-8")
    git_init(target)
    return target


def with_client(server: Any, body: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `body(client)` with the SDK's `Client` connected to `server` in process; its result."""
    from mcp import Client

    async def main() -> Any:
        async with Client(server) as client:
            return await body(client)

    return anyio.run(main)


def call(server: Any, tool: str, arguments: dict[str, Any] | None = None):
    """One tool call on a fresh in-process connection: the `CallToolResult`."""
    return with_client(server, lambda client: client.call_tool(tool, arguments or {}))


def error_text(result) -> str:
    assert result.is_error, f"expected a tool error, got {result.structured_content or result.content}"
    return result.content[0].text


@contextmanager
def mcp_http_process(vault: Path, log_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`teleo mcp --http` on a free loopback port until the block ends; yields its /mcp URL. The port is
    picked before the child binds it, so one another process took meanwhile is tried again with another."""
    for attempt in range(1, 4):
        with _mcp_http_child(vault, log_path, args, env) as started:
            if started is None and attempt < 3:
                continue  # its port was taken
            if started is None:
                raise AssertionError(f"teleo mcp --http found its port taken 3 times: {log_path.read_text()[-3000:]}")
            yield started
            return


@contextmanager
def _mcp_http_child(vault: Path, log_path: Path, args: tuple[str, ...], env: dict[str, str] | None
                    ) -> Iterator[str | None]:
    """One `teleo mcp --http` child: its /mcp URL once healthy, None when it exited because its port was taken."""
    import httpx

    from teleo.web.launch import free_port, stop_process

    port = free_port()
    command = [sys.executable, "-m", "teleo.cli.app", "--vault", str(vault), "mcp", "--http", "--port", str(port), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **(env or {})})
        try:
            deadline, taken = time.monotonic() + 120, False
            while True:
                if process.poll() is not None:
                    said = log_path.read_text()[-3000:]
                    if "already in use" in said.lower():
                        taken = True
                        break
                    raise AssertionError(f"teleo mcp --http exited {process.returncode}: {said}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"teleo mcp --http did not start: {log_path.read_text()[-3000:]}")
                time.sleep(0.05)
            yield None if taken else f"http://127.0.0.1:{port}/mcp"
        finally:
            stop_process(process)


def http_call(url: str, tool: str, arguments: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
    """One tool call over streamable HTTP at `url` (optionally with extra headers)."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def main() -> Any:
        if headers:
            import httpx2  # the SDK's HTTP client

            transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=60))
            client = Client(transport)
        else:
            client = Client(url)
        async with client:
            tools = await client.list_tools()
            return [t.name for t in tools.tools], await client.call_tool(tool, arguments or {})

    return anyio.run(main)
