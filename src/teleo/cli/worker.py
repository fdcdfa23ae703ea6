"""`teleo worker`: a long-lived worker taking jobs from the shared PostgreSQL queue."""

from __future__ import annotations

from typing import Optional

import typer

from teleo.cli.common import FAILED, example, fail, vault_from


def register(app: typer.Typer) -> None:
    app.command("worker", epilog=EPILOG)(worker)


EPILOG = example(
    "teleo queue init            # once, on a new database",
    "TELEO_PG_DSN='postgresql://teleo:secret@db.internal/teleo' teleo worker --concurrency 2",
    "teleo worker --drain        # stop once no job is ready",
) + (
    "\n\n[bold]Needs[/] `[pipeline] backend = \"postgres\"` and `dsn` in teleo.toml (or TELEO_PG_DSN), "
    "the extra `pip install 'teleo[postgres]'`, and a clone of the vault here. "
    "SIGTERM or Ctrl-C stops after the job in hand; a worker killed mid-job has its job retried by "
    "another after `[pipeline] stall_seconds` without a heartbeat."
)


def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(1, "--concurrency", "-c", min=1, max=64, help="Worker processes on this host (each runs one job at a time)."),
    drain: bool = typer.Option(False, "--drain", help="Stop once no job is ready, instead of waiting for more."),
    provider: Optional[str] = typer.Option(None, "--provider", "-p", help="Provider name from [llm] (default: the vault's)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name for the provider."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Log warnings and errors only."),
) -> None:
    """Take jobs (extract a source, review a proposal, merge) from the shared queue and do them,
    until stopped: the worker side of `[pipeline] backend = "postgres"`.

    Run it on any host with a clone of the vault; `teleo extract` and `teleo run` enqueue, one
    job per source. Logs one line per job on stderr."""
    import logging

    from teleo.pipeline.queue import QueueError
    from teleo.pipeline.workers import PipelineSettings

    vault = vault_from(ctx)
    try:
        settings = PipelineSettings.from_vault(vault)
    except ValueError as exc:
        fail(str(exc))
    if settings.backend != "postgres":
        fail('teleo worker takes jobs from a shared queue: set [pipeline] backend = "postgres" and dsn in '
             "teleo.toml (with the sqlite backend, teleo extract and teleo run start their own workers)")
    if vault.config.forge:  # its merge jobs go through the forge: a table or token that cannot work is said now
        from teleo.forge.settings import ForgeSettings

        try:
            ForgeSettings.from_vault(vault).token()
        except ValueError as exc:
            fail(str(exc))
    from teleo.pipeline.service import WorkerSpec, configure_logging

    configure_logging(settings.dsn, logging.WARNING if quiet else logging.INFO)
    try:
        from teleo.pipeline.service import serve

        code = serve(vault, settings, concurrency=concurrency, drain=drain,
                     spec=WorkerSpec(provider=provider, model=model))
    except QueueError as exc:
        fail(str(exc), FAILED)
    raise typer.Exit(code)
