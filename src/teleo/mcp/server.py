"""The tools and resources of `teleo mcp` on the official SDK's `MCPServer`.

Each tool here is a thin typed wrapper over `VaultTools` (`tools.py`) or the write side
(`write.py`): its parameters and description are what a model reads to pick it, so the
descriptions say when to use the tool, what comes back and what is refused. A `Refusal` becomes
a `ToolError` (the call returns `isError` with the message); argument validation is the SDK's
(it names the field). Sync tools run in the SDK's worker threads, so a slow write never holds
the event loop of `teleo serve`.

Resources: `teleo://agents/{agent}/identity`, `teleo://agents/{agent}/beliefs` and
`teleo://domains/{domain}/map`, listed one per agent and domain of the vault.
"""

from __future__ import annotations

import functools
import os
from typing import Annotated, Any, Callable, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import ToolAnnotations
from pydantic import Field

from teleo import __version__
from teleo.mcp.errors import refusals_as_tool_errors
from teleo.mcp.tools import Refusal, VaultTools


READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

INSTRUCTIONS = """\
Teleo is a knowledge base kept in git: claims (one arguable proposition per note, in a domain \
folder, with evidence quoted from a source), sources (inbox/archive), agents' beliefs and \
positions resting on claims, and topic maps. Read freely: search, read_note, similar, neighbours, \
list_proposals, list_flags, vault_stats, and the resources (each agent's identity and beliefs, each \
domain's map). Nothing is written to main directly: propose_claim, enrich_claim and \
challenge_claim make a proposal branch that passes the same gates as any extraction and waits for \
review; review_proposal records your verdict on a proposal's head commit (never on your own); \
ingest_source queues a source in inbox/queue/<domain>/ for teleo run to archive; resolve_flag closes a cascade flag of yours after you re-read \
the belief it points at."""


def _log_level() -> Any:
    """The SDK's log level (stderr): TELEO_LOG_LEVEL, WARNING by default (a refusal is not news)."""
    wanted = os.environ.get("TELEO_LOG_LEVEL", "warning").upper()
    return wanted if wanted in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "WARNING"


Filter = Annotated[list[str] | None, Field(description="Only these values (any of them); omit for any.")]


def build_server(tools: VaultTools, *, writes: bool = True) -> MCPServer:
    """The MCP server of one vault (`writes=False`: the read tools and resources only)."""
    name = tools.vault.config.vault.name
    server = MCPServer(
        "teleo", title=f"Teleo — {name}", version=__version__, instructions=INSTRUCTIONS,
        description=f"The Teleo knowledge base '{name}' at {tools.vault.root}",
        log_level=_log_level(),
    )
    _read_tools(server, tools)
    _resources(server, tools)
    if writes:
        from teleo.mcp.write import register_write_tools

        register_write_tools(server, tools)
    return server


