"""`teleo show`: one note with its frontmatter, links both ways, sources and git history."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import OutputFormat, console, example, fail, vault_from
from teleo.cli.index import open_index, sync
from teleo.index import Link
from teleo.index.report import NoteNotFound, NoteReport, find_note, note_report
from teleo.repo.agents import commit_agent
from teleo.repo.history import Commit, HistoryError, read_log
from teleo.vault import UnsafePath, Vault


def register(app: typer.Typer) -> None:
    app.command("show", epilog=EPILOG)(show)


EPILOG = example(
    'teleo show "futarchy solves trustless joint ownership not just better decision-making"',
    "teleo show futarchy-solves-trustless-joint-ownership-not-just-better-decision-making",
    "teleo show domains/health/_map --no-history",
    'teleo show "some claim" --format json | jq .backlinks',
)


def show(
    ctx: typer.Context,
    title: str = typer.Argument(..., help="The note's title (case and punctuation are forgiven), link target, or path."),
    history: bool = typer.Option(True, "--history/--no-history", help="Read the commits that touched the note (git)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Show a note: frontmatter, description, backlinks, what it depends on and what challenges it,
    the sources it came from, and the commits that touched it (with their agents)."""
    vault = vault_from(ctx)
    with open_index(vault) as idx:
        sync(idx)
        try:
            match = find_note(vault, idx, title)
        except (NoteNotFound, UnsafePath) as exc:
            fail(str(exc), 1)
        path, others = match.path, match.others
        report = note_report(idx, path)
    if report is None:
        fail(f"{path}: not in the index", 1)
    commits, history_note = _history(vault, path) if history else ([], "not read (--no-history)")
    known = {name.lower() for name in vault.config.agents} | {vault.config.vault.evaluator.lower()}
    rows = [_commit_row(c, known) for c in commits]
    if output is OutputFormat.json:
        payload: dict[str, Any] = report.model_dump(mode="json")
        payload["same_title"] = others
        payload["history"] = rows
        if history_note:
            payload["history_note"] = history_note
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    _print(report, rows, history_note)
    if others:
        console.print(f"\n[yellow]{len(others)} other note(s) carry this title:[/] " + ", ".join(escape(o) for o in others))


def _history(vault: Vault, path: str) -> tuple[list[Commit], str | None]:
    try:
        commits = read_log(vault.root, [path], follow=True)  # across renames: a retitle is a rename
    except (HistoryError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "not a git repository" in message.lower():
            return [], "not a git repository"
        return [], f"git history unavailable: {message}"
    return commits, None if commits else "no commits touch this note"


def _commit_row(commit: Commit, known: set[str]) -> dict[str, Any]:
    trailer = commit.pentagon_agent
    agent = commit_agent(commit.message, known)
    change = next((c.status for c in commit.changes), None)
    return {
        "id": commit.id, "date": commit.date, "subject": commit.subject, "author": commit.author_name,
        "agent": agent, "agent_id": trailer[1] if trailer else None, "change": change,
    }


def _print(report: NoteReport, history: list[dict[str, Any]], history_note: str | None) -> None:
    note = report.note
    console.print(f"[bold]{escape(note.title)}[/]")
    facts = [note.type or note.kind, note.domain, note.confidence, note.status, note.agent and f"agent {note.agent}"]
    console.print(f"[cyan]{' · '.join(escape(f) for f in facts if f)}[/]  [dim]{escape(note.path)}[/]")
    if note.label:
        console.print(escape(note.label))
    if note.description:
        console.print(f"\n{escape(note.description)}")
    if note.data:
        table = Table(show_header=False, show_edge=False, box=None, padding=(0, 2, 0, 0))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        for key, value in note.data.items():
            table.add_row(escape(str(key)), escape(_value(value)))
        _section("Frontmatter")
        console.print(table)
    for problem in note.problems:
        console.print(f"[yellow]problem[/] line {escape(problem)}")
    _links("Depends on", report.depends_on)
    _links("Challenged by", report.challenged_by)
    if report.challenges:
        _section(f"Challenges ({len(report.challenges)})")
        for link in report.challenges:
            console.print(f"  {escape(_stem(link.source))}  [dim]{escape(link.source)}:{link.line}[/]")
    if report.sources or report.source_text:
        _section("Sources")
        for source in report.sources:
            console.print(f"  {source.how:<10} {escape(source.title)}  [dim]{escape(source.path)}:{source.line}[/]")
        if report.source_text:
            console.print(f"  [dim]source:[/]    {escape(report.source_text)}")
    by_source: dict[str, list[Link]] = {}
    for link in report.backlinks:
        by_source.setdefault(link.source, []).append(link)
    _section(f"Backlinks ({len(report.backlinks)} from {len(by_source)} notes)")
    for source, links in by_source.items():
        lines = ", ".join(f"{l.line}" + (f" \\[{escape(l.field)}]" if l.field else "") for l in links)
        console.print(f"  {escape(source)}  [dim]line{'s' if len(links) > 1 else ''} {lines}[/]")
    if report.unresolved:
        _section(f"Unresolved links ({len(report.unresolved)})")
        for link in report.unresolved:
            console.print(f"  [red]✗[/] {escape(f'[[{link.raw}]]')}  [dim]line {link.line}[/]")
    _section(f"History ({len(history)} commits)")
    if history_note:
        console.print(f"  [dim]{escape(history_note)}[/]")
    for row in history:
        agent = row["agent"] or "—"
        console.print(f"  {escape(row['date'][:10])}  [magenta]{escape(f'{agent:<10}')}[/] {escape(row['subject'])}  [dim]{row['id'][:8]}[/]")


def _section(title: str) -> None:
    console.print(f"\n[bold underline]{escape(title)}[/]")


def _links(title: str, links: list[Link]) -> None:
    if not links:
        return
    _section(f"{title} ({len(links)})")
    for link in links:
        if link.path:
            console.print(f"  [green]✓[/] {escape(_stem(link.path))}  [dim]{escape(link.path)}[/]")
        else:
            console.print(f"  [red]✗[/] {escape(link.raw)}  [dim](unresolved)[/]")


def _stem(path: str) -> str:
    name = path.rpartition("/")[2]
    return name[:-3] if name.endswith(".md") else name


def _value(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
