"""The note pass of a whole-vault lint, split over forked worker processes.

A lint's note rules look at one note at a time (and, through the shared resolver and
the kinds of the notes a link leads to, at paths and kinds only), so the notes can be
checked in any process that holds the vault's walk and resolver. Workers are forked
after both are made, so they inherit them; each takes a chunk of paths in turn and
sends back, per path, the note's kind and its findings as plain tuples. Results come
back in path order, at most a few chunks ahead of the caller, so neither side holds
more than a few chunks of findings in flight.

Forking needs a process running no other thread (Linux); `TELEO_LINT_WORKERS=1` turns
the workers off, `TELEO_LINT_WORKERS=N` sets their count (default: one per core, at
most 8). Below `PARALLEL_MIN` notes the pass runs in the calling process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import deque
from typing import TYPE_CHECKING, Iterator

from teleo.gates.findings import Finding

if TYPE_CHECKING:
    from teleo.gates.context import GateContext

PARALLEL_MIN = 2_000
"""Check the notes in worker processes from this many (a fork and the tuples' trip cost ~0.1 s)."""
CHUNK = 400
"""Paths per task."""

Row = tuple[str, str | None, list[tuple]]
"""(path, kind value or None when the path could not be read, findings as `Finding.as_row`s)."""

_JOB: tuple["GateContext", list] | None = None
"""(context, note rules) of the pass under way: set before the fork, inherited by the workers."""


def worker_count() -> int:
    """`TELEO_LINT_WORKERS` if set, else one per core (at most 8)."""
    wanted = os.environ.get("TELEO_LINT_WORKERS", "")
    if wanted.isdigit() and int(wanted) >= 1:
        return min(int(wanted), 32)
    return min(os.cpu_count() or 1, 8)


def can_fork() -> bool:
    """Linux, 2+ workers wanted, and no other thread running (a thread holding a lock at the fork
    would leave it locked forever in the child)."""
    return worker_count() > 1 and sys.platform.startswith("linux") and threading.active_count() == 1


def check_chunk(paths: list[str]) -> list[Row]:
    """The rows of `paths`, checked with the inherited context (runs in a worker)."""
    from teleo.gates.check import check_paths

    assert _JOB is not None
    ctx, note_rules = _JOB
    return [(path, kind, [f.as_row() for f in found]) for path, kind, found in check_paths(ctx, paths, note_rules)]


def check_parallel(ctx: "GateContext", paths: list[str], note_rules: list) -> Iterator[tuple[str, str | None, list[Finding]]]:
    """(path, kind value, findings) of every path, in order, checked by forked workers."""
    global _JOB
    from concurrent.futures import ProcessPoolExecutor

    ctx.resolver  # noqa: B018 - made once here, inherited by every worker
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    workers = min(worker_count(), len(chunks))
    _JOB = (ctx, note_rules)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start) as pool:
            ahead = 2 * workers
            pending: deque = deque()
            upcoming = iter(chunks)
            for chunk in upcoming:
                pending.append(pool.submit(check_chunk, chunk))
                if len(pending) >= ahead:
                    break
            while pending:
                rows = pending.popleft().result()
                nxt = next(upcoming, None)
                if nxt is not None:
                    pending.append(pool.submit(check_chunk, nxt))
                for path, kind, found in rows:
                    yield path, kind, [Finding.from_row(f) for f in found]
    finally:
        _JOB = None


def _worker_start() -> None:
    import gc

    gc.disable()  # as in the calling process during a lint (see check._gc_paused)
