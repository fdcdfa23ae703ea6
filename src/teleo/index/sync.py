"""The incremental sync: from the vault's files to the index's rows, inside one transaction.

A sync walks the files with their (size, mtime_ns); an unchanged stat is
skipped, a changed one is hashed, and only notes whose bytes changed are
parsed again and have their rows replaced. New files are parsed by the parse
pool (`parse_pool`), in worker processes for a large build. Links are resolved
with the vault's one resolver; when files appear or disappear, only the links
whose target could name them are resolved again.

Embeddings are computed lazily: a sync stores the text to embed, and the
vectors are made the first time a semantic query needs them (or at once by
`sync(embed=True)`, which `teleo index` uses, or when the model is already
loaded in the process). So a sync never pays the model's load time unless
asked to.

`Syncer` does the work inside a transaction the `Index` opens and commits; it
returns a `Plan` of what changed, which the index uses to patch its in-memory
views (`search.Ranking.patch`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from teleo import __version__
from teleo.index import parse_pool, store
from teleo.index.embed import MODEL_ID, EmbeddingUnavailable, embed, model_loaded
from teleo.index.models import FACETS, Progress, SyncStats
from teleo.index.query import facet_text
from teleo.index.records import (
    Record,
    content_hash,
    derive_facets,
    large_digest,
    note_agent,
    parse_record,
    record_of,
    resolution_row,
    title_keys,
)
from teleo.index.scan import scan
from teleo.notes import read_note
from teleo.notes.document import MAX_NOTE_BYTES
from teleo.vault import LinkResolver, Vault

if TYPE_CHECKING:
    import numpy as np

FULL_RESOLVER_MIN = 500
"""From this many notes to write, links are resolved against one resolver over every path; below
it, against a small resolver over just the paths whose title can answer the links at hand."""
DEFERRED_ROWS_MAX = 20_000
"""A first build writes its held table rows (`_Rows`) once this many wait, to bound memory (a
vault's worth held to the end took 120 MiB at 24k notes, 50,000 rows 12 MiB more than 20,000; a few
more full-text segments cost less)."""
RACY_WINDOW_NS = 100_000_000
"""A file modified this close to the walk may change again within the same mtime tick; its stat
is stored as unknown so the next sync hashes it again (git's "racily clean" problem)."""
EMBED_BATCH = 256


def compatible(meta: dict[str, str]) -> bool:
    """Whether an index with this `meta` was built by this schema, Teleo version and model."""
    return (
        meta.get("schema") == str(store.SCHEMA_VERSION)
        and meta.get("teleo") == __version__
        and meta.get("model") == MODEL_ID
    )


class Plan:
    """What a sync (or an embedding pass) changed, for patching the in-memory views afterwards."""

    def __init__(self) -> None:
        self.removed_ids: list[int] = []
        self.reset_ids: list[int] = []
        self.embedded: dict[int, np.ndarray] = {}
        """Vectors made, by note id, for patching the vector cache — not kept when the tables were
        rebuilt (the cache is then dropped whole): only counted, in `made`."""
        self.made = 0
        """How many vectors this sync computed."""
        self.facets: dict[int, tuple] = {}
        """Facet values of every note written (for the in-memory facet codes), unless the tables
        were rebuilt (the codes are then dropped whole)."""
        self.dirty = False
        self.rebuilt = False
        """The tables were dropped and built again (note ids start again from 1)."""
        self.next_id = 1
        self.generation_before = 0
        self.generation = 0
        self.rows = _Rows()
        self.defer_tables = False
        """Hold the plain tables' rows until the full text is written (a first build; see `_Rows`)."""


class Syncer:
    """Writes one vault's files into its index. Keeps the indexed stats in memory between
    its own syncs (valid while nobody else committed: the generation says so)."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.root = vault.root
        self.last_made = 0
        self._known: dict[str, tuple[int, int, int]] | None = None
        self._known_generation = -1

    def forget(self) -> None:
        """Drop the in-memory stats (a sync failed: the next one reads them again)."""
        self._known = None

    def advance(self, before: int, after: int) -> None:
        """Another commit of this process moved the generation from `before` to `after`."""
        self._known_generation = after if self._known_generation == before else -1

    def run(
        self, db: sqlite3.Connection, stats: SyncStats, progress: Progress | None, embed: bool | None, rebuild: bool,
    ) -> Plan:
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
                    pending = self.embed_pending(db, progress, keep=not plan.rebuilt)
                    plan.embedded.update(pending)
                    plan.made += self.last_made
            except EmbeddingUnavailable as exc:  # the text index is still worth committing
                stats.warnings.append(f"{exc}; embeddings stay pending")
            stats.embedded = plan.made
        stats.pending_embeddings = db.execute("SELECT count(*) FROM vectors WHERE vec IS NULL").fetchone()[0]
        stats.notes = len(files)
        plan.generation_before = plan.generation = generation_before
        if stats.changed or stats.touched or plan.dirty:
            plan.generation += 1
            store.write_meta(db, {"generation": str(plan.generation)})
        self._known_generation = plan.generation
        return plan

    def embed_pending(self, db: sqlite3.Connection, progress: Progress | None, keep: bool = True) -> dict[int, "np.ndarray"]:
        """Compute the embeddings still missing (inside the caller's transaction); the vectors made,
        by note id, unless `keep` is off (their count is then in `last_made`)."""
        rows = db.execute("SELECT note, pending FROM vectors WHERE vec IS NULL ORDER BY note").fetchall()
        done: dict[int, np.ndarray] = {}
        self.last_made = 0
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            vectors = embed([row[1] or "" for row in batch])
            db.executemany(
                "UPDATE vectors SET vec = ?, pending = NULL WHERE note = ?",
                [(vectors[i].tobytes(), row[0]) for i, row in enumerate(batch)],
            )
            self.last_made += len(batch)
            if keep:
                for i, row in enumerate(batch):
                    done[row[0]] = vectors[i]
            if progress:
                progress("embedding", min(start + EMBED_BATCH, len(rows)), len(rows))
        return done

    # -- the diff ------------------------------------------------------------------

    def _config_fingerprint(self) -> str:
        text = self.vault.config.model_dump_json()
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def _apply(
        self, db: sqlite3.Connection, files: dict[str, tuple[int, int]], walk_ns: int,
        stats: SyncStats, progress: Progress | None, rebuild: bool, embed_now: bool = False,
    ) -> Plan:
        plan = Plan()
        meta = store.read_meta(db)
        if rebuild or not compatible(meta):
            store.drop_all(db)
            store.create(db)
            store.write_meta(db, {
                "schema": str(store.SCHEMA_VERSION), "teleo": __version__, "model": MODEL_ID,
                "generation": str(int(meta.get("generation", "0"))),
            })
            store.drop_secondary_indexes(db)
            store.set_cache(db, store.BUILD_CACHE_KIB)  # `Index.sync` sets it back after the commit
            stats.rebuilt = plan.rebuilt = True
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
                raw, digest = None, large_digest(size, mtime)
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

        titles = Titles(db, files, new, full=stats.rebuilt or len(new) + len(parsed) >= FULL_RESOLVER_MIN)
        plan.next_id = db.execute("SELECT coalesce(max(id), 0) FROM notes").fetchone()[0] + 1
        plan.defer_tables = stats.rebuilt
        self._write_records(db, parsed, known, files, walk_ns, titles, stats, plan)
        written = 0
        for batch in parse_pool.parse_new(self.root, new, files, progress, titles.full, embed_now, stats):
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
        """Path → (id, size, mtime_ns) of the indexed notes."""
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

    # -- writes --------------------------------------------------------------------

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
        walk_ns: int, titles: "Titles", stats: SyncStats, plan: Plan,
    ) -> None:
        if not records:
            return
        config = self.vault.config
        next_id = plan.next_id
        old_ids = [known[r.path][0] for r in records if r.path in known]
        if old_ids:
            self._delete_rows_of(db, old_ids)
        old_vectors = dict(
            store.chunked_select(db, "SELECT note, text_hash FROM vectors WHERE note IN ({})", old_ids)
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
                resolved = [resolution_row(resolver.resolve(link[3], record.path)) for link in record.links]  # type: ignore[union-attr]
            for (line, field, raw, target, wiki, key), (dst, method, ambiguous) in zip(record.links, resolved):
                rows.links.append((note_id, line, field, raw, target, key, dst, method, ambiguous, int(wiki)))
            values = (record.kind, record.type, domain, record.confidence, record.status, agent)
            if not plan.rebuilt:  # a rebuild drops the in-memory facet codes whole
                plan.facets[note_id] = values
            coded = facet_text(dict(zip(FACETS, values)))
            rows.heads.append((note_id, *record.head, coded))
            rows.bodies.append((note_id, record.body, coded))
            if record.embed_text is not None:
                text_hash = hashlib.blake2b(record.embed_text.encode(), digest_size=16).digest()
                if old_vectors.get(note_id) == text_hash:
                    keep_vectors.add(note_id)
                elif record.vector is not None:
                    rows.vectors.append((note_id, text_hash, None, record.vector))
                    plan.reset_ids.append(note_id)
                    plan.made += 1
                    if not plan.rebuilt:
                        import numpy as np  # loaded already: the vector was made by the model

                        plan.embedded[note_id] = np.frombuffer(record.vector, dtype=np.float32)
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

    def _relink(self, db: sqlite3.Connection, keys: set[str], titles: "Titles") -> int:
        """Re-resolve the links whose target could name a file that appeared or disappeared."""
        if not keys:
            return 0
        changed = []
        rows = store.chunked_select(
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


class Titles:
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
            row[0] for row in store.chunked_select(
                self.db, "SELECT path FROM notes WHERE tkey IN ({0}) OR tkey2 IN ({0})", sorted(keys), size=400,
                repeat=2,
            )
        }
        for key in keys:
            found |= self.new_by_key.get(key, set())
        return LinkResolver(found)


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


def _stored_mtime(mtime_ns: int, walk_ns: int) -> int:
    window = 2_000_000_000 if mtime_ns % 1_000_000_000 == 0 else RACY_WINDOW_NS
    return -1 if mtime_ns >= walk_ns - window else mtime_ns
