"""A worker process's turn: one job's own work at a time, its push beside the next job (issue 18.6).

An extraction on a shared remote ends with a leased `git push` — tens of milliseconds of git
processes on both sides — that needs nothing the process holds: the proposal is committed, the
lease says what the remote must still hold. A worker process waiting for it before it takes its
next job adds that push to every job's time. So a worker process keeps up to two jobs in hand:

- `Turn` — a job's *turn* is the right to run its own work in this process (fetch, read the
  vault, call the model, commit). Exactly one job holds it at a time, as when a process ran one
  job at a time. A job gives it up with `let_go()` once all it has left is its push; a push that
  lost its compare-and-swap takes it back (`resume()`) before it reads or writes the clone again,
  so every read and write of the clone, its index and its caches stays one job at a time.
- `FetchGate` — Procrastinate's worker runs with two job slots, and the gate wraps its
  `fetch_job` so that a slot takes a job only when no job of the process still holds (or is
  about to get) its turn: a process takes its next job when its last one lets go or ends, never
  ahead of it (a job taken early would wait behind a long model call while another host idles).

Review and merge jobs never let go: the next job is taken when they end, as before. A job is
finished in the database only after its push landed (its body returns after the push), so a
worker killed while pushing has its job retried after the stall window like any other; the two
jobs it held are both retried, and each is idempotent (`perform.py`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

JOBS_IN_HAND = 2
"""Procrastinate job slots per worker process: the job holding the turn and, beside it, one pushing."""
_FETCHING = object()
"""The gate's owner while a fetch is under way (the job it brings gets the turn next)."""


class Turn:
    """The right to run a job's own work in this process; see the module doc."""

    def __init__(self, on_free: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._state = threading.local()
        self.on_free = on_free
        """Called (in the job's thread) when a job lets go: the process may take its next job."""

    @contextmanager
    def job(self) -> Iterator[None]:
        """Hold the turn for one job's body (waiting for the job that holds it to let go)."""
        self._lock.acquire()
        self._state.now = "holding"
        try:
            yield
        finally:
            if self._state.now in ("holding", "resumed"):
                self._lock.release()
            self._state.now = None

    def let_go(self) -> None:
        """The job in this thread has only its push left: the turn goes to the next job. Once per job."""
        if getattr(self._state, "now", None) != "holding":
            return
        self._state.now = "pushing"
        self._lock.release()
        if self.on_free is not None:
            self.on_free()

    def resume(self) -> None:
        """The job in this thread let go and must read or write the clone again: it waits for the turn."""
        if getattr(self._state, "now", None) != "pushing":
            return
        self._lock.acquire()
        self._state.now = "resumed"


class FetchGate:
    """Procrastinate's `fetch_job` for one worker process, taking a job only when no job of the process
    holds its turn (module doc); `around_job` is the worker middleware that follows each job to its end.

    A fetch that finds nothing while a job of the process is still in hand (pushing) waits for that
    job to be finished — recorded, its locks released, its follow-ups enqueued — and looks again:
    so a worker under `--drain` stops only when nothing is left once its own jobs are done, and
    the next job never misses what the last one's end makes ready, as with one job at a time."""

    def __init__(self, app: Any, stop: asyncio.Event) -> None:
        manager = app.job_manager
        self._tasks = app.tasks
        self._fetch = manager.fetch_job
        manager.fetch_job = self.fetch
        self._stop = stop
        self._loop = asyncio.get_running_loop()
        self._owner: Any = None
        """The id of the job holding (or about to get) the turn; `_FETCHING` during a fetch; None: free."""
        self._in_hand: set[Any] = set()
        """The ids of the jobs fetched and not yet finished (recorded) by the worker."""
        self._changed = asyncio.Event()

    def reset(self) -> None:
        """A new Procrastinate worker starts (after the database came back): no job of the last one is in hand."""
        self._owner = None
        self._in_hand.clear()
        self._changed.set()

    async def fetch(self, queues: Any = None, worker_id: int | None = None) -> Any:
        while True:
            await self._until(lambda: self._owner is None)
            if self._stop.is_set():
                return None  # stopping: no job is taken any more
            self._owner = _FETCHING
            job = None
            try:
                job = await self._fetch(queues=queues, worker_id=worker_id)
            finally:
                tracked = job is not None and job.task_name in self._tasks  # else Procrastinate fails it unrun
                self._owner = job.id if tracked else None
                if tracked:
                    self._in_hand.add(job.id)
            if job is not None or not self._in_hand:
                return job
            await self._until(lambda: not self._in_hand)  # the job pushing may make a job ready as it ends

    async def _until(self, ready: Callable[[], bool]) -> None:
        while not ready() and not self._stop.is_set():
            self._changed.clear()
            waits = [asyncio.ensure_future(self._changed.wait()), asyncio.ensure_future(self._stop.wait())]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()

    def freed(self) -> None:
        """The job holding the turn let go (called from its thread): the next fetch may go ahead."""
        self._loop.call_soon_threadsafe(self._release, None)

    def _release(self, job_id: Any) -> None:
        if job_id is None or self._owner == job_id:
            self._owner = None
        self._changed.set()

    def _finished(self, job_id: Any) -> None:
        self._in_hand.discard(job_id)
        self._release(job_id)

    async def around_job(self, call_next: Callable[[], Any], context: Any, worker: Any) -> Any:
        """Worker middleware: the job is followed to its end — its task done once Procrastinate recorded
        it — which frees the gate when the job never let go (review, merge, a failure)."""
        job_id = context.job.id
        task = asyncio.current_task()
        if task is not None:
            task.add_done_callback(lambda _done: self._finished(job_id))
        else:  # pragma: no cover - Procrastinate always runs a job in a task of its own
            self._in_hand.discard(job_id)
        return await call_next()
