"""`teleo fix`: apply safe repairs (or show them with --dry-run)."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.text import Text

from teleo.cli.common import OutputFormat, console, err_console, example, note_targets, vault_for_paths
from teleo.gates.fixes import (
    STRIP_COMMIT_AUTHOR,
    STRIP_COMMIT_BODY,
    FileFix,
    safe_fixes,
    strip_broken_links,
    strip_commit_subject,
)
from teleo.notes import atomic_write
from teleo.repo import GitError, Repo
from teleo.vault import Vault


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
    targets, problems = note_targets(vault, paths or [])
    for problem in problems:
        err_console.print(f"[yellow]skipped[/] {escape(problem.file)}: {escape(problem.message)}")
    fixes = strip_broken_links(vault, targets) if strip_broken else safe_fixes(vault, targets)
    for refused in (f for f in fixes if f.refused):
        err_console.print(f"[yellow]not repaired[/] {escape(refused.path)}: {escape(refused.refused)}")
    fixes = [f for f in fixes if not f.refused]
    repo = Repo.open(vault.root)
    fixes, skipped = _without_dirty(vault, repo, fixes) if repo and not dry_run else (fixes, [])
    totals = sum((f.kinds for f in fixes), Counter())
    commit_id = None
    if not dry_run and fixes:
        commit_id = _apply(vault, repo, fixes, totals, strip_broken, commit)
    if output is OutputFormat.json:
        _print_json(fixes, totals, skipped, dry_run, commit_id)
    else:
        _print_text(fixes, totals, skipped, dry_run, commit_id)


def _without_dirty(vault: Vault, repo: Repo, fixes: list[FileFix]) -> tuple[list[FileFix], list[str]]:
    rel = {f.path: _repo_path(vault, repo, f.path) for f in fixes}
    dirty = repo.dirty(list(rel.values()))
    kept = [f for f in fixes if rel[f.path] not in dirty]
    return kept, [f.path for f in fixes if rel[f.path] in dirty]


def _repo_path(vault: Vault, repo: Repo, path: str) -> str:
    return (vault.root / path).resolve().relative_to(repo.root.resolve()).as_posix()


def _apply(vault: Vault, repo: Repo | None, fixes: list[FileFix], totals: Counter, strip: bool, commit: bool) -> str | None:
    for f in fixes:
        atomic_write(vault.root / f.path, f.after)
    vault.forget()
    if repo is None or not commit:
        return None
    paths = [_repo_path(vault, repo, f.path) for f in fixes]
    if strip:
        message = strip_commit_subject(totals["link-stripped"]) + "\n\n" + STRIP_COMMIT_BODY + "\n"
        author = STRIP_COMMIT_AUTHOR
    else:
        message = _fix_message(totals, len(fixes))
        author = None
    try:
        return repo.commit(paths, message, author=author)
    except GitError as exc:
        err_console.print(f"[red]files were repaired but not committed:[/] {escape(str(exc))}")
        return None


def _fix_message(totals: Counter, files: int) -> str:
    count = sum(totals.values())
    lines = [f"teleo fix: {count} safe repairs in {files} files", ""]
    labels = {
        "link-rewritten": "links rewritten to the exact title they resolve to",
        "link-completed": "truncated links completed",
        "enum-coerced": "legacy enum values coerced",
    }
    lines += [f"- {totals[k]} {label}" for k, label in labels.items() if totals[k]]
    return "\n".join(lines) + "\n"


def _print_text(fixes: list[FileFix], totals: Counter, skipped: list[str], dry_run: bool, commit_id: str | None) -> None:
    for f in fixes:
        diff = "".join(
            difflib.unified_diff(
                f.before.splitlines(keepends=True), f.after.splitlines(keepends=True), f"a/{f.path}", f"b/{f.path}", n=1
            )
        )
        for line in diff.splitlines():
            console.print(Text(line, style=_diff_style(line)))
    for path in skipped:
        console.print(f"[yellow]skipped[/] {escape(path)}: uncommitted changes")
    parts = [f"{n} {kind}" for kind, n in sorted(totals.items())] or ["nothing to repair"]
    verb = "would change" if dry_run else "changed"
    console.print(f"\n[bold]teleo fix[/] {verb} {len(fixes)} files: " + ", ".join(parts))
    if commit_id:
        console.print(f"committed {commit_id[:10]}")
    elif dry_run and fixes:
        console.print("[dim]dry run: nothing written[/]")


def _diff_style(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    return {"+": "green", "-": "red"}.get(line[:1], "")


def _print_json(fixes: list[FileFix], totals: Counter, skipped: list[str], dry_run: bool, commit_id: str | None) -> None:
    payload = {
        "files": [{"path": f.path, "changes": f.changes, "counts": dict(f.kinds)} for f in fixes],
        "skipped": skipped,
        "summary": {"files": len(fixes), "dry_run": dry_run, "commit": commit_id, **dict(totals)},
    }
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
