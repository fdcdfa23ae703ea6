"""Incremental sync: what is re-read, what survives a failed sync, how links follow files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from index_fixtures import NOTES, age, vault  # noqa: F401 (fixture)

import teleo.index.parse_pool as parse_pool
import teleo.index.records as records_module
import teleo.index.search as search_module
import teleo.index.sync as sync_module
from teleo.index import Index, SearchMode
from teleo.index import store

HEALTH = "domains/health/preventive care saves money only when targeted at high risk groups.md"
MARKETS = "domains/internet-finance/prediction markets aggregate dispersed information.md"


@pytest.fixture
def parses(monkeypatch):
    """Count the notes parsed (re-read) by syncs."""
    seen: list[str] = []
    original = sync_module.parse_record

    def counting(path, raw, digest=None):
        seen.append(path)
        return original(path, raw, digest)

    for module in (sync_module, parse_pool, records_module):  # changed notes, new notes
        monkeypatch.setattr(module, "parse_record", counting)
    return seen


def edit(vault, rel: str, old: str, new: str) -> None:
    path = vault.root / rel
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_first_sync_adds_every_note_and_ignores_itself(vault):
    with Index.open(vault) as index:
        stats = index.sync()
        assert stats.rebuilt and stats.added == 8 and stats.notes == 8
        assert index.count() == 8
    ignore = vault.root / ".teleo" / ".gitignore"
    assert ignore.read_text().splitlines()[-1] == "*"
    assert (vault.root / ".teleo" / "index.sqlite").is_file()


def test_unchanged_resync_reads_nothing(vault, parses):
    with Index.open(vault) as index:
        index.sync()
        parses.clear()
        stats = index.sync()
    assert parses == []
    assert (stats.added, stats.updated, stats.removed, stats.touched, stats.unchanged) == (0, 0, 0, 0, 8)
    assert not stats.changed


def test_editing_one_note_rereads_exactly_that_note(vault, parses):
    with Index.open(vault) as index:
        index.sync()
        parses.clear()
        edit(vault, MARKETS, "better than any single expert's", "sharper than any pundit's")
        stats = index.sync()
        assert parses == [MARKETS]
        assert (stats.added, stats.updated, stats.removed, stats.unchanged) == (0, 1, 0, 7)
        assert index.search("pundit", SearchMode.text)[0].path == MARKETS
        assert index.search("expert", SearchMode.text) == []


def test_touched_file_with_same_bytes_is_hashed_not_parsed(vault, parses):
    with Index.open(vault) as index:
        index.sync()
        parses.clear()
        os.utime(vault.root / MARKETS)  # new mtime, same content
        stats = index.sync()
        assert parses == [] and stats.touched == 1 and stats.updated == 0


def test_removed_and_added_files(vault):
    with Index.open(vault) as index:
        index.sync()
        (vault.root / MARKETS).unlink()
        stats = index.sync()
        assert stats.removed == 1 and index.note_row(MARKETS) is None
        assert index.search("traders", SearchMode.text) == []
        new = vault.root / "domains/health/new claim about clinics.md"
        new.write_text("---\ntype: claim\ndomain: health\n---\n\n# new claim about clinics\n\nClinics close.\n")
        stats = index.sync()
        assert stats.added == 1 and index.note_row("domains/health/new claim about clinics.md").domain == "health"


def test_links_follow_files_that_appear_and_disappear(vault):
    with Index.open(vault) as index:
        index.sync()
        link = next(l for l in index.links_from("entities/internet-finance/metadao.md") if l.target == "a note nobody wrote")
        assert link.path is None
        target = "domains/internet-finance/A Note Nobody Wrote.md"
        (vault.root / target).write_text("---\ntype: claim\ndomain: internet-finance\n---\n\nNow somebody did.\n")
        stats = index.sync()
        assert stats.relinked == 1
        assert [l.source for l in index.backlinks(target)] == ["entities/internet-finance/metadao.md"]
        (vault.root / target).unlink()
        assert index.sync().relinked == 1
        assert index.backlinks(target) == []
        # a link that pointed at a removed note is unresolved again
        (vault.root / MARKETS).unlink()
        index.sync()
        futarchy = index.links_from("core/mechanisms/futarchy solves trustless joint ownership.md")
        assert [l.path for l in futarchy if "prediction" in l.target] == [None]


def test_a_failed_sync_leaves_the_previous_index(vault, monkeypatch):
    with Index.open(vault) as index:
        index.sync()
        edit(vault, MARKETS, "Traders with private knowledge", "Gamblers with secrets")
        (vault.root / HEALTH).unlink()

        def boom(*args, **kwargs):
            raise RuntimeError("killed")

        monkeypatch.setattr(sync_module.Syncer, "_relink", boom)
        with pytest.raises(RuntimeError):
            index.sync()
        # the previous committed state is intact, from this connection and from a new one
        for reader in (index, Index.open(vault)):
            assert reader.note_row(HEALTH) is not None
            assert reader.search("traders", SearchMode.text)[0].path == MARKETS
            assert reader.search("gamblers", SearchMode.text) == []
        monkeypatch.undo()
        stats = index.sync()
        assert stats.updated == 1 and stats.removed == 1
        assert index.search("gamblers", SearchMode.text)[0].path == MARKETS


def test_a_killed_process_leaves_the_previous_index(vault):
    with Index.open(vault) as index:
        index.sync()
    edit(vault, MARKETS, "Traders with private knowledge", "Gamblers with secrets")
    script = textwrap.dedent(f"""
        import os, signal
        import teleo.index.sync as s
        from teleo.index import Index
        original = s.Syncer._write_records
        def write_then_die(self, *args, **kwargs):
            original(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        s.Syncer._write_records = write_then_die
        Index.open({str(vault.root)!r}).sync()
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -9, result.stderr
    with Index.open(vault) as index:
        assert index.search("traders", SearchMode.text)[0].path == MARKETS
        assert index.sync().updated == 1
        assert index.search("gamblers", SearchMode.text)[0].path == MARKETS


def test_schema_mismatch_rebuilds(vault):
    with Index.open(vault) as index:
        index.sync()
        index.db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
        stats = index.sync()
        assert stats.rebuilt and stats.added == 8


def test_a_corrupt_index_file_is_replaced(vault):
    location = vault.root / ".teleo" / "index.sqlite"
    location.parent.mkdir()
    location.write_bytes(b"this is not a database" * 100)
    with Index.open(vault) as index:
        assert index.sync().added == 8


def test_embeddings_are_lazy_unless_asked(vault):
    with Index.open(vault) as index:
        stats = index.sync(embed=False)
        assert stats.pending_embeddings == 7  # every note but the map
        assert index.embed_pending() == 7
        edit(vault, MARKETS, "Traders", "Dealers")
        stats = index.sync(embed=True)
        assert stats.embedded == 1 and stats.pending_embeddings == 0


def test_editing_beyond_the_embedded_text_keeps_the_vector(vault):
    with Index.open(vault) as index:
        with (vault.root / MARKETS).open("a", encoding="utf-8") as handle:
            handle.write("\n" + "Markets price what traders know. " * 30 + "\n")
        index.sync(embed=True)
        with (vault.root / MARKETS).open("a", encoding="utf-8") as handle:
            handle.write("\nA last paragraph far down the body.\n")
        stats = index.sync(embed=True)
        assert stats.updated == 1 and stats.embedded == 0


class _WalkClock:
    """`time` for the sync module, with the walk's clock pinned at `at_ns` (the rest is the real module)."""

    def __init__(self, at_ns: int) -> None:
        self.at_ns = at_ns

    def time_ns(self) -> int:
        return self.at_ns

    def __getattr__(self, name: str):
        import time

        return getattr(time, name)


def test_racy_files_are_hashed_again(vault, parses, monkeypatch):
    with Index.open(vault) as index:
        target = vault.root / MARKETS
        target.write_text(target.read_text(encoding="utf-8"), encoding="utf-8")  # mtime: now
        # the walk starts 10 ms after the write, within the racy window, however slow the machine is
        with monkeypatch.context() as pinned:
            pinned.setattr(sync_module, "time", _WalkClock(target.stat().st_mtime_ns + 10_000_000))
            index.sync()
        stored = index.db.execute("SELECT mtime_ns FROM notes WHERE path = ?", (MARKETS,)).fetchone()[0]
        assert stored == -1
        parses.clear()
        stats = index.sync()
        assert stats.touched == 1 and parses == []


def test_config_change_rederives_agents(make_vault):
    vault = make_vault(NOTES)
    age(vault.root)
    with Index.open(vault) as index:
        index.sync()
        assert index.note_row(HEALTH).agent == "vida"
    (vault.root / "teleo.toml").write_text(
        '[agents.hippo]\nrole = "proposer"\n[agents.leo]\nrole = "evaluator"\n'
        '[domains.health]\nfolder = "domains/health"\nagent = "hippo"\n'
    )
    from teleo.vault import Vault

    with Index.open(Vault.open(vault.root)) as index:
        stats = index.sync()
        assert stats.updated == 0
        assert index.note_row(HEALTH).agent == "hippo"
        assert [h.path for h in index.search("screening", SearchMode.text, agent_filter("hippo"))] == [HEALTH]


def agent_filter(name):
    from teleo.index import Filters

    return Filters.of(agent=name)


def test_read_only_vault_indexes_into_the_user_cache(vault, tmp_path, monkeypatch):
    """A vault folder without write bits is left alone — even by root, whom the bits do not stop:
    nothing is created in it, not even a probe file (which would change the folder's mtime)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = vault.root
    mode = root.stat().st_mode
    root.chmod(0o555)
    try:
        before = root.stat().st_mtime_ns
        with Index.open(vault) as index:
            assert index.sync().added == 8
            assert str(index.location).startswith(str(tmp_path / "cache"))
        assert not (root / ".teleo").exists()
        assert root.stat().st_mtime_ns == before
    finally:
        root.chmod(mode)


def test_index_file_is_wal_sqlite(vault):
    with Index.open(vault) as index:
        index.sync()
        assert index.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db = sqlite3.connect(vault.root / ".teleo" / "index.sqlite")
    meta = dict(db.execute("SELECT key, value FROM meta"))
    assert meta["schema"] == str(store.SCHEMA_VERSION) and int(meta["generation"]) >= 1


def test_links_always_match_a_fresh_full_resolution(vault):
    """Small title-keyed resolvers (incremental syncs) agree with the vault's resolver over all files."""
    import random
    import shutil

    from teleo.vault import Vault

    rng = random.Random(7)
    with Index.open(vault) as index:
        index.sync()
        for _ in range(4):
            paths = index.paths()
            for path in rng.sample(paths, 1):
                (vault.root / path).unlink()
            remaining = [p for p in paths if (vault.root / p).exists()]
            for path in rng.sample(remaining, min(2, len(remaining))):
                source = vault.root / path
                copy = vault.root / ("maps" if rng.random() < 0.5 else "core/mechanisms") / source.name.upper()
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, copy)
            index.sync()
            resolver = Vault.open(vault.root).resolver
            for path in index.paths():
                for link in index.links_from(path):
                    expected = resolver.resolve(link.target, path)
                    assert (link.path, link.method, link.ambiguous) == (expected.path, expected.method, expected.ambiguous)


