"""`open_queue(vault)`: the vault's `JobQueue`, on the backend `[pipeline] backend` names (the
PostgreSQL one — Procrastinate, psycopg — is imported only when chosen)."""

from __future__ import annotations

from typing import Any

from teleo.pipeline.queue import JobQueue
from teleo.pipeline.workers import PipelineSettings


def open_queue(vault: Any, settings: PipelineSettings | None = None, **options: Any) -> JobQueue:
    """The vault's queue, as `[pipeline] backend` says."""
    settings = settings or PipelineSettings.from_vault(vault)
    if settings.backend == "postgres":
        from teleo.pipeline.pg import PostgresQueue

        return PostgresQueue(settings.dsn, settings=settings, **options)
    from teleo.pipeline.sqlite_queue import SqliteQueue

    return SqliteQueue.for_vault(vault, settings, **options)
