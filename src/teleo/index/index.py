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
from typing import Callable, Iterable, Iterator, Sequence

from teleo import __version__
from teleo.index import store
from teleo.index.embed import MODEL_ID, embed, model_loaded
from teleo.index.models import Filters, Hit, Link, NoteRow, SearchMode, SyncStats
from teleo.index.query import all_of, any_of, fts_terms, has_words
from teleo.index.records import (
    EMBED_KINDS,
    Record,
    content_hash,
    embed_text,
    facets,
    link_key,
    note_agent,
    parse_record,
    record_of,
    title_keys,
)
from teleo.index.scan import scan
from teleo.notes import read_note
from teleo.notes.document import MAX_NOTE_BYTES
from teleo.vault import LinkResolver, Resolution, Vault

Progress = Callable[[str, int, int], None]
"""`progress(phase, done, total)`; phases: "reading", "embedding"."""

RRF_K = 60
"""Reciprocal rank fusion constant (Cormack et al.): score = Σ w / (RRF_K + rank)."""
HEAD_WEIGHTS = (10.0, 4.0, 2.0)
"""bm25 column weights of title, description, other frontmatter text."""
BODY_WEIGHT = 0.5
"""Weight of the body ranking against the title/description ranking inside the text ranking."""
BODY_RANK_CAP = 20_000
"""Bodies matching more notes than this are not ranked by bm25 (its cost grows with the matches,
about 1 µs each); the title/description ranking and the embeddings order those queries."""
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
        self._resolver: LinkResolver | None = None
        self._resolver_paths: frozenset[str] = frozenset()
        self._vectors = None  # VectorCache, loaded on the first semantic query
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
            walk_ns = time.time_ns()
            files = scan(str(self.root))
            stats = SyncStats(location=str(self.location))
            generation_before = self.generation
            with self._write() as db:
                plan = self._apply(db, files, walk_ns, stats, progress, rebuild)
                if embed or (embed is None and model_loaded()):
                    plan.embedded = self._embed_pending(db, progress)
                    stats.embedded = len(plan.embedded)
                stats.pending_embeddings = db.execute("SELECT count(*) FROM vectors WHERE vec IS NULL").fetchone()[0]
                stats.notes = len(files)
                if stats.changed or plan.dirty:
                    store.write_meta(db, {"generation": str(generation_before + 1)})
            self._checked = True
            self._patch_vectors(plan, generation_before)
            stats.seconds = round(time.perf_counter() - started, 4)
            return stats

    def _apply(
        self, db: sqlite3.Connection, files: dict[str, tuple[int, int]], walk_ns: int,
        stats: SyncStats, progress: Progress | None, rebuild: bool,
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
            stats.rebuilt = True
            self._vectors = None
            meta = store.read_meta(db)
        known = {row[0]: row[1:] for row in db.execute("SELECT path, id, size, mtime_ns, hash FROM notes")}

        new: list[str] = []
        candidates: list[str] = []
        for path, stat in files.items():
            row = known.get(path)
            if row is None:
                new.append(path)
            elif row[1] != stat[0] or row[2] != stat[1]:
                candidates.append(path)
            else:
                stats.unchanged += 1
        removed = [path for path in known if path not in files]

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
            note_id, _, _, old_hash = known[path]
            if digest == old_hash:
                db.execute("UPDATE notes SET size = ?, mtime_ns = ? WHERE id = ?", (size, _stored_mtime(mtime, walk_ns), note_id))
                stats.touched += 1
            elif raw is None:
                parsed.append(record_of(read_note(self.root, path), digest))
            else:
                parsed.append(parse_record(path, raw, digest))
        plan.removed_ids = [known[path][0] for path in removed]
        self._delete(db, plan.removed_ids)
        stats.removed = len(removed)

        paths_changed = bool(new or removed)
        resolver = self._resolver_for(files) if parsed or paths_changed else None
        plan.next_id = db.execute("SELECT coalesce(max(id), 0) FROM notes").fetchone()[0] + 1
        self._write_records(db, parsed, known, files, walk_ns, resolver, stats, plan)
        written = 0
        for batch in self._parse_new(new, files, progress):
            self._write_records(db, batch, known, files, walk_ns, resolver, stats, plan)
            written += len(batch)
        vanished: list[str] = []
        if written < len(new):  # files that disappeared between the walk and the read
            indexed = {row[0] for row in _chunked_select(db, "SELECT path FROM notes WHERE path IN ({})", new)}
            vanished = [path for path in new if path not in indexed]
            for path in vanished:
                del files[path]
            resolver = self._resolver_for(files)
        if resolver is not None and ((paths_changed and not stats.rebuilt) or vanished):
            keys: set[str] = set()
            for path in vanished if stats.rebuilt else (*new, *removed):
                keys |= title_keys(path)
            stats.relinked = self._relink(db, keys, resolver)
        if meta.get("config") != self._config_fingerprint():
            if known and not stats.rebuilt:
                plan.dirty = self._refacet(db) or plan.dirty
            store.write_meta(db, {"config": self._config_fingerprint()})
        return plan

    def _read(self, path: str) -> bytes | None:
        try:
            with open(self.root / path, "rb") as handle:
                return handle.read()
        except OSError:
            return None

    def _parse_new(self, paths: list[str], files: dict[str, tuple[int, int]], progress: Progress | None) -> Iterator[list[Record]]:
        """Records of new files in batches (parsed by worker processes for a large build, so the
        database writes of one batch overlap the parsing of the next)."""
        if not paths:
            return
        total = len(paths)
        items = [(p, *files[p]) for p in paths]
        if total >= PARALLEL_MIN and _can_fork():
            batches: Iterable[list[Record]] = _parse_parallel(str(self.root), items)
        else:
            batches = (_parse_chunk((str(self.root), items[i : i + 200])) for i in range(0, total, 200))
        done = 0
        for batch in batches:
            done += len(batch)
            if progress:
                progress("reading", done, total)
            yield batch

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
        walk_ns: int, resolver: LinkResolver | None, stats: SyncStats, plan: "_Plan",
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
        note_rows, field_rows, link_rows, head_rows, body_rows, vector_rows = [], [], [], [], [], []
        keep_vectors: set[int] = set()
        for record in records:
            size, mtime = files[record.path]
            domain, agent = facets(record, config)
            if record.path in known:
                note_id = known[record.path][0]
                stats.updated += 1
            else:
                note_id = next_id
                next_id += 1
                stats.added += 1
            note_rows.append((
                note_id, record.path, record.title, record.kind, record.type, domain, record.confidence,
                record.status, agent, record.owner, record.description, record.created, record.label,
                record.data_json, record.problems_json, size, _stored_mtime(mtime, walk_ns), record.hash,
            ))
            field_rows.extend((note_id, key, value) for key, value in record.fields)
            for line, field, raw, target, wiki in record.links:
                res = resolver.resolve(target, record.path) if resolver else None
                link_rows.append((
                    note_id, line, field, raw, target, link_key(target), res.path if res else None,
                    res.method if res else None, int(bool(res and res.ambiguous)), int(wiki),
                ))
            head_rows.append((note_id, *record.head))
            body_rows.append((note_id, record.body))
            facet_values = (record.kind, record.type, domain, record.confidence, record.status, agent)
            if record.embed_text is not None:
                text_hash = hashlib.blake2b(record.embed_text.encode(), digest_size=16).digest()
                if old_vectors.get(note_id) == text_hash:
                    keep_vectors.add(note_id)
                    plan.facets[note_id] = facet_values
                else:
                    vector_rows.append((note_id, text_hash, record.embed_text))
                    plan.reset_ids.append(note_id)
            elif note_id in old_vectors:
                plan.reset_ids.append(note_id)
        db.executemany(
            "INSERT OR REPLACE INTO notes(id, path, title, kind, type, domain, confidence, status, agent, owner, "
            "description, created, label, data, problems, size, mtime_ns, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", note_rows,
        )
        db.executemany("INSERT INTO fields(note, key, value) VALUES (?, ?, ?)", field_rows)
        db.executemany(
            "INSERT INTO links(note, line, field, raw, target, key, dst, method, ambiguous, wiki) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", link_rows,
        )
        db.executemany("INSERT INTO fts_head(rowid, title, description, meta) VALUES (?, ?, ?, ?)", head_rows)
        db.executemany("INSERT INTO fts_body(rowid, body) VALUES (?, ?)", body_rows)
        stale = [(i,) for i in old_vectors if i not in keep_vectors]
        db.executemany("DELETE FROM vectors WHERE note = ?", stale)
        db.executemany("INSERT INTO vectors(note, text_hash, pending, vec) VALUES (?, ?, ?, NULL)", vector_rows)
        plan.next_id = next_id

    def _delete_rows_of(self, db: sqlite3.Connection, ids: list[int]) -> None:
        """Remove the derived rows of notes about to be rewritten (the notes row is replaced)."""
        params = [(i,) for i in ids]
        db.executemany("DELETE FROM fields WHERE note = ?", params)
        db.executemany("DELETE FROM links WHERE note = ?", params)
        db.executemany("DELETE FROM fts_head WHERE rowid = ?", params)
        db.executemany("DELETE FROM fts_body WHERE rowid = ?", params)

    def _relink(self, db: sqlite3.Connection, keys: set[str], resolver: LinkResolver) -> int:
        """Re-resolve the links whose target could name a file that appeared or disappeared."""
        changed = []
        rows = _chunked_select(
            db,
            "SELECT l.rowid, l.target, n.path, l.dst, l.method, l.ambiguous FROM links l "
            "JOIN notes n ON n.id = l.note WHERE l.key IN ({})",
            sorted(keys),
        )
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
        if updates:
            self._vectors = None
        return bool(updates)

    def _resolver_for(self, files: dict[str, tuple[int, int]] | Iterable[str]) -> LinkResolver:
        paths = frozenset(files)
        if self._resolver is None or paths != self._resolver_paths:
            self._resolver = LinkResolver(paths)
            self._resolver_paths = paths
        return self._resolver

    @property
    def resolver(self) -> LinkResolver:
        """The vault's link resolver over the indexed paths (after the last sync)."""
        with self._lock:
            self.ensure()
            paths = [row[0] for row in self.db.execute("SELECT path FROM notes")]
            return self._resolver_for(paths)

    def resolve(self, target: str, from_path: str = "") -> Resolution:
        """Resolve a title, `[[link]]` target or vault path the way links are resolved."""
        return self.resolver.resolve(target, from_path)

    # -- embeddings --------------------------------------------------------------

    def embed_pending(self, progress: Progress | None = None) -> int:
        """Compute the embeddings still missing; return how many were made."""
        with self._lock:
            self.ensure()
            if self._one("SELECT 1 FROM vectors WHERE vec IS NULL LIMIT 1") is None:
                return 0
            generation_before = self.generation
            plan = _Plan()
            with self._write() as db:
                plan.embedded = self._embed_pending(db, progress)
                if plan.embedded:
                    store.write_meta(db, {"generation": str(generation_before + 1)})
            self._patch_vectors(plan, generation_before)
            return len(plan.embedded)

    def _embed_pending(self, db: sqlite3.Connection, progress: Progress | None) -> dict[int, tuple]:
        rows = db.execute(
            "SELECT v.note, v.pending, n.kind, n.type, n.domain, n.confidence, n.status, n.agent "
            "FROM vectors v JOIN notes n ON n.id = v.note WHERE v.vec IS NULL ORDER BY v.note"
        ).fetchall()
        done: dict[int, tuple] = {}
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            vectors = embed([row[1] or "" for row in batch])
            db.executemany(
                "UPDATE vectors SET vec = ?, pending = NULL WHERE note = ?",
                [(vectors[i].tobytes(), row[0]) for i, row in enumerate(batch)],
            )
            for i, row in enumerate(batch):
                done[row[0]] = (vectors[i], tuple(row[2:]))
            if progress:
                progress("embedding", min(start + EMBED_BATCH, len(rows)), len(rows))
        return done

    def _vector_cache(self):
        from teleo.index.vectors import VectorCache

        generation = self.generation
        if self._vectors is None or self._vectors.generation != generation:
            self._vectors = VectorCache.load(self.db, generation)
        return self._vectors

    def _patch_vectors(self, plan: "_Plan", generation_before: int) -> None:
        cache = self._vectors
        if cache is None:
            return
        if cache.generation != generation_before:
            self._vectors = None
            return
        cache.remove(plan.removed_ids)
        cache.remove(plan.reset_ids)
        cache.upsert([(i, vec, values) for i, (vec, values) in plan.embedded.items()])
        for note_id, values in plan.facets.items():
            if cache.vector(note_id) is not None:
                cache.upsert([(note_id, cache.vector(note_id), values)])
        cache.generation = self.generation

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
            text_ids: list[int] = []
            if mode is not SearchMode.semantic and terms:
                text_ids = self._text_ranking(terms, filters, depth, fill=mode is SearchMode.text)
            semantic: list[tuple[int, float]] = []
            if mode is not SearchMode.text and has_words(query):
                self.embed_pending()
                cache = self._vector_cache()
                semantic = cache.top(embed([query])[0], depth, cache.mask(filters))
                semantic = [(i, s) for i, s in semantic if s >= SEMANTIC_FLOOR]
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

    def _text_ranking(self, terms: list[str], filters: Filters, depth: int, fill: bool) -> list[int]:
        ranking = self._text_lists(all_of(terms), filters, depth, fill)
        if len(ranking) < depth and len(terms) > 1:
            seen = set(ranking)
            ranking += [i for i in self._text_lists(any_of(terms), filters, depth, fill) if i not in seen]
        return ranking[:depth]

    def _text_lists(self, match: str, filters: Filters, depth: int, fill: bool) -> list[int]:
        where, params = _filter_sql(filters)
        join = " JOIN notes n ON n.id = {t}.rowid" if where else ""
        head_sql = (
            f"SELECT fts_head.rowid FROM fts_head{join.format(t='fts_head')} WHERE fts_head MATCH ?{where} "
            f"ORDER BY bm25(fts_head, {', '.join(map(str, HEAD_WEIGHTS))}) LIMIT ?"
        )
        head = [row[0] for row in self.db.execute(head_sql, (match, *params, depth))]
        body_from = f"fts_body{join.format(t='fts_body')} WHERE fts_body MATCH ?{where}"
        body: list[int] = []
        if self._body_rankable(match):
            body_sql = f"SELECT fts_body.rowid FROM {body_from} ORDER BY bm25(fts_body) LIMIT ?"
            body = [row[0] for row in self.db.execute(body_sql, (match, *params, depth))]
        elif fill and len(head) < depth:
            seen = set(head)
            unranked = self.db.execute(f"SELECT fts_body.rowid FROM {body_from} LIMIT ?", (match, *params, 2 * depth))
            body = [row[0] for row in unranked if row[0] not in seen]
        return [i for i, _ in _fuse([head, body], [1.0, BODY_WEIGHT])]

    def _body_rankable(self, match: str) -> bool:
        if self._note_count() <= BODY_RANK_CAP:
            return True
        count = self.db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM fts_body WHERE fts_body MATCH ? LIMIT ?)", (match, BODY_RANK_CAP + 1)
        ).fetchone()[0]
        return count <= BODY_RANK_CAP

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
            self.embed_pending()
            cache = self._vector_cache()
            mask = cache.mask(filters, tuple(k_.lower() for k_ in kinds) if kinds else None)
            excluded = set(exclude)
            found = [(i, s) for i, s in cache.top(embed([text])[0], k + len(excluded), mask)]
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
            for table, column in (("fts_body", 0), ("fts_head", 1)):
                row = self.db.execute(
                    f"SELECT snippet({table}, {column}, ?, ?, '…', {SNIPPET_TOKENS}) FROM {table} "
                    f"WHERE {table} MATCH ? AND rowid = ?",
                    (_MARK_OPEN, _MARK_CLOSE, match, note_id),
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
        self.embedded: dict[int, tuple] = {}
        self.facets: dict[int, tuple] = {}
        self.dirty = False
        self.next_id = 1


# -- helpers ---------------------------------------------------------------------------


def _large_digest(size: int, mtime: int) -> bytes:
    """Files over the size limit are never read; their stat stands in for their content."""
    return hashlib.blake2b(f"large:{size}:{mtime}".encode(), digest_size=16).digest()


def _stored_mtime(mtime_ns: int, walk_ns: int) -> int:
    window = 2_000_000_000 if mtime_ns % 1_000_000_000 == 0 else RACY_WINDOW_NS
    return -1 if mtime_ns >= walk_ns - window else mtime_ns


def _chunked_select(db: sqlite3.Connection, sql: str, values: list, size: int = 500) -> list[tuple]:
    found: list[tuple] = []
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        found.extend(db.execute(sql.format(", ".join("?" * len(chunk))), chunk).fetchall())
    return found


def _filter_sql(filters: Filters) -> tuple[str, list[str]]:
    clauses: list[str] = []
    params: list[str] = []

    def any_in(column: str, values: tuple[str, ...]) -> str:
        params.extend(values)
        return f"{column} IN ({', '.join('?' * len(values))})"

    if filters.type:
        kind = any_in("n.kind", filters.type)
        clauses.append(f"({kind} OR {any_in('n.type', filters.type)})")
    for facet in ("domain", "confidence", "status", "agent"):
        values = getattr(filters, facet)
        if values:
            clauses.append(any_in(f"n.{facet}", values))
    return ("".join(f" AND {c}" for c in clauses), params)


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
    return (
        sys.platform.startswith("linux")
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1
        and os.environ.get("TELEO_INDEX_WORKERS", "") != "1"
    )


def _parse_chunk(args: tuple[str, list[tuple[str, int, int]]]) -> list[Record]:
    root, items = args
    return [r for r in (_load_record(root, p, s, m) for p, s, m in items) if r is not None]


def _parse_parallel(root: str, items: list[tuple[str, int, int]]) -> Iterator[list[Record]]:
    from concurrent.futures import ProcessPoolExecutor

    workers = min(os.cpu_count() or 2, 8)
    size = max(50, min(200, len(items) // (workers * 4)))
    chunks = [(root, items[i : i + size]) for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_parse_chunk, chunks)
