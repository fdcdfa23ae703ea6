"""`teleo ingest`: archive a URL, a file or stdin as a source note in inbox/archive/."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from enum import Enum
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import FAILED, OutputFormat, committing_on_main, console, err_console, example, fail, vault_from
from teleo.ingest import IngestError, IngestInput, IngestOptions, IngestUsageError
from teleo.ingest import ingest as run_ingest
from teleo.ingest.models import MAX_BYTES
from teleo.notes.schema import SOURCE_FORMAT


class Media(str, Enum):
    html = "html"
    pdf = "pdf"
    markdown = "markdown"
    text = "text"


def register(app: typer.Typer) -> None:
    app.command("ingest", epilog=EPILOG)(ingest)


EPILOG = example(
    "teleo ingest https://example.org/essays/futarchy --domain internet-finance",
    "teleo ingest ~/papers/reward-scaling.pdf --domain ai-alignment --url https://arxiv.org/abs/2210.10760",
    "pbpaste | teleo ingest - --domain health --title 'GLP-1 cost note' --author 'Jane Doe (@jdoe)' --date 2025-02-00",
    "teleo ingest notes.md --domain health --tag glp-1 --tag medicare --no-commit",
    "teleo ingest https://example.org/x --domain health --output json | jq -r .path",
) + (
    "\n\n[bold]Exit codes[/]\n\n  0  archived, or a duplicate reported (nothing written)\n\n"
    "  1  could not fetch, read, extract or lint the source\n\n  2  wrong usage (unknown domain or format, bad date, bad URL)"
)


def ingest(
    ctx: typer.Context,
    source: str = typer.Argument(..., metavar="URL|FILE|-", help="An http(s) URL, a local file, or - for standard input."),
    domain: Optional[str] = typer.Option(
        None, "--domain", "-d", help="The vault domain the source belongs to (required unless the vault has one domain)."
    ),
    title: Optional[str] = typer.Option(None, "--title", "-t", help="Title (default: from the source's metadata)."),
    author: Optional[str] = typer.Option(None, "--author", "-a", help="Author, as 'Name (@handle)' (default: from metadata)."),
    date: Optional[str] = typer.Option(None, "--date", help="Publication date YYYY-MM-DD; 00 for unknown parts (default: from metadata)."),
    url: Optional[str] = typer.Option(None, "--url", help="The source's URL, for a file or stdin (default: from metadata)."),
    source_format: Optional[str] = typer.Option(
        None, "--format", help="Source format: " + ", ".join(SOURCE_FORMAT) + " (default: PDF → paper, else essay)."
    ),
    media: Optional[Media] = typer.Option(
        None, "--as", help="Read the input as html, pdf, markdown or text (default: sniffed; stdin is text unless it looks like HTML or PDF)."
    ),
    tags: Optional[list[str]] = typer.Option(None, "--tag", help="A tag (repeatable)."),
    commit: bool = typer.Option(True, "--commit/--no-commit", help="Commit the new note when the vault is a git repository."),
    output: OutputFormat = typer.Option(
        OutputFormat.text, "--output", "-o", help="text for people, json for scripts (status, path, duplicate_of, fields, warnings)."
    ),
) -> None:
    """Archive a source — a web page, a PDF, a markdown or text file, or stdin — as an
    unprocessed source note in inbox/archive/YYYY-MM-DD-author-slug.md.

    Web pages lose their navigation and footers and become markdown; title, author,
    date and URL come from the source's metadata unless given as options (options win).
    A source already archived (same URL, or the same text) is reported and not written
    again. The archived text is kept as inert data: it cannot add wiki links, raw HTML or
    sections to the note. The note must pass `teleo lint` without errors or it is not kept.
    Fetching a URL is the only network access.
    """
    vault = vault_from(ctx)
    with committing_on_main(vault, "teleo ingest") if commit else nullcontext():
        try:
            data = _stdin_bytes() if source.strip() == "-" else None
            target = IngestInput.parse(source, data)
            options = IngestOptions(
                domain=domain, title=title, author=author, date=date, url=url, format=source_format,
                media=media.value if media else None, tags=tags or [], commit=commit,
            )
            result = run_ingest(vault, target, options)
        except IngestUsageError as exc:
            fail(str(exc))
        except IngestError as exc:  # raised before anything is kept: a note failing lint is removed again
            fail(f"{exc}; nothing written", FAILED)
    if output is OutputFormat.json:
        payload = {"status": result.status, **result.model_dump(mode="json")}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}")
    if result.duplicate_of:
        console.print(f"duplicate of {escape(result.duplicate_of)} (same {result.duplicate_reason}); nothing written")
        return
    committed = f" (committed {result.commit[:10]})" if result.commit else ""
    console.print(f"archived {escape(result.path or '')}{committed}")


def _stdin_bytes() -> bytes:
    if sys.stdin is None or sys.stdin.isatty():
        fail("'-' reads the source from standard input, but nothing is piped in")
    return sys.stdin.buffer.read(MAX_BYTES + 1)