def _read_tools(server: MCPServer, tools: VaultTools) -> None:
    @server.tool(annotations=READ)
    @refusals_as_tool_errors
    def search(
        query: Annotated[str, Field(description='Words to look for; "quoted phrases" stay together.')],
        mode: Annotated[Literal["hybrid", "text", "semantic"], Field(
            description="hybrid (default): words and meaning fused; text: exact words; semantic: meaning only.")] = "hybrid",
        domain: Filter = None,
        type: Annotated[list[str] | None, Field(description="Only these note kinds or types: claim, source, entity, belief, position, map…")] = None,
        confidence: Annotated[list[str] | None, Field(description="Only these confidences: proven, likely, experimental, speculative.")] = None,
        agent: Annotated[list[str] | None, Field(description="Only notes owned by these agents.")] = None,
        status: Annotated[list[str] | None, Field(description="Only these statuses, e.g. unprocessed (sources), active (beliefs).")] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="How many results.")] = 10,
    ) -> dict[str, Any]:
        """Find notes of the knowledge base by words and meaning (hybrid full-text + semantic search,
        the same ranking and filters as `teleo search`). Use it first whenever a question might already be
        answered by a claim, to find the exact title of a note, or before proposing a claim (to avoid a
        duplicate). Returns hits with path, title, kind, domain, confidence, description and a snippet."""
        return tools.search(query, mode, domain=domain, type=type, confidence=confidence, agent=agent,
                            status=status, limit=limit)

    @server.tool(annotations=READ)
    @refusals_as_tool_errors
    def read_note(
        note: Annotated[str, Field(description="The note's title (case and punctuation forgiven), [[link]] target, or vault-relative path.")],
        history: Annotated[bool, Field(description="Include the git commits that touched the note, with their agents.")] = True,
    ) -> dict[str, Any]:
        """Read one note whole: frontmatter, markdown body, who links to it (backlinks), what it depends
        on, what challenges it and what it challenges, the sources it came from, its unresolved links
        and its git history. Use it after search to read a claim, belief, position, source or map before
        relying on it, enriching it or challenging it. An unknown title is refused with the nearest one."""
        return tools.read_note(note, history)

    @server.tool(annotations=READ)
    @refusals_as_tool_errors
    def similar(
        text: Annotated[str | None, Field(description="A draft title or passage to compare by meaning.")] = None,
        note: Annotated[str | None, Field(description="Or an existing note (title or path) whose nearest notes you want.")] = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 10,
        kinds: Annotated[list[str] | None, Field(description="Only these note kinds, e.g. ['claim'].")] = None,
    ) -> dict[str, Any]:
        """The notes nearest in meaning to a text or to an existing note (embeddings, cosine similarity).
        Use it to check a draft claim is not a duplicate before propose_claim (a near-identical title
        means: enrich that claim instead), or to find related claims to link. Give exactly one of text
        and note."""
        return tools.similar(text, note, limit, kinds)

    @server.tool(annotations=READ)
    @refusals_as_tool_errors
    def neighbours(
        note: Annotated[str, Field(description="The note at the centre (title or path).")],
        depth: Annotated[int, Field(ge=1, le=2, description="1: notes linked with it directly; 2: and theirs.")] = 1,
        limit: Annotated[int, Field(ge=1, le=200, description="Most nodes returned.")] = 50,
    ) -> dict[str, Any]:
        """The link graph around a note, up to two steps: which notes link to it or from it (body links
        and frontmatter references such as depends_on, challenged_by, claims_extracted), with each edge's
        relation. Use it to see what a claim supports or rests on — e.g. which beliefs depend on it
        before challenging it."""
        return tools.neighbours(note, depth, limit)

    @server.tool(annotations=READ)
    @refusals_as_tool_errors
    def list_proposals(
        agent: Annotated[str | None, Field(description="Only proposals made by this agent.")] = None,
    ) -> dict[str, Any]:
        """The open proposals: branches not yet merged into main — extractions (kind extract,
        extract/<source>) and flag resolutions (kind flags, flags/<agent>/<flag-id>) — with their kind,
        agent, source, files, head commit and the verdicts recorded on that head. Use it to find work to
        review (review_proposal) or to see where your own proposals stand."""
        return tools.list_proposals(agent)

    @server.tool(annotations=READ)
    @refusals_as_tool_errors
    def list_flags(
        agent: Annotated[str | None, Field(description="Only this agent's flags.")] = None,
        priority: Annotated[Literal["high", "normal", "low"] | None, Field(description="Only this priority.")] = None,
        include_resolved: Annotated[bool, Field(description="Resolved flags too.")] = False,
    ) -> dict[str, Any]:
        """Cascade flags: beliefs and positions an agent must re-read because a claim they rest on changed
        in a merge (with the changed claims, the chain from them, the priority and the flag id; `proposal`
        names the branch of a resolution already proposed and waiting for review). Use it to find what you
        have to re-review; then read the target and close the flag with resolve_flag."""
        return tools.list_flags(agent, priority, include_resolved)

    @server.tool(annotations=READ)
    @refusals_as_tool_errors
    def vault_stats(
        section: Annotated[Literal["files", "frontmatter", "sources", "claims", "links", "maps", "others"] | None,
                           Field(description="One section of the report; omit for all.")] = None,
    ) -> dict[str, Any]:
        """The knowledge base's health report (as `teleo stats`): files by kind, frontmatter problems,
        sources by status, claims by domain and confidence, link health (unresolved, orphans), map
        coverage. Use it for an overview or to find where work is needed."""
        return tools.vault_stats(section)


def _resources(server: MCPServer, tools: VaultTools) -> None:
    def reader(compute: Callable[[], str]) -> Callable[[], str]:
        def read() -> str:
            try:
                return compute()
            except Refusal as exc:
                raise ResourceError(str(exc)) from None

        return read

    config = tools.vault.config
    for agent in sorted(config.agents):
        owned = ", ".join(sorted(d for d, s in config.domains.items() if s.agent == agent)) or "no domain"
        server.resource(
            f"teleo://agents/{agent}/identity", name=f"{agent}-identity", title=f"{agent}: identity",
            description=f"Who {agent} is ({config.agents[agent].role}; {owned}): agents/{agent}/identity.md",
            mime_type="text/markdown",
        )(reader(functools.partial(tools.agent_file, agent, "identity")))
        server.resource(
            f"teleo://agents/{agent}/beliefs", name=f"{agent}-beliefs", title=f"{agent}: beliefs",
            description=f"What {agent} believes and on which claims: agents/{agent}/beliefs.md and its belief files",
            mime_type="text/markdown",
        )(reader(functools.partial(tools.agent_file, agent, "beliefs")))
    for domain, settings in sorted(config.domains.items()):
        server.resource(
            f"teleo://domains/{domain}/map", name=f"{domain}-map", title=f"{domain}: topic map",
            description=f"The topic map of domain {domain} ({settings.folder}/_map.md, kept by {settings.agent})",
            mime_type="text/markdown",
        )(reader(functools.partial(tools.domain_map, domain)))
