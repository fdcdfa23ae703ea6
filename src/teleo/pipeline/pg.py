"""The PostgreSQL backend of `JobQueue`: Procrastinate (psycopg 3), for workers on several hosts.

Imported only when `[pipeline] backend = "postgres"` (extra `teleo[postgres]`). What Procrastinate
gives, and how Teleo uses it:

- **One job per source.** An extraction is deferred with the *queueing lock* `extract:<source>`
  (a second one while it waits is refused: `enqueue` returns False) and the *lock*
  `source:<source>` (two jobs holding one lock never run at once — the database's unique index on
  running jobs says so, not a worker's good manners). Reviews lock their branch; merges (one job
  per proposal) share one lock, so one merge runs at a time across the hosts.
- **Heartbeats.** Each worker registers in `procrastinate_workers` and beats every
  `min(10, stall_seconds / 3)` s (`worker.py`'s side task).
- **Stalled jobs.** The periodic task `teleo.retry_stalled` (every few seconds, deferred once per
  tick by whichever worker is up) retries every running job whose worker sent no heartbeat for
  `[pipeline] stall_seconds`: a worker SIGKILLed mid-job, or on a host that died, has its job
  taken again. A job past `max_attempts` is failed instead; one whose target is already waiting
  again (re-enqueued meanwhile) is failed too, the waiting job doing the work.
- **Retries** of failed attempts: `backoff_s · 2^(attempt-1)` (capped at `max_backoff_s`), up
  to `max_attempts` in all (`AttemptsRetry`).
- **A time limit.** A job still running after `[pipeline] timeout_s` (default 600 s: a model call
  that never answers) fails its attempt with that said — retried after its backoff, or failed once
  `max_attempts` are spent — and its worker process, whose thread cannot be stopped, exits with
  `JOB_TIMED_OUT_EXIT` once that is written (a watchdog timer beside the job: the job's own path is
  unchanged); `teleo worker` starts it again.
- **Outcomes.** What a job did (its result, or the last error) is one row of
  `teleo_job_outcomes`, beside Procrastinate's tables; `teleo queue status` reads both.

The schema is applied by `teleo queue init` (`init_schema`, idempotent, under an advisory lock).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Sequence

from teleo.pipeline.queue import KINDS, QueuedJob, QueueError, QueueUnavailable, redact_dsn, scrub

try:
    import procrastinate
    import psycopg
    from procrastinate import exceptions as pexc
    from procrastinate import jobs as pjobs
    from procrastinate import sql as psql
except ImportError as _missing:  # pragma: no cover - exercised without the extra
    raise QueueError("the postgres backend needs Teleo's postgres extra: pip install 'teleo[postgres]' "
                     f"({_missing.name} is not installed)") from None

log = logging.getLogger("teleo.worker")

QUEUE = "teleo"
TASKS = {"extract": "teleo.extract", "review": "teleo.review", "merge": "teleo.merge"}
KIND_OF = {name: kind for kind, name in TASKS.items()}
STALL_TASK = "teleo.retry_stalled"
STATUS = {"todo": "pending", "doing": "running", "succeeded": "done", "failed": "failed",
          "cancelled": "failed", "aborted": "failed"}
CONNECT_TIMEOUT_S = 5
OUTCOMES = """
CREATE TABLE IF NOT EXISTS teleo_job_outcomes (
    job_id bigint PRIMARY KEY,
    kind text NOT NULL,
    target text NOT NULL,
    result jsonb NOT NULL DEFAULT '{}'::jsonb,
    error text,
    host text,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""
INIT_LOCK = 7_402_118_018
"""pg_advisory_xact_lock key: two `teleo queue init` at once apply the schema once."""


def locks(kind: str, target: str) -> tuple[str, str]:
    """(lock, queueing lock) of a job: no two jobs of one lock run at once, no two of one queueing lock wait."""
    if kind not in KINDS:
        raise QueueError(f"unknown job kind {kind!r} (known: {', '.join(KINDS)})")
    if kind == "merge":
        return "merge", f"merge:{target}"  # one merge at a time across the hosts: no round lost to a race
    held = {"extract": "source", "review": "branch"}[kind]
    return f"{held}:{target}", f"{kind}:{target}"


# -- the database --------------------------------------------------------------------------------


def connect(dsn: str, *, autocommit: bool = True) -> "psycopg.Connection":
    """A connection, or QueueUnavailable naming the DSN without its password (one line)."""
    try:
        return psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S, autocommit=autocommit)
    except psycopg.Error as exc:
        raise unavailable(dsn, exc) from None


