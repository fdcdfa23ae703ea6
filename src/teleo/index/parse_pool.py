"""The parse pool: records of a sync's new files, read by forked worker processes when many.

A first build (or an upgrade) reads, parses, resolves links and, when embeddings are
wanted, embeds hundreds of notes; that work goes to worker processes, one per core besides
the one the syncing process takes writing the previous batch into SQLite (its writes cost
about as much CPU as the parsing, so a second worker on 2 cores only adds memory). Workers are forked, so
they inherit what the build set up before the fork: the link resolver and the loaded
embedding model (module globals below, set for the duration of one `parse_new`).

Below `PARALLEL_MIN` new notes, or where forking is not safe, the same chunks are parsed
in the calling process.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
import os
import sys
import threading
from pathlib import Path
from typing import Iterable, Iterator

from teleo.index.embed import EmbeddingUnavailable, embed, load_model, model_loaded
from teleo.index.models import Progress, SyncStats
from teleo.index.records import Record, large_digest, parse_record, record_of, resolution_row
from teleo.notes import read_note
from teleo.notes.document import MAX_NOTE_BYTES
from teleo.notes.links import split_link
from teleo.vault import LinkResolver
from teleo.vault.resolver import normalise_title

PARALLEL_MIN = 600
"""Parse in worker processes when at least this many notes changed (a cold index)."""
SERIAL_CHUNK = 200
"""Notes per batch when parsing in this process."""
CHUNK_MIN, CHUNK_MAX = 50, 200
"""Notes per chunk of a parallel build: about 8 chunks per process, within these bounds."""
IN_FLIGHT_NOTES = 400
"""Notes handed to the workers whose records are not written yet: at least 2 chunks per worker,
more when chunks are small (a small vault's 75-note chunks: 6), so a worker is not left idle
behind a writer busy parsing too (what the bound is for is memory: 2 chunks of the largest size)."""

_CHUNK_RESOLVER: LinkResolver | None = None
"""The resolver `_parse_chunk` resolves links with (set around a build; inherited by forked workers)."""

_CHUNK_EMBED = False
"""Whether `_parse_chunk` computes embeddings too (the model is loaded; inherited by forked workers)."""

_IN_WORKER = False
"""Set in a forked worker: it forgets its caches after each chunk (`forget_caches`)."""


def parse_new(
    root: Path, paths: list[str], files: dict[str, tuple[int, int]], progress: Progress | None,
    resolver: LinkResolver | None, embed_now: bool = False, stats: SyncStats | None = None,
) -> Iterator[list[Record]]:
    """Records of new files in batches, links resolved when `resolver` is given, embeddings
    computed when `embed_now` (and the model is loaded). A large build is parsed by forked
    worker processes (which inherit the resolver and the model), so the database writes of
    one batch overlap the parsing, link resolution and embedding of the next.

    A file that vanished since the walk yields no record."""
    if not paths:
        return
    global _CHUNK_RESOLVER, _CHUNK_EMBED
    total = len(paths)
    items = [(p, *files[p]) for p in paths]
    _CHUNK_RESOLVER = resolver
    if embed_now and total >= PARALLEL_MIN and not model_loaded():
        try:  # loaded once here, before the workers fork, rather than after them in this process
            load_model()
        except EmbeddingUnavailable:
            pass
    _CHUNK_EMBED = embed_now and model_loaded()
    try:
        if total >= PARALLEL_MIN and can_fork():
            workers = worker_count() - 1
            if stats is not None:
                stats.workers = workers
            batches: Iterable[list[Record]] = _parse_parallel(str(root), items, workers)
        else:
            batches = (
                _parse_chunk((str(root), items[i : i + SERIAL_CHUNK])) for i in range(0, total, SERIAL_CHUNK)
            )
        done = 0
        for batch in batches:
            done += len(batch)
            if progress:
                progress("reading", done, total)
            yield batch
    finally:
        _CHUNK_RESOLVER = None
        _CHUNK_EMBED = False


def can_fork() -> bool:
    """Whether a large build may use worker processes: on Linux with 2+ cores, with no other
    thread running (fork), unless `TELEO_INDEX_WORKERS=1`. A build of hundreds of new notes is
    a one-off (a first index, an upgrade), so it uses the cores even on a busy machine."""
    if worker_count() < 2:
        return False
    return sys.platform.startswith("linux") and threading.active_count() == 1


def worker_count() -> int:
    """Processes a large build uses, the writing one included (`worker_count() - 1` parse
    workers): `TELEO_INDEX_WORKERS` if set (1: none), else one per core (at most 8)."""
    wanted = os.environ.get("TELEO_INDEX_WORKERS", "")
    if wanted.isdigit() and int(wanted) >= 1:
        return min(int(wanted), 32)
    return min(os.cpu_count() or 1, 8)


def _load_record(root: str, path: str, size: int, mtime: int) -> Record | None:
    if size > MAX_NOTE_BYTES:
        return record_of(read_note(Path(root), path), large_digest(size, mtime))
    try:
        with open(os.path.join(root, path), "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    return parse_record(path, raw)


def _parse_chunk(args: tuple[str, list[tuple[str, int, int]]]) -> list[Record]:
    records = _parse_records(args)
    if _IN_WORKER:
        forget_caches()
    return records


def forget_caches() -> None:
    """Empty the caches a chunk filled: normalised titles and split links (lru caches of up to
    200,000 and 65,536 entries) and the resolver's memo. A worker's next chunk (the next notes in
    walk order) shares few entries with the last, while kept they grow a worker by ~15 MiB at the
    20× vault, pages it never gives back (issue 17.3). The tokenized pieces are kept (bounded by
    `embed._Pieces.CACHE_LIMIT`): words repeat from note to note, so forgotten after each chunk
    they were tokenized again and again — 436,000 pieces learnt at the 20× vault instead of its
    21,555 distinct ones, 3.9 → 1.6 s of CPU for its embeddings; kept as bytes they hold ~2 MiB."""
    normalise_title.cache_clear()
    split_link.cache_clear()
    if _CHUNK_RESOLVER is not None:
        _CHUNK_RESOLVER.forget_memo()


def _parse_records(args: tuple[str, list[tuple[str, int, int]]]) -> list[Record]:
    root, items = args
    records = [r for r in (_load_record(root, p, s, m) for p, s, m in items) if r is not None]
    resolver = _CHUNK_RESOLVER
    if resolver is not None:
        for record in records:
            record.resolved = [resolution_row(resolver.resolve(link[3], record.path)) for link in record.links]
    if _CHUNK_EMBED:
        wanted = [r for r in records if r.embed_text is not None]
        try:
            vectors = embed([r.embed_text for r in wanted])  # type: ignore[misc]
        except EmbeddingUnavailable:  # left pending; the sync reports it
            return records
        for record, vector in zip(wanted, vectors):
            record.vector = vector.tobytes()  # bytes unpickle at half the cost of an array
    return records


def _worker_start() -> None:
    global _IN_WORKER
    # The tokenizer's thread pool does not survive a fork: tokenize on one thread here (and print no warning about it).
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    _IN_WORKER = True


def in_flight_chunks(workers: int, size: int) -> int:
    """How many chunks of `size` notes may be handed out and not yet written."""
    return max(2 * workers, -(-IN_FLIGHT_NOTES // size))


def _parse_parallel(root: str, items: list[tuple[str, int, int]], workers: int) -> Iterator[list[Record]]:
    """The chunks' records in order, at most `in_flight_chunks` chunks handed out and not yet
    written: workers faster than the writes never pile up a vault's worth of parsed text (and
    vectors) in this process.

    When the next chunk in order is not parsed yet, this process, which would only wait, parses
    the next chunk not handed out (its records wait their turn; at most 2 such chunks wait, so a
    worker held up by the machine's load never piles records up here): on a small vault the parsing is
    the longer part (0.55 ms a note against 0.3 ms of writes at 1×) and would otherwise run on
    the workers alone; on a large one the writes are, and the workers are seldom behind. The
    order, and so every note id, is the chunks' order whoever parsed them."""
    from concurrent.futures import Future, ProcessPoolExecutor

    size = max(CHUNK_MIN, min(CHUNK_MAX, len(items) // ((workers + 1) * 8)))
    chunks = [(root, items[i : i + size]) for i in range(0, len(items), size)]
    limit = in_flight_chunks(workers, size)
    context = multiprocessing.get_context("fork")
    # What the workers inherit stays shared: frozen objects are never visited by their cyclic
    # collector, whose bookkeeping writes would otherwise copy every inherited page into each worker.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start) as pool:
            slots: deque[Future | list[Record]] = deque()  # in chunk order: a worker's future or records parsed here
            handed = 0

            def hand_out() -> None:
                nonlocal handed
                while handed < len(chunks) and sum(isinstance(slot, Future) for slot in slots) < limit:
                    slots.append(pool.submit(_parse_chunk, chunks[handed]))
                    handed += 1

            hand_out()
            while slots:
                head = slots[0]
                waiting_here = len(slots) - sum(isinstance(slot, Future) for slot in slots)
                if isinstance(head, Future) and not head.done() and handed < len(chunks) and waiting_here < 2:
                    slots.append(_parse_here(chunks[handed]))
                    handed += 1
                    continue
                slots.popleft()
                batch = head.result() if isinstance(head, Future) else head
                hand_out()
                yield batch
    finally:
        gc.unfreeze()


def _parse_here(chunk: tuple[str, list[tuple[str, int, int]]]) -> list[Record]:
    """A chunk parsed by the writing process while its workers are behind (its caches then
    forgotten as a worker's are: it writes for the rest of the build)."""
    records = _parse_records(chunk)
    forget_caches()
    return records
