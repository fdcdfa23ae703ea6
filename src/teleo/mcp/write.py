"""The write tools of `teleo mcp` (registered by `register_write_tools`)."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from teleo.mcp.tools import VaultTools


def register_write_tools(server: MCPServer, tools: VaultTools) -> None:
    """None yet: the write tools land next."""
