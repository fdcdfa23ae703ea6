"""Streamable HTTP: `teleo mcp --http`, and the `/mcp` endpoint `teleo serve` mounts.

Both use the SDK's streamable HTTP app (stateful sessions, the SDK's DNS-rebinding protection on
loopback). Mounted in `teleo serve`, the MCP tools share the web app's `WebState`: one index, one
embedding matrix, one git cache for pages, `/api` and `/mcp`. Over HTTP a write tool needs the
write token of `teleo serve` (`X-Teleo-Token` or `Authorization: Bearer`); with no token given at
start, write tools are refused to everybody — the rule of every write action of the web app.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from teleo.mcp.server import build_server
from teleo.mcp.tools import VaultTools
from teleo.web.state import WebState

MCP_PATH = "/mcp"


def mcp_endpoint(tools: VaultTools, *, host: str = "127.0.0.1", path: str = MCP_PATH,
                 writes: bool = True) -> tuple[list[Any], AbstractAsyncContextManager[Any]]:
    """The routes serving MCP at `path` with `tools`, and the context manager that must run (in the
    app's lifespan) while they serve."""
    server = build_server(tools, writes=writes)
    app = server.streamable_http_app(streamable_http_path=path, host=host)
    return list(app.routes), server.session_manager.run()


def mount_in_web_app(state: WebState, *, host: str = "127.0.0.1") -> tuple[list[Any], AbstractAsyncContextManager[Any]]:
    """`teleo serve`'s `/mcp`: the tools over the web app's own state and write token, no fixed agent."""
    return mcp_endpoint(VaultTools(state, write_token=state.write_token), host=host)


def http_app(tools: VaultTools, *, host: str = "127.0.0.1", writes: bool = True):
    """A Starlette app serving only MCP at `/mcp` (`teleo mcp --http`)."""
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from teleo import __version__

    routes, running = mcp_endpoint(tools, host=host, writes=writes)

    async def healthz(_request) -> JSONResponse:
        return JSONResponse({"ok": True, "version": __version__})

    @asynccontextmanager
    async def lifespan(_app):
        async with running:
            yield
        tools.state.stop()

    return Starlette(routes=[*routes, Route("/healthz", healthz)], lifespan=lifespan)
