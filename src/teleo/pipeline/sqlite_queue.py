"""The embedded backend of `JobQueue`: the SQLite lease table (`store.JobStore`) seen through the
queue interface. It holds extraction jobs only — on SQLite, review and merge run in the process of
`teleo run` — and its workers are the supervisor's processes (`workers.Supervisor`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from teleo.pipeline.queue import QueuedJob, QueueError
from teleo.pipeline.store import Job, JobStore
from teleo.pipeline.workers import PipelineSettings, queue_path

_STATE = {"pending": "pending", "leased": "running", "done": "done", "failed": "failed"}


@dataclass
class SqliteQueue:
    store: JobStore
    settings: PipelineSettings
    batch: str | None = None
    backend: str = "sqlite"

    @classmethod
    def for_vault(cls, vault: Any, settings: PipelineSettings, *, batch: str | None = None) -> "SqliteQueue":
        return cls(JobStore(queue_path(vault.root)), settings, batch)

    def enqueue(self, kind: str, target: str, *, then: Sequence[str] = (), version: str = "") -> bool:
        if kind != "extract":
            raise QueueError(f"the sqlite backend queues extraction jobs only (not {kind}): "
                             "teleo run reviews and merges in its own process")
        before = self.store.get(target)
        if before is not None and (before.state == "leased" or before.state == "pending" and before.source_hash == version):
            return False  # one job per source: waiting or running already
        state = self.store.upsert(target, version, batch=self.batch)
        if state in ("done", "failed"):
            self.store.retry_failed([target]) if state == "failed" else self._redo(target)
        return True

    def _redo(self, source: str) -> None:
        with self.store._write() as db:  # noqa: SLF001 - the store's own transaction helper
            db.execute("UPDATE jobs SET state = 'pending', attempts = 0, next_attempt_at = 0 WHERE source = ?", (source,))

    def claim(self, owner: str) -> QueuedJob | None:
        job = self.store.lease(owner, self.settings.lease_ttl_s, batch=self.batch, max_attempts=self.settings.max_attempts)
        return _as_queued(job, owner) if job is not None else None

    def finish(self, job: QueuedJob, result: dict[str, Any]) -> None:
        self.store.complete(job.target, job.id.split("#", 1)[1], result)

    def fail(self, job: QueuedJob, error: str) -> str:
        state = self.store.fail(job.target, job.id.split("#", 1)[1], error, max_attempts=self.settings.max_attempts,
                                backoff_s=self.settings.backoff_s, max_backoff_s=self.settings.max_backoff_s)
        return state or "failed"

    def jobs(self, kind: str | None = None) -> list[QueuedJob]:
        if kind not in (None, "extract"):
            return []
        return [_as_queued(job) for job in self.store.all(self.batch)]

    def counts(self) -> dict[str, int]:
        raw = self.store.counts(self.batch)
        return {_STATE[state]: count for state, count in raw.items()}

    def close(self) -> None:
        self.store.close()


def _as_queued(job: Job, owner: str | None = None) -> QueuedJob:
    """A lease's id carries its owner (`source#owner`): finishing needs both."""
    return QueuedJob(id=f"{job.source}#{owner or job.owner or ''}", kind="extract", target=job.source,
                     state=_STATE[job.state], attempts=job.attempts, error=job.last_error, result=job.result)
