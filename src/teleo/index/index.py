"""`Index`: the vault's derived state in one SQLite file, kept up to date incrementally.

A sync walks the files with their (size, mtime_ns); an unchanged stat is
skipped, a changed one is hashed, and only notes whose bytes changed are
parsed again and have their rows replaced. Everything a sync writes happens
in one transaction, so a sync that is killed leaves the previous index as it
was. Links are resolved with the vault's one resolver; when files appear or
disappear, only the links whose target could name them are resolved again.

Embeddings are computed lazily: a sync stores the text to embed, and the
vectors are made the first time a semantic query needs them (or at once by
`sync(embed=True)`, which `teleo index` uses, or when the model is already
loaded in the process). So a sync never pays the model's load time unless
asked to.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import sqlite3
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

from teleo import __version__
from teleo.index import store
from teleo.index.embed import MODEL_ID, EmbeddingUnavailable, embed, load_model, model_loaded
from teleo.index.models import (
    FACETS,
    Filters,
    Hit,
    Link,
    NoteRow,
    SearchMode,
    SyncStats,
)
from teleo.index.query import (
    BODY_COLUMNS,
    HEAD_COLUMNS,
    all_of,
    any_of,
    facet_filter,
    facet_text,
    fts_terms,
    has_words,
    scoped,
)
from teleo.index.records import (
    Record,
    content_hash,
    derive_facets,
    embed_text,
    link_key,
    note_agent,
    parse_record,
    record_of,
    title_keys,
)
from teleo.index.scan import scan
from teleo.notes import read_note
from teleo.notes.document import MAX_NOTE_BYTES
from teleo.vault import LinkResolver, Resolution, Suggestion, Vault

if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy as np

    from teleo.index.vectors import Facets, VectorCache

Progress = Callable[[str, int, int], None]
"""`progress(phase, done, total)`; phases: "reading", "embedding"."""

RRF_K = 60
"""Reciprocal rank fusion constant (Cormack et al.): score = Σ w / (RRF_K + rank)."""
HEAD_WEIGHTS = (10.0, 4.0, 2.0, 0.0)
"""bm25 column weights of title, description, other frontmatter text (and the facet codes)."""
BODY_WEIGHT = 0.5
"""Weight of the body ranking against the title/description ranking inside the text ranking."""
RANK_CAP = 20_000
"""An any-word fallback matching more titles/descriptions than this is skipped (bm25 costs about
1 µs per matching note and ~2.5 µs per matching body, so ranking a word most notes share is the
slowest thing a query can do)."""
HYBRID_HEAD_CAP = 10_000
"""In hybrid mode, a word matching more titles/descriptions than this is ranked on titles alone,
and not at all when even those are more: the embeddings carry a word that common."""
BODY_RANK_CAP = 5_000
"""Bodies are ranked by bm25 only when at most this many match; a body word more common than that
(5 % of a 100k-note vault) says little, and the title/description ranking and the embeddings
order those queries (text mode lists the remaining body matches after the ranked ones)."""
BROAD_FILTER_SHARE = 0.2
BROAD_FILTER_MIN_NOTES = 5_000
"""In a vault of more notes than this, a filter that lets at least this share of them through is
checked on a deeper unfiltered ranking: intersecting FTS5 doclists with a facet code most notes
carry costs more than it saves."""
FULL_RESOLVER_MIN = 500
"""From this many notes to write, links are resolved against one resolver over every path; below
it, against a small resolver over just the paths whose title can answer the links at hand."""
DEFERRED_ROWS_MAX = 500_000
"""A first build writes its held table rows (`_Rows`) once this many wait, to bound memory."""
PARALLEL_MIN = 600
"""Parse in worker processes when at least this many notes changed (a cold index)."""
RACY_WINDOW_NS = 100_000_000
"""A file modified this close to the walk may change again within the same mtime tick; its stat
is stored as unknown so the next sync hashes it again (git's "racily clean" problem)."""
SEMANTIC_FLOOR = 0.3
"""Search drops embedding neighbours below this cosine: with this model, unrelated text scores
0.1–0.26 against the corpus and relevant notes 0.35 and up. (`similar` keeps every neighbour.)"""
EMBED_BATCH = 256
SNIPPET_TOKENS = 18
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"


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
        self._known: dict[str, tuple[int, int, int]] | None = None
        self._known_generation = -1
        self._vectors: VectorCache | None = None  # loaded on the first semantic query
        self._facets: Facets | None = None  # loaded on the first filtered query
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
        row = self._one("SELECT value FROM meta WHERE key = 'generation'")
        return int(row[0]) if row else 0

    def _compatible(self, meta: dict[str, str]) -> bool:
        return (
            meta.get("schema") == str(store.SCHEMA_VERSION)
            and meta.get("teleo") == __version__
            and meta.get("model") == MODEL_ID
        )

    def _config_fingerprint(self) -> str:
        text = self.vault.config.model_dump_json()
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def ensure(self) -> None:
        """Build the index if it was never built or is from another version (queries call this)."""
        if self._checked:
            return
        with self._lock:
            if not self._compatible(store.read_meta(self.db)):
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
        """Bring the index up to date with the files; see the module doc.

        `embed`: True computes every missing embedding now; False never does; None (default)
        does only when the model is already loaded in this process.
        """
        with self._lock:
            started = time.perf_counter()
            stats = SyncStats(location=str(self.location))
            try:
                with self._write() as db, _big_cache(db, rebuild or not self._checked):
                    plan, generation_before = self._sync_into(db, stats, progress, embed, rebuild)
            except BaseException:
                self._known = None
                raise
            store.use_wal(self.db)
            self._checked = True
            self._known_generation = plan.generation
            self._patch_caches(plan, generation_before)
            stats.seconds = round(time.perf_counter() - started, 4)
            return stats

    def _sync_into(
        self, db: sqlite3.Connection, stats: SyncStats, progress: Progress | None, embed: bool | None, rebuild: bool,
    ) -> tuple["_Plan", int]:
        """The work of a sync inside one open transaction on `db`."""
        # Walk under the write lock: the files seen and the rows diffed are one snapshot.
        walk_ns = time.time_ns()
        files = scan(str(self.root))
        generation_before = int(store.read_meta(db).get("generation", "0"))
        embed_now = bool(embed or (embed is None and model_loaded()))
        plan = self._apply(db, files, walk_ns, stats, progress, rebuild, embed_now)
        if embed_now:
            try:
                with _savepoint(db):
                    plan.embedded.update(self._embed_pending(db, progress))
            except EmbeddingUnavailable as exc:  # the text index is still worth committing
                stats.warnings.append(f"{exc}; embeddings stay pending")
            stats.embedded = len(plan.embedded)
        stats.pending_embeddings = db.execute("SELECT count(*) FROM vectors WHERE vec IS NULL").fetchone()[0]
        stats.notes = len(files)
        plan.generation = generation_before
        if stats.changed or stats.touched or plan.dirty:
            plan.generation += 1
            store.write_meta(db, {"generation": str(plan.generation)})
        return plan, generation_before

    def _apply(
        self, db: sqlite3.Connection, files: dict[str, tuple[int, int]], walk_ns: int,
        stats: SyncStats, progress: Progress | None, rebuild: bool, embed_now: bool = False,
    ) -> "_Plan":
        plan = _Plan()
        meta = store.read_meta(db)
        if rebuild or not self._compatible(meta):
            store.drop_all(db)
            store.create(db)
            store.write_meta(db, {
                "schema": str(store.SCHEMA_VERSION), "teleo": __version__, "model": MODEL_ID,
                "generation": str(int(meta.get("generation", "0"))),
            })
            store.drop_secondary_indexes(db)
            stats.rebuilt = True
            self._vectors = None
            self._known = None
            meta = store.read_meta(db)
        known = self._known_stats(db, int(meta.get("generation", "0")))

        new: list[str] = []
        candidates: list[str] = []
        unchanged = 0
        for path, stat in files.items():
            row = known.get(path)
            if row is None:
                new.append(path)
            elif row[1] != stat[0] or row[2] != stat[1]:
                candidates.append(path)
            else:
                unchanged += 1
        stats.unchanged = unchanged
        removed = [path for path in known if path not in files] if len(known) + len(new) != len(files) else []

        parsed: list[Record] = []
        for path in candidates:
            size, mtime = files[path]
            if size > MAX_NOTE_BYTES:  # never read: identified by its stat
                raw, digest = None, _large_digest(size, mtime)
            else:
                raw = self._read(path)
                if raw is None:  # vanished since the walk
                    removed.append(path)
                    del files[path]
                    continue
                digest = content_hash(raw)
            note_id = known[path][0]
            old_hash = db.execute("SELECT hash FROM notes WHERE id = ?", (note_id,)).fetchone()[0]
            if digest == old_hash:
                stored = _stored_mtime(mtime, walk_ns)
                db.execute("UPDATE notes SET size = ?, mtime_ns = ? WHERE id = ?", (size, stored, note_id))
                known[path] = (note_id, size, stored)
                stats.touched += 1
            elif raw is None:
                parsed.append(record_of(read_note(self.root, path), digest))
            else:
                parsed.append(parse_record(path, raw, digest))

        plan.removed_ids = [known[path][0] for path in removed]
        self._delete(db, plan.removed_ids)
        for path in removed:
            del known[path]
        stats.removed = len(removed)

        titles = _Titles(db, files, new, full=stats.rebuilt or len(new) + len(parsed) >= FULL_RESOLVER_MIN)
        plan.next_id = db.execute("SELECT coalesce(max(id), 0) FROM notes").fetchone()[0] + 1
        plan.defer_tables = stats.rebuilt
        self._write_records(db, parsed, known, files, walk_ns, titles, stats, plan)
        written = 0
        for batch in self._parse_new(new, files, progress, titles.full, embed_now, stats):
            self._write_records(db, batch, known, files, walk_ns, titles, stats, plan)
            written += len(batch)
        plan.rows.write_tables(db)
        vanished = [path for path in new if path not in known] if written < len(new) else []
        for path in vanished:  # files that disappeared between the walk and the read
            del files[path]
            titles.forget(path)
        if ((new or removed) and not stats.rebuilt) or vanished:
            keys: set[str] = set()
            for path in vanished if stats.rebuilt else (*new, *removed):
                keys |= title_keys(path)
            stats.relinked = self._relink(db, keys, titles)
        if stats.rebuilt:
            store.create(db)  # the secondary indexes, built once over the filled tables
        if meta.get("config") != self._config_fingerprint():
            if known and not stats.rebuilt:
                plan.dirty = self._refacet(db) or plan.dirty
            store.write_meta(db, {"config": self._config_fingerprint()})
        return plan

    def _known_stats(self, db: sqlite3.Connection, generation: int) -> dict[str, tuple[int, int, int]]:
        """Path → (id, size, mtime_ns) of the indexed notes; kept in memory between this index's
        own syncs (valid while nobody else committed: the generation says so)."""
        if self._known is None or self._known_generation != generation:
            self._known = {row[0]: row[1:] for row in db.execute("SELECT path, id, size, mtime_ns FROM notes")}
            self._known_generation = generation
        return self._known

    def _read(self, path: str) -> bytes | None:
        try:
            with open(self.root / path, "rb") as handle:
                return handle.read()
        except OSError:
            return None

    def _parse_new(
        self, paths: list[str], files: dict[str, tuple[int, int]], progress: Progress | None,
        resolver: LinkResolver | None, embed_now: bool = False, stats: SyncStats | None = None,
    ) -> Iterator[list[Record]]:
        """Records of new files in batches, links resolved when `resolver` is given, embeddings
        computed when `embed_now` (and the model is loaded). A large build is parsed by forked
        worker processes (which inherit the resolver and the model), so the database writes of
        one batch overlap the parsing, link resolution and embedding of the next."""
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
            if total >= PARALLEL_MIN and _can_fork():
                workers = _worker_count()
                if stats is not None:
                    stats.workers = workers
                batches: Iterable[list[Record]] = _parse_parallel(str(self.root), items, workers)
            else:
                batches = (_parse_chunk((str(self.root), items[i : i + 200])) for i in range(0, total, 200))
            done = 0
            for batch in batches:
                done += len(batch)
                if progress:
                    progress("reading", done, total)
                yield batch
        finally:
            _CHUNK_RESOLVER = None
            _CHUNK_EMBED = False

    def _delete(self, db: sqlite3.Connection, ids: list[int]) -> None:
        if not ids:
            return
        params = [(i,) for i in ids]
        db.executemany("DELETE FROM notes WHERE id = ?", params)
        db.executemany("DELETE FROM fields WHERE note = ?", params)
        db.executemany("DELETE FROM links WHERE note = ?", params)
        db.executemany("DELETE FROM fts_head WHERE rowid = ?", params)
        db.executemany("DELETE FROM fts_body WHERE rowid = ?", params)
        db.executemany("DELETE FROM vectors WHERE note = ?", params)

    def _write_records(
        self, db: sqlite3.Connection, records: list[Record], known: dict, files: dict[str, tuple[int, int]],
        walk_ns: int, titles: "_Titles", stats: SyncStats, plan: "_Plan",
    ) -> None:
        if not records:
            return
        config = self.vault.config
        next_id = plan.next_id
        old_ids = [known[r.path][0] for r in records if r.path in known]
        if old_ids:
            self._delete_rows_of(db, old_ids)
        old_vectors = dict(
            _chunked_select(db, "SELECT note, text_hash FROM vectors WHERE note IN ({})", old_ids)
        ) if old_ids else {}
        unresolved = {link[5] for r in records if r.resolved is None for link in r.links}
        resolver = titles.resolver(unresolved) if unresolved else None
        rows = plan.rows
        keep_vectors: set[int] = set()
        for record in records:
            size, mtime = files[record.path]
            domain, agent = derive_facets(record, config)
            if record.path in known:
                note_id = known[record.path][0]
                stats.updated += 1
            else:
                note_id = next_id
                next_id += 1
                stats.added += 1
            stored_mtime = _stored_mtime(mtime, walk_ns)
            known[record.path] = (note_id, size, stored_mtime)
            keys = sorted(title_keys(record.path))
            rows.notes.append((
                note_id, record.path, record.title, keys[0], keys[1] if len(keys) > 1 else None, record.kind,
                record.type, domain, record.confidence, record.status, agent, record.owner, record.description,
                record.created, record.label, record.data_json, record.problems_json, size, stored_mtime, record.hash,
            ))
            rows.fields.extend((note_id, key, value) for key, value in record.fields)
            resolved = record.resolved
            if resolved is None:
                resolved = [_resolution(resolver.resolve(link[3], record.path)) for link in record.links]  # type: ignore[union-attr]
            for (line, field, raw, target, wiki, key), (dst, method, ambiguous) in zip(record.links, resolved):
                rows.links.append((note_id, line, field, raw, target, key, dst, method, ambiguous, int(wiki)))
            values = (record.kind, record.type, domain, record.confidence, record.status, agent)
            plan.facets[note_id] = values
            coded = facet_text(dict(zip(FACETS, values)))
            rows.heads.append((note_id, *record.head, coded))
            rows.bodies.append((note_id, record.body, coded))
            if record.embed_text is not None:
                text_hash = hashlib.blake2b(record.embed_text.encode(), digest_size=16).digest()
                if old_vectors.get(note_id) == text_hash:
                    keep_vectors.add(note_id)
                elif record.vector is not None:
                    rows.vectors.append((note_id, text_hash, None, record.vector.tobytes()))
                    plan.reset_ids.append(note_id)
                    plan.embedded[note_id] = record.vector
                else:
                    rows.vectors.append((note_id, text_hash, record.embed_text, None))
                    plan.reset_ids.append(note_id)
            elif note_id in old_vectors:
                plan.reset_ids.append(note_id)
        stale = [(i,) for i in old_vectors if i not in keep_vectors]
        db.executemany("DELETE FROM vectors WHERE note = ?", stale)
        rows.write_text(db)
        if not plan.defer_tables or rows.pending() >= DEFERRED_ROWS_MAX:
            rows.write_tables(db)
        plan.next_id = next_id

    def _delete_rows_of(self, db: sqlite3.Connection, ids: list[int]) -> None:
        """Remove the derived rows of notes about to be rewritten (the notes row is replaced)."""
        params = [(i,) for i in ids]
        db.executemany("DELETE FROM fields WHERE note = ?", params)
        db.executemany("DELETE FROM links WHERE note = ?", params)
        db.executemany("DELETE FROM fts_head WHERE rowid = ?", params)
        db.executemany("DELETE FROM fts_body WHERE rowid = ?", params)

    def _relink(self, db: sqlite3.Connection, keys: set[str], titles: "_Titles") -> int:
        """Re-resolve the links whose target could name a file that appeared or disappeared."""
        if not keys:
            return 0
        changed = []
        rows = _chunked_select(
            db,
            "SELECT l.rowid, l.target, n.path, l.dst, l.method, l.ambiguous FROM links l "
            "JOIN notes n ON n.id = l.note WHERE l.key IN ({})",
            sorted(keys),
        )
        resolver = titles.resolver(keys)
        for rowid, target, source, dst, method, ambiguous in rows:
            res = resolver.resolve(target, source)
            if (res.path, res.method, int(res.ambiguous)) != (dst, method, ambiguous):
                changed.append((res.path, res.method, int(res.ambiguous), rowid))
        db.executemany("UPDATE links SET dst = ?, method = ?, ambiguous = ? WHERE rowid = ?", changed)
        return len(changed)

    def _refacet(self, db: sqlite3.Connection) -> bool:
        """The config changed: derive every note's domain and agent again."""
        config = self.vault.config
        updates = []
        for note_id, path, domain, agent, owner, data in db.execute(
            "SELECT id, path, domain, agent, owner, data FROM notes"
        ).fetchall():
            raw = json.loads(data).get("domain")
            folder = path.rpartition("/")[0]
            new_domain = (str(raw).strip() or None) if isinstance(raw, (str, int, float)) else None
            new_domain = new_domain or config.domain_of_folder(folder)
            new_agent = note_agent(config, owner, new_domain, folder)
            if (new_domain, new_agent) != (domain, agent):
                updates.append((new_domain, new_agent, note_id))
        db.executemany("UPDATE notes SET domain = ?, agent = ? WHERE id = ?", updates)
        for _, _, note_id in updates:  # the facet codes in the full-text tables follow
            row = db.execute(f"SELECT {', '.join(FACETS)} FROM notes WHERE id = ?", (note_id,)).fetchone()
            coded = facet_text(dict(zip(FACETS, row)))
            head = db.execute("SELECT title, description, meta FROM fts_head WHERE rowid = ?", (note_id,)).fetchone()
            body = db.execute("SELECT body FROM fts_body WHERE rowid = ?", (note_id,)).fetchone()
            db.execute("DELETE FROM fts_head WHERE rowid = ?", (note_id,))
            db.execute("DELETE FROM fts_body WHERE rowid = ?", (note_id,))
            db.execute("INSERT INTO fts_head(rowid, title, description, meta, facets) VALUES (?, ?, ?, ?, ?)", (note_id, *head, coded))
            db.execute("INSERT INTO fts_body(rowid, body, facets) VALUES (?, ?, ?)", (note_id, body[0], coded))
        return bool(updates)

    def resolve(self, target: str, from_path: str = "") -> Resolution:
        """Resolve a title, `[[link]]` target or vault path exactly as links are resolved."""
        with self._lock:
            self.ensure()
            return _Titles(self.db, {}, []).resolver({link_key(target)}).resolve(target, from_path)

    def suggest(self, target: str) -> Suggestion | None:
        """The title an unresolved `target` most likely meant (prefix completion or nearest title)."""
        with self._lock:
            self.ensure()
            return LinkResolver(row[0] for row in self.db.execute("SELECT path FROM notes")).suggest(target)

    # -- embeddings --------------------------------------------------------------

    def embed_pending(self, progress: Progress | None = None) -> int:
        """Compute the embeddings still missing; return how many were made."""
        with self._lock:
            self.ensure()
            if self._one("SELECT 1 FROM vectors WHERE vec IS NULL LIMIT 1") is None:
                return 0
            plan = _Plan()
            with self._write() as db:
                generation_before = int(store.read_meta(db).get("generation", "0"))
                plan.embedded = self._embed_pending(db, progress)
                plan.generation = generation_before + 1
                store.write_meta(db, {"generation": str(plan.generation)})
            self._known_generation = plan.generation if self._known_generation == generation_before else -1
            self._patch_caches(plan, generation_before)
            return len(plan.embedded)

    def _embed_pending(self, db: sqlite3.Connection, progress: Progress | None) -> dict[int, "np.ndarray"]:
        rows = db.execute("SELECT note, pending FROM vectors WHERE vec IS NULL ORDER BY note").fetchall()
        done: dict[int, np.ndarray] = {}
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            vectors = embed([row[1] or "" for row in batch])
            db.executemany(
                "UPDATE vectors SET vec = ?, pending = NULL WHERE note = ?",
                [(vectors[i].tobytes(), row[0]) for i, row in enumerate(batch)],
            )
            for i, row in enumerate(batch):
                done[row[0]] = vectors[i]
            if progress:
                progress("embedding", min(start + EMBED_BATCH, len(rows)), len(rows))
        return done

    def _vector_cache(self) -> "VectorCache":
        from teleo.index.vectors import VectorCache

        generation = self.generation
        if self._vectors is None or self._vectors.generation != generation:
            self._vectors = VectorCache.load(self.db, generation)
        return self._vectors

    def _facet_cache(self) -> "Facets":
        from teleo.index.vectors import Facets

        generation = self.generation
        if self._facets is None or self._facets.generation != generation:
            self._facets = Facets.load(self.db, generation)
        return self._facets

    def _patch_caches(self, plan: "_Plan", generation_before: int) -> None:
        """Bring the in-memory facet codes and vector matrix along with what a commit changed."""
        facets, vectors = self._facets, self._vectors
        if facets is not None:
            if facets.generation != generation_before or plan.dirty:
                self._facets = None
            else:
                facets.remove(plan.removed_ids)
                for note_id, values in plan.facets.items():
                    facets.set(note_id, values)
                facets.generation = plan.generation
        if vectors is not None:
            if vectors.generation != generation_before:
                self._vectors = None
            else:
                vectors.remove(plan.removed_ids)
                vectors.remove(plan.reset_ids)
                vectors.upsert(plan.embedded)
                vectors.generation = plan.generation

    # -- queries -----------------------------------------------------------------

    def search(
        self, query: str, mode: SearchMode | str = SearchMode.hybrid, filters: Filters | None = None, k: int = 10,
    ) -> list[Hit]:
        """Notes matching `query`: full text (bm25), embeddings (cosine) or both (reciprocal rank fusion)."""
        mode = SearchMode(mode)
        filters = filters or Filters()
        with self._lock:
            self.ensure()
            depth = max(50, 3 * k)
            terms = fts_terms(query)
            pending = None  # the cosine scan runs on a thread while SQLite ranks the words
            if mode is not SearchMode.text and has_words(query):
                try:
                    pending = self._nearest_async(query, depth, filters)
                except EmbeddingUnavailable:
                    if mode is SearchMode.semantic:
                        raise
            text_ids: list[int] = []
            if mode is not SearchMode.semantic and terms:
                text_ids = self._text_ranking(terms, filters, depth, fill=mode is SearchMode.text)
            semantic: list[tuple[int, float]] = []
            if pending is not None:
                try:
                    semantic = [(i, s) for i, s in pending.result() if s >= SEMANTIC_FLOOR]
                except EmbeddingUnavailable:
                    if mode is SearchMode.semantic:
                        raise
            if mode is SearchMode.text:
                ranked = [(i, 1.0 / (RRF_K + r)) for r, i in enumerate(text_ids, 1)]
            elif mode is SearchMode.semantic:
                ranked = semantic
            else:
                ranked = _fuse([[i for i, _ in semantic], text_ids], [1.0, 1.0])
            top = ranked[:k]
            text_rank = {i: r for r, i in enumerate(text_ids, 1)}
            sem_rank = {i: (r, s) for r, (i, s) in enumerate(semantic, 1)}
            hits = self._hits([i for i, _ in top], [s for _, s in top], terms)
            for hit, (note_id, _) in zip(hits, top):
                hit.text_rank = text_rank.get(note_id)
                if note_id in sem_rank:
                    hit.semantic_rank, hit.similarity = sem_rank[note_id][0], round(sem_rank[note_id][1], 4)
            return hits

    def _nearest(self, text: str, n: int, allowed: "np.ndarray | None") -> list[tuple[int, float]]:
        self.embed_pending()
        cache = self._vector_cache()
        return cache.top(embed([text])[0], n, cache.rows_allowed(allowed))

    def _nearest_async(self, text: str, n: int, filters: Filters) -> "Future[list[tuple[int, float]]]":
        """Start `_nearest` on a worker thread (numpy and the tokenizer release the GIL; the
        database work it needs is done here first, on this thread)."""
        allowed = None if filters.empty else self._facet_cache().mask(filters)
        self.embed_pending()
        cache = self._vector_cache()
        load_model()  # raises EmbeddingUnavailable here, not in the thread
        return _search_pool().submit(lambda: cache.top(embed([text])[0], n, cache.rows_allowed(allowed)))

    def _text_ranking(self, terms: list[str], filters: Filters, depth: int, fill: bool) -> list[int]:
        """Full-text ranking: all words first, then (when that finds few) any word. `fill` (text
        mode) ranks however many notes match; otherwise very common words are left to the embeddings.

        A selective filter is applied inside FTS5 (facet codes); a broad one (most notes pass)
        costs less as a check on a deeper unfiltered ranking, with the in-memory facet mask."""
        facets = facet_filter(filters)
        allowed = None
        fetch = depth
        if facets and self._note_count() > BROAD_FILTER_MIN_NOTES:
            cache = self._facet_cache()
            mask = cache.mask(filters)
            share = float(mask.sum()) / max(1, int(cache.alive.sum())) if mask is not None else 1.0
            if share >= BROAD_FILTER_SHARE:
                facets, allowed, fetch = "", mask, min(int(depth / max(share, 0.01) * 1.5) + 1, 20 * depth)
        ranking = self._text_lists(all_of(terms), facets, fetch, fill, allowed=allowed)
        if len(ranking) < depth and len(terms) > 1:
            seen = set(ranking)
            more = self._text_lists(any_of(terms), facets, fetch, fill, optional=True, allowed=allowed)
            ranking += [i for i in more if i not in seen]
        return ranking[:depth]

    def _text_lists(
        self, match: str, facets: str, depth: int, fill: bool, optional: bool = False,
        allowed: "np.ndarray | None" = None,
    ) -> list[int]:
        """Title/description ranking and body ranking (bm25 each), fused. In a large vault a match
        set too big to rank cheaply is skipped (`optional`) or, for bodies, left unranked."""
        head_match = scoped(match, HEAD_COLUMNS, facets)
        body_match = scoped(match, BODY_COLUMNS, facets)
        notes = self._note_count()
        if optional and notes > RANK_CAP and not self._rankable("fts_head", head_match, RANK_CAP):
            return []
        weights = ", ".join(map(str, HEAD_WEIGHTS))
        if fill or notes <= HYBRID_HEAD_CAP or self._rankable("fts_head", head_match, HYBRID_HEAD_CAP):
            head = self._ranked("fts_head", f"bm25(fts_head, {weights})", head_match, depth)
        elif self._rankable("fts_head", scoped(match, "{title}", facets), HYBRID_HEAD_CAP):
            head = self._ranked("fts_head", f"bm25(fts_head, {weights})", scoped(match, "{title}", facets), depth)
        else:
            head = []
        body: list[int] = []
        if notes <= BODY_RANK_CAP or self._rankable("fts_body", body_match, BODY_RANK_CAP):
            body = self._ranked("fts_body", "bm25(fts_body, 1.0, 0.0)", body_match, depth)
        elif fill and len(head) < depth:
            seen = set(head)
            unranked = self.db.execute("SELECT rowid FROM fts_body WHERE fts_body MATCH ? LIMIT ?", (body_match, 2 * depth))
            body = [i for (i,) in unranked if i not in seen][:depth]
        if allowed is not None:
            head = [i for i in head if i < len(allowed) and allowed[i]]
            body = [i for i in body if i < len(allowed) and allowed[i]]
        return [i for i, _ in _fuse([head, body], [1.0, BODY_WEIGHT])]

    def _ranked(self, table: str, score: str, match: str, depth: int) -> list[int]:
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY {score} LIMIT ?"
        return [row[0] for row in self.db.execute(sql, (match, depth))]

    def _rankable(self, table: str, match: str, cap: int) -> bool:
        count = self.db.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ? LIMIT ?)", (match, cap + 1)
        ).fetchone()[0]
        return count <= cap

    def _note_count(self) -> int:
        return self.db.execute("SELECT max(id) FROM notes").fetchone()[0] or 0

    def similar(
        self, text: str, k: int = 10, kinds: Sequence[str] | None = None, filters: Filters | None = None,
        exclude: Sequence[str] = (),
    ) -> list[Hit]:
        """The `k` notes whose embeddings are nearest to `text`'s (cosine; best first).

        `kinds` limits the result to those note kinds (e.g. `("claim",)`); `exclude` drops paths.
        """
        with self._lock:
            self.ensure()
            if not has_words(text):
                return []
            kinds_ = tuple(kind.lower() for kind in kinds) if kinds else None
            allowed = self._facet_cache().mask(filters, kinds_) if kinds_ or (filters and not filters.empty) else None
            excluded = set(exclude)
            found = self._nearest(text, k + len(excluded), allowed)
            if excluded:
                paths = dict(_chunked_select(self.db, "SELECT id, path FROM notes WHERE id IN ({})", [i for i, _ in found]))
                found = [(i, s) for i, s in found if paths.get(i) not in excluded]
            found = found[:k]
            hits = self._hits([i for i, _ in found], [round(s, 4) for _, s in found], [])
            for rank, hit in enumerate(hits, 1):
                hit.semantic_rank, hit.similarity = rank, hit.score
            return hits

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

    def _hits(self, ids: list[int], scores: list[float], terms: list[str]) -> list[Hit]:
        if not ids:
            return []
        rows = {
            row[0]: row
            for row in _chunked_select(
                self.db,
                "SELECT id, path, title, kind, type, domain, confidence, status, agent, description, label FROM notes "
                "WHERE id IN ({})", ids,
            )
        }
        hits = []
        match = any_of(terms) if terms else None
        for note_id, score in zip(ids, scores):
            row = rows.get(note_id)
            if row is None:
                continue
            marked = self._snippet(note_id, match, row[9])
            hit = Hit(
                path=row[1], title=row[2], label=row[10], kind=row[3], type=row[4], domain=row[5], confidence=row[6],
                status=row[7], agent=row[8], description=row[9], snippet=_unmark(marked), score=round(score, 6),
            )
            hit._marked = marked
            hits.append(hit)
        return hits

    def _snippet(self, note_id: int, match: str | None, description: str | None) -> str:
        if match:
            for table, column, columns in (("fts_body", 0, BODY_COLUMNS), ("fts_head", 1, HEAD_COLUMNS)):
                row = self.db.execute(
                    f"SELECT snippet({table}, {column}, ?, ?, '…', {SNIPPET_TOKENS}) FROM {table} "
                    f"WHERE {table} MATCH ? AND rowid = ?",
                    (_MARK_OPEN, _MARK_CLOSE, scoped(match, columns), note_id),
                ).fetchone()
                if row and row[0] and _MARK_OPEN in row[0]:
                    return _clean_snippet(row[0])
        if description:
            return _clean_snippet(description[:240] + ("…" if len(description) > 240 else ""))
        row = self.db.execute("SELECT substr(body, 1, 1200) FROM fts_body WHERE rowid = ?", (note_id,)).fetchone()
        text = embed_text("", None, row[0] if row else "").lstrip(". ")
        return _clean_snippet(text[:240] + ("…" if len(text) > 240 else ""))

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
            return dict(_chunked_select(self.db, "SELECT path, kind FROM notes WHERE path IN ({})", list(paths)))

    def paths(self) -> list[str]:
        with self._lock:
            self.ensure()
            return [row[0] for row in self.db.execute("SELECT path FROM notes ORDER BY path")]

    def count(self) -> int:
        with self._lock:
            self.ensure()
            return self.db.execute("SELECT count(*) FROM notes").fetchone()[0]


