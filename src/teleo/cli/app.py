"""The `teleo` command line: thin wrappers over the stage entry points."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Optional

import typer

from teleo import __version__
from teleo.cli.common import console, friendly_errors

app = typer.Typer(
    name="teleo",
    help="Teleo — an engine for knowledge bases that AI agents and people maintain together.\n\n"
    "Every command works on the vault found from the current folder upwards (like git), or on --vault PATH.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"teleo {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    vault: Optional[Path] = typer.Option(None, "--vault", "-C", help="The vault folder (default: found from here upwards)."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
) -> None:
    ctx.obj = {"vault": vault}


COMMAND_MODULES = (
    "lint", "fix", "init", "ingest", "index", "search", "similar", "show", "graph", "stats", "ledger",
    "proposals", "extract", "review", "merge", "flags", "run", "demo", "serve",
)
"""Each module `teleo.cli.<name>` defines `register(app)`; the order is the --help order."""

for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"teleo.cli.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"teleo.cli.{_name}":
            raise
        continue
    _module.register(app)

for _command in app.registered_commands:  # `teleo --help`: one line per command, its first sentence
    if _command.short_help is None and _command.callback is not None and _command.callback.__doc__:
        _first = " ".join(_command.callback.__doc__.strip().split("\n\n")[0].split())
        _command.short_help = _first.split(". ")[0].rstrip(".") + "."


def main() -> None:
    """Console entry point."""
    with friendly_errors():
        app()


if __name__ == "__main__":
    main()