def test_parallel_parse_matches_serial(vault, monkeypatch):
    def snapshot(index):
        return [(p, index.note_row(p).model_dump(exclude={"id"}), [l.model_dump() for l in index.links_from(p)]) for p in index.paths()]

    with Index.open(vault) as index:
        index.sync()
        serial = snapshot(index)
        monkeypatch.setattr(parse_pool, "PARALLEL_MIN", 2)
        monkeypatch.setattr(parse_pool, "can_fork", lambda: True)
        assert index.sync(rebuild=True).added == 8
        assert snapshot(index) == serial


def test_a_missing_model_does_not_lose_the_text_index(vault, monkeypatch):
    from teleo.index import EmbeddingUnavailable

    def unavailable(texts):
        raise EmbeddingUnavailable("the bundled embedding model could not be loaded: gone")

    for module in (sync_module, parse_pool, search_module):  # pending text, new notes, queries
        monkeypatch.setattr(module, "embed", unavailable)
    with Index.open(vault) as index:
        stats = index.sync(embed=True)
        assert stats.added == 8 and stats.pending_embeddings == 7 and "gone" in stats.warnings[0]
        assert index.search("screening", SearchMode.hybrid)[0].path == HEALTH  # falls back to words
        with pytest.raises(EmbeddingUnavailable):
            index.search("screening", SearchMode.semantic)


def test_fields_are_queryable(vault):
    with Index.open(vault) as index:
        index.sync()
        assert index.paths_where("status", "unprocessed") == ["inbox/archive/2026-02-01-someone-unread-report.md"]
        assert index.paths_where("claims_extracted", "futarchy solves trustless joint ownership.md") == [
            "inbox/archive/2026-01-03-hanson-futarchy-essay.md"
        ]
        assert len(index.paths_where("depends_on")) == 1
        assert index.note_row(MARKETS).data["created"] == "2026-01-05"  # dates stay strings
