"""`teleo merge`: merge approved proposals into main, then the cascade and the index."""

from __future__ import annotations

import json
from contextlib import nullcontext

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import (
    FAILED,
    OutputFormat,
    console,
    err_console,
    example,
    fail,
    refuse_local_stage,
    vault_from,
)


def register(app: typer.Typer) -> None:
    app.command("merge", epilog=EPILOG)(merge)


EPILOG = example(
    "teleo merge",
    "teleo merge extract/2026-01-02-orbitalreport-launch-costs",
    "teleo merge --dry-run",
    "teleo merge --format json | jq '.merges[] | {branch, status}'",
) + (
    "\n\n[bold]Exit codes[/]\n\n  0  every proposal was merged or is waiting (for its verdicts, or for an "
    "uncommitted change in its way)\n\n  1  a merge failed or conflicted, or a checked-out main's working tree "
    "was left behind (the message says what is in the way and the commands that finish)\n\n"
    "  2  wrong usage (not a git vault)"
)


def merge(
    ctx: typer.Context,
    proposals: list[str] | None = typer.Argument(None, metavar="[PROPOSAL]...", help="Branches to merge (default: every open proposal)."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Say what would merge and why not; change nothing."),
    no_cascade: bool = typer.Option(False, "--no-cascade", help="Merge without running the cascade."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Merge every proposal whose required reviewers approved its head commit and whose gates
    pass now (a territory violation blocks whatever the verdicts). Each merge is a merge commit
    made by compare-and-swap on main, so concurrent runs never lose one; the branch is deleted,
    the cascade flags the beliefs and positions resting on what changed (one 'cascade:' commit),
    and a checked-out main's working tree and the index are brought up to date — first, if an
    earlier run was killed, then after the merges. A proposal that would overwrite an uncommitted
    change in the working tree waits; commit or stash the change."""
    from teleo.review import ReviewError, merge_all, merge_decisions

    vault = vault_from(ctx)
    refuse_local_stage(vault, "merge")
    branches = [p.removeprefix("refs/heads/") for p in proposals] if proposals else None
    if not dry_run:  # a dry run changes nothing: it judges this clone's proposals on its main
        from teleo.cli.queued import queue_instead_on_shared_remote

        queue_instead_on_shared_remote(vault, "merge", branches, output, {"--no-cascade": no_cascade})
    try:
        if dry_run:
            decisions = merge_decisions(vault, branches)
            if output is OutputFormat.json:
                typer.echo(json.dumps({"decisions": [d.model_dump() for d in decisions]}, ensure_ascii=False, indent=1))
            else:
                _print_decisions(decisions)
            return
        with err_console.status("merging…") if output is OutputFormat.text else nullcontext():
            report = merge_all(vault, branches, cascade=not no_cascade)
    except ReviewError as exc:
        fail(str(exc))
    if output is OutputFormat.json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1))
    else:
        print_merges(report)
    failed = any(m.status in ("conflict", "failed") for m in report.merges) or not report.worktree_moved
    raise typer.Exit(FAILED if failed else 0)


def _print_decisions(decisions) -> None:
    if not decisions:
        console.print("No open proposals.")
    for d in decisions:
        head = "[green]ready[/]" if d.ready else "[yellow]not ready[/]"
        console.print(f"{head} {escape(d.branch)} (reviewers: {escape(', '.join(d.required)) or '—'})")
        for reason in d.reasons:
            console.print(f"  - {escape(reason)}")


def print_merges(report) -> None:
    if report.merges:
        table = Table(title="Merges", title_justify="left")
        for name in ("proposal", "status", "commit", "cascade"):
            table.add_column(name, overflow="fold")
        for m in report.merges:
            cascade = (m.cascade.error or m.cascade.summary) if m.cascade else ""
            table.add_row(escape(m.branch), m.status.replace("_", " "), (m.commit or "")[:12], escape(cascade))
        console.print(table)
        for m in report.merges:
            if m.status != "merged" and m.reasons:
                console.print(f"[bold]{escape(m.branch)}[/]: " + escape("; ".join(m.reasons[:4])))
    elif report.worktree_moved:  # else nothing was tried: the working tree must catch up first
        console.print("No open proposals.")
    for c in report.cascades:
        console.print(f"cascade of {c.merge[:12]} (left by an earlier run): {escape(c.error or c.summary)}")
    if report.cleaned:
        console.print(f"deleted {len(report.cleaned)} merged branch(es)")
    if report.worktree and report.worktree not in ("current", "not-checked-out"):
        console.print(escape(report.worktree), soft_wrap=True)  # unbroken, so its commands can be pasted
    merged = len(report.merged)
    console.print(f"{merged} merged, {report.flags()} flag(s) raised")