def unavailable(dsn: str, exc: BaseException) -> QueueUnavailable:
    said = " ".join(str(exc).split()) or type(exc).__name__
    return QueueUnavailable(f"cannot reach the PostgreSQL queue at {redact_dsn(dsn)}: {scrub(said, dsn)}")


def check_database(dsn: str) -> None:
    """The database answers and holds the queue's schema; else QueueUnavailable saying what to do."""
    with connect(dsn) as conn:
        found = conn.execute("SELECT to_regclass('procrastinate_jobs'), to_regclass('teleo_job_outcomes')").fetchone()
    if found is None or found[0] is None or found[1] is None:
        raise QueueUnavailable(f"no Teleo queue in the database at {redact_dsn(dsn)}: run `teleo queue init` once")


def init_schema(dsn: str) -> bool:
    """Apply Procrastinate's schema and Teleo's outcome table when missing; True when anything was created."""
    with connect(dsn, autocommit=False) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK,))
        present = conn.execute("SELECT to_regclass('procrastinate_jobs'), to_regclass('teleo_job_outcomes')").fetchone()
        created = False
        if present[0] is None:
            from procrastinate.schema import SchemaManager

            conn.execute(SchemaManager.get_schema())  # type: ignore[arg-type] - Procrastinate's own SQL
            created = True
        if present[1] is None:
            conn.execute(OUTCOMES)  # type: ignore[arg-type]
            created = True
        conn.commit()
    return created


def record_outcome(conn: Any, job_id: int, kind: str, target: str, result: dict, error: str | None) -> None:
    conn.execute(
        "INSERT INTO teleo_job_outcomes (job_id, kind, target, result, error, host, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT (job_id) DO UPDATE SET result = EXCLUDED.result,"
        " error = EXCLUDED.error, host = EXCLUDED.host, updated_at = now()",
        (job_id, kind, target, json.dumps(result, default=str), error, socket.gethostname()),
    )


# -- the Procrastinate app ------------------------------------------------------------------------


class JobFailed(Exception):
    """An attempt that failed (its error is the job's `last error`); retried while attempts are left."""


@dataclass
class AttemptsRetry(procrastinate.BaseRetryStrategy):
    """`max_attempts` in all (the first run included), waiting `backoff_s · 2^(attempt-1)` between them."""

    max_attempts: int
    backoff_s: float
    max_backoff_s: float

    def get_retry_decision(self, *, exception: BaseException, job: Any) -> Any:
        done = job.attempts + 1  # Procrastinate counts retries: 0 on the first run
        if done >= self.max_attempts:
            return None
        wait = min(self.max_backoff_s, self.backoff_s * 2 ** (done - 1))
        return procrastinate.RetryDecision(retry_in={"seconds": wait})


def stall_cron(stall_seconds: float) -> str:
    """How often the stall task looks: about a third of the stall window, in whole seconds dividing 60."""
    step = max(1, min(60, int(stall_seconds / 3)))
    while 60 % step:
        step -= 1
    return f"* * * * * */{step}"


def make_app(settings: Any, runtime: Any = None) -> "procrastinate.App":
    """Procrastinate's app over the DSN (the asynchronous connector a worker runs on) with Teleo's
    tasks; `runtime` (`perform.Runtime`) is what the tasks run jobs with."""
    from procrastinate import PsycopgConnector

    connector = PsycopgConnector(conninfo=settings.dsn, kwargs={"connect_timeout": CONNECT_TIMEOUT_S}, timeout=15.0,
                                 min_size=1, max_size=4)
    app = procrastinate.App(connector=connector)
    retry = AttemptsRetry(settings.max_attempts, settings.backoff_s, settings.max_backoff_s)
    kept = _KeptPerThread(settings.dsn)
    for kind, name in TASKS.items():
        app.task(name=name, queue=QUEUE, pass_context=True, retry=retry)(_task_body(kind, runtime, settings, kept))

    async def retry_stalled(context: Any, timestamp: int) -> dict:
        return await retry_stalled_jobs(context.app.job_manager, settings)

    app.periodic(cron=stall_cron(settings.stall_seconds), periodic_id="stalled")(
        app.task(name=STALL_TASK, queue=QUEUE, pass_context=True, priority=100, queueing_lock=STALL_TASK)(retry_stalled))
    return app


