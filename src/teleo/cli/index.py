"""`teleo index`: bring the vault's derived index up to date (other commands do it by themselves)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import typer
from rich.markup import escape

from teleo.cli.common import OutputFormat, console, err_console, example, fail, vault_from
from teleo.index import EmbeddingUnavailable, Index, IndexUnavailable, SyncStats
from teleo.vault import Vault

PROGRESS_MIN = 300
"""Show a progress bar only when at least this many notes are read or embedded."""


def register(app: typer.Typer) -> None:
    app.command("index", epilog=EPILOG)(index)


EPILOG = example(
    "teleo index",
    "teleo index --rebuild",
    "teleo index --format json",
    "teleo -C ../teleo-codex index --no-embed",
)


def index(
    ctx: typer.Context,
    rebuild: bool = typer.Option(False, "--rebuild", help="Drop the index and build it again from the files."),
    embed: bool = typer.Option(True, "--embed/--no-embed", help="Compute missing embeddings now (else: on the first semantic query)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Update the index of notes, links, full text and embeddings under .teleo/.

    Only notes whose content changed are read again; a run that is interrupted
    leaves the previous index in place. search, similar and show update the
    index themselves, so running this is never required.
    """
    vault = vault_from(ctx)
    with open_index(vault) as idx:
        stats = sync(idx, embed=embed, rebuild=rebuild)
    if output is OutputFormat.json:
        typer.echo(json.dumps(stats.model_dump(mode="json"), indent=1))
        return
    _print_stats(stats, vault)


@contextmanager
def open_index(vault: Vault) -> Iterator[Index]:
    """The vault's index, with its failures turned into one-line errors."""
    try:
        idx = Index.open(vault)
    except IndexUnavailable as exc:
        fail(str(exc), 1)
    try:
        with _index_errors():
            yield idx
    finally:
        idx.close()


@contextmanager
def _index_errors() -> Iterator[None]:
    try:
        yield
    except EmbeddingUnavailable as exc:
        fail(f"{exc} (full-text search still works: teleo search --mode text)", 1)
    except sqlite3.OperationalError as exc:
        fail(f"index: {exc} (another teleo may be writing it; retry, or run teleo index --rebuild)", 1)
    except sqlite3.DatabaseError as exc:
        fail(f"index: {exc}; run teleo index --rebuild", 1)


def sync(idx: Index, *, embed: bool | None = None, rebuild: bool = False) -> SyncStats:
    """Sync with a progress bar on a terminal when the work is large."""
    with progress_bar() as progress:
        return idx.sync(progress, embed=embed, rebuild=rebuild)


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None] | None]:
    """A transient rich progress bar on stderr, started only for long work on a terminal."""
    if not err_console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    )
    tasks: dict[str, int] = {}

    def update(phase: str, done: int, total: int) -> None:
        if total < PROGRESS_MIN:
            return
        if phase not in tasks:
            if not tasks:
                bar.start()
            tasks[phase] = bar.add_task(f"{phase} notes", total=total)
        bar.update(tasks[phase], completed=done)

    try:
        yield update
    finally:
        if tasks:
            bar.stop()


def _print_stats(stats: SyncStats, vault: Vault) -> None:
    where = stats.location
    try:
        where = str(Path(stats.location).relative_to(vault.root))
    except ValueError:
        pass
    verb = "Built" if stats.rebuilt else "Updated" if stats.changed else "Up to date:"
    # every note once: added + updated + unchanged = notes (a file re-read and found byte-identical
    # is unchanged); removed ones are no longer notes, so they come after
    unchanged = stats.unchanged + stats.touched
    same_bytes = f" ({stats.touched:,} with the same bytes under a new time)" if stats.touched else ""
    console.print(
        f"[bold]{verb}[/] the index of {stats.notes:,} notes in {stats.seconds:.2f} s — "
        f"[green]{stats.added:,} added[/], [yellow]{stats.updated:,} updated[/], {unchanged:,} unchanged{same_bytes}; "
        f"[red]{stats.removed:,} removed[/]"
    )
    details = []
    if stats.relinked:
        details.append(f"{stats.relinked:,} links re-resolved")
    if stats.embedded:
        details.append(f"{stats.embedded:,} embeddings computed")
    if stats.pending_embeddings:
        details.append(f"{stats.pending_embeddings:,} embeddings pending")
    details.append(f"index: {escape(where)}")
    console.print("[dim]" + " · ".join(details) + "[/]")
    for warning in stats.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}")
