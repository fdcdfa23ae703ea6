"""`teleo similar`: the notes nearest in meaning to a note or to a piece of text."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import OutputFormat, console, example, vault_from
from teleo.cli.index import open_index, sync
from teleo.cli.search import print_hits
from teleo.index import Filters


def register(app: typer.Typer) -> None:
    app.command("similar", epilog=EPILOG)(similar)


EPILOG = example(
    'teleo similar "futarchy solves trustless joint ownership"',
    'teleo similar "prediction markets aggregate dispersed information" --text --type claim',
    'teleo similar domains/health/some-claim.md -k 5 --format json',
)


def similar(
    ctx: typer.Context,
    title: str = typer.Argument(..., help="A note's title (or path): its neighbours are listed. Anything else is taken as text."),
    as_text: bool = typer.Option(False, "--text", help="Treat the argument as text even if it names a note."),
    type_: Optional[list[str]] = typer.Option(None, "--type", "-t", help="Only this note type: claim, source, entity, … (repeatable)."),
    domain: Optional[list[str]] = typer.Option(None, "--domain", "-d", help="Only notes of this domain (repeatable)."),
    limit: int = typer.Option(10, "--limit", "-k", min=1, max=500, help="How many results."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """List the notes most similar in meaning (embeddings, offline) to a note or a text."""
    vault = vault_from(ctx)
    filters = Filters.of(type=type_, domain=domain)
    with open_index(vault) as idx:
        sync(idx)
        note = None if as_text else idx.resolve(title)
        if note is not None and note.path:
            hits = idx.similar_to(note.path, limit, filters=filters)
        else:
            hits = idx.similar(title, limit, filters=filters)
    of = {"note": note.path} if note is not None and note.path else {"text": title}
    if output is OutputFormat.json:
        typer.echo(json.dumps({**of, "hits": [h.model_dump(mode="json") for h in hits]}, ensure_ascii=False, indent=1))
        return
    if "note" in of:
        console.print(f"[dim]notes similar to[/] [bold]{escape(of['note'])}[/]\n")
    if not hits:
        console.print("no similar notes (nothing embedded matches these filters)")
        return
    print_hits(hits, show_similarity=True)
