"""`teleo flags`: the open cascade flags, by agent and priority; `teleo flags resolve` closes them."""

from __future__ import annotations

import json
from contextlib import nullcontext
from enum import Enum
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import (
    FAILED,
    OutputFormat,
    committing_on_main,
    console,
    err_console,
    example,
    fail,
    proposing_on_shared_main,
    vault_from,
)

if TYPE_CHECKING:
    from teleo.cascade import Flag


class PriorityChoice(str, Enum):
    high = "high"
    normal = "normal"
    low = "low"


def register(app: typer.Typer) -> None:
    group = typer.Typer(rich_markup_mode="rich", context_settings={"help_option_names": ["-h", "--help"]})
    group.callback(invoke_without_command=True, epilog=EPILOG)(flags)
    group.command("resolve", epilog=RESOLVE_EPILOG)(resolve)
    app.add_typer(group, name="flags")


EPILOG = example(
    "teleo flags",
    "teleo flags --agent theseus --priority high",
    "teleo flags --all --format json | jq '.flags[] | {id, status, target}'",
    "teleo flags --worktree",
    "teleo flags resolve <id> --note 'still holds; the new evidence extends it'",
) + (
    "\n\n[bold]Resolving a flag[/]\n\n  The owner re-reads the belief or position, then runs `teleo flags resolve <id>`: "
    "the flag note gets `status: resolved` (flags are never deleted) and a belief set to under_review becomes "
    "active again once no open flag points at it."
)

RESOLVE_EPILOG = example(
    "teleo flags",
    "teleo flags resolve <id> --note 're-read: unchanged'",
    "teleo flags resolve <id> <another-id> --status revised --as theseus",
    "teleo flags resolve <id> --format json | jq .commit",
    "teleo flags resolve <id> --propose --note 're-read: unchanged'",
) + (
    "\n\n  <id>: a flag's id or a unique start of it, as `teleo flags` prints under each target — the day of the "
    "cascade and the target's first words (2026-03-10-alignment: a flag raised on 10 March 2026 on the belief "
    "'alignment has to be …'); or the flag note's path"
    "\n\n[bold]Exit codes[/]\n\n  0  resolved (or already resolved)\n\n  1  an edit was refused (the note would not stay valid)\n\n"
    "  2  wrong usage (a name that matches no flag, or several)"
)


class TargetStatus(str, Enum):
    active = "active"
    revised = "revised"
    abandoned = "abandoned"


_STYLE = {"high": "bold red", "normal": "yellow", "low": "dim"}


