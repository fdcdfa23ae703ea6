"""The note pass of a whole-vault lint, split over forked worker processes.

A lint's note rules look at one note at a time (and, through the shared resolver and
the kinds of the notes a link leads to, at paths and kinds only), so the notes can be
checked in any process that holds the vault's walk and resolver. Workers are forked
after both are made, so they inherit them; the calling process and the workers take
chunks of paths in turn, and a worker sends back, per path, the note's kind and its
findings as plain tuples. Results come back in path order, at most a few chunks ahead
of the caller, so no side holds more than a few chunks of findings in flight.

Forking needs a process running no other thread (Linux); `TELEO_LINT_WORKERS=1` turns
the workers off, `TELEO_LINT_WORKERS=N` sets how many processes share the pass, the
calling one included (default: one per core, at most 8: on 2 cores, one forked worker).
Below `PARALLEL_MIN` notes the pass runs in the calling process alone. Before the fork,
the rules run once on a note of each kind (`warm_up`), so what they load on first use —
the claim-quality rubric's lexicon — is loaded once and shared.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import deque
from typing import TYPE_CHECKING, Iterator

from teleo.gates.findings import Finding
from teleo.gates.sequential import Checked, check_note, check_paths

if TYPE_CHECKING:
    from teleo.gates.context import GateContext

PARALLEL_MIN = 2_000
"""Check the notes in worker processes from this many (a fork and the tuples' trip cost ~0.1 s)."""
CHUNK = 400
"""Paths per task."""

Row = tuple[str, str | None, list[tuple], dict | None, tuple[int, int] | None]
"""(path, kind value or None when the path could not be read, findings as `Finding.as_row`s, facts
gathered for the vault rules or None, the file's stamp as read or None): `sequential.Checked` in tuples."""

_JOB: tuple["GateContext", list] | None = None
"""(context, note rules) of the pass under way: set before the fork, inherited by the workers."""


def worker_count() -> int:
    """`TELEO_LINT_WORKERS` if set, else one per core (at most 8)."""
    wanted = os.environ.get("TELEO_LINT_WORKERS", "")
    if wanted.isdigit() and int(wanted) >= 1:
        return min(int(wanted), 32)
    return min(os.cpu_count() or 1, 8)


def can_fork() -> bool:
    """Linux, 2+ processes wanted, and no other thread running (a thread holding a lock at the fork
    would leave it locked forever in the child)."""
    return worker_count() > 1 and sys.platform.startswith("linux") and threading.active_count() == 1


def check_chunk(paths: list[str]) -> list[Row]:
    """The rows of `paths`, checked with the inherited context (runs in a worker)."""
    assert _JOB is not None
    ctx, note_rules = _JOB
    return [(path, kind, [f.as_row() for f in found], facts, stamp)
            for path, kind, found, facts, stamp in check_paths(ctx, paths, note_rules)]


def check_parallel(ctx: "GateContext", paths: list[str], note_rules: list) -> Iterator[Checked]:
    """Every path checked (as `check_paths` yields it), in order: the chunks are shared round-robin between
    this process and `worker_count() - 1` forked workers (this one takes every `worker_count()`-th)."""
    global _JOB
    from concurrent.futures import ProcessPoolExecutor

    warm_up(ctx, paths, note_rules)  # made once here, inherited by every worker
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    share = min(worker_count(), len(chunks))
    theirs = [i for i in range(len(chunks)) if i % share]
    _JOB = (ctx, note_rules)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=max(1, share - 1), mp_context=context, initializer=_worker_start) as pool:
            ahead = 2 * max(1, share - 1)
            pending: deque = deque()
            upcoming = iter(theirs)

            def submit(count: int) -> None:
                for index in upcoming:
                    pending.append((index, pool.submit(check_chunk, chunks[index])))
                    count -= 1
                    if count <= 0:
                        return

            submit(ahead)
            for index, chunk in enumerate(chunks):
                if index % share == 0:
                    yield from check_paths(ctx, chunk, note_rules)
                    continue
                _, future = pending.popleft()
                submit(1)
                for path, kind, found, facts, stamp in future.result():
                    yield path, kind, [Finding.from_row(f) for f in found], facts, stamp
    finally:
        _JOB = None


def warm_up(ctx: "GateContext", paths: list[str], note_rules: list, reads: int = 400) -> None:
    """Before the fork: the resolver made, and the rules run once on a note of each kind among the
    first `reads` notes of a spread sample (their findings dropped), so that what a rule loads on
    first use (a lexicon, say) is loaded once, here, and shared by every worker."""
    ctx.resolver  # noqa: B018
    step = max(1, len(paths) // reads)
    seen = set()
    for path in paths[::step][:reads]:
        try:
            note = ctx.note(path)
        except Exception:  # noqa: BLE001 - an unreadable path is reported by the pass itself
            continue
        if note.kind not in seen:
            seen.add(note.kind)
            check_note(ctx, note, note_rules)
        ctx.gather(note)  # what a gatherer works out once for the run (ctx.memo) is then shared too
        ctx.done(note)


def _worker_start() -> None:
    import gc

    gc.disable()  # as in the calling process during a lint (see check._gc_paused)
