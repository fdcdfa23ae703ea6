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
    "proposals", "extract", "review", "merge", "flags", "run", "demo", "serve", "mcp",
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

def _unwrapped(doc: str) -> str:
    """A docstring's paragraphs each on one line: rich help keeps the line breaks of every paragraph
    after the first, so a hard-wrapped docstring would print as ragged lines."""
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in doc.strip().split("\n\n"))


def _first_sentence(doc: str) -> str:
    return _unwrapped(doc).split("\n\n")[0].split(". ")[0].rstrip(".") + "."


def _tidy_help(typer_app: typer.Typer) -> None:
    """Help texts from the callbacks' docstrings; `teleo --help` shows one line per command, its first sentence."""
    for command in typer_app.registered_commands:
        if command.callback is not None and command.callback.__doc__:
            command.help = command.help or _unwrapped(command.callback.__doc__)
            command.short_help = command.short_help or _first_sentence(command.callback.__doc__)
    for group in typer_app.registered_groups:
        callback = group.typer_instance.registered_callback
        if callback is not None and callback.callback is not None and callback.callback.__doc__:
            callback.help = callback.help or _unwrapped(callback.callback.__doc__)
            group.short_help = group.short_help or _first_sentence(callback.callback.__doc__)
        _tidy_help(group.typer_instance)


_tidy_help(app)


def main() -> None:
    """Console entry point."""
    with friendly_errors():
        app()


if __name__ == "__main__":
    main()
