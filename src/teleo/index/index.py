"""`Index`: the vault's derived state in one SQLite file, kept up to date incrementally.

This module is the face and the store: opening the file, the lock, the write
transaction, and the plain reads (a note's row, its links, paths by field).
The work behind the face lives by its reason to change:

- `sync.py` — the incremental sync (walk, diff, parse, write, relink, embed pending text);
- `parse_pool.py` — the worker processes a large build parses new files in;
- `search.py` — ranking (full text, embeddings, fusion) and the in-memory views it uses;
- `store.py` — the schema and the connection.

Everything a sync writes happens in one transaction, so a sync that is killed
leaves the previous index as it was.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from teleo.index import store
from teleo.index.models import Filters, Hit, Link, NoteRow, Progress, SearchMode, SyncStats
from teleo.index.records import embed_text, link_key
from teleo.index.search import Ranking
from teleo.index.sync import Plan, Syncer, Titles, compatible
from teleo.vault import LinkResolver, Resolution, Suggestion, Vault

__all__ = ["Index", "IndexUnavailable", "Progress"]


class IndexUnavailable(Exception):
    """The index cannot be used (unwritable location, corrupt file)."""


class Index:
    """The derived index of one vault. Thread-safe; one SQLite connection."""

    def __init__(self, vault: Vault, location: Path) -> None:
        self.vault = vault
        self.root = vault.root
        self.location = location
        self._lock = threading.RLock()
        try:
            self.db = store.connect(location)
        except (OSError, sqlite3.Error) as exc:
            raise IndexUnavailable(f"cannot open the index at {location}: {exc}") from None
        self._syncer = Syncer(vault)
        self._ranking = Ranking(self.db, self.embed_pending)
        self._checked = False

    @classmethod
    def open(cls, vault: Vault | Path | str, location: Path | str | None = None) -> "Index":
        """The index of `vault` (`<vault>/.teleo/index.sqlite` unless `location` is given).

        Opening does not sync: call `sync()` to bring it up to date. Queries on an index
        that was never built (or built by another Teleo version) build it first.
        """
        if not isinstance(vault, Vault):
            vault = Vault.open(vault)
        path = Path(location) if location is not None else store.default_location(vault.root)
        return cls(vault, path)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state -----------------------------------------------------------------

    @property
    def generation(self) -> int:
        """Bumped by every committed change; caches of derived data key on it."""
        return store.generation(self.db)

    def ensure(self) -> None:
        """Build the index if it was never built or is from another version (queries call this)."""
        if self._checked:
            return
        with self._lock:
            if not compatible(store.read_meta(self.db)):
                self.sync()
            self._checked = True

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole, or rolled back whole (also on Ctrl-C)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[object] = ()) -> tuple | None:
        try:
            return self.db.execute(sql, params).fetchone()
        except sqlite3.OperationalError:
            return None

    # -- sync ------------------------------------------------------------------

    def sync(self, progress: Progress | None = None, *, embed: bool | None = None, rebuild: bool = False) -> SyncStats:
        """Bring the index up to date with the files (see `teleo.index.sync`).

        `embed`: True computes every missing embedding now; False never does; None (default)
        does only when the model is already loaded in this process.
        """
        with self._lock:
            started = time.perf_counter()
            stats = SyncStats(location=str(self.location))
            try:
                with self._write() as db:  # a build runs with a small page cache (`store.BUILD_CACHE_KIB`)
                    plan = self._syncer.run(db, stats, progress, embed, rebuild)
            except BaseException:
                self._syncer.forget()
                raise
            finally:
                store.set_cache(self.db, store.CACHE_KIB)
            store.use_wal(self.db)
            self._checked = True
            self._ranking.patch(plan)
            stats.seconds = round(time.perf_counter() - started, 4)
            return stats

    def embed_pending(self, progress: Progress | None = None) -> int:
        """Compute the embeddings still missing; return how many were made."""
        with self._lock:
            self.ensure()
            if self._one("SELECT 1 FROM vectors WHERE vec IS NULL LIMIT 1") is None:
                return 0
            plan = Plan()
            with self._write() as db:
                plan.generation_before = int(store.read_meta(db).get("generation", "0"))
                plan.embedded = self._syncer.embed_pending(db, progress)
                plan.generation = plan.generation_before + 1
                store.write_meta(db, {"generation": str(plan.generation)})
            self._syncer.advance(plan.generation_before, plan.generation)
            self._ranking.patch(plan)
            return len(plan.embedded)

    # -- queries -----------------------------------------------------------------

    def search(
        self, query: str, mode: SearchMode | str = SearchMode.hybrid, filters: Filters | None = None, k: int = 10,
    ) -> list[Hit]:
        """Notes matching `query`: full text (bm25), embeddings (cosine) or both (reciprocal rank fusion)."""
        mode = SearchMode(mode)
        with self._lock:
            self.ensure()
            return self._ranking.search(query, mode, filters or Filters(), k)

    def similar(
        self, text: str, k: int = 10, kinds: Sequence[str] | None = None, filters: Filters | None = None,
        exclude: Sequence[str] = (),
    ) -> list[Hit]:
        """The `k` notes whose embeddings are nearest to `text`'s (cosine; best first).

        `kinds` limits the result to those note kinds (e.g. `("claim",)`); `exclude` drops paths.
        """
        with self._lock:
            self.ensure()
            return self._ranking.similar(text, k, kinds, filters, exclude)

    def similar_to(self, path: str, k: int = 10, kinds: Sequence[str] | None = None, filters: Filters | None = None) -> list[Hit]:
        """The notes nearest to the note at `path` (itself excluded)."""
        text = self.embedding_text(path)
        if text is None:
            return []
        return self.similar(text, k, kinds, filters, exclude=(path,))

    def embedding_text(self, path: str) -> str | None:
        """The text a note is (or would be) embedded from."""
        with self._lock:
            self.ensure()
            row = self._one(
                "SELECT n.title, n.label, n.description, b.body FROM notes n JOIN fts_body b ON b.rowid = n.id "
                "WHERE n.path = ?", (path,),
            )
            if row is None:
                return None
            title, label, description, body = row
            return embed_text(label or title, description, body or "")

    def resolve(self, target: str, from_path: str = "") -> Resolution:
        """Resolve a title, `[[link]]` target or vault path exactly as links are resolved."""
        with self._lock:
            self.ensure()
            return Titles(self.db, {}, []).resolver({link_key(target)}).resolve(target, from_path)

    def suggest(self, target: str) -> Suggestion | None:
        """The title an unresolved `target` most likely meant (prefix completion or nearest title)."""
        with self._lock:
            self.ensure()
            return LinkResolver(row[0] for row in self.db.execute("SELECT path FROM notes")).suggest(target)

    # -- notes and links ------------------------------------------------------------

    def note_row(self, path: str) -> NoteRow | None:
        """The indexed note at vault-relative `path`."""
        with self._lock:
            self.ensure()
            row = self._one(
                "SELECT id, path, title, kind, type, domain, confidence, status, agent, description, created, label, "
                "data, problems FROM notes WHERE path = ?", (path,),
            )
            if row is None:
                return None
            return NoteRow(
                id=row[0], path=row[1], title=row[2], kind=row[3], type=row[4], domain=row[5], confidence=row[6],
                status=row[7], agent=row[8], description=row[9], created=row[10], label=row[11],
                data=json.loads(row[12]), problems=json.loads(row[13]),
            )

    def backlinks(self, path: str) -> list[Link]:
        """Links and references to the note at `path` from other notes, by source path and line."""
        with self._lock:
            self.ensure()
            return self._links(
                "WHERE l.dst = ? AND n.path != ? ORDER BY n.path, l.line", (path, path)
            )

    def links_from(self, path: str) -> list[Link]:
        """The links and references the note at `path` makes, in file order."""
        with self._lock:
            self.ensure()
            return self._links("WHERE n.path = ? ORDER BY l.line, l.rowid", (path,))

    def _links(self, where: str, params: Sequence[object]) -> list[Link]:
        rows = self.db.execute(
            "SELECT n.path, l.line, l.field, l.raw, l.target, l.dst, l.method, l.ambiguous, l.wiki "
            f"FROM links l JOIN notes n ON n.id = l.note {where}", params,
        ).fetchall()
        return [
            Link(source=r[0], line=r[1], field=r[2], raw=r[3], target=r[4], path=r[5], method=r[6],
                 ambiguous=bool(r[7]), wiki=bool(r[8]))
            for r in rows
        ]

    def paths_where(self, key: str, value: str | None = None) -> list[str]:
        """Paths of the notes whose frontmatter has `key` (equal to `value`, or any item of a
        list equal to it, when given), e.g. `paths_where("status", "unprocessed")`."""
        with self._lock:
            self.ensure()
            if value is None:
                sql, params = "SELECT DISTINCT n.path FROM fields f JOIN notes n ON n.id = f.note WHERE f.key = ?", (key,)
            else:
                sql = "SELECT DISTINCT n.path FROM fields f JOIN notes n ON n.id = f.note WHERE f.key = ? AND f.value = ?"
                params = (key, str(value))
            return sorted(row[0] for row in self.db.execute(sql, params))

    def kinds_of(self, paths: Iterable[str]) -> dict[str, str]:
        """Path → kind for the given indexed paths."""
        with self._lock:
            return dict(store.chunked_select(self.db, "SELECT path, kind FROM notes WHERE path IN ({})", list(paths)))

    def paths(self) -> list[str]:
        with self._lock:
            self.ensure()
            return [row[0] for row in self.db.execute("SELECT path FROM notes ORDER BY path")]

    def count(self) -> int:
        with self._lock:
            self.ensure()
            return self.db.execute("SELECT count(*) FROM notes").fetchone()[0]
