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
        assert stats.workers >= 2 and stats.embedded == embedded > 0 and stats.pending_embeddings == 0
        assert snapshot(index) == serial


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