class _Plan:
    """What a sync changed, for patching the in-memory vector matrix afterwards."""

    def __init__(self) -> None:
        self.removed_ids: list[int] = []
        self.reset_ids: list[int] = []
        self.embedded: dict[int, np.ndarray] = {}
        self.facets: dict[int, tuple] = {}
        """Facet values of every note written (for the in-memory facet codes)."""
        self.dirty = False
        self.next_id = 1
        self.generation = 0
        self.rows = _Rows()
        self.defer_tables = False
        """Hold the plain tables' rows until the full text is written (a first build; see `_Rows`)."""


class _Rows:
    """Rows on their way into the tables.

    FTS5 keeps the terms of its recent inserts in memory and writes them out as a new
    segment whenever another statement of the transaction begins, so a build that
    alternates full-text and table inserts leaves many small segments to merge. A first
    build therefore writes the full text as the batches arrive and the plain tables
    after it (or whenever `DEFERRED_ROWS_MAX` rows wait)."""

    def __init__(self) -> None:
        self.notes: list[tuple] = []
        self.fields: list[tuple] = []
        self.links: list[tuple] = []
        self.vectors: list[tuple] = []
        self.heads: list[tuple] = []
        self.bodies: list[tuple] = []

    def pending(self) -> int:
        return len(self.notes) + len(self.fields) + len(self.links)

    def write_text(self, db: sqlite3.Connection) -> None:
        db.executemany("INSERT INTO fts_head(rowid, title, description, meta, facets) VALUES (?, ?, ?, ?, ?)", self.heads)
        db.executemany("INSERT INTO fts_body(rowid, body, facets) VALUES (?, ?, ?)", self.bodies)
        self.heads, self.bodies = [], []

    def write_tables(self, db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO notes(id, path, title, tkey, tkey2, kind, type, domain, confidence, status, agent, "
            "owner, description, created, label, data, problems, size, mtime_ns, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.notes,
        )
        db.executemany("INSERT INTO fields(note, key, value) VALUES (?, ?, ?)", self.fields)
        db.executemany(
            "INSERT INTO links(note, line, field, raw, target, key, dst, method, ambiguous, wiki) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.links,
        )
        db.executemany("INSERT INTO vectors(note, text_hash, pending, vec) VALUES (?, ?, ?, ?)", self.vectors)
        self.notes, self.fields, self.links, self.vectors = [], [], [], []


_POOL = None
_POOL_LOCK = threading.Lock()


def _search_pool():
    """One worker thread for the cosine scans of hybrid searches (created on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from concurrent.futures import ThreadPoolExecutor

            _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="teleo-index")
        return _POOL


@contextmanager
def _savepoint(db: sqlite3.Connection) -> Iterator[None]:
    """A nested transaction: undone alone when the block fails, the outer one goes on."""
    db.execute("SAVEPOINT teleo_inner")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK TO teleo_inner")
        db.execute("RELEASE teleo_inner")
        raise
    db.execute("RELEASE teleo_inner")


@contextmanager
def _big_cache(db: sqlite3.Connection, maybe_large: bool) -> Iterator[None]:
    """A larger page cache while a sync may write a lot: pages modified again and again (FTS5
    segments, B-tree interiors) then reach the WAL once instead of at every spill."""
    if not maybe_large:
        yield
        return
    db.execute("PRAGMA cache_size=-262144")
    try:
        yield
    finally:
        db.execute("PRAGMA cache_size=-65536")


class _Titles:
    """Paths whose titles can answer given link keys, as small `LinkResolver`s.

    A target can only resolve to a file whose normalised title equals its key
    (`records.link_key`; every resolver step — path, exact, `.md`, case,
    normalised — implies it), so a resolver over just those files resolves it
    exactly as one over the whole vault, at a fraction of the cost.
    """

    def __init__(self, db: sqlite3.Connection, files: dict[str, tuple[int, int]], new: list[str], full: bool = False) -> None:
        self.db = db
        self.paths = set(files) if full else set()
        self.full = LinkResolver(self.paths) if full else None
        self.new_by_key: dict[str, set[str]] = {}
        if not full:
            for path in new:
                for key in title_keys(path):
                    self.new_by_key.setdefault(key, set()).add(path)

    def forget(self, path: str) -> None:
        if self.full is not None:  # rare: a file vanished while being read
            self.paths.discard(path)
            self.full = LinkResolver(self.paths)
        for paths in self.new_by_key.values():
            paths.discard(path)

    def resolver(self, keys: set[str]) -> LinkResolver:
        if self.full is not None:
            return self.full
        found = {
            row[0] for row in _chunked_select(
                self.db, "SELECT path FROM notes WHERE tkey IN ({0}) OR tkey2 IN ({0})", sorted(keys), size=400,
                repeat=2,
            )
        }
        for key in keys:
            found |= self.new_by_key.get(key, set())
        return LinkResolver(found)


# -- helpers ---------------------------------------------------------------------------


def _large_digest(size: int, mtime: int) -> bytes:
    """Files over the size limit are never read; their stat stands in for their content."""
    return hashlib.blake2b(f"large:{size}:{mtime}".encode(), digest_size=16).digest()


def _stored_mtime(mtime_ns: int, walk_ns: int) -> int:
    window = 2_000_000_000 if mtime_ns % 1_000_000_000 == 0 else RACY_WINDOW_NS
    return -1 if mtime_ns >= walk_ns - window else mtime_ns


def _chunked_select(db: sqlite3.Connection, sql: str, values: list, size: int = 500, repeat: int = 1) -> list[tuple]:
    """Run `sql` with `{}` (or `{0}` used `repeat` times) bound to chunks of `values`."""
    found: list[tuple] = []
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        found.extend(db.execute(sql.format(", ".join("?" * len(chunk))), chunk * repeat).fetchall())
    return found


def _fuse(rankings: list[list[int]], weights: list[float]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: Σ weight / (RRF_K + rank); ties keep first-seen order."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, note_id in enumerate(ranking, 1):
            scores[note_id] = scores.get(note_id, 0.0) + weight / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


_SNIPPET_MARKUP = re.compile(r"\[\[|\]\]|^#+\s*|\*\*|__|`")
_WHITESPACE = re.compile(r"\s+")


def _clean_snippet(text: str) -> str:
    return _WHITESPACE.sub(" ", _SNIPPET_MARKUP.sub("", text)).strip()


def _unmark(text: str) -> str:
    return text.replace(_MARK_OPEN, "").replace(_MARK_CLOSE, "")


def _load_record(root: str, path: str, size: int, mtime: int) -> Record | None:
    if size > MAX_NOTE_BYTES:
        return record_of(read_note(Path(root), path), _large_digest(size, mtime))
    try:
        with open(os.path.join(root, path), "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    return parse_record(path, raw)


def _can_fork() -> bool:
    """Whether a large build may use worker processes: on Linux with 2+ cores, with no other
    thread running (fork), unless `TELEO_INDEX_WORKERS=1`. A build of hundreds of new notes is
    a one-off (a first index, an upgrade), so it uses the cores even on a busy machine."""
    if _worker_count() < 2:
        return False
    return sys.platform.startswith("linux") and threading.active_count() == 1


_CHUNK_RESOLVER: LinkResolver | None = None
"""The resolver `_parse_chunk` resolves links with (set around a build; inherited by forked workers)."""


_CHUNK_EMBED = False
"""Whether `_parse_chunk` computes embeddings too (the model is loaded; inherited by forked workers)."""


def _parse_chunk(args: tuple[str, list[tuple[str, int, int]]]) -> list[Record]:
    root, items = args
    records = [r for r in (_load_record(root, p, s, m) for p, s, m in items) if r is not None]
    resolver = _CHUNK_RESOLVER
    if resolver is not None:
        for record in records:
            record.resolved = [_resolution(resolver.resolve(link[3], record.path)) for link in record.links]
    if _CHUNK_EMBED:
        wanted = [r for r in records if r.embed_text is not None]
        try:
            vectors = embed([r.embed_text for r in wanted])  # type: ignore[misc]
        except EmbeddingUnavailable:  # left pending; the sync reports it
            return records
        for record, vector in zip(wanted, vectors):
            record.vector = vector
    return records


def _resolution(res: Resolution) -> tuple[str | None, str | None, int]:
    return res.path, res.method, int(res.ambiguous)


def _worker_count() -> int:
    """`TELEO_INDEX_WORKERS` if set, else one per core (at most 8)."""
    wanted = os.environ.get("TELEO_INDEX_WORKERS", "")
    if wanted.isdigit() and int(wanted) >= 1:
        return min(int(wanted), 32)
    return min(os.cpu_count() or 1, 8)


def _worker_start() -> None:
    # The tokenizer's thread pool does not survive a fork: tokenize on one thread here (and print no warning about it).
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def _parse_parallel(root: str, items: list[tuple[str, int, int]], workers: int) -> Iterator[list[Record]]:
    from concurrent.futures import ProcessPoolExecutor

    size = max(50, min(200, len(items) // (workers * 4)))
    chunks = [(root, items[i : i + size]) for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start) as pool:
        yield from pool.map(_parse_chunk, chunks)
