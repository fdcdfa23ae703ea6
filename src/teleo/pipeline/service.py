"""`teleo worker`: a long-lived worker on any host with a clone of the vault (PostgreSQL backend).

`serve(vault, settings, concurrency=N)` checks the database first (down, or no schema → one
`QueueUnavailable` line naming the DSN without its password), makes once what every job needs
(imports, the index synced, the base tip's walk and resolver: `workers.warm_up`), then runs
Procrastinate's worker in N processes forked from it (they share what was made; each dies with its
parent, and one that stops on its own is restarted — also one whose job outlived `[pipeline]
timeout_s`: a thread cannot be stopped, so that process ends once the attempt is recorded).

Each worker process runs one job at a time — except that an extraction's closing push runs beside
the process's next job (`pipeline.turn`: the job gives up its turn for the push, and the process
takes its next job then; its own job is finished in the database only once the push landed). A
job's body runs in a thread while the event loop beats the worker's heartbeat and listens for new
jobs (PostgreSQL `LISTEN/NOTIFY`, polling as the fallback). A worker SIGKILLed mid-job stops beating; after `stall_seconds` the periodic stall task
of another worker (or of this one, restarted) retries its job (`pg.retry_stalled_jobs`).

**Stopping.** SIGTERM or SIGINT stops gracefully: no new job is taken, the job in hand finishes and
is recorded, the worker unregisters, exit 0. **The database going away** (a restart, a network
cut) stops Procrastinate's worker; this loop then waits for the database and starts it again —
a job whose completion could not be written stays running in the database until the stall task
retries it, and the retry finds the work done (every job is idempotent, `perform.py`).
`drain=True` stops once no job is ready (benches, tests, a cron-style worker).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from teleo.pipeline.queue import redact_dsn, scrub
from teleo.pipeline.workers import PipelineSettings, fork_is_safe, warm_up
from teleo.vault import Vault

log = logging.getLogger("teleo.worker")
RESTART_PAUSE_S = 2.0


@dataclass
class WorkerSpec:
    """How each worker process builds its runtime (picklable when workers are spawned)."""

    provider_factory: Callable[[Vault], Any] | None = None
    provider: str | None = None
    model: str | None = None
    extract: Callable | None = None
    """Replaces `extract_source` (tests, benches)."""
    on_job: Callable[[str, str], None] | None = None
    options: dict[str, Any] = field(default_factory=dict)


def serve(vault: Vault, settings: PipelineSettings, *, concurrency: int = 1, drain: bool = False,
          spec: WorkerSpec | None = None) -> int:
    """Run `concurrency` worker processes until SIGTERM/SIGINT (or, with `drain`, until no job is
    ready); returns the exit code (0 after a clean stop)."""
    from teleo.pipeline.pg import check_database

    spec = spec or WorkerSpec()
    check_database(settings.dsn)  # QueueUnavailable: the caller prints its one line
    if spec.extract is None:
        from teleo.pipeline.job import extract_source  # noqa: F401 - the imports are the point
    import procrastinate.worker  # noqa: F401 - imported once here, not by every forked worker
    import teleo.pipeline.turn  # noqa: F401
    warm_up(vault)
    from teleo.index import close_shared

    close_shared(vault.root)  # no SQLite connection may cross a fork
    return _supervise(vault, settings, max(1, concurrency), drain, spec)


def run_worker(vault: Vault, settings: PipelineSettings, number: int, drain: bool, spec: WorkerSpec) -> int:
    """One worker process: Procrastinate's worker, started again after the database comes back."""
    from teleo.pipeline.perform import Runtime

    runtime = Runtime(vault, spec.provider_factory, spec.provider, spec.model, number, spec.extract, settings)
    return asyncio.run(_worker_loop(settings, runtime, drain))