async def retry_stalled_jobs(manager: Any, settings: Any) -> dict:
    """Retry each running job whose worker sent no heartbeat for `stall_seconds` (the periodic task)."""
    retried, failed = [], []
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=settings.stall_seconds):
        if job.task_name == STALL_TASK:
            await manager.finish_job(job, status=pjobs.Status.FAILED, delete_job=False)
            continue
        if job.attempts + 1 >= settings.max_attempts:
            await manager.finish_job(job, status=pjobs.Status.FAILED, delete_job=False)
            failed.append(job.id)
            continue
        try:
            await manager.retry_job(job)
            retried.append(job.id)
        except pexc.UniqueViolation:  # the same target waits again (enqueued meanwhile): that job does it
            await manager.finish_job(job, status=pjobs.Status.FAILED, delete_job=False)
            failed.append(job.id)
    if retried or failed:
        log.warning("stalled jobs (no heartbeat for %gs): retried %s, failed %s", settings.stall_seconds, retried, failed)
    await manager.prune_stalled_workers(settings.stall_seconds)
    try:  # the task's own finished runs (one every few seconds) are not kept
        await manager.connector.execute_query_async(
            "DELETE FROM procrastinate_jobs WHERE task_name = %(task)s AND status IN ('succeeded', 'failed')"
            " AND id NOT IN (SELECT job_id FROM procrastinate_periodic_defers WHERE job_id IS NOT NULL)", task=STALL_TASK)
    except Exception as exc:  # noqa: BLE001 - housekeeping only
        log.debug("could not delete the stall task's finished runs: %s", exc)
    return {"retried": retried, "failed": failed}


class _Kept:
    """One connection kept by a worker process for its jobs' outcomes and follow-ups (a new one per
    job cost ~12 ms and a server backend each); opened again after the database went away."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn: Any = None

    def use(self, write: Any) -> None:
        """`write(conn)`, retried once on a fresh connection when the kept one is broken (the
        writes are idempotent: an upsert, and deferrals a queueing lock refuses twice)."""
        for attempt in (1, 2):
            if self.conn is None or self.conn.closed:
                self.conn = connect(self.dsn)
            try:
                write(self.conn)
                return
            except psycopg.OperationalError:
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise


class _KeptPerThread:
    """A `_Kept` connection per thread: a worker process has two jobs in hand (`pipeline.turn`), and one
    job's outcome and follow-ups (a transaction) must not share a session with the other's."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._mine = threading.local()

    def use(self, write: Any) -> None:
        kept = getattr(self._mine, "kept", None)
        if kept is None:
            kept = self._mine.kept = _Kept(self.dsn)
        kept.use(write)


JOB_TIMED_OUT_EXIT = 3
"""A worker process's exit code after a job outlived `timeout_s` (`teleo worker` starts it again)."""


def _task_body(kind: str, runtime: Any, settings: Any, kept: Any = None):
    """The synchronous function Procrastinate runs (in a thread, beside the worker's heartbeat),
    bounded by `settings.timeout_s` (`_time_limit`), holding the process's turn (`pipeline.turn`)
    while it runs the job — an extraction gives it up for its push."""
    kept = kept or _KeptPerThread(settings.dsn)

    def run(context: Any, target: str, then: list[str] | None = None, version: str = "") -> dict:
        from teleo.pipeline.perform import perform

        if runtime is None:
            raise JobFailed("this process enqueues jobs; it runs none (start `teleo worker`)")
        job_id = context.job.id
        turn = getattr(runtime, "turn", None)
        with _time_limit(settings, context.job, kind, target), (turn.job() if turn else nullcontext()):
            done = perform(runtime.vault, kind, target, runtime, then=tuple(then or ()))

        def write(conn: Any) -> None:
            record_outcome(conn, job_id, kind, target, done.result, done.error)
            rest = [stage for stage in (then or []) if stage]
            for next_kind, next_target in done.follow:
                onward = rest[rest.index(next_kind) + 1:] if next_kind in rest else []
                _defer(conn, next_kind, next_target, onward, "")

        kept.use(write)
        if not done.ok:
            raise JobFailed(done.error or "failed")
        return done.result

    run.__name__ = f"teleo_{kind}"
    return run


