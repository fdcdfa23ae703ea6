"""`teleo ledger`: what the model calls cost — calls, tokens, dollars, latency, failures."""

from __future__ import annotations

import json
from enum import Enum

import typer
from rich import box
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
    """The sums, readable whole at 80 columns: one space between columns, two-line headers,
    tokens in k/M (exact in --format json), the "no price" column only when some call had none;
    figures never wrap or get cut, a long group name folds instead."""
    unpriced = report.total.unknown_cost_calls > 0
    grid = Table(
        title=escape(f"LLM calls by {report.by}" + (f" since {report.since[:19]}" if report.since else "")),
        title_justify="left", box=box.HORIZONTALS, show_edge=False, padding=(0, 0),  # one space between columns
    )
    grid.add_column(report.by, overflow="fold", min_width=8)
    headers = ["calls", "failed", "jobs", "tokens\nin", "tokens\nout", "cost\nUSD", *(["no\nprice"] if unpriced else []),
               "mean\ns", "p95\ns"]
    for name in headers:
        grid.add_column(name, justify="right", no_wrap=True)
    for row in report.rows:
        grid.add_row(*_cells(row, unpriced))
    grid.add_section()
    grid.add_row(*_cells(report.total, unpriced), style="bold")
    return grid


def _cells(row: LedgerRow, unpriced: bool) -> list[str]:
    known = row.calls - row.unknown_cost_calls
    cost = "—" if known == 0 else f"{row.cost_usd:,.4f}"
    return [
        escape(row.key),
        f"{row.calls:,}",
        f"{row.failures:,}" if row.failures else "0",
        f"{row.jobs:,}",
        tokens(row.prompt_tokens),
        tokens(row.completion_tokens),
        cost,
        *([f"{row.unknown_cost_calls:,}"] if unpriced else []),
        f"{row.mean_latency_s:.2f}",
        f"{row.p95_latency_s:.2f}",
    ]


def tokens(n: int) -> str:
    """A token count in at most six characters: exact below 100,000, then k, M, B to three figures."""
    if n < 100_000:
        return f"{n:,}"
    for scale, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            value = n / scale
            return f"{value:.3g}{unit}" if value < 1000 else f"{value:,.0f}{unit}"
    return str(n)
