"""`teleo run`: one pass of the pipeline — ingest, extract, review, merge — ending with a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import FAILED, OutputFormat, console, example, fail, vault_from
from teleo.cli.extract import print_report


def register(app: typer.Typer) -> None:
    app.command("run", epilog=EPILOG)(run)


EPILOG = example(
    "teleo run",
    "teleo run --workers 4",
    "teleo run --until extract   # stop at proposal branches",
    "teleo run --ingest ~/papers/a.pdf --ingest notes.md --domain health",
    "cp paper.pdf inbox/queue/health/ && teleo run   # the drop folder: archived, then removed",
)


def run(
    ctx: typer.Context,
    ingest: Optional[list[Path]] = typer.Option(None, "--ingest", "-i", help="A file or URL to ingest first (repeatable)."),
    domain: Optional[str] = typer.Option(None, "--domain", "-d", help="Domain of the ingested files."),
    inbox: bool = typer.Option(True, "--inbox/--no-inbox",
                               help="Archive the files dropped in inbox/queue/ (inbox/queue/<domain>/ names the domain)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, max=64, help="Worker processes (default 1)."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Extract at most this many sources."),
    provider: Optional[str] = typer.Option(None, "--provider", "-p", help="Provider name from [llm]."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name for the provider."),
    until: Optional[str] = typer.Option(None, "--until", "-u", help="Stop after this stage: ingest, extract, review or merge (default)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Run the pipeline once, inbox to main: ingest the given files and those dropped in
    inbox/queue/, extract every unprocessed source into a proposal branch, review every open
    proposal (gates, then the evaluator and domain peers; verdicts stored in git), merge the
    approved ones into main and run their cascade. Ends with a summary: sources, claims merged,
    enrichments, rejected, flags raised, tokens, cost."""
    from teleo.pipeline import run as run_pipeline
    from teleo.pipeline.queue import QueueError
    from teleo.repo.discover import NotARepository
    from teleo.pipeline.run import stages_until

    try:
        stages = stages_until(until)
    except ValueError as exc:
        fail(str(exc))
    vault = vault_from(ctx)
    try:
        live = output is OutputFormat.text
        report = run_pipeline(vault, stages, workers=workers, ingest_paths=[str(p) for p in ingest or []], domain=domain,
                              inbox=inbox, on_review=_said("reviewed") if live else None,
                              on_merge=_said("merge") if live else None,
                              limit=limit, provider=provider, model=model)
    except (NotARepository, ValueError) as exc:
        fail(str(exc))
    except QueueError as exc:
        fail(str(exc), FAILED)
    if output is OutputFormat.json:
        console.print_json(json.dumps({
            "ok": report.ok, "ingested": report.ingested,
            **({"enqueued": report.enqueued.as_json()} if report.enqueued is not None else {}),
            "extract": report.extract.as_json() if report.extract else None,
            "reviews": [r.model_dump(mode="json") for r in report.reviews or []],
            "merge": report.merge.model_dump(mode="json") if report.merge is not None else None,
            **({"forge": report.forge.model_dump(mode="json")} if report.forge is not None else {}),
            **({"forge_error": report.forge_error} if report.forge_error else {}),
            "summary": report.summary(),
        }))
    else:
        for item in report.ingested:
            print_ingested(item)
        if report.enqueued is not None:
            from teleo.cli.extract import print_enqueued

            print_enqueued(report.enqueued)
            raise typer.Exit(0 if report.ok else FAILED)
        if report.extract is not None:
            print_report(report.extract)
        print_run_summary(report)
    raise typer.Exit(0 if report.ok else FAILED)


def _said(stage: str):
    """A progress line on stderr for each proposal a stage finishes (reviews can take minutes with a model)."""
    from teleo.cli.common import err_console

    def say(outcome) -> None:
        err_console.print(f"[dim]{stage}[/] {escape(outcome.branch)}: {outcome.status.replace('_', ' ')}")

    return say


def print_run_summary(report) -> None:
    """The review and merge tables, then one summary table for the whole run."""
    from rich.table import Table

    from teleo.cli.merge import print_merges
    from teleo.cli.review import print_reviews

    if report.reviews:
        print_reviews(report.reviews)
    if report.merge is not None:
        print_merges(report.merge)
    if report.forge is not None:
        from teleo.cli.forge import print_forge

        print_forge(report.forge)
    if report.forge_error:
        console.print(f"[bold red]forge:[/] {escape(report.forge_error)}")
    totals = report.summary()
    cost = "—" if totals["cost"] is None else f"${totals['cost']:.4f}"
    rows = (
        ("sources", totals["sources"]), ("claims merged", totals["claims_merged"]),
        ("enrichments", totals["enrichments"]), ("not proposed (extraction)", totals["dropped"]),
        ("changes requested", totals["changes_requested"]), ("rejected", totals["rejected"]),
        ("flags raised", totals["flags"]), ("tokens", totals["tokens"]), ("cost", cost),
    )
    table = Table(title="run", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)
    print_review_findings(report)


def print_review_findings(report) -> None:
    """The blocking findings of the proposals the reviewers did not approve, grouped by criterion."""
    from rich.table import Table

    groups = report.review_findings_by_reason()
    if not groups:
        return
    table = Table(title="why proposals were not approved (blocking findings)", title_justify="left")
    table.add_column("count", justify="right")
    table.add_column("criterion")
    table.add_column("example", overflow="fold")
    for group in groups:
        table.add_row(str(group["count"]), escape(group["reason"]), escape(group["example"][:160]))
    console.print(table)


def print_ingested(item: dict) -> None:
    """One line per ingested input: archived, already archived, or not ingested and why."""
    name = escape(str(item["input"]))
    if not item["ok"]:
        console.print(f"[red]not ingested[/] {name}: {escape(item.get('error', ''))}")
        return
    if item.get("duplicate_of"):
        console.print(f"already archived {name} → {escape(str(item['duplicate_of']))}")
    else:
        arrow = f" → {escape(str(item['path']))}" if item.get("path") and item["path"] != item["input"] else ""
        console.print(f"ingested {name}{arrow}")
    if item.get("warning"):
        console.print(f"[yellow]warning[/] {name}: {escape(item['warning'])}")