@contextmanager
def _time_limit(settings: Any, job: Any, kind: str, target: str) -> Iterator[None]:
    """A watchdog over one job: past `timeout_s` (`_expire`) the attempt is failed in the database and the
    process ends — the thread running the job cannot be stopped, and must not finish it later."""
    limit = float(getattr(settings, "timeout_s", 0) or 0)
    if limit <= 0:
        yield
        return
    guard = threading.Lock()
    timer = threading.Timer(limit, _expire, args=(guard, settings, job, kind, target, limit))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with guard:  # a watchdog already expiring holds it until the process is gone
            timer.cancel()


def _expire(guard: threading.Lock, settings: Any, job: Any, kind: str, target: str, limit: float) -> None:
    """The job outlived `timeout_s`: its outcome says so, the attempt is retried after its backoff (or the
    job failed once `max_attempts` are spent) as a failed attempt would be, then the process exits with
    `JOB_TIMED_OUT_EXIT` for `teleo worker` to start it again."""
    if not guard.acquire(blocking=False):
        return  # the job ended at this very moment
    error = (f"timed out after {limit:g} s ([pipeline] timeout_s): the job was still running (a model call "
             f"that never answered?); its worker process is restarted")
    log.error("job %s (%s %s): %s", job.id, kind, target, error)
    try:
        with connect(settings.dsn) as conn:  # not the kept one: the hung thread may hold it
            record_outcome(conn, int(job.id), kind, target, {"status": "timed out"}, error)
            attempts = int(job.attempts) + 1  # Procrastinate counts retries: 0 on the first run
            if attempts >= settings.max_attempts:
                conn.execute(psql.queries["finish_job"], {"job_id": int(job.id), "status": "failed",
                                                          "delete_job": False})
            else:
                wait = min(settings.max_backoff_s, settings.backoff_s * 2 ** (attempts - 1))
                at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=wait)
                conn.execute(psql.queries["retry_job"], {"job_id": int(job.id), "retry_at": at, "new_priority": None,
                                                         "new_queue_name": None, "new_lock": None})
    except Exception as exc:  # noqa: BLE001 - the stall task takes the job again after stall_seconds
        log.error("job %s: could not record its timeout (%s); the stall task will retry it", job.id,
                  scrub(" ".join(str(exc).split()), settings.dsn))
    logging.shutdown()
    os._exit(JOB_TIMED_OUT_EXIT)


