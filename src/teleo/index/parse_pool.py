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
from typing import TYPE_CHECKING, Iterable, Iterator

from teleo.index.embed import EmbeddingUnavailable, embed, load_model, model_loaded
from teleo.index.models import Progress, SyncStats
from teleo.index.records import Record, large_digest, parse_record, record_of, resolution_row
from teleo.notes import read_note
from teleo.notes.document import MAX_NOTE_BYTES
from teleo.notes.links import split_link
from teleo.vault import LinkResolver
from teleo.vault.resolver import normalise_title

if TYPE_CHECKING:
    from concurrent.futures import Future

PARALLEL_MIN = 600
"""Parse in worker processes when at least this many notes changed (a cold index)."""
SERIAL_CHUNK = 200
"""Notes per batch when parsing in this process."""
CHUNK_MIN, CHUNK_MAX = 50, 200
"""Notes per chunk of a parallel build: about 8 chunks per process, within these bounds."""
IN_FLIGHT_NOTES = 400
"""Notes handed to the workers whose records are not written yet, and notes the writer parsed
waiting their turn: at least 2 chunks per worker, more when chunks are small (a small vault's
75-note chunks: 6), so neither process idles behind the other for long (what the bound is for
is memory: 2 chunks of the largest size)."""

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
    parallel = total >= PARALLEL_MIN and can_fork()
    if embed_now and total >= PARALLEL_MIN and not parallel and not model_loaded():
        try:  # embedded as parsed rather than all at the end
            load_model()
        except EmbeddingUnavailable:
            pass
    _CHUNK_EMBED = embed_now and model_loaded()
    try:
        if parallel:
            workers = worker_count() - 1
            if stats is not None:
                stats.workers = workers
            workers_embed = embed_now and not _CHUNK_EMBED  # the model is loaded by the workers alone
            batches: Iterable[list[Record]] = _parse_parallel(str(root), items, workers, workers_embed)
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


def _worker_start(load: bool = False) -> None:
    """A forked worker's set-up; `load`: it loads the embedding model itself and embeds what it
    parses (the writer never loads it: see `_parse_parallel`)."""
    global _IN_WORKER, _CHUNK_EMBED
    # The tokenizer's thread pool does not survive a fork: tokenize on one thread here (and print no warning about it).
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    _IN_WORKER = True
    if load:
        try:
            load_model()
            _CHUNK_EMBED = True
        except EmbeddingUnavailable:  # the vectors are left pending; the sync reports it
            pass


def _embed_texts(texts: list[str]) -> list[bytes]:
    """Vectors (float32 bytes) of texts the writer parsed, made in a worker, which has the model."""
    return [vector.tobytes() for vector in embed(texts)]


class _Here:
    """Records the writer parsed, waiting their turn, and the vectors a worker makes for them."""

    def __init__(self, records: list[Record], vectors: "Future | None") -> None:
        self.records = records
        self.vectors = vectors

    def result(self) -> list[Record]:
        if self.vectors is not None:
            wanted = [r for r in self.records if r.embed_text is not None]
            try:
                vectors = self.vectors.result()
            except EmbeddingUnavailable:  # left pending; the sync reports it
                return self.records
            for record, vector in zip(wanted, vectors):
                record.vector = vector
        return self.records


def in_flight_chunks(workers: int, size: int) -> int:
    """How many chunks of `size` notes may be handed out and not yet written."""
    return max(2 * workers, -(-IN_FLIGHT_NOTES // size))


def _parse_parallel(
    root: str, items: list[tuple[str, int, int]], workers: int, workers_embed: bool = False,
) -> Iterator[list[Record]]:
    """The chunks' records in order, at most `in_flight_chunks` chunks handed out and not yet
    written: workers faster than the writes never pile up a vault's worth of parsed text (and
    vectors) in this process.

    When the next chunk in order is not parsed yet, this process, which would only wait, parses
    the next chunk not handed out (its records wait their turn; at most `in_flight_chunks` such
    chunks wait, so a worker held up by the machine's load never piles records up here): on a small vault the parsing is
    the longer part (0.55 ms a note against 0.3 ms of writes at 1×) and would otherwise run on
    the workers alone; on a large one the writes are, and the workers are seldom behind. The
    order, and so every note id, is the chunks' order whoever parsed them.

    `workers_embed`: embeddings are wanted and the model is not loaded here. The workers load it
    (while this process starts parsing, instead of loading it before the fork with a core idle)
    and embed what they parse; the texts of a chunk parsed here are embedded by a worker too,
    handed to it as soon as parsed (a worker's queue is in order: they are done about when the
    chunk's turn comes), so the writing process never loads the model (~0.2 s of CPU)."""
    from concurrent.futures import Future, ProcessPoolExecutor

    size = max(CHUNK_MIN, min(CHUNK_MAX, len(items) // ((workers + 1) * 8)))
    chunks = [(root, items[i : i + size]) for i in range(0, len(items), size)]
    limit = in_flight_chunks(workers, size)
    context = multiprocessing.get_context("fork")
    # What the workers inherit stays shared: frozen objects are never visited by their cyclic
    # collector, whose bookkeeping writes would otherwise copy every inherited page into each worker.
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_worker_start, initargs=(workers_embed,),
        ) as pool:
            slots: deque[Future | _Here] = deque()  # in chunk order: a worker's future or records parsed here
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
                if isinstance(head, Future) and not head.done() and handed < len(chunks) and waiting_here < limit:
                    records = _parse_here(chunks[handed])
                    texts = [r.embed_text for r in records if r.embed_text is not None] if workers_embed else []
                    slots.append(_Here(records, pool.submit(_embed_texts, texts) if texts else None))
                    handed += 1
                    continue
                slots.popleft()
                batch = head.result()
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
