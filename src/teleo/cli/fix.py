"""`teleo fix`: apply safe repairs (or show them with --dry-run)."""

from __future__ import annotations

import difflib
import json
from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.text import Text

from teleo.cli.common import OutputFormat, committing_on_main, console, err_console, example, note_targets, vault_for_paths
from teleo.gates.repair import RepairRun, repair


def register(app: typer.Typer) -> None:
    app.command("fix", epilog=EPILOG)(fix)


EPILOG = example(
    "teleo fix --dry-run",
    "teleo fix domains/ai-alignment",
    "teleo fix --dry-run --format json | jq .summary",
    "teleo fix --strip-broken-links --dry-run   # the reference's lossy auto-fix, for parity",
)


def fix(
    ctx: typer.Context,
    paths: Optional[list[Path]] = typer.Argument(None, help="Files or folders to repair (default: the whole vault)."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Show the diff; write nothing."),
    strip_broken: bool = typer.Option(
        False, "--strip-broken-links", help="Reference parity: turn every link that is not exactly a claim title into plain text."
    ),
    commit: bool = typer.Option(True, "--commit/--no-commit", help="Commit the repair when the vault is a git repository."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text (a diff) or json."),
) -> None:
    """Repair links and legacy values without losing information.

    Rewrites a link to the exact title it resolves to, completes a truncated
    link when exactly one title starts with it, and coerces known legacy enum
    values. Files with uncommitted changes are left alone.
    """
    vault = vault_for_paths(ctx, paths)
    with committing_on_main(vault, "teleo fix") if commit and not dry_run else nullcontext():
        targets, problems = note_targets(vault, paths or [])
        for problem in problems:
            err_console.print(f"[yellow]skipped[/] {escape(problem.file)}: {escape(problem.message)}")
        run = repair(vault, targets, strip_broken=strip_broken, dry_run=dry_run, commit=commit)
    for refused in run.refused:
        err_console.print(f"[yellow]not repaired[/] {escape(refused.path)}: {escape(refused.refused)}")
    if run.commit_error:
        err_console.print(f"[red]files were repaired but not committed:[/] {escape(run.commit_error)}")
    if output is OutputFormat.json:
        _print_json(run)
    else:
        _print_text(run)


def _print_text(run: RepairRun) -> None:
    for f in run.fixes:
        diff = "".join(
            difflib.unified_diff(
                f.before.splitlines(keepends=True), f.after.splitlines(keepends=True), f"a/{f.path}", f"b/{f.path}", n=1
            )
        )
        for line in diff.splitlines():
            console.print(Text(line, style=_diff_style(line)))
    for path in run.skipped:
        console.print(f"[yellow]skipped[/] {escape(path)}: uncommitted changes")
    parts = [f"{n} {kind}" for kind, n in sorted(run.totals.items())] or ["nothing to repair"]
    verb = "would change" if run.dry_run else "changed"
    console.print(f"\n[bold]teleo fix[/] {verb} {len(run.fixes)} files: " + ", ".join(parts))
    if run.commit:
        console.print(f"committed {run.commit[:10]}")
    elif run.dry_run and run.fixes:
        console.print("[dim]dry run: nothing written[/]")


def _diff_style(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    return {"+": "green", "-": "red"}.get(line[:1], "")


def _print_json(run: RepairRun) -> None:
    payload = {
        "files": [{"path": f.path, "changes": f.changes, "counts": dict(f.kinds)} for f in run.fixes],
        "skipped": run.skipped,
        "summary": {"files": len(run.fixes), "dry_run": run.dry_run, "commit": run.commit, **dict(run.totals)},
    }
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