def flags(
    ctx: typer.Context,
    agent: str | None = typer.Option(None, "--agent", "-a", help="Only this agent's flags."),
    priority: PriorityChoice | None = typer.Option(None, "--priority", "-p", help="Only flags of this priority."),
    show_all: bool = typer.Option(False, "--all", help="Resolved flags too."),
    worktree: bool = typer.Option(False, "--worktree", help="Read the files on disk instead of the main branch."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """List the open cascade flags: beliefs and positions to re-review because a claim they rest
    on changed, grouped by agent and priority, with the target, the change, the date and the id.

    Flags are the notes agents/<agent>/flags/*.md (type: flag) the cascade writes after a merge.
    They are read from the main branch (where merges land) when the vault is in a git repository
    with one, else from the files on disk. `teleo flags resolve ID` closes one."""
    if ctx.invoked_subcommand is not None:
        return
    from teleo.repo.branches import BranchError
    vault = vault_from(ctx)
    try:
        from teleo.cascade import list_flags  # the cascade and git: loaded when the command runs

        listing = list_flags(vault, agent=agent, priority=priority.value if priority else None, include_resolved=show_all,
                             worktree=worktree)
    except BranchError as exc:
        fail(str(exc))
    for problem in listing.problems:
        err_console.print(f"[yellow]warning:[/] not a valid flag: {escape(problem)}")
    if output is OutputFormat.json:
        typer.echo(json.dumps({
            "vault": str(vault.root), "read_from": listing.read_from,
            "flags": [flag.model_dump(mode="json") for flag in listing.flags],
            "counts": listing.counts(), "problems": listing.problems,
        }, ensure_ascii=False, indent=1))
        return
    _print(listing.flags, show_all, listing.read_from, listing.short_ids)


def _print(chosen: list[Flag], show_all: bool, where: str, short: dict[str, str]) -> None:
    what = "flags" if show_all else "open flags"
    if not chosen:
        console.print(f"No {what}.")
        return
    table = Table(title=escape(f"{what.capitalize()} ({len(chosen)}, from {where})"), title_justify="left")
    for name, style in (("agent", "bold"), ("priority", None), ("target", None), ("change", None), ("date", None)):
        table.add_column(name, style=style, overflow="fold", no_wrap=name in ("priority", "date"))
    if show_all:
        table.add_column("status")
    previous: tuple[str, str] | None = None
    for flag in chosen:
        group = (flag.agent, flag.priority)
        if previous is not None and group != previous:
            table.add_section()
        row = [
            escape(flag.agent) if previous is None or previous[0] != flag.agent else "",
            f"[{_STYLE[flag.priority]}]{flag.priority}[/]",
            _target(flag, short.get(flag.id, flag.id)), _change(flag), escape(flag.when[:10]),
        ]
        if show_all:
            row.append(escape(flag.status))
        table.add_row(*row)
        previous = group
    console.print(table)
    console.print("[dim]under each target, the start of its flag's id: `teleo flags resolve <it>` closes the flag "
                  "(agents/<agent>/flags/<id>.md); --format json gives whole ids and the chains[/]")


def _target(flag: Flag, short_id: str) -> str:
    title = flag.section or PurePosixPath(flag.target).stem
    return f"{escape(flag.target_kind)}: {escape(title)}\n[dim]{escape(short_id)}[/]"


def resolve(
    ctx: typer.Context,
    names: list[str] = typer.Argument(..., metavar="ID...", help="Flag ids (a unique start of one will do, or the note's path)."),
    resolution: str | None = typer.Option(None, "--note", "-m", help="What the re-review concluded (stored as `resolution:`)."),
    status: TargetStatus = typer.Option(TargetStatus.active, "--status", help="What an under_review belief becomes once no open flag points at it."),
    agent: str | None = typer.Option(None, "--as", help="Who resolves (the commit's Pentagon-Agent trailer); default: the flags' agent."),
    worktree: bool = typer.Option(False, "--worktree", help="Edit the files on disk, no commit, instead of committing on main."),
    propose: bool = typer.Option(False, "--propose", help="Make a proposal branch flags/<agent>/<id> per flag for the evaluator to review and teleo merge to land, instead of committing on main."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Resolve flags after re-reading what they point at: one commit on main (with --propose: a
    reviewed proposal branch per flag, main untouched).

    Each flag note gets `status: resolved` and `resolved: <today>` (and `resolution:` with
    --note), its target `last_evaluated: <today>`; a belief the cascade set to `status: under_review` gets --status (default
    active) once no open flag points at it. Only those frontmatter lines change. A belief revised
    or abandoned cascades in turn: a second commit flags the beliefs and positions resting on it.
    In a vault without a main branch (or with --worktree) the files on disk are rewritten instead."""
    from teleo.repo.branches import BranchError
    from teleo.review import resolve_flags

    vault = vault_from(ctx)
    if propose:
        _propose(vault, names, resolution, status.value, agent, output)
        return
    with committing_on_main(vault, "teleo flags resolve") if not worktree else nullcontext():
        try:
            outcome = resolve_flags(vault, names, resolution=resolution, target_status=status.value, agent=agent,
                                    worktree=worktree)
        except BranchError as exc:
            fail(str(exc), code=FAILED)
    plan = outcome.plan
    if output is OutputFormat.json:
        typer.echo(json.dumps({
            "written_to": outcome.written_to, "commit": outcome.commit, "files": outcome.files,
            "resolved": [flag.id for flag in plan.resolved], "already": plan.already, "unknown": plan.unknown,
            "restored": plan.restored, "missing_targets": plan.missing_targets, "problems": plan.problems,
            "worktree": outcome.worktree, "cascade": outcome.cascade.model_dump() if outcome.cascade else None,
        }, ensure_ascii=False, indent=1))
    else:
        _print_resolution(outcome)
    if plan.unknown:
        raise typer.Exit(2)
    if plan.problems:
        raise typer.Exit(FAILED)


def _propose(vault, names: list[str], resolution: str | None, status: str, agent: str | None,
             output: OutputFormat) -> None:
    """`teleo flags resolve --propose`: one `flags/<agent>/<id>` proposal per name (`review.flags.propose_resolution`)."""
    from teleo.repo.branches import BranchError
    from teleo.review.flags import ResolutionRefused, UnknownFlag, propose_resolution

    made, refused, code = [], [], 0
    with proposing_on_shared_main(vault, "teleo flags resolve --propose") as branches:
        for name in names:
            try:
                made.append(propose_resolution(vault, name, agent=agent, resolution=resolution, target_status=status))
            except (ResolutionRefused, BranchError) as exc:
                refused.append({"name": name, "reason": str(exc)})
                code = max(code, 2 if isinstance(exc, UnknownFlag) else FAILED)
        branches.extend(p.branch for p in made if p.branch and p.status != "already resolved")
        _print_proposals(made, refused, output)
    if code:
        raise typer.Exit(code)


def _print_proposals(made: list, refused: list[dict], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        typer.echo(json.dumps({"proposals": [p.model_dump() for p in made], "refused": refused}, ensure_ascii=False,
                              indent=1))
    else:
        for proposal in made:
            where = f" on {escape(proposal.branch)} ({proposal.commit[:12]})" if proposal.branch and proposal.commit else ""
            console.print(f"[green]{proposal.status}[/] {escape(proposal.flag)}{where}")
        if any(p.status == "proposed" for p in made):
            console.print("[dim]the evaluator reviews it (teleo review), teleo merge lands it; the flag stays open until then[/]")
        for row in refused:
            err_console.print(f"[bold red]error:[/] {escape(row['reason'])}; nothing written")


def _print_resolution(outcome) -> None:
    plan = outcome.plan
    for name in plan.unknown:
        err_console.print(f"[bold red]error:[/] no single flag is named {escape(name)!r} (see `teleo flags --all`); nothing written")
    for problem in plan.problems:
        err_console.print(f"[bold red]error:[/] {escape(problem)}; nothing written")
    for flag_id in plan.already:
        console.print(f"already resolved: {escape(flag_id)}")
    for path in plan.missing_targets:
        err_console.print(f"[yellow]warning:[/] the target {escape(path)} is no note any more; its flag closes all the same")
    if not plan.writable:
        return
    for flag in plan.resolved:
        console.print(f"[green]resolved[/] {escape(flag.id)} ({flag.target_kind}: {escape(PurePosixPath(flag.target).stem)})")
    for path, value in sorted(plan.restored.items()):
        console.print(f"  belief {escape(PurePosixPath(path).stem)}: status {value}")
    if outcome.commit:
        console.print(f"committed on main: {outcome.commit[:12]}" + (f" · {escape(outcome.worktree)}" if outcome.worktree else ""))
    elif outcome.files:
        console.print(f"written to the working tree: {len(outcome.files)} file(s)")
    cascade = outcome.cascade
    if cascade is not None:
        where = f" ({cascade.commit[:12]})" if cascade.commit else ""
        line = f"cascade of the revised belief(s){where}: {escape(cascade.summary)}"
        console.print(line if not cascade.error else f"[bold red]cascade failed:[/] {escape(cascade.error)}")


def _change(flag: Flag) -> str:
    first = flag.changed[0] if flag.changed else None
    if first is None:
        return ""
    text = f"{escape(first.change.value)}: {escape(PurePosixPath(first.path).stem)}"
    if len(first.chain) > 2:
        text += f" (via {len(first.chain) - 2})"
    if len(flag.changed) > 1:
        text += f" + {len(flag.changed) - 1} more"
    return text
