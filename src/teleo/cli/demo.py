"""`teleo demo`: the pipeline on a fresh copy of the bundled sample vault, offline."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import OutputFormat, console, err_console, example, fail


def register(app: typer.Typer) -> None:
    app.command("demo", epilog=EPILOG)(demo)


EPILOG = example(
    "teleo demo",
    "teleo demo ~/teleo-demo",
    "teleo demo --until extract    # stop at the proposal branches",
    "teleo demo --from examples/sample-vault --format json",
)

UNTIL = ("extract", "review", "merge")


def demo(
    target: Optional[Path] = typer.Argument(None, metavar="[DIR]", help="Folder to create the demo vault in (default: a new temporary folder)."),
    sample: Optional[Path] = typer.Option(None, "--from", help="The vault to copy (default: the sample vault installed with Teleo, examples/sample-vault in a checkout)."),
    until: str = typer.Option("merge", "--until", "-u", help="Last stage: extract (proposal branches), review or merge."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, max=64, help="Worker processes (default 1)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Copy the sample vault into a new folder, commit it, and run the pipeline there offline:
    archive the raw files waiting in inbox/queue/, extract every unprocessed source into a
    proposal branch extract/<source>, review and merge the proposals into main (cascade flags
    included), and list the branches made. The sample itself is never changed."""
    from teleo.pipeline.demo import DemoError, locate_sample, prepare_demo, run_prepared
    from teleo.repo.discover import NotARepository
    from teleo.pipeline.run import stages_until

    try:
        stages = stages_until(until, choices=UNTIL)
    except ValueError as exc:
        fail(str(exc))
    text = output is OutputFormat.text

    try:
        sample = locate_sample(sample)
        root = prepare_demo(target, sample)
        if text:
            console.print(f"demo vault: [bold]{escape(str(root))}[/] (a committed copy of {escape(str(sample))})")
        with err_console.status("ingest → extract → review → merge on the demo vault…" if until == "merge" else f"ingest → {until} on the demo vault…", spinner="dots") if text else nullcontext():
            result = run_prepared(root, sample, stages=stages, workers=workers)
    except (DemoError, NotARepository, ValueError) as exc:
        fail(str(exc))
    report = result.report
    if not text:
        console.print_json(json.dumps({
            "ok": report.ok, "vault": str(result.root), "sample": str(result.sample), "ingested": report.ingested,
            "extract": report.extract.as_json() if report.extract else None,
            "summary": report.summary(),
            "not_proposed_by_reason": report.extract.dropped_by_reason() if report.extract else [],
            "review_findings_by_reason": report.review_findings_by_reason(),
            "branches": [b.model_dump(mode="json") for b in result.branches],
        }))
    else:
        _print_text(result, until)
    raise typer.Exit(0 if report.ok else 1)


def _print_text(result, until: str) -> None:
    from teleo.cli.extract import print_report
    from teleo.cli.run import print_ingested, print_run_summary

    report = result.report
    for item in report.ingested:
        print_ingested(item)
    if report.extract is not None:
        print_report(report.extract)
    if until != "extract":
        print_run_summary(report)
    _print_branches(result.branches)
    vault = escape(str(result.root))
    if until == "merge":
        console.print(f"\nNext: [cyan]cd {vault}[/] and try [cyan]teleo flags[/], [cyan]teleo serve[/], "
                      "[cyan]git log --graph --oneline main[/].")
        return
    first = next((b.branch for b in result.branches if b.open), "main")
    console.print(f"\nNext: [cyan]cd {vault}[/] and try [cyan]teleo proposals[/], "
                  f"[cyan]git log --stat {escape(first)}[/], [cyan]teleo run[/] (review and merge).")


def _print_branches(branches) -> None:
    if not branches:
        console.print("no proposal branches were made")
        return
    table = Table(title=f"branches created ({len(branches)})", title_justify="left")
    for name in ("branch", "agent", "claims", "enrichments", "files", "state"):
        table.add_column(name, overflow="fold", justify="left" if name in ("branch", "agent", "state") else "right")
    for made in branches:
        table.add_row(escape(made.branch), escape(made.agent), str(made.claims), str(made.enrichments),
                      str(len(made.files)), "merged" if made.merged else "open" if made.open else "closed")
    console.print(table)
