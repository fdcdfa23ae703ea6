"""`teleo ledger`: what the model calls cost — calls, tokens, dollars, latency, failures."""

from __future__ import annotations

import json
from enum import Enum

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import OutputFormat, console, example, fail, vault_from
from teleo.llm.ledger import (
    LedgerRow,
    LedgerSummary,
    ledger_path,
    parse_since,
    read_ledger,
    summarize,
)


class GroupBy(str, Enum):
    provider = "provider"
    model = "model"
    job = "job"
    day = "day"


def register(app: typer.Typer) -> None:
    app.command("ledger", epilog=EPILOG)(ledger)


EPILOG = example(
    "teleo ledger",
    "teleo ledger --by model",
    "teleo ledger --by day --since 7d",
    "teleo ledger --by job --since 2026-03-01",
    "teleo ledger --format json | jq .total.cost_usd",
)


def ledger(
    ctx: typer.Context,
    by: GroupBy = typer.Option(GroupBy.provider, "--by", "-b", help="Group the sums by provider, model, job or day (UTC)."),
    since: str | None = typer.Option(
        None, "--since", "-s", metavar="DATE", help="Only calls started at or after DATE: 2026-03-01, an ISO time, or 7d / 24h."
    ),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Sum the LLM call ledger (.teleo/ledger.jsonl): calls, prompt and completion tokens, cost,
    mean and p95 latency and failures. Costs use list prices and may be outdated; calls to models
    with no known price are counted apart, never guessed."""
    try:
        start = parse_since(since) if since else None
    except ValueError as exc:
        fail(str(exc))
    vault = vault_from(ctx)
    report = summarize(read_ledger(vault), by=by.value, since=start)
    if output is OutputFormat.json:
        payload = {"vault": str(vault.root), "ledger": str(ledger_path(vault)), **report.model_dump(mode="json")}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    if not report.rows:
        where = ledger_path(vault)
        console.print(escape(f"No model calls recorded{' since ' + since if since else ''} ({where})."))
        return
    console.print(table(report))
    if report.total.unknown_cost_calls:
        console.print(
            f"[dim]{report.total.unknown_cost_calls} call(s) to models with no known price are not in the cost "
            "(set \\[llm.prices.\"<model>\"] in teleo.toml).[/]"
        )
    console.print("[dim]Costs are list prices and may be outdated.[/]")


def table(report: LedgerSummary) -> Table:
    grid = Table(title=escape(f"LLM calls by {report.by}" + (f" since {report.since[:19]}" if report.since else "")))
    grid.add_column(report.by)
    for name in ("calls", "failed", "jobs", "prompt tok", "completion tok", "cost USD", "no price", "mean s", "p95 s"):
        grid.add_column(name, justify="right")
    for row in report.rows:
        grid.add_row(*_cells(row))
    grid.add_section()
    grid.add_row(*_cells(report.total), style="bold")
    return grid


def _cells(row: LedgerRow) -> list[str]:
    known = row.calls - row.unknown_cost_calls
    cost = "—" if known == 0 else f"{row.cost_usd:,.4f}"
    return [
        escape(row.key),
        f"{row.calls:,}",
        f"{row.failures:,}" if row.failures else "0",
        f"{row.jobs:,}",
        f"{row.prompt_tokens:,}",
        f"{row.completion_tokens:,}",
        cost,
        f"{row.unknown_cost_calls:,}",
        f"{row.mean_latency_s:.2f}",
        f"{row.p95_latency_s:.2f}",
    ]
