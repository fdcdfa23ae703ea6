"""What every command shares: finding the vault, output format, clean errors."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Iterator

import typer
from rich.console import Console
from rich.markup import escape

from teleo.gates import Finding, Severity
from teleo.vault import ConfigError, UnsafePath, Vault, VaultNotFound

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

USAGE_ERROR = 2
"""Exit code of wrong usage (an unknown name, a bad option value, not a git vault)."""
FAILED = 1
"""Exit code when the work was tried and failed (a job, a merge, an edit that was refused)."""


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def vault_from(ctx: typer.Context, path: Path | None = None) -> Vault:
    """The vault named by an argument, by `--vault`, or found upwards from here."""
    chosen = path or (ctx.obj or {}).get("vault")
    try:
        return Vault.open(chosen) if chosen else Vault.discover()
    except (VaultNotFound, ConfigError) as exc:
        fail(str(exc))


def fail(message: str, code: int = USAGE_ERROR) -> "typer.Exit":
    """Print a one-line error (never a traceback) and exit. `message` is plain text (it
    quotes titles, paths and input as written), never markup."""
    err_console.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn expected failures into one-line messages."""
    try:
        yield
    except (ConfigError, VaultNotFound) as exc:
        try:
            fail(str(exc))
        except typer.Exit as done:  # outside the typer app here: its Exit would surface as a traceback
            sys.exit(done.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


def example(*lines: str) -> str:
    """An `--help` epilog showing example invocations."""
    return "[bold]Examples[/]\n\n" + "\n\n".join(f"  [cyan]$ {line}[/]" for line in lines)


def vault_for_paths(ctx: typer.Context, paths: list[Path] | None) -> Vault:
    """The vault of --vault, else the one holding the first path, else the one found from here."""
    return vault_from(ctx, _vault_hint(ctx, paths))


def _vault_hint(ctx: typer.Context, paths: list[Path] | None) -> Path | None:
    if (ctx.obj or {}).get("vault") or not paths:
        return None
    first = paths[0]
    start = first if first.is_dir() else first.parent
    if not start.exists():
        return None
    try:
        return Vault.discover(start).root
    except Exception:
        return None


def note_targets(vault: Vault, paths: list[Path]) -> tuple[list[str] | None, list[Finding]]:
    if not paths:
        return None, []
    chosen: list[str] = []
    outside: list[Finding] = []
    all_paths = vault.markdown_paths() + [p.path for p in vault.walk_problems()]  # a folder's set-aside files too
    for path in paths:
        try:
            rel = vault.relative(path)
            vault.absolute(rel) if rel else None
        except UnsafePath as exc:
            outside.append(_path_finding(str(path), str(exc)))
            continue
        full = vault.root / rel
        if not full.exists():
            outside.append(_path_finding(str(path), f"{path}: no such file or folder"))
        elif full.is_dir():
            prefix = "" if rel in ("", ".") else rel.rstrip("/") + "/"
            chosen.extend(p for p in all_paths if p.startswith(prefix))
        else:
            chosen.append(rel)
    return chosen, outside


def _path_finding(path: str, message: str) -> Finding:
    return Finding(rule="parse", severity=Severity.ERROR, file=path, line=1, message=f"path: {message}")