def _defer(conn: Any, kind: str, target: str, then: Sequence[str], version: str) -> int | None:
    """Defer one job through Procrastinate's own SQL function; None when its queueing lock refuses it."""
    lock, queueing_lock = locks(kind, target)
    args = {"target": target, "then": list(then), "version": version}
    try:
        with conn.transaction():
            row = conn.execute(
                "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(%s, %s, 0, %s, %s, %s::jsonb, NULL)"
                "::procrastinate_job_to_defer_v1]))",
                (QUEUE, TASKS[kind], lock, queueing_lock, json.dumps(args)),
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        return None
    return int(row[0])


# -- the queue, synchronously (commands, tests) ---------------------------------------------------


class PostgresQueue:
    """`JobQueue` on PostgreSQL. Enqueueing and listing need no worker; `claim`/`finish`/`fail` take
    jobs the way a worker does (a registered worker row, Procrastinate's fetch and finish functions)
    for tools and tests — `teleo worker` runs Procrastinate's own worker instead."""

    backend = "postgres"

    def __init__(self, dsn: str, *, settings: Any = None, check: bool = True) -> None:
        if settings is None:
            from teleo.pipeline.workers import PipelineSettings

            settings = PipelineSettings(backend="postgres", dsn=dsn)
        self.dsn = dsn
        self.settings = settings
        if check:
            check_database(dsn)
        self.conn = connect(dsn)
        self.worker_id: int | None = None

    def __repr__(self) -> str:
        return f"PostgresQueue({redact_dsn(self.dsn)})"

    def enqueue(self, kind: str, target: str, *, then: Sequence[str] = (), version: str = "") -> bool:
        try:
            if self._waiting_or_running(kind, target):
                return False  # the lock would keep a second one from running anyway: say so now
            return _defer(self.conn, kind, target, then, version) is not None
        except psycopg.Error as exc:
            raise unavailable(self.dsn, exc) from None

    def _waiting_or_running(self, kind: str, target: str) -> bool:
        _, queueing_lock = locks(kind, target)
        row = self.conn.execute("SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = %s AND status IN ('todo', 'doing')"
                                " LIMIT 1", (queueing_lock,)).fetchone()
        return row is not None

    def claim(self, owner: str = "") -> QueuedJob | None:
        if self.worker_id is None:
            self.worker_id = int(self.conn.execute(psql.queries["register_worker"]).fetchone()[0])
        self.heartbeat()
        row = self.conn.execute(psql.queries["fetch_job"], {"queues": None, "worker_id": self.worker_id}).fetchone()
        if row is None or row[0] is None:
            return None
        return self._job(row[0])

    def heartbeat(self) -> None:
        if self.worker_id is not None:
            self.conn.execute(psql.queries["update_heartbeat"], {"worker_id": self.worker_id})

    def finish(self, job: QueuedJob, result: dict[str, Any]) -> None:
        record_outcome(self.conn, int(job.id), job.kind, job.target, result, None)
        self.conn.execute(psql.queries["finish_job"], {"job_id": int(job.id), "status": "succeeded", "delete_job": False})

    def fail(self, job: QueuedJob, error: str) -> str:
        record_outcome(self.conn, int(job.id), job.kind, job.target, {"status": "failed"}, error)
        if job.attempts + 1 >= self.settings.max_attempts:
            self.conn.execute(psql.queries["finish_job"], {"job_id": int(job.id), "status": "failed", "delete_job": False})
            return "failed"
        wait = min(self.settings.max_backoff_s, self.settings.backoff_s * 2 ** job.attempts)
        at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=wait)
        self.conn.execute(psql.queries["retry_job"], {"job_id": int(job.id), "retry_at": at, "new_priority": None,
                                                      "new_queue_name": None, "new_lock": None})
        return "pending"

    def jobs(self, kind: str | None = None) -> list[QueuedJob]:
        names = [TASKS[kind]] if kind else list(TASKS.values())
        try:
            rows = self.conn.execute(
                "SELECT j.id, j.task_name, j.args, j.status, j.attempts, o.result, o.error FROM procrastinate_jobs j"
                " LEFT JOIN teleo_job_outcomes o ON o.job_id = j.id WHERE j.task_name = ANY(%s) ORDER BY j.id",
                (names,)).fetchall()
        except psycopg.Error as exc:
            raise unavailable(self.dsn, exc) from None
        return [_queued(*row) for row in rows]

    def _job(self, job_id: int) -> QueuedJob:
        row = self.conn.execute(
            "SELECT j.id, j.task_name, j.args, j.status, j.attempts, o.result, o.error FROM procrastinate_jobs j"
            " LEFT JOIN teleo_job_outcomes o ON o.job_id = j.id WHERE j.id = %s", (job_id,)).fetchone()
        return _queued(*row)

    def counts(self) -> dict[str, int]:
        found = {state: 0 for state in ("pending", "running", "done", "failed")}
        for job in self.jobs():
            found[job.state] += 1
        return found

    def workers(self) -> list[dict[str, Any]]:
        """Registered workers and the age of their last heartbeat (seconds)."""
        rows = self.conn.execute("SELECT id, EXTRACT(EPOCH FROM now() - last_heartbeat) FROM procrastinate_workers"
                                 " ORDER BY id").fetchall()
        return [{"id": r[0], "heartbeat_age_s": float(r[1])} for r in rows]

    def close(self) -> None:
        if self.worker_id is not None:
            try:
                self.conn.execute(psql.queries["unregister_worker"], {"worker_id": self.worker_id})
            except psycopg.Error:
                pass
        self.conn.close()


def _queued(job_id: int, task: str, args: dict, status: str, attempts: int, result: dict | None,
            error: str | None) -> QueuedJob:
    args = args or {}
    return QueuedJob(id=str(job_id), kind=KIND_OF.get(task, task), target=str(args.get("target", "")),
                     state=STATUS.get(status, status), attempts=int(attempts), error=error,
                     result=dict(result or {}), then=tuple(args.get("then") or ()))
