"""`teleo digest`: what changed on main for each agent since its last sync (the learn cycle, §4.8)."""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import OutputFormat, committing_on_main, console, example, fail, vault_from


def register(app: typer.Typer) -> None:
    app.command("digest", epilog=EPILOG)(digest)


EPILOG = example(
    "teleo digest",
    "teleo digest --agent rio",
    "teleo digest --agent rio --advance",
    "teleo digest --format json | jq '.[] | {agent, claims: (.claims | length)}'",
)


def digest(
    ctx: typer.Context,
    agent: Optional[str] = typer.Option(None, "--agent", "-a", help="Only this agent (default: every agent of the domain table)."),
    advance: bool = typer.Option(False, "--advance", help="Record main's tip as the agents' new sync point (one commit on main)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Since each agent's last sync: claims merged, modified and retired in its domains and
    secondary domains, the flags raised for it, and claims worth sharing with other agents.

    The sync point is the note agents/<agent>/digest-state.md on main; only --advance moves it.
    """
    from teleo.review.digest import DigestError, digest as make_digest

    vault = vault_from(ctx, None)
    with committing_on_main(vault, "teleo digest --advance") if advance else nullcontext():
        try:
            digests = make_digest(vault, agent, advance=advance)
        except DigestError as exc:
            fail(str(exc))
    if output is OutputFormat.json:
        typer.echo(json.dumps([d.model_dump() for d in digests], indent=1))
        return
    for item in digests:
        since = item.since[:12] if item.since else "the beginning"
        console.print(f"[bold]{escape(item.agent)}[/] ({escape(', '.join(item.domains))}) since {since}: "
                      f"{len(item.claims)} claim change(s), {len(item.flags)} flag(s), {len(item.candidates)} to share")
        for change in item.claims:
            console.print(f"  {change.change:<9} {escape(change.title)} [dim]({escape(change.domain)}, {change.via})[/]")
        for flag in item.flags:
            console.print(f"  flag      {escape(flag)}")
        for candidate in item.candidates:
            console.print(f"  share     {escape(candidate.title)} → {escape(', '.join(candidate.share_with))}")
        if item.advanced:
            console.print(f"  [green]synced[/] to {item.until[:12]} (commit {item.advanced[:12]})")
