"""The `teleo` command line: thin wrappers over the stage entry points.

Start-up is kept to the framework's own: each command's module (and the engine it wraps) is imported
only when that command runs, so `teleo --version` or `teleo search` never pays for the gates, the
web server or the embedding model they do not use (tests/test_cli_startup.py checks it).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from teleo import __version__
from teleo.cli import common
from teleo.cli.common import friendly_errors

COMMAND_MODULES = (
    "lint", "fix", "init", "ingest", "sources", "index", "search", "similar", "show", "graph", "stats", "ledger",
    "proposals", "extract", "review", "merge", "forge", "flags", "digest", "synthesis", "synthesize", "contribute",
    "contributors", "research", "run", "worker", "queue", "demo", "serve", "mcp",
)
"""Each module `teleo.cli.<name>` defines `register(app)` for the one command `<name>`; the order is
the --help order."""


class LazyCommands(TyperGroup):
    """The root group: a command named on the command line is built from its module on first use
    (commands registered on `app` itself, eagerly, still come first)."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        eager = super().list_commands(ctx)
        return eager + [name for name in COMMAND_MODULES if name not in eager and _module_exists(name)]

    def get_command(self, ctx: typer.Context, cmd_name: str):  # type: ignore[no-untyped-def]
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMAND_MODULES and _module_exists(cmd_name):
            command = self.commands[cmd_name] = _load_command(cmd_name)
        return command

    def resolve_command(self, ctx: typer.Context, args: list[str]):  # type: ignore[no-untyped-def]
        """A name that is no command: every command is loaded first, so that typer's "Did you
        mean …?" (which looks at the loaded ones) still names the nearest."""
        if args and args[0] not in self.commands and args[0] not in COMMAND_MODULES:
            for name in self.list_commands(ctx):
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="teleo",
    cls=LazyCommands,
    help="Teleo — an engine for knowledge bases that AI agents and people maintain together.\n\n"
    "Every command works on the vault found from the current folder upwards (like git), or on --vault PATH.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"teleo {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    vault: Optional[Path] = typer.Option(None, "--vault", "-C", help="The vault folder (default: found from here upwards)."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
) -> None:
    ctx.obj = {"vault": vault}


def _module_exists(name: str) -> bool:
    """A listed command whose module is not there yet (a stage still being built) is left out."""
    return importlib.util.find_spec(f"teleo.cli.{name}") is not None


def _load_command(name: str):  # type: ignore[no-untyped-def]
    """Import `teleo.cli.<name>` and build its click command as the root app would have."""
    module = importlib.import_module(f"teleo.cli.{name}")
    holder = typer.Typer(rich_markup_mode=app.rich_markup_mode, add_completion=False)
    holder.callback()(lambda: None)  # a group, so the command keeps its name
    module.register(holder)
    _tidy_help(holder)
    return typer.main.get_group(holder).commands[name]


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
    common.OWN_PROCESS = True
    with friendly_errors():
        app()


if __name__ == "__main__":
    main()
