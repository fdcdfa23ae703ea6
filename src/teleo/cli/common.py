"""What every command shares: finding the vault, output format, clean errors."""

from __future__ import annotations

import atexit
import os
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from teleo.gates import Finding
    from teleo.vault import Vault

    console: Console
    err_console: Console


def __getattr__(name: str) -> Any:
    """`console` and `err_console` are made on first use: rich costs a tenth of a second to import,
    and `teleo --version` prints nothing through it (PEP 562)."""
    if name in ("console", "err_console"):
        return _console(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _console(name: str) -> Console:
    if name not in globals():
        from rich.console import Console

        globals()[name] = Console(stderr=name == "err_console", highlight=False, soft_wrap=True)
    return globals()[name]

USAGE_ERROR = 2
"""Exit code of wrong usage (an unknown name, a bad option value, not a git vault)."""
FAILED = 1
"""Exit code when the work was tried and failed (a job, a merge, an edit that was refused)."""


OWN_PROCESS = False
"""Set by `app.main`: the command runs as the process's whole work (the console script), not inside another
program (a test's `CliRunner`, an embedding application), so it may end the process itself."""


def exit_now(code: int) -> NoReturn:
    """End the command with `code`, without the interpreter's teardown when the process is the command's own.

    A large lint holds a quarter of a GiB of small objects (findings, the resolver, caches) when it is
    done; the interpreter's normal exit frees them one by one (~0.25 s of CPU at 20×) only to hand the
    memory back to the kernel. Here the output is flushed, the `atexit` handlers run as they would, and
    the process ends (`os._exit`). Inside another program this is `raise typer.Exit(code)`."""
    if OWN_PROCESS:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            raise typer.Exit(code) from None  # a closed or broken output: the normal exit reports it
        atexit._run_exitfuncs()
        os._exit(code)
    raise typer.Exit(code)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def vault_from(ctx: typer.Context, path: Path | None = None) -> Vault:
    """The vault named by an argument, by `--vault`, or found upwards from here."""
    from teleo.vault import ConfigError, Vault, VaultNotFound

    chosen = path or (ctx.obj or {}).get("vault")
    try:
        return Vault.open(chosen) if chosen else Vault.discover()
    except (VaultNotFound, ConfigError) as exc:
        fail(str(exc))


def refuse_local_stage(vault, stage: str) -> None:
    """Exit with one line when `stage` would run on this clone alone while hosts share a remote on
    the SQLite backend (`PipelineSettings.refuse_local_stages`)."""
    from teleo.pipeline.workers import PipelineSettings

    try:
        PipelineSettings.from_vault(vault).refuse_local_stages((stage,))
    except ValueError as exc:
        fail(str(exc))


@contextmanager
def committing_on_main(vault: Vault, command: str) -> Iterator[None]:
    """Around a command that commits on main: on a host whose main follows a shared remote
    (`[pipeline] remote`), main is first brought to the remote's tip and what the command committed is
    pushed after it by compare-and-swap (`pipeline.remote.follow_shared_main`, `publish_shared_main`;
    docs/deploy.md). Without a shared remote nothing changes. Failures are one line naming the setting."""
    if not vault.config.may_follow_shared_remote():
        yield
        return
    from teleo.pipeline.remote import publish_shared_main
    from teleo.repo.remote import RemoteError

    shared = _follow_shared_main(vault, command)
    try:
        yield
    finally:
        if shared is not None:
            try:
                tip = publish_shared_main(shared)
            except RemoteError as exc:  # NotPublished says where the commit is kept
                fail(f"{command}: {exc}", code=FAILED)
            if tip is not None:
                _console("err_console").print(f"pushed to {shared.remote.name}/main ({tip[:12]})")


def _follow_shared_main(vault: Vault, command: str):
    """`pipeline.remote.follow_shared_main` before a command writes: its `SharedMain` (None without a shared
    remote), or one line and exit 1 when the remote cannot be reached — nothing written yet."""
    from teleo.pipeline.remote import follow_shared_main
    from teleo.repo.remote import RemoteError

    try:
        shared = follow_shared_main(vault)
    except (RemoteError, ValueError) as exc:
        fail(f"{command}: nothing written — this clone's main follows the shared remote ([pipeline] remote) and "
             f"could not be brought up to it: {exc}", code=FAILED)
    return shared


@contextmanager
def proposing_on_shared_main(vault: Vault, command: str) -> Iterator[list[str]]:
    """Around a command that makes proposal branches by hand (`teleo research`, `contribute`, `synthesize`,
    `flags resolve --propose`): on a host whose main follows a shared remote, main is first brought to the
    remote's tip (the proposal forks from the shared main); the branches the command appends to the list
    it is given are then pushed by compare-and-swap and, on the postgres backend, their review enqueued
    (`pipeline.hand_proposals`; docs/deploy.md). Without a shared remote nothing changes. A push refused
    is one line and exit 1, the clone's branch kept."""
    made: list[str] = []
    if not vault.config.may_follow_shared_remote():
        yield made
        return
    shared = _follow_shared_main(vault, command)
    try:
        yield made
    finally:
        if shared is not None and made:
            _publish_proposals(shared, made, command)


def _publish_proposals(shared, branches: list[str], command: str) -> None:
    from rich.markup import escape

    from teleo.pipeline.hand_proposals import publish_proposals

    done = publish_proposals(shared, branches, command=command)
    err = _console("err_console")
    for branch, commit in done.pushed:
        err.print(f"pushed {escape(branch)} to {escape(done.remote)} ({commit[:12]})")
    if done.enqueued is not None:
        queued = [target for _, target in done.enqueued.queued]
        waiting = [target for _, target in done.enqueued.duplicates]
        if queued:
            err.print(f"queued the review of {escape(', '.join(queued))} on {done.enqueued.backend} "
                      f"({escape(done.enqueued.queue)}), its merge after an approval: teleo worker does them")
        if waiting:
            err.print(f"the review of {escape(', '.join(waiting))} is already waiting or running (not queued twice)")
    for line in done.refused:
        err.print(f"[bold red]error:[/] {escape(line)}")
    if done.queue_error:
        err.print(f"[bold red]error:[/] {escape(command)}: pushed, but the review could not be queued: "
                  f"{escape(done.queue_error)} — teleo review {escape(' '.join(b for b, _ in done.pushed + done.there))} "
                  "queues it once the queue is reachable")
    if done.refused or done.queue_error:
        raise typer.Exit(FAILED)


def fail(message: str, code: int = USAGE_ERROR) -> "typer.Exit":
    """Print a one-line error (never a traceback) and exit. `message` is plain text (it
    quotes titles, paths and input as written), never markup."""
    from rich.markup import escape

    _console("err_console").print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn expected failures into one-line messages."""
    try:
        yield
    except KeyboardInterrupt:
        _console("err_console").print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if not _is_expected_error(exc):
            raise
        try:
            fail(str(exc))
        except typer.Exit as done:  # outside the typer app here: its Exit would surface as a traceback
            sys.exit(done.exit_code)


def _is_expected_error(exc: Exception) -> bool:
    """A missing vault, a bad config, or a git repository Teleo cannot use yet (no commit, no main branch).

    Checked without importing the modules, for commands that never opened a vault or a repository."""
    expected: list[type] = []
    vault = sys.modules.get("teleo.vault")
    if vault is not None:
        expected += [vault.ConfigError, vault.VaultNotFound]
    branches = sys.modules.get("teleo.repo.branches")
    if branches is not None:
        expected.append(branches.BranchError)
    discover = sys.modules.get("teleo.repo.discover")
    if discover is not None:
        expected.append(discover.NotARepository)
    return isinstance(exc, tuple(expected))


def example(*lines: str) -> str:
    """An `--help` epilog showing example invocations."""
    return "[bold]Examples[/]\n\n" + "\n\n".join(f"  [cyan]$ {line}[/]" for line in lines)


def vault_for_paths(ctx: typer.Context, paths: list[Path] | None) -> Vault:
    """The vault of --vault, else the one holding the first path, else the one found from here."""
    return vault_from(ctx, _vault_hint(ctx, paths))


def _vault_hint(ctx: typer.Context, paths: list[Path] | None) -> Path | None:
    from teleo.vault import Vault

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
    from teleo.vault import UnsafePath

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
    from teleo.gates import Finding, Severity

    return Finding(rule="parse", severity=Severity.ERROR, file=path, line=1, message=f"path: {message}")
