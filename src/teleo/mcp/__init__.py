"""`teleo mcp`: the vault as a Model Context Protocol server, for agents that live outside Teleo.

Claude Code (or any MCP host) talks to one `teleo mcp` process over stdio, or to `teleo mcp
--http` / `teleo serve`'s `/mcp` over streamable HTTP. The session acts as one agent of the
vault and the institution applies to it as to `teleo extract` and `teleo review`:

- `tools.py` — what each tool does, as plain functions over a `VaultTools` (no MCP in it):
  read tools for anyone; write tools that only make proposal branches through the same
  library entry points as the command line (gates, territory, verdicts bound to the head
  commit, no self-review);
- `server.py` — the tools and resources registered on the official SDK's `MCPServer`, with
  the descriptions a model reads to choose them, and every refusal turned into a tool error
  that names the note, field or rule;
- `http.py` — streamable HTTP: standalone (`--http`) or mounted in `teleo serve` at `/mcp`,
  where write tools need the write token.

Nothing here is imported by `teleo.cli.app` at start-up: the command imports it when run.
"""
