"""A large build: parsed, link-resolved and embedded by worker processes, the same as in one process."""

from __future__ import annotations

import numpy as np
import pytest
from index_fixtures import vault  # noqa: F401 (fixture)

import teleo.index.parse_pool as parse_pool
from teleo.index import Index
from teleo.index.embed import EmbeddingUnavailable, load_model


def snapshot(index: Index) -> list:
    rows = []
    for path in index.paths():
        row = index.note_row(path).model_dump(exclude={"id"})
        vector = index.db.execute(
            "SELECT v.vec FROM vectors v JOIN notes n ON n.id = v.note WHERE n.path = ?", (path,)
        ).fetchone()
        rows.append((path, row, [link.model_dump() for link in index.links_from(path)], index.embedding_text(path),
                     None if vector is None or vector[0] is None else np.frombuffer(vector[0], dtype=np.float32).round(6).tolist()))
    return rows


def _model_or_skip() -> None:
    try:
        load_model()
    except EmbeddingUnavailable:  # pragma: no cover - the wheel ships the model
        pytest.skip("embedding model unavailable")


def test_parallel_build_with_embeddings_matches_serial(vault, monkeypatch):
    _model_or_skip()
    with Index.open(vault) as index:
        embedded = index.sync(embed=True).embedded
        serial = snapshot(index)
    (vault.root / ".teleo" / "index.sqlite").unlink()
    monkeypatch.setattr(parse_pool, "PARALLEL_MIN", 2)
    monkeypatch.setattr(parse_pool, "can_fork", lambda: True)
    with Index.open(vault) as index:
        stats = index.sync(embed=True)
        assert stats.workers >= 1 and stats.embedded == embedded > 0 and stats.pending_embeddings == 0
        assert snapshot(index) == serial


def writer_parses_too(monkeypatch) -> list[int]:
    """A two-worker build of small chunks, 2 in flight, whose workers always look behind, so the writing
    process parses chunks itself: the sizes of the chunks it parsed are appended to the list returned."""
    from concurrent.futures import Future

    here: list[int] = []
    real = parse_pool._parse_here
    monkeypatch.setattr(parse_pool, "_parse_here", lambda chunk: here.append(len(chunk[1])) or real(chunk))
    monkeypatch.setattr(parse_pool, "PARALLEL_MIN", 2)
    monkeypatch.setattr(parse_pool, "can_fork", lambda: True)
    monkeypatch.setattr(parse_pool, "worker_count", lambda: 2)
    monkeypatch.setattr(parse_pool, "CHUNK_MIN", 5)
    monkeypatch.setattr(parse_pool, "IN_FLIGHT_NOTES", 5)
    monkeypatch.setattr(Future, "done", lambda self: False)
    return here


def test_a_build_whose_process_has_no_model_leaves_it_to_the_workers_with_the_same_vectors(vault, monkeypatch):
    """Without the model loaded, the workers load it and embed, the writer's own chunks included
    (their texts handed to a worker): the writing process never loads it, the vectors are the serial build's."""
    from teleo.index.embed import model_loaded

    _model_or_skip()
    for i in range(30):  # enough notes for several chunks of the minimum size
        vault.root.joinpath("domains", "health", f"extra note {i}.md").write_text(
            f"---\ntype: claim\ndomain: health\ndescription: extra {i} about screening\n---\n\nText {i}.\n"
        )
    with Index.open(vault) as index:
        index.sync(embed=True)
        serial = snapshot(index)
    (vault.root / ".teleo" / "index.sqlite").unlink()
    here = writer_parses_too(monkeypatch)
    load_model.cache_clear()  # this process has no model
    try:
        with Index.open(vault) as index:
            stats = index.sync(embed=True)
            assert stats.workers == 1 and here and stats.pending_embeddings == 0 and stats.embedded > 0
            assert not model_loaded()
            assert snapshot(index) == serial
    finally:
        load_model()


def test_a_first_build_ends_in_wal_mode_and_a_reader_opened_during_it_works(vault):
    """A new index file is built through a rollback journal (cheap for a new file), then switched
    to WAL; a second connection opened while the build holds the write lock still opens and reads."""
    location = vault.root / ".teleo" / "index.sqlite"
    with Index.open(vault) as builder:
        assert builder.db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        builder.db.execute("BEGIN IMMEDIATE")
        with Index.open(vault, location) as reader:  # the WAL switch is refused now; it opens anyway
            assert reader.db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
        builder.db.execute("ROLLBACK")
        stats = builder.sync()
        assert stats.rebuilt and stats.added > 0
        assert builder.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Index.open(vault) as again:
        assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert again.sync().added == 0


def test_a_build_uses_one_worker_per_core_besides_the_writer(monkeypatch):
    """The writing process takes a core (its SQLite writes cost about what the parsing does): on
    2 cores a build forks 1 parse worker; `TELEO_INDEX_WORKERS` counts the writer too (1: none)."""
    monkeypatch.delenv("TELEO_INDEX_WORKERS", raising=False)
    monkeypatch.setattr(parse_pool.os, "cpu_count", lambda: 2)
    assert parse_pool.worker_count() == 2
    monkeypatch.setenv("TELEO_INDEX_WORKERS", "1")
    assert parse_pool.worker_count() == 1 and not parse_pool.can_fork()