async def _worker_loop(settings: PipelineSettings, runtime: Any, drain: bool) -> int:
    from procrastinate.worker import Worker

    from teleo.pipeline.pg import QUEUE, make_app
    from teleo.pipeline.turn import JOBS_IN_HAND, FetchGate, Turn

    stop = asyncio.Event()
    current: list[Any] = []

    def on_signal() -> None:
        stop.set()
        for worker in current:
            worker.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    app = make_app(settings, runtime)
    gate = FetchGate(app, stop)  # a job is taken when the last one lets go of its turn
    runtime.turn = Turn(on_free=gate.freed)
    beat = max(0.5, min(10.0, settings.stall_seconds / 3))
    name = f"{socket.gethostname()}:{os.getpid()}:{runtime.number}"
    failures = 0
    while not stop.is_set():
        try:
            async with app.open_async():
                gate.reset()
                worker = Worker(app, queues=[QUEUE], name=name, concurrency=JOBS_IN_HAND, wait=not drain,
                                install_signal_handlers=False, update_heartbeat_interval=beat,
                                stalled_worker_timeout=settings.stall_seconds, listen_notify=True,
                                fetch_job_polling_interval=max(0.2, min(5.0, settings.poll_s * 20)),
                                worker_middleware=[gate.around_job])
                current[:] = [worker]
                if stop.is_set():
                    break
                await worker.run()
                failures = 0
        except Exception as exc:  # noqa: BLE001 - the database went away (or never came): said, then retried
            failures += 1
            log.error("worker %s: queue unavailable at %s: %s; retrying", name, redact_dsn(settings.dsn),
                      scrub(" ".join(str(exc).split()) or type(exc).__name__, settings.dsn))
        finally:
            current.clear()
        if drain and failures == 0:
            break
        if stop.is_set():
            break
        try:
            await asyncio.wait_for(stop.wait(), RESTART_PAUSE_S * min(failures or 1, 5))
        except asyncio.TimeoutError:
            pass
    return 0 if failures == 0 else 1


# -- several processes -------------------------------------------------------------------------------


def _child(vault: Vault, settings: PipelineSettings, number: int, drain: bool, spec: WorkerSpec) -> None:
    _die_with_parent()
    os._exit(run_worker(vault, settings, number, drain, spec))


def _die_with_parent() -> None:
    """Linux: this process is SIGKILLed when its parent dies (a host's `teleo worker` killed takes its
    workers with it, as the host dying would)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the children outlive a killed parent, and finish
        pass


def _supervise(vault: Vault, settings: PipelineSettings, concurrency: int, drain: bool, spec: WorkerSpec) -> int:
    from teleo.pipeline.pg import JOB_TIMED_OUT_EXIT

    ctx = mp.get_context("fork" if fork_is_safe() else "spawn")
    stopping = {"now": False}
    procs: dict[int, Any] = {}

    def start(number: int) -> None:
        process = ctx.Process(target=_child, args=(vault, settings, number, drain, spec), name=f"teleo-worker-{number}")
        process.start()
        procs[number] = process
        if stopping["now"]:  # the stop came while it started, before `on_signal` could see it in `procs`
            os.kill(process.pid, signal.SIGTERM)

    def on_signal(signum: int, _frame: Any) -> None:
        stopping["now"] = True
        for process in procs.values():
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for number in range(1, concurrency + 1):
            start(number)
        code = 0
        while procs:
            time.sleep(0.2)
            for number, process in list(procs.items()):
                if process.is_alive():
                    continue
                process.join()
                del procs[number]
                timed_out = process.exitcode == JOB_TIMED_OUT_EXIT  # its job is retried: the worker goes on
                stopped = stopping["now"] and process.exitcode == -signal.SIGTERM  # our SIGTERM before its handler
                if process.exitcode not in (0, None) and (drain or stopping["now"]) and not timed_out and not stopped:
                    code = 1
                if not stopping["now"] and (not drain or timed_out):
                    log.warning("worker %d exited (code %s); starting it again", number, process.exitcode)
                    time.sleep(RESTART_PAUSE_S)
                    if not stopping["now"]:  # a stop during the pause: no new worker nobody would stop
                        start(number)
        return code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Scrubbed(logging.Formatter):
    """Every log line — message and traceback — leaves with the DSN's password removed (a driver's
    message may quote it)."""

    def __init__(self, dsn: str) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        self.dsn = dsn

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record), self.dsn)


def _quiet_housekeeping(record: logging.LogRecord) -> bool:
    """The stall task runs every few seconds: its routine lines (deferred, started, succeeded) stay
    out of the log; what it retries is logged by `pg.retry_stalled_jobs` itself."""
    return record.levelno >= logging.WARNING or "teleo.retry_stalled" not in record.getMessage()


def configure_logging(dsn: str, level: int = logging.INFO) -> None:
    """One line per event on stderr (Procrastinate's job starts and ends, Teleo's retries), no password."""
    handler = logging.StreamHandler()
    handler.setFormatter(_Scrubbed(dsn))
    handler.addFilter(_quiet_housekeeping)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
