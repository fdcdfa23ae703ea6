"""`teleo graph`: export the claim graph (graph-data.json, claims-context.json, contributors.json)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import OutputFormat, console, example, fail, vault_from
from teleo.export import ExportOptions, ExportSummary, export_graph
from teleo.export.context import DEFAULT_BUDGET

if TYPE_CHECKING:
    from teleo.vault import Vault


def register(app: typer.Typer) -> None:
    app.command("graph", epilog=EPILOG)(graph)


EPILOG = example(
    "teleo graph --out public/",
    "teleo graph ../teleo-codex --out /tmp/graph",
    "teleo graph --context-budget 150000 --max-events 50",
    "teleo graph --format json > export-summary.json",
    "teleo graph --publish ../teleo-app --out public",
)


def graph(
    ctx: typer.Context,
    path: Optional[Path] = typer.Argument(None, help="The vault folder (default: --vault, or found from here)."),
    out: Path = typer.Option(Path("."), "--out", "-o", help="Folder to write the three JSON files into (created if missing)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
    context_budget: int = typer.Option(
        DEFAULT_BUDGET, "--context-budget", min=0, help="Maximum size of claims-context.json in characters."
    ),
    max_events: Optional[int] = typer.Option(None, "--max-events", min=0, help="Keep only the latest N merge events."),
    generated: Optional[str] = typer.Option(
        None, "--generated", help="Pin claims-context's 'generated' timestamp (default: the HEAD commit's date)."
    ),
    reference_types: bool = typer.Option(
        False, "--reference-types",
        help="Only the reference exporter's note types (drops framework, insight, pattern, tension notes).",
    ),
    no_history: bool = typer.Option(False, "--no-history", help="Ignore git history (agents from the domain table, no events)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", "-j", min=1, help="Processes parsing notes (default: up to 4 on vaults of 4,000+ notes)."
    ),
    publish: Optional[Path] = typer.Option(
        None, "--publish", metavar="DIR",
        help="Export into another git repository (--out then names a folder inside it) and commit there only when a file changed.",
    ),
) -> None:
    """Export the claim graph for the web front end, chat prompts and contributor profiles.

    Writes graph-data.json, claims-context.json and contributors.json. The same
    commit gives the same bytes; a file is rewritten only when its content changed.
    With --publish DIR the export is committed in the repository DIR, once, only when it changed.
    """
    vault = vault_from(ctx, path)
    shown = (publish / out) if publish is not None else out
    if shown.exists() and not shown.is_dir():
        fail(f"{shown}: not a folder")
    options = ExportOptions(
        legacy_types=not reference_types, context_budget=context_budget, max_events=max_events,
        generated=generated, history=not no_history, workers=workers,
    )
    if publish is not None:
        _publish(vault, publish, out, options, output)
        return
    try:
        summary = export_graph(vault, out, options)
    except OSError as exc:
        fail(f"cannot write to {out}: {exc.strerror or exc}")
    if output is OutputFormat.json:
        typer.echo(summary.model_dump_json(indent=1))
    else:
        _print_summary(summary)


def _publish(vault: "Vault", target: Path, out: Path, options: ExportOptions, output: OutputFormat) -> None:
    from teleo.export.publish import PublishError, publish_graph

    try:
        result = publish_graph(vault, target, out, options)
    except PublishError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write to {target / out}: {exc.strerror or exc}")
    if output is OutputFormat.json:
        typer.echo(result.model_dump_json(indent=1))
        return
    _print_summary(result.summary)
    if result.commit is None:
        console.print(f"unchanged: nothing committed in {escape(result.repository)}")
    else:
        console.print(f"committed {result.commit[:12]} in {escape(result.repository)}: {escape(result.message or '')}")


def _print_summary(summary: ExportSummary) -> None:
    table = Table(title=f"teleo graph — {escape(Path(summary.vault).name)}", show_edge=False, show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_column("detail", style="dim")
    edge_detail = escape(" / ".join(f"{count} {kind}" for kind, count in summary.edges.items()))
    share = f"{summary.cross_domain / summary.edges_total:.0%} of edges" if summary.edges_total else ""
    folders = escape(", ".join(f"{folder} {count}" for folder, count in summary.nodes_by_folder.items()))
    table.add_row("nodes", str(summary.nodes), folders)
    table.add_row("edges", str(summary.edges_total), edge_detail)
    table.add_row("cross-domain", str(summary.cross_domain), share)
    table.add_row("isolated nodes", str(summary.isolated), "")
    table.add_row("challenged", str(summary.challenged), "")
    table.add_row("events", str(summary.events), f"{summary.commits} commit{'' if summary.commits == 1 else 's'} read" if summary.history else "no git history")
    table.add_row("contributors", str(summary.contributors), "")
    table.add_row("confidence", "", escape(", ".join(f"{k} {v}" for k, v in summary.confidence.items())))
    table.add_row("agents", "", escape(", ".join(f"{k} {v}" for k, v in summary.agents.items())))
    context = summary.context
    if context["claims_dropped"] or context["description_cap"] is not None:
        cut = "descriptions dropped" if context["descriptions_dropped"] else f"descriptions cut to {context['description_cap']}"
        dropped = f", {context['claims_dropped']} claims dropped" if context["claims_dropped"] else ""
        table.add_row("claims-context", f"{context['chars']:,}", f"budget {context['budget']:,}: {cut}{dropped}")
    for item in summary.files:
        state = "written" if item.written else "unchanged"
        table.add_row(escape(item.name), f"{item.bytes / 1024:,.1f} KB", state)
    phases = ", ".join(f"{name} {seconds:.2f}" for name, seconds in summary.phases.items())
    table.add_row("time", f"{summary.seconds:.2f} s", f"{phases}; {summary.workers} worker(s)")
    table.add_row("written to", "", escape(summary.out_dir))
    console.print(table)
    for problem in summary.problems:
        console.print(f"[yellow]warning:[/] {escape(problem)}")
