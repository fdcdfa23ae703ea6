"""`teleo synthesis`: the synthesis triggers since the last sweep, queued in the evaluator's queue note (§4.7)."""

from __future__ import annotations

import json
from contextlib import nullcontext

import typer
from rich.markup import escape

from teleo.cli.common import OutputFormat, committing_on_main, console, example, fail, vault_from


def register(app: typer.Typer) -> None:
    app.command("synthesis", epilog=EPILOG)(synthesis)


EPILOG = example(
    "teleo synthesis",
    "teleo synthesis --dry-run",
    "teleo synthesis --advance",
    "teleo synthesis --format json | jq '.triggers[] | {id, trigger, summary}'",
)


def synthesis(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="List the triggers; write nothing."),
    advance: bool = typer.Option(False, "--advance", help="Also move the sweep point to main's tip (the next sweep starts there)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Compute the synthesis triggers since the last sweep and queue each in the synthesis queue note.

    Triggers: at least 10 new claims across at least 2 domains; a claim enriched 3 or more times; cross-domain
    link density below 15%; a new claim contradicting one in another domain. The queue note is
    agents/<evaluator>/synthesis-queue.md on main, written by one commit; its sweep point moves only with
    --advance. teleo synthesize <id> drafts the synthesis of an entry.
    """
    from teleo.review.synthesis import SynthesisError, sweep

    vault = vault_from(ctx, None)
    if dry_run and advance:
        fail("--dry-run writes nothing, so it cannot --advance the sweep point")
    with committing_on_main(vault, "teleo synthesis") if not dry_run else nullcontext():
        try:
            report = sweep(vault, write=not dry_run, advance=advance)
        except SynthesisError as exc:
            fail(str(exc))
    if output is OutputFormat.json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1))
        return
    since = report.since[:12] if report.since else "the beginning"
    console.print(f"[bold]synthesis sweep[/] of main from {since} to {report.until[:12]}: "
                  f"{len(report.triggers)} trigger(s)")
    for check in report.checks:
        figures = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in check.figures.items() if not isinstance(v, dict))
        mark = "[green]fired[/]" if check.fired else "[dim]quiet[/]"
        console.print(f"  {check.trigger:<14} {mark} {check.fired:>3}  [dim]{escape(figures)}[/]")
    for entry in report.triggers:
        console.print(f"  [bold]{entry.id}[/] {entry.trigger}: {escape(entry.summary)}")
    fired = {e.id for e in report.triggers}
    for entry in report.queued:
        if entry.synthesis:
            console.print(f"  done      {entry.id} → {escape(entry.synthesis)}")
        elif entry.branch:
            console.print(f"  proposed  {entry.id} on {escape(entry.branch)}")
        elif entry.id not in fired:
            console.print(f"  queued    {entry.id} {entry.trigger}: {escape(entry.summary[:160])}")
    if report.commit:
        advanced = f", swept to {report.until[:12]}" if report.advanced else ""
        console.print(f"  [green]queued[/] in {escape(report.queue)} ({len(report.queued)} entries{advanced}; "
                      f"commit {report.commit[:12]})")
    elif not dry_run:
        console.print(f"  {escape(report.queue)} already holds them ({len(report.queued)} entries)")
