"""`teleo search`: full-text and semantic search over the vault's notes."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import OutputFormat, console, example, fail, vault_from
from teleo.cli.index import open_index, sync
from teleo.index import Filters, Hit, SearchMode


def register(app: typer.Typer) -> None:
    app.command("search", epilog=EPILOG)(search)


EPILOG = example(
    'teleo search "coordination problem"',
    'teleo search futarchy --type claim --confidence likely',
    'teleo search "alignment tax" --mode text --domain ai-alignment',
    'teleo search "who pays for prevention" --mode semantic --agent vida -k 5',
    'teleo search "market design" --format json | jq ".hits[].path"',
)

_HIGHLIGHT = ("\x02", "\x03")


def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="Words to look for; \"quoted phrases\" stay together."),
    mode: SearchMode = typer.Option(SearchMode.hybrid, "--mode", "-m", help="hybrid (default): words and meaning fused; text: words only; semantic: meaning only."),
    domain: Optional[list[str]] = typer.Option(None, "--domain", "-d", help="Only notes of this domain (repeatable)."),
    type_: Optional[list[str]] = typer.Option(None, "--type", "-t", help="Only this note type: claim, source, entity, … (repeatable)."),
    confidence: Optional[list[str]] = typer.Option(None, "--confidence", "-c", help="Only this confidence: proven, likely, experimental, speculative (repeatable)."),
    agent: Optional[list[str]] = typer.Option(None, "--agent", "-a", help="Only notes owned by this agent (repeatable)."),
    status: Optional[list[str]] = typer.Option(None, "--status", "-s", help="Only this status, e.g. unprocessed (repeatable)."),
    limit: int = typer.Option(10, "--limit", "-k", min=1, max=500, help="How many results."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Find notes by words and meaning; results show title, type, domain, confidence and a snippet."""
    if not query.strip():
        fail("empty query")
    filters = Filters.of(domain=domain, type=type_, confidence=confidence, agent=agent, status=status)
    vault = vault_from(ctx)
    with open_index(vault) as idx:
        sync(idx)
        hits = idx.search(query, mode, filters, k=limit)
    if output is OutputFormat.json:
        payload = {
            "query": query, "mode": mode.value, "filters": filters.model_dump(exclude_defaults=True),
            "hits": [hit.model_dump(mode="json") for hit in hits],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    if not hits:
        console.print(f"no notes match [bold]{escape(query)}[/]" + (" with these filters" if not filters.empty else ""))
        return
    print_hits(hits)


def print_hits(hits: list[Hit], show_similarity: bool = False) -> None:
    """The shared text rendering of search and similar results."""
    for number, hit in enumerate(hits, 1):
        label = f" [dim]— {escape(hit.label)}[/]" if hit.label else ""
        console.print(f"[bold]{number:>2}. {escape(hit.title)}[/]{label}")
        facts = [hit.type or hit.kind, hit.domain, hit.confidence, hit.status if hit.kind == "source" else None, hit.agent]
        line = " · ".join(escape(f) for f in facts if f)
        if show_similarity and hit.similarity is not None:
            line += f" · similarity {hit.similarity:.2f}"
        console.print(f"    [cyan]{line}[/]  [dim]{escape(hit.path)}[/]")
        if hit.snippet:
            console.print(f"    {_highlight(hit.marked_snippet)}")


def _highlight(text: str) -> str:
    opened, closed = _HIGHLIGHT
    return escape(text).replace(opened, "[bold yellow]").replace(closed, "[/]")
