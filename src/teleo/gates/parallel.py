"""The note pass of a whole-vault lint, split over forked worker processes.

A lint's note rules look at one note at a time (and, through the shared resolver and
the kinds of the notes a link leads to, at paths and kinds only), so the notes can be
checked in any process that holds the vault's walk and resolver. Workers are forked
after both are made, so they inherit them; the calling process and the workers take
chunks of paths as each is free, and a worker sends back, per path, the note's kind and its
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
from concurrent.futures import Future
from typing import TYPE_CHECKING, Iterator

from teleo.gates.findings import Finding
from teleo.gates.sequential import Checked, check_note, check_paths

if TYPE_CHECKING:
    from teleo.gates.context import GateContext

PARALLEL_MIN = 2_000
"""Check the notes in worker processes from this many (a fork and the tuples' trip cost ~0.1 s)."""
CHUNK = 400
"""Paths per task, at most."""
LAST_CHUNK = 50
"""Paths per task, at least (the last ones)."""
MINE_AHEAD = 4
"""Chunks this process checks ahead of their turn while a worker's is not back (their rows kept meanwhile)."""

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
    """Every path checked (as `check_paths` yields it), in order, by this process and `worker_count() - 1`
    forked workers sharing the chunks as each is free (`_shared`)."""
    global _JOB
    from concurrent.futures import ProcessPoolExecutor

    warm_up(ctx, paths, note_rules)  # made once here, inherited by every worker
    chunks = split(paths, worker_count())
    forked = max(1, min(worker_count(), len(chunks)) - 1)
    _JOB = (ctx, note_rules)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=forked, mp_context=context, initializer=_worker_start) as pool:
            yield from _shared(ctx, chunks, note_rules, pool, queued=2 * forked)
    finally:
        _JOB = None


def split(paths: list[str], processes: int) -> list[list[str]]:
    """`paths` in chunks of `CHUNK`, smaller towards the end (a quarter of what is left per process, at least
    `LAST_CHUNK`): the processes finish together, none waiting long on another's last chunk."""
    chunks, start = [], 0
    while start < len(paths):
        size = min(CHUNK, max(LAST_CHUNK, (len(paths) - start) // (4 * max(1, processes))))
        chunks.append(paths[start : start + size])
        start += size
    return chunks


def _shared(ctx: "GateContext", chunks: list[list[str]], note_rules: list, pool, queued: int) -> Iterator[Checked]:
    """The chunks' rows in order, the work shared as each process is free.

    Chunks are taken in order, by whoever is free: the workers always have `queued` chunks waiting for
    them, and this process, when the next chunk in order is a worker's and not back yet, checks the next
    untaken chunk itself (keeping its rows until their turn, at most `MINE_AHEAD` chunks) rather than wait.
    A fixed share left whichever process had more to do (this one also takes in the workers' rows) to
    finish alone."""
    theirs: dict[int, Future] = {}
    mine: dict[int, list[Checked]] = {}
    free = 0  # the first chunk nobody has taken
    for index in range(len(chunks)):
        while free < len(chunks) and len(theirs) < queued:
            theirs[free] = pool.submit(check_chunk, chunks[free])
            free += 1
        if index in mine:
            yield from mine.pop(index)
            continue
        if index not in theirs:  # untaken: checked here, now
            free = index + 1
            yield from check_paths(ctx, chunks[index], note_rules)
            continue
        future = theirs.pop(index)
        while not future.done() and free < len(chunks) and len(mine) < MINE_AHEAD:
            mine[free] = list(check_paths(ctx, chunks[free], note_rules))
            free += 1
        for path, kind, found, facts, stamp in future.result():
            yield path, kind, [Finding.from_row(f) for f in found], facts, stamp


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
