"""`teleo serve`: the vault in a browser (FastAPI + uvicorn; read-only by default)."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import console, example, fail, vault_from
from teleo.cli.index import open_index, sync

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(app: typer.Typer) -> None:
    app.command("serve", epilog=EPILOG)(serve)


EPILOG = example(
    "teleo serve",
    "teleo serve ../teleo-codex --port 8080",
    "teleo serve --host 0.0.0.0 --port 8000",
    "TELEO_WRITE_TOKEN=$(openssl rand -hex 16) teleo serve",
    "curl -s localhost:8000/api/search?q=futarchy | jq '.hits[].path'",
)


def serve(
    ctx: typer.Context,
    path: Optional[Path] = typer.Argument(None, help="The vault (default: --vault, or found from here)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, help="Port to listen on."),
    write_token: Optional[str] = typer.Option(
        None, "--write-token", envvar="TELEO_WRITE_TOKEN", show_envvar=True,
        help="Secret that write actions must present (X-Teleo-Token header); without it none is allowed.",
    ),
    watch: bool = typer.Option(True, "--watch/--no-watch", help="Watch the files for changes (else: re-check at most once a second)."),
) -> None:
    """Browse the vault in a web browser: notes, domains, agents, search, the claim graph and proposals.

    Pages are rendered by the server; every page's data is also JSON under /api
    (documented at /docs). Edits to the files show on the next page load.
    """
    vault = vault_from(ctx, path)
    with open_index(vault) as idx:
        stats = sync(idx)
    _check_port(host, port)

    import uvicorn

    from teleo.mcp.http import mount_in_web_app
    from teleo.web import create_app

    hosts = sorted(LOOPBACK | {"[::1]", host}) if host in LOOPBACK else None  # beyond loopback: any name
    app = create_app(vault, write_token=write_token, watch=watch, warm=True, allowed_hosts=hosts,
                     endpoints=lambda state: mount_in_web_app(state, host=host))
    shown = f"[{host}]" if ":" in host else host
    console.print(f"[bold]Teleo[/] serving [cyan]{escape(str(vault.root))}[/] ({stats.notes} notes) at "
                  f"[bold]http://{shown}:{port}/[/]  (Ctrl-C to stop)")
    if host not in LOOPBACK:
        console.print("[yellow]listening beyond this machine:[/] anyone who can reach it can read the vault")
    console.print(f"MCP (streamable HTTP) at [bold]http://{shown}:{port}/mcp[/]: read tools for anyone, write tools "
                  + ("for requests carrying the token" if write_token else "refused (no --write-token)"))
    if write_token:
        console.print("write actions enabled for requests carrying the token")
    uvicorn.run(app, host=host, port=port, log_level=os.environ.get("TELEO_LOG_LEVEL", "warning"), access_log=False)


def _check_port(host: str, port: int) -> None:
    """Fail with one line (not a traceback) when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except socket.gaierror:
        fail(f"--host {host}: not a known address")
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            fail(f"port {port} on {host} is already in use; choose another with --port", 1)
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1)
