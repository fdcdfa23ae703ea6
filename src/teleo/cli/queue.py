"""`teleo queue`: the shared job queue — `init` its schema, `status` of its jobs and workers."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import FAILED, OutputFormat, console, example, fail, vault_from


def register(app: typer.Typer) -> None:
    group = typer.Typer(rich_markup_mode="rich", no_args_is_help=True,
                        context_settings={"help_option_names": ["-h", "--help"]})
    group.callback(epilog=EPILOG)(queue)
    group.command("init", epilog=EPILOG)(init)
    group.command("status", epilog=EPILOG)(status)
    app.add_typer(group, name="queue")


EPILOG = example(
    "teleo queue init",
    "teleo queue status",
    "teleo queue status --format json | jq .counts",
)


def queue() -> None:
    """The shared job queue of `[pipeline] backend = "postgres"`: create its schema, watch its jobs."""


def _settings(ctx: typer.Context):
    from teleo.pipeline.workers import PipelineSettings

    vault = vault_from(ctx)
    try:
        settings = PipelineSettings.from_vault(vault)
    except ValueError as exc:
        fail(str(exc))
    return vault, settings


def init(ctx: typer.Context) -> None:
    """Create the queue's tables in the PostgreSQL database of `[pipeline] dsn` (Procrastinate's
    schema and Teleo's outcome table); does nothing when they exist. Run it once per database."""
    from teleo.pipeline.queue import QueueError, redact_dsn

    _, settings = _settings(ctx)
    if settings.backend != "postgres":
        fail('teleo queue init is for the postgres backend: set [pipeline] backend = "postgres" and dsn in teleo.toml '
             "(the sqlite queue, .teleo/queue.sqlite, makes itself)")
    try:
        from teleo.pipeline.pg import init_schema

        created = init_schema(settings.dsn)
    except QueueError as exc:
        fail(str(exc), FAILED)
    console.print(f"{'created' if created else 'already there:'} the queue's schema in {escape(redact_dsn(settings.dsn))}")


def status(
    ctx: typer.Context,
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
    limit: int = typer.Option(20, "--limit", "-n", min=0, help="Jobs listed (the most recent; counts cover all)."),
) -> None:
    """Jobs per state and the most recent jobs (kind, target, state, attempts, last error); on
    PostgreSQL also the workers and the age of their heartbeat."""
    from teleo.pipeline.backends import open_queue
    from teleo.pipeline.queue import QueueError, redact_dsn

    vault, settings = _settings(ctx)
    try:
        queue = open_queue(vault, settings)
        try:
            jobs = queue.jobs()
            counts = queue.counts()
            workers = queue.workers() if hasattr(queue, "workers") else []
        finally:
            queue.close()
    except QueueError as exc:
        fail(str(exc), FAILED)
    where = redact_dsn(settings.dsn) if settings.backend == "postgres" else ".teleo/queue.sqlite"
    shown = jobs[-limit:] if limit else []
    if output is OutputFormat.json:
        console.print_json(json.dumps({
            "backend": settings.backend, "queue": where, "counts": counts, "workers": workers,
            "jobs": [{"id": j.id, "kind": j.kind, "target": j.target, "state": j.state, "attempts": j.attempts,
                      "error": j.error, "status": j.result.get("status")} for j in shown],
        }))
        return
    console.print(f"{settings.backend} queue at {escape(where)}: " + ", ".join(f"{n} {state}" for state, n in counts.items()))
    if settings.backend == "postgres":
        console.print(f"{len(workers)} worker(s)" + (": " + ", ".join(
            f"#{w['id']} beat {w['heartbeat_age_s']:.0f} s ago" for w in workers) if workers else ""))
    if shown:
        table = Table(title_justify="left")
        for name in ("kind", "target", "state", "attempts", "outcome"):
            table.add_column(name, overflow="fold")
        for job in shown:
            outcome = job.error if job.state in ("failed", "pending") and job.error else str(job.result.get("status") or "")
            table.add_row(job.kind, escape(job.target), job.state, str(job.attempts), escape(outcome or ""))
        console.print(table)