def test_a_parallel_build_forks_workers_besides_the_writer(vault, monkeypatch):
    monkeypatch.setenv("TELEO_INDEX_WORKERS", "2")
    monkeypatch.setattr(parse_pool, "PARALLEL_MIN", 2)
    monkeypatch.setattr(parse_pool, "can_fork", lambda: True)
    with Index.open(vault) as index:
        assert index.sync().workers == 1


def test_a_build_holds_a_small_page_cache_and_gives_the_usual_one_back(vault):
    from teleo.index import store

    seen = []
    with Index.open(vault) as index:
        assert index.db.execute("PRAGMA cache_size").fetchone()[0] == -store.CACHE_KIB
        index.sync(progress=lambda *_: seen.append(index.db.execute("PRAGMA cache_size").fetchone()[0]))
        assert seen and set(seen) == {-store.BUILD_CACHE_KIB}
        assert index.db.execute("PRAGMA cache_size").fetchone()[0] == -store.CACHE_KIB
        vault.root.joinpath("domains", "health", "one more note.md").write_text("---\ntype: claim\n---\nText.\n")
        seen.clear()
        index.sync(progress=lambda *_: seen.append(index.db.execute("PRAGMA cache_size").fetchone()[0]))
        assert set(seen) <= {-store.CACHE_KIB}  # an incremental sync keeps the usual cache


def test_a_worker_forgets_its_caches_after_each_chunk_but_the_tokenized_pieces(vault, monkeypatch):
    """Kept, the title, link and memo caches grow a worker by ~15 MiB at the 20× vault; the
    tokenized pieces (words, repeating from note to note) are kept: forgotten, they were learnt
    again chunk after chunk."""
    from teleo.index import embed as embed_module
    from teleo.notes.links import split_link
    from teleo.vault import LinkResolver
    from teleo.vault.resolver import normalise_title

    _model_or_skip()
    paths = sorted(str(p.relative_to(vault.root)) for p in vault.root.rglob("*.md") if ".teleo" not in p.parts)
    items = [(p, 0, 0) for p in paths]
    resolver = LinkResolver(paths)
    monkeypatch.setattr(parse_pool, "_CHUNK_RESOLVER", resolver)
    monkeypatch.setattr(parse_pool, "_CHUNK_EMBED", True)
    records = parse_pool._parse_chunk((str(vault.root), items))  # in this process: caches kept
    assert any(r.links for r in records) and all(r.resolved is not None for r in records)
    assert normalise_title.cache_info().currsize and split_link.cache_info().currsize and resolver._resolve_cache
    assert any(p.cache for p in embed_module._PIECES.values())
    monkeypatch.setattr(parse_pool, "_IN_WORKER", True)
    again = parse_pool._parse_chunk((str(vault.root), items))
    assert [r.resolved for r in again] == [r.resolved for r in records]
    assert normalise_title.cache_info().currsize == 0 and split_link.cache_info().currsize == 0
    assert not resolver._resolve_cache and any(p.cache for p in embed_module._PIECES.values())


def test_the_writer_parses_while_its_workers_are_behind_and_the_build_is_the_same(vault, monkeypatch):
    """When the next chunk in order is not ready, the writing process parses the next one not
    handed out; the chunks keep their order, so the index (note ids included) is the serial one."""
    _model_or_skip()
    for i in range(30):  # enough notes for several chunks of the minimum size
        vault.root.joinpath("domains", "health", f"extra note {i}.md").write_text(
            f"---\ntype: claim\ndomain: health\ndescription: extra {i}\n---\n\nLinks to [[extra note {(i + 1) % 30}]].\n"
        )
    with Index.open(vault) as index:
        index.sync(embed=True)
        serial = snapshot(index)
        ids = index.db.execute("SELECT id, path FROM notes ORDER BY id").fetchall()
    (vault.root / ".teleo" / "index.sqlite").unlink()
    here = writer_parses_too(monkeypatch)
    with Index.open(vault) as index:
        stats = index.sync(embed=True)
        assert stats.workers == 1 and here and sum(here) < stats.added
        assert snapshot(index) == serial
        assert index.db.execute("SELECT id, path FROM notes ORDER BY id").fetchall() == ids



def test_small_chunks_let_a_worker_run_further_ahead_and_large_ones_bound_memory():
    """At least 2 chunks per worker in flight; a small vault's small chunks more (its worker would
    otherwise wait for a writer busy parsing too), up to `IN_FLIGHT_NOTES` notes."""
    assert parse_pool.in_flight_chunks(1, parse_pool.CHUNK_MAX) == 2
    assert parse_pool.in_flight_chunks(3, parse_pool.CHUNK_MAX) == 6
    assert parse_pool.in_flight_chunks(1, 75) == 6
    assert parse_pool.in_flight_chunks(1, 75) * 75 <= parse_pool.IN_FLIGHT_NOTES + 75
