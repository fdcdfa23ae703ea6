"""The first build: into a temporary file renamed into place, parsed (and embedded) by workers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from index_fixtures import NOTES, vault  # noqa: F401 (fixture)

import teleo.index.index as index_module
from teleo.index import Index, SearchMode
from teleo.index.embed import EmbeddingUnavailable, load_model

MARKETS = "domains/internet-finance/prediction markets aggregate dispersed information.md"


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


def test_first_build_lands_whole_and_in_wal(vault):
    location = vault.root / ".teleo" / "index.sqlite"
    with Index.open(vault) as index:
        stats = index.sync()
        assert stats.rebuilt and stats.added == len(NOTES)
        assert index.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert not list(location.parent.glob("*.building"))
    with Index.open(vault) as again:
        assert again.sync().added == 0
        assert again.search("traders", SearchMode.text)[0].path == MARKETS


def test_parallel_build_with_embeddings_matches_serial(vault, monkeypatch):
    _model_or_skip()
    with Index.open(vault) as index:
        embedded = index.sync(embed=True).embedded
        serial = snapshot(index)
    (vault.root / ".teleo" / "index.sqlite").unlink()
    monkeypatch.setattr(index_module, "PARALLEL_MIN", 2)
    monkeypatch.setattr(index_module, "_can_fork", lambda: True)
    with Index.open(vault) as index:
        stats = index.sync(embed=True)
        assert stats.workers >= 2 and stats.embedded == embedded > 0 and stats.pending_embeddings == 0
        assert snapshot(index) == serial


def test_a_killed_first_build_leaves_no_index_and_is_cleaned_up(vault):
    script = textwrap.dedent(f"""
        import os, signal
        import teleo.index.index as m
        original = m.Index._write_records
        def write_then_die(self, *args, **kwargs):
            original(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        m.Index._write_records = write_then_die
        m.Index.open({str(vault.root)!r}).sync()
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -9, result.stderr
    folder = vault.root / ".teleo"
    assert list(folder.glob("*.building"))  # the half-built file, never renamed into place
    with Index.open(vault) as index:
        assert index.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        assert index.sync().added == len(NOTES)
        assert index.search("traders", SearchMode.text)[0].path == MARKETS
    assert not list(folder.glob("*.building"))


def test_a_failed_first_build_raises_and_leaves_nothing(vault, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(Index, "_write_records", boom)
    with Index.open(vault) as index:
        with pytest.raises(RuntimeError):
            index.sync()
        monkeypatch.undo()
        assert not list((vault.root / ".teleo").glob("*.building"))
        assert index.sync().added == len(NOTES)


def test_an_open_index_follows_a_file_built_by_another(vault):
    with Index.open(vault) as reader, Index.open(vault) as builder:
        builder.sync()
        stats = reader.sync()  # sees the renamed file, not the empty one it opened
        assert stats.added == 0 and not stats.rebuilt
        assert reader.search("traders", SearchMode.text)[0].path == MARKETS
