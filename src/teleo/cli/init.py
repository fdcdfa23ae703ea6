"""`teleo init`: create a new vault."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import console, example, fail
from teleo.repo import GitError, Repo
from teleo.vault.init import DEFAULT_DOMAINS, InitError, create_vault, init_config, parse_domains


def register(app: typer.Typer) -> None:
    app.command("init", epilog=EPILOG)(init)


EPILOG = example(
    "teleo init my-vault",
    "teleo init climate-kb --domain climate=gaia --domain grand-strategy --name 'Climate KB'",
)


def init(
    directory: Path = typer.Argument(..., help="The new vault's folder (created; must be empty)."),
    domain: Optional[list[str]] = typer.Option(
        None, "--domain", "-d", help="A domain, optionally with its agent: NAME or NAME=AGENT (repeatable)."
    ),
    name: str = typer.Option("Teleo vault", "--name", help="The vault's display name."),
    git: bool = typer.Option(True, "--git/--no-git", help="Make it a git repository with a first commit."),
) -> None:
    """Create a new vault: teleo-codex layout, one agent per domain, schemas and a README."""
    try:
        config = init_config(name, parse_domains(domain or DEFAULT_DOMAINS))
        files = create_vault(directory, config)
    except InitError as exc:
        fail(str(exc))
    if git:
        _git_init(directory, files)
    console.print(f"[green]created[/] {escape(str(directory))} — {len(files)} files, {len(config.domains)} domains, {len(config.agents)} agents")
    console.print(f"next: [cyan]cd {escape(str(directory))} && teleo lint[/]")


def _git_init(directory: Path, files: list[str]) -> None:
    try:
        repo = Repo.init(directory)
    except GitError as exc:
        console.print(f"[yellow]git not available: the vault was created without a repository[/] ({escape(str(exc))})")
        return
    try:
        repo.commit(files, "teleo init: new vault\n")
    except GitError as exc:
        console.print(f"[yellow]vault created, first commit failed:[/] {escape(str(exc))}")
