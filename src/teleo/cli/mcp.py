"""`teleo mcp`: the vault as an MCP server for Claude Code and other agent hosts (stdio or HTTP)."""

from __future__ import annotations

import os
import threading
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import err_console, example, fail, vault_from

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(app: typer.Typer) -> None:
    app.command("mcp", epilog=EPILOG)(mcp)


EPILOG = example(
    "claude mcp add teleo -- teleo --vault ~/teleo-codex mcp --agent theseus",
    "teleo mcp --agent rio",
    "teleo mcp --http --port 8765 --write-token $(openssl rand -hex 16)",
    "teleo mcp --read-only",
) + "\n\n  The same tools are served by [cyan]teleo serve[/] at /mcp. See docs/mcp.md."


def mcp(
    ctx: typer.Context,
    agent: Optional[str] = typer.Option(None, "--agent", "-a", help="The agent this session acts as (else: each write tool names its agent)."),
    http: bool = typer.Option(False, "--http", help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio."),
    host: str = typer.Option("127.0.0.1", "--host", help="With --http: interface to listen on (loopback by default)."),
    port: int = typer.Option(8765, "--port", "-p", min=0, max=65535, help="With --http: port to listen on."),
    write_token: Optional[str] = typer.Option(
        None, "--write-token", envvar="TELEO_WRITE_TOKEN", show_envvar=True,
        help="With --http: the secret write tools must present (X-Teleo-Token header); without it none is allowed.",
    ),
    read_only: bool = typer.Option(False, "--read-only", help="Offer the read tools and resources only."),
) -> None:
    """Serve the vault over the Model Context Protocol: search, read_note, similar, neighbours,
    list_proposals, list_flags and vault_stats for anyone; propose_claim, enrich_claim,
    challenge_claim, ingest_source, review_proposal and resolve_flag as one agent of the vault.

    Write tools only make proposal branches that pass the same gates as teleo extract, stay in the
    agent's territory, and record review verdicts on the head commit (never on one's own proposal).
    stdio by default (what Claude Code starts); --http for streamable HTTP."""
    vault = vault_from(ctx)
    from teleo.mcp.tools import Refusal, VaultTools
    from teleo.web.state import WebState

    state = WebState(vault, write_token=write_token, watch=True)
    try:
        tools = VaultTools(state, agent=agent)
    except Refusal as exc:
        fail(str(exc))
    threading.Thread(target=_warm_up, args=(tools,), name="teleo-mcp-warm", daemon=True).start()
    if not http:
        from teleo.mcp.server import build_server

        build_server(tools, writes=not read_only).run("stdio")
        return
    _serve_http(tools, host, port, read_only)


def _serve_http(tools, host: str, port: int, read_only: bool) -> None:
    import uvicorn

    from teleo.cli.serve import _check_port
    from teleo.mcp.http import http_app

    _check_port(host, port)
    app = http_app(tools, host=host, writes=not read_only)
    shown = f"[{host}]" if ":" in host else host
    err_console.print(f"[bold]Teleo MCP[/] for {escape(str(tools.vault.root))} at [bold]http://{shown}:{port}/mcp[/]"
                      + (f" as {escape(tools.agent)}" if tools.agent else "") + "  (Ctrl-C to stop)")
    if host not in LOOPBACK:
        err_console.print("[yellow]listening beyond this machine:[/] anyone who can reach it can read the vault")
    uvicorn.run(app, host=host, port=port, log_level=os.environ.get("TELEO_LOG_LEVEL", "warning"), access_log=False)


def _warm_up(tools) -> None:
    """Load the index and the embedding model before the first query needs them (a head start only)."""
    try:
        index = tools.state.fresh_index()
        index.sync(embed=True)
        index.similar("warm up", 1)
    except Exception:  # noqa: BLE001 - the first query does it itself, and says what failed
        pass
