"""`teleo review`: gates, reviewer agents and verdicts for open proposals."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
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
    app.command("review", epilog=EPILOG)(review)


EPILOG = example(
    "teleo review",
    "teleo review extract/2026-01-02-orbitalreport-launch-costs",
    "teleo review --as rio extract/2026-01-02-orbitalreport-launch-costs",
    "teleo review --format json | jq '.reviews[] | {branch, status}'",
) + (
    "\n\n[bold]Exit codes[/]\n\n  0  every proposal was reviewed (whatever the verdicts)\n\n"
    "  1  a review failed (provider error, unreadable branch)\n\n  2  wrong usage (not a git vault, self-review)"
)


def review(
    ctx: typer.Context,
    proposals: list[str] | None = typer.Argument(None, metavar="[PROPOSAL]...", help="Branches to review (default: every open proposal)."),
    as_agent: list[str] | None = typer.Option(None, "--as", help="Only these reviewers (repeatable); a proposer cannot review its own proposal."),
    again: bool = typer.Option(False, "--again", help="Review again even when a verdict on the head exists."),
    max_fixes: int = typer.Option(2, "--max-fixes", min=0, max=5, help="Fix-from-feedback rounds after 'request changes'."),
    provider: str | None = typer.Option(None, "--provider", "-p", help="Provider name from [llm] (offline by default)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name for the provider."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Review open proposals: the deterministic gates first (schema, links, grounding, duplicates,
    territory, source lifecycle, commit convention), then the evaluator and the domain peers
    through the provider. Each verdict is stored in git (refs/teleo/verdicts/<head>/<reviewer>),
    bound to the head commit. On 'request changes' a guarded fixer may commit repairs and the
    proposal is reviewed again."""
    from teleo.review import (
        ReviewError,
        SelfReview,
        findings_by_criterion,
        peer_counts,
        review_all,
        reviewer_from_config,
        status_counts,
    )
    from teleo.vault import ConfigError

    vault = vault_from(ctx)
    refuse_local_stage(vault, "review")
    unknown = [a for a in as_agent or [] if a not in vault.config.agents]
    if unknown:
        fail(f"unknown agent(s): {', '.join(unknown)} (agents: {', '.join(sorted(vault.config.agents))})")
    branches = [p.removeprefix("refs/heads/") for p in proposals] if proposals else None
    from teleo.cli.queued import queue_instead_on_shared_remote

    queue_instead_on_shared_remote(vault, "review", branches, output, {
        "--as": bool(as_agent), "--again": again, "--max-fixes": max_fixes != 2, "--provider": provider is not None,
        "--model": model is not None})
    try:
        reviewer = reviewer_from_config(vault, provider, model)
    except ConfigError as exc:
        fail(str(exc))
    try:
        with _progress(output is OutputFormat.text) as step:
            outcomes = review_all(vault, branches, reviewer=reviewer, reviewers=as_agent or None, again=again,
                                  max_fixes=max_fixes, on_review=step)
    except SelfReview as exc:
        fail(f"refused: {exc}")
    except ReviewError as exc:
        fail(str(exc))
    if output is OutputFormat.json:
        typer.echo(json.dumps({"reviews": [o.model_dump(mode="json") for o in outcomes],
                               "peers": [row.model_dump(mode="json") for row in peer_counts(outcomes)],
                               "totals": status_counts(outcomes),
                               "findings_by_criterion": findings_by_criterion(outcomes)},
                              ensure_ascii=False, indent=1))
    else:
        print_reviews(outcomes)
        print_peers(outcomes, peer_counts(outcomes))
        print_totals(outcomes, status_counts(outcomes), findings_by_criterion(outcomes))
    raise typer.Exit(FAILED if any(o.status == "failed" for o in outcomes) else 0)


class _progress:
    def __init__(self, show: bool) -> None:
        self.bar = Progress(TextColumn("[bold]review[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                            console=err_console, transient=True) if show else None

    def __enter__(self):
        if self.bar is None:
            return lambda outcome: None
        self.bar.__enter__()
        self.task = self.bar.add_task("", total=None)

        def step(outcome) -> None:
            self.bar.update(self.task, advance=1, description=escape(outcome.branch))

        return step

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


STYLE = {"approved": "green", "changes_requested": "yellow", "rejected": "red", "blocked": "yellow", "failed": "red"}


def print_reviews(outcomes) -> None:
    if not outcomes:
        console.print("No open proposals.")
        return
    table = Table(title=f"Reviews ({len(outcomes)})", title_justify="left")
    for name in ("proposal", "status", "verdicts", "fixes"):
        table.add_column(name, overflow="fold")
    for outcome in outcomes:
        votes = ", ".join(f"{v.reviewer}: {v.verdict.replace('_', ' ')}" for v in outcome.verdicts)
        status = f"[{STYLE.get(outcome.status, 'white')}]{outcome.status.replace('_', ' ')}[/]"
        table.add_row(escape(outcome.branch), status, escape(votes) or "—", str(len(outcome.fixes)))
    console.print(table)
    for outcome in outcomes:
        if outcome.message and outcome.status != "approved":
            console.print(f"[bold]{escape(outcome.branch)}[/]: {escape(outcome.message)}")


def print_totals(outcomes, totals: dict[str, int], reasons: list[dict]) -> None:
    """One line of counts by status, then why the proposals that were not approved were stopped."""
    if not outcomes:
        return
    counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in totals.items())
    noun = "proposal" if len(outcomes) == 1 else "proposals"
    console.print(f"{len(outcomes)} {noun}: {counts}")
    if reasons:
        console.print("blocking findings, by criterion: " + "; ".join(
            f"{escape(r['reason'])} {r['count']} (e.g. {escape(_clip(r['example']))})" for r in reasons))


def _clip(text: str, width: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def print_peers(outcomes, rows) -> None:
    """Peer reviews per (domain, agent), and how many proposals the evaluator reviewed alone."""
    selected = [o for o in outcomes if o.selection is not None]
    if not selected:
        return
    table = Table(title="Domain peers", title_justify="left")
    for name, justify in (("domain", "left"), ("peer", "left"), ("reviews", "right"), ("links into its territory", "right"),
                          ("basis", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for row in rows:
        table.add_row(escape(row.domain), escape(row.agent), str(row.reviews), str(row.links), ", ".join(row.bases))
    if rows:
        console.print(table)
    alone = sum(1 for o in selected if not o.selection.peers)
    if alone:
        console.print(f"{alone} of {len(selected)} proposals had no fitting domain peer: the evaluator reviewed them "
                      "alone (the reason is in each evaluator verdict and in --format json under selection.notes).")
