"""MCP over streamable HTTP: `teleo serve`'s `/mcp` and `teleo mcp --http`, real processes on loopback."""

from __future__ import annotations

import pytest

from mcp_helpers import MARKETS, git_sample, http_call, mcp_http_process
from teleo.web.launch import serve_process

pytestmark = pytest.mark.slow


def test_teleo_serve_mounts_the_same_tools_at_mcp(tmp_path):
    vault = git_sample(tmp_path / "vault")
    with serve_process(vault, tmp_path / "serve.log") as served:
        names, result = http_call(served.base + "/mcp", "search", {"query": "prediction markets", "limit": 3})
    assert {"search", "read_note", "neighbours", "list_flags"} <= set(names)
    assert result.structured_content["hits"][0]["title"] == MARKETS


def test_teleo_mcp_http_serves_the_tools(tmp_path):
    vault = git_sample(tmp_path / "vault")
    with mcp_http_process(vault, tmp_path / "mcp.log") as url:
        names, result = http_call(url, "read_note", {"note": MARKETS, "history": False})
    assert "read_note" in names and result.structured_content["title"] == MARKETS
