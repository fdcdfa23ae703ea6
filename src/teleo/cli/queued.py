"""`teleo review` / `teleo merge` on the postgres backend with a shared remote: their jobs enqueued, not run here."""

from __future__ import annotations

import json

import typer

from teleo.cli.common import FAILED, OutputFormat, fail
from teleo.cli.extract import print_enqueued


def queue_instead_on_shared_remote(vault, stage: str, branches: list[str] | None, output: OutputFormat,
                                   unsupported: dict[str, bool]) -> None:
    """`teleo review` / `teleo merge` on the postgres backend with a shared remote: enqueue the stage's jobs
    (every open proposal of the remote, or `branches`) for `teleo worker`s, print them and exit 0 — as
    `teleo run` / `teleo extract` enqueue extraction — instead of running on this clone (whose merge the
    next follow would drop). `unsupported`: options given that a job cannot carry, refused in one line.
    Returns at once on any other configuration."""
    if not vault.config.may_follow_shared_remote():
        return
    from teleo.pipeline.workers import PipelineSettings

    try:
        settings = PipelineSettings.from_vault(vault)
    except ValueError as exc:
        fail(str(exc))
    if settings.backend != "postgres" or not settings.remote:
        return
    where = f'[pipeline] backend = "postgres" with remote = {settings.remote!r}'
    given = [name for name, on in unsupported.items() if on]
    if given:
        fail(f"teleo {stage}: {given[0]} cannot go through the queue ({where}: teleo {stage} enqueues the {stage} "
             f"jobs and teleo worker runs them with its own settings) — run it without {given[0]}")
    from teleo.pipeline.enqueue import enqueue_stages, open_branches
    from teleo.pipeline.queue import QueueError
    from teleo.repo.remote import RemoteError

    try:
        open_ones = open_branches(vault, settings)
        missing = [b for b in branches or [] if b not in open_ones]
        if missing:
            fail(f"teleo {stage}: {missing[0]} is no open proposal on the shared remote {settings.remote!r} ({where}): "
                 f"nothing queued — a branch of this clone is pushed first (git push {settings.remote} {missing[0]})",
                 code=FAILED)
        done = enqueue_stages(vault, settings, (stage,), branches=branches if branches is not None else open_ones)
    except (QueueError, RemoteError) as exc:
        fail(f"teleo {stage}: nothing queued ({where}): {exc}", code=FAILED)
    if output is OutputFormat.json:
        typer.echo(json.dumps({"enqueued": done.as_json()}, ensure_ascii=False, indent=1))
    else:
        print_enqueued(done)
    raise typer.Exit(0)
