"""`teleo sources`: the sources by lifecycle status; `reset`, `park`, `unpark` and `requeue-null` move them."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import FAILED, OutputFormat, committing_on_main, console, err_console, example, fail, vault_from

if TYPE_CHECKING:
    from teleo.triage.moves import MoveOutcome


def register(app: typer.Typer) -> None:
    group = typer.Typer(rich_markup_mode="rich", context_settings={"help_option_names": ["-h", "--help"]})
    group.callback(invoke_without_command=True, epilog=EPILOG)(sources)
    group.command("list", epilog=LIST_EPILOG)(sources)  # the same listing, by name
    group.command("reset", epilog=RESET_EPILOG)(reset)
    group.command("park", epilog=PARK_EPILOG)(park)
    group.command("unpark", epilog=UNPARK_EPILOG)(unpark)
    group.command("requeue-null", epilog=REQUEUE_EPILOG)(requeue_null)
    app.add_typer(group, name="sources")


def _lifecycle_help() -> str:
    """The moves of `notes.lifecycle.LIFECYCLE`, state by state (written from the table, so never stale)."""
    from teleo.notes.lifecycle import STATUSES, describe_moves

    lines = [f"  from {status}: {describe_moves(status)}" for status in STATUSES]
    return ("\n\n[bold]The source lifecycle[/] (teleo/notes/lifecycle.py)\n\n" + "\n\n".join(lines)
            + "\n\n  Any other move is refused, naming these. A source with no status is unprocessed, as extraction "
            "reads it; a status outside the lifecycle (free text) is moved by no command.")


LIFECYCLE_HELP = _lifecycle_help()
EXIT_CODES = (
    "\n\n[bold]Exit codes[/]\n\n  0  committed (or, for a dry run, planned)\n\n"
    "  1  refused: an illegal move, an open proposal, an edit that would not stay valid — nothing committed\n\n"
    "  2  wrong usage (an unknown source, no reason, not a git vault)"
)

EPILOG = example(
    "teleo sources",
    "teleo sources list --status null-result --domain health",
    "teleo sources reset inbox/archive/2026-01-04-someone-report.md --reason 'extracted before the claim schema changed'",
    "teleo sources park 2026-03-05-futardio-launch-x --reason 'launch data: entities, not claims'",
    "teleo sources requeue-null --min-new-claims 10",
) + LIFECYCLE_HELP

LIST_EPILOG = example(
    "teleo sources list",
    "teleo sources list --status unprocessed --status entity-data --counts",
    "teleo sources list --agent rio --source-format data --since 2026-03",
    "teleo sources list --since 2025-01-01 --until 2025-06 --format json | jq '.counts'",
) + (
    "\n\n  Sources are read where extraction reads them: main's tip (else the branch HEAD names) in a git "
    "repository, else — or with --worktree — the files on disk. --agent matches the agent a source's domain "
    "is routed to and the one that processed it; --since/--until compare the source's own date (both ends "
    "included; YYYY, YYYY-MM or YYYY-MM-DD)."
) + LIFECYCLE_HELP

RESET_EPILOG = example(
    "teleo sources reset inbox/archive/2026-01-04-someone-report.md --reason 'claims extracted with the old prompt'",
    "teleo sources reset 2026-01-04-someone-report 2026-01-05-other --reason 're-judge after the schema change' --as leo",
    "teleo sources reset some-source --reason 'retry' --format json | jq .commit",
) + LIFECYCLE_HELP + EXIT_CODES

PARK_EPILOG = example(
    "teleo sources park 2026-03-05-futardio-launch-x --reason 'launch data: entities, not claims'",
    "teleo sources list --source-format data --status unprocessed --format json | jq -r '.sources[].path' "
    "| xargs teleo sources park --reason 'data pages'",
) + (
    "\n\n  A parked source has status entity-data: `teleo extract` and `teleo run` never take it (not even a "
    "forced extraction), and requeue-null never requeues it."
) + LIFECYCLE_HELP + EXIT_CODES

UNPARK_EPILOG = example(
    "teleo sources unpark 2026-03-05-futardio-launch-x --reason 'entity extraction can read it now'",
) + LIFECYCLE_HELP + EXIT_CODES

REQUEUE_EPILOG = example(
    "teleo sources requeue-null",
    "teleo sources requeue-null --min-new-claims 10 --domain health",
    "teleo sources requeue-null --min-new-claims 10 --apply --reason 'weekly re-check'",
    "teleo sources requeue-null --format json | jq '.candidates[] | select(.chosen) | .path'",
) + (
    "\n\n  A dry run unless --apply: the table shows every null result, when it was judged and from which "
    "field, how many claims its domain gained since, and whether it would go back to the queue."
    "\n\n  Judged: the later of last_attempted and processed_date in the frontmatter, else the day of the last "
    "commit on main that changed the source (git). Gained: claims of the source's domain whose created date is "
    "after that day (claims with no created date are not counted; their number is shown as undated)."
) + LIFECYCLE_HELP + EXIT_CODES

_OUTPUT = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts.")
_STYLE = {"unprocessed": "cyan", "processing": "yellow", "processed": "green", "null-result": "magenta",
          "enrichment": "green", "entity-data": "dim", "invalid": "bold red"}


def sources(
    ctx: typer.Context,
    status: Optional[list[str]] = typer.Option(None, "--status", "-s", help="Only this status (repeatable); 'invalid': statuses outside the lifecycle."),
    domain: Optional[list[str]] = typer.Option(None, "--domain", "-d", help="Only this domain (repeatable)."),
    agent: Optional[str] = typer.Option(None, "--agent", "-a", help="Only sources routed to or processed by this agent."),
    source_format: Optional[list[str]] = typer.Option(None, "--source-format", help="Only this source format, e.g. data (repeatable)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only sources dated on or after this (YYYY[-MM[-DD]])."),
    until: Optional[str] = typer.Option(None, "--until", help="Only sources dated on or before this (YYYY[-MM[-DD]])."),
    counts_only: bool = typer.Option(False, "--counts", help="Only the count per status."),
    worktree: bool = typer.Option(False, "--worktree", help="Read the files on disk instead of main."),
    output: OutputFormat = _OUTPUT,
) -> None:
    """List the sources by lifecycle status — unprocessed, processing, processed, null-result,
    enrichment, entity-data (parked) — filtered, with the count per status (`teleo sources` alone or
    `teleo sources list`). reset, park, unpark and requeue-null move sources, one commit each."""
    if ctx.invoked_subcommand is not None:
        return
    _list(ctx, status, domain, agent, source_format, since, until, counts_only, worktree, output)


def _list(ctx, status, domain, agent, source_format, since, until, counts_only, worktree, output) -> None:
    from pydantic import ValidationError

    from teleo.repo.branches import BranchError
    from teleo.triage import SourceFilter, read_sources

    try:
        chosen_filter = SourceFilter(statuses=status or [], domains=domain or [], agent=agent,
                                     formats=source_format or [], since=since, until=until)
    except ValidationError as exc:
        fail("; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()))
    vault = vault_from(ctx)
    try:
        listing = read_sources(vault, worktree=worktree)
    except BranchError as exc:
        fail(str(exc))
    chosen = [record for record in listing.sources if chosen_filter.keeps(record)]
    order = {name: i for i, name in enumerate(listing.counts())}
    chosen.sort(key=lambda r: (order.get(r.status or "invalid", len(order)), r.path))
    counts = listing.counts(chosen)
    for problem in listing.problems:
        err_console.print(f"[yellow]warning:[/] {escape(problem)}")
    if output is OutputFormat.json:
        typer.echo(json.dumps({
            "vault": str(vault.root), "read_from": listing.read_from, "total": len(listing.sources),
            "listed": len(chosen), "counts": counts, "no_status_field": sum(1 for r in chosen if r.written_status is None),
            "sources": [] if counts_only else [r.model_dump() for r in chosen], "problems": listing.problems,
        }, ensure_ascii=False, indent=1))
        return
    if not counts_only and chosen:
        _print_sources(chosen)
    _print_counts(counts, len(chosen), len(listing.sources), listing.read_from,
                  sum(1 for r in chosen if r.written_status is None))


def _print_sources(chosen) -> None:
    from rich import box

    table = Table(title="Sources", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("status", no_wrap=True)
    table.add_column("source", overflow="fold", min_width=24, ratio=3)
    for name in ("domain", "agent", "format"):
        table.add_column(name, overflow="fold", ratio=1)
    table.add_column("date", no_wrap=True)
    table.add_column("judged", no_wrap=True)
    for record in chosen:
        state = record.status or "invalid"
        name = escape(PurePosixPath(record.path).stem)
        if record.status is None:  # what is written, since it is no state
            name += f"\n[dim]status: {escape(record.written_status or '')}[/]"
        agent = record.agent if not record.processed_by or record.processed_by == record.agent else \
            f"{record.agent} (by {record.processed_by})"
        table.add_row(f"[{_STYLE[state]}]{state}[/]", name, escape(record.domain or "—"), escape(agent),
                      escape(record.format or "—"), escape(record.date or "—"), escape(record.judged or ""))
    console.print(table)


def _print_counts(counts: dict[str, int], listed: int, total: int, where: str, missing: int) -> None:
    table = Table(title=escape(f"Sources by status ({listed} listed of {total}, from {where})"), title_justify="left")
    table.add_column("status")
    table.add_column("sources", justify="right")
    for status, count in counts.items():
        table.add_row(f"[{_STYLE[status]}]{status}[/]", str(count))
    console.print(table)
    if missing:
        console.print(f"[dim]{missing} with no status field, counted as unprocessed (extraction reads them so)[/]")


_SOURCES = typer.Argument(..., metavar="SOURCE", help="Source notes: a path, or a source's file name (with or without .md).")
_REASON = typer.Option(..., "--reason", "-m", help="Why: written into the commit message.")
_AS = typer.Option(None, "--as", help="Who makes the change (the commit's Pentagon-Agent trailer); default: the agent of the sources' domain, else the evaluator.")


def reset(ctx: typer.Context, names: list[str] = _SOURCES, reason: str = _REASON, agent: Optional[str] = _AS,
          output: OutputFormat = _OUTPUT) -> None:
    """Put sources back to unprocessed so extraction takes them again: one commit on main with the
    reason in its message. Allowed from processing, processed, null-result and enrichment."""
    _move(ctx, "reset", names, reason, agent, output)


def park(ctx: typer.Context, names: list[str] = _SOURCES, reason: str = _REASON, agent: Optional[str] = _AS,
         output: OutputFormat = _OUTPUT) -> None:
    """Park data-only sources (status entity-data) so extraction never takes them: one commit on main
    with the reason in its message. Allowed from unprocessed and null-result."""
    _move(ctx, "park", names, reason, agent, output)


def unpark(ctx: typer.Context, names: list[str] = _SOURCES, reason: str = _REASON, agent: Optional[str] = _AS,
           output: OutputFormat = _OUTPUT) -> None:
    """Put parked sources (entity-data) back to unprocessed: one commit on main with the reason in
    its message."""
    _move(ctx, "unpark", names, reason, agent, output)


def _move(ctx: typer.Context, command: str, names: list[str], reason: str, agent: str | None, output: OutputFormat) -> None:
    from teleo.repo.branches import BranchError
    from teleo.triage.moves import TriageError, move_sources

    vault = vault_from(ctx)
    with committing_on_main(vault, f"teleo sources {command}"):
        try:
            outcome = move_sources(vault, names, command, reason, agent=agent)
        except TriageError as exc:
            fail(str(exc))
        except BranchError as exc:
            fail(str(exc), code=FAILED)
    _report(outcome, output)


def _report(outcome: MoveOutcome, output: OutputFormat, extra: dict | None = None) -> None:
    plan = outcome.plan
    if output is OutputFormat.json:
        typer.echo(json.dumps({
            **(extra or {}), "command": plan.command, "branch": outcome.branch, "commit": outcome.commit,
            "moves": [m.model_dump() for m in plan.moves] if not plan.refused else [],
            "refused": [r.model_dump() for r in plan.refused], "message": outcome.message, "worktree": outcome.worktree,
        }, ensure_ascii=False, indent=1))
    else:
        _print_outcome(outcome)
    if plan.refused:
        raise typer.Exit(FAILED)


def _print_outcome(outcome: MoveOutcome) -> None:
    plan = outcome.plan
    for refusal in plan.refused:
        err_console.print(f"[bold red]refused:[/] {escape(str(refusal))}")
    if plan.refused:
        err_console.print("nothing committed")
        return
    for move in plan.moves:
        before = move.before if move.before is not None else "(no status)"
        console.print(f"{plan.command} {escape(move.path)}: {escape(before)} → {move.after}")
    if outcome.commit:
        console.print(f"committed on {escape(outcome.branch)}: {outcome.commit[:12]}"
                      + (f" · {escape(outcome.worktree)}" if outcome.worktree else ""))
    else:
        console.print("nothing to commit (already so)")


def requeue_null(
    ctx: typer.Context,
    min_new_claims: int = typer.Option(5, "--min-new-claims", "-n", min=1, help="Claims the domain must have gained since the source was judged."),
    domain: Optional[list[str]] = typer.Option(None, "--domain", "-d", help="Only null results of this domain (repeatable)."),
    apply: bool = typer.Option(False, "--apply", help="Commit the requeue (one commit); without it, a dry run."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be requeued; write nothing (the default)."),
    reason: Optional[str] = typer.Option(None, "--reason", "-m", help="Added to the commit message's reason."),
    agent: Optional[str] = _AS,
    output: OutputFormat = _OUTPUT,
) -> None:
    """Put back in the queue the null results whose domain has gained at least --min-new-claims
    claims since they were judged. A dry run unless --apply: every null result is shown with when it
    was judged (and from which field), what its domain gained since, and whether it would go back."""
    from teleo.repo.branches import BranchError
    from teleo.triage.moves import TriageError
    from teleo.triage.requeue import requeue_null as run_requeue

    if apply and dry_run:
        fail("--apply and --dry-run: choose one")
    vault = vault_from(ctx)
    with committing_on_main(vault, "teleo sources requeue-null") if apply else nullcontext():
        try:
            plan, outcome = run_requeue(vault, min_new_claims, apply=apply, reason=reason, domains=domain, agent=agent)
        except TriageError as exc:
            fail(str(exc))
        except BranchError as exc:
            fail(str(exc), code=FAILED)
    if output is OutputFormat.json:
        payload = {"dry_run": not apply, "branch": plan.branch, "min_new_claims": plan.min_new_claims,
                   "candidates": [c.model_dump() for c in plan.candidates], "chosen": len(plan.chosen)}
        if outcome is None:
            typer.echo(json.dumps({**payload, "commit": None, "refused": []}, ensure_ascii=False, indent=1))
            return
        _report(outcome, output, extra=payload)
        return
    _print_requeue(plan, apply)
    if outcome is not None:
        _print_outcome(outcome)
        if outcome.plan.refused:
            raise typer.Exit(FAILED)


def _print_requeue(plan, apply: bool) -> None:
    if not plan.candidates:
        console.print(f"No null results on {escape(plan.branch)}.")
        return
    table = Table(title=escape(f"Null results on {plan.branch} (requeued when the domain gained ≥ {plan.min_new_claims} claims)"),
                  title_justify="left")
    for name in ("source", "domain", "format", "judged", "from", "gained", "undated", ""):
        table.add_column(name, overflow="fold", justify="right" if name in ("gained", "undated") else "left")
    for c in sorted(plan.candidates, key=lambda c: (not c.chosen, c.domain or "", c.path)):
        verdict = "[cyan]requeue[/]" if c.chosen else f"[dim]keep ({escape(c.held_by)})[/]"
        table.add_row(escape(PurePosixPath(c.path).stem), escape(c.domain or "—"), escape(c.format or "—"),
                      escape(c.judged or "—"),
                      escape(c.judged_from or "—"), str(c.gained), str(c.undated), verdict)
    console.print(table)
    chosen = len(plan.chosen)
    line = f"{chosen} of {len(plan.candidates)} null result{'s' if len(plan.candidates) != 1 else ''} "
    if apply:
        console.print(line + ("go back to the queue" if chosen else "qualify: nothing to commit"))
    else:
        console.print(line + "would go back to the queue — dry run, nothing written"
                      + ("; --apply commits them" if chosen else ""))
