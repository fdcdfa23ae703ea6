"""The SQLite file behind the index: where it lives, its schema, its version.

Layout (`<vault>/.teleo/index.sqlite`, WAL journal once its first build has committed):

- `meta(key, value)` — schema version, Teleo version, config fingerprint,
  embedding model, generation (bumped by every commit that changes anything);
- `notes` — one row per markdown file: stat and content hash (for incremental
  syncs), the normalised title (`tkey`, what links resolve by), facets (kind,
  type, domain, confidence, status, agent), description,
  the frontmatter as JSON, reading problems;
- `fields(note, key, value)` — the frontmatter flattened, one row per scalar
  or list item (`claims_extracted`, `tags`, …), for lookups by field;
- `links(note, line, field, raw, target, key, dst, method, ambiguous, wiki)` —
  every `[[wiki link]]` (body and frontmatter) and every plain title in a
  reference field (`depends_on`, `claims_extracted`, …), with its resolution;
  `key` is the normalised title the target can resolve to, so links are
  re-resolved only when a file with that title appears or disappears;
- `fts_head(title, description, meta, facets)` and `fts_body(body, facets)` —
  FTS5 (porter stemming), rowid = note id; two tables so a ranking on titles
  and descriptions stays fast when a common word matches most bodies; `facets`
  holds one coded word per facet value (`query.facet_token`) so filters are
  applied inside FTS5 rather than by a join;
- `vectors(note, text_hash, pending, vec)` — float32 embedding blobs; `pending`
  holds the text still to embed (vectors are computed lazily, see `Index`).

Everything is derived from the files: a version or schema mismatch drops the
tables and rebuilds.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

SCHEMA_VERSION = 3
INDEX_DIR = ".teleo"
INDEX_FILE = "index.sqlite"

TOKENIZER = "porter unicode61 remove_diacritics 2"
CACHE_KIB = 65_536
"""SQLite's page cache for queries and incremental syncs."""
BUILD_CACHE_KIB = 8_192
"""The page cache while the tables are built from scratch: a build appends (new rowids, FTS5
segments, secondary indexes made once at its end) and a new file's rollback journal costs
nothing when pages spill, so a larger cache only holds memory (64 MiB at the 20× vault for no
CPU saved; issue 17.3)."""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    tkey TEXT NOT NULL,
    tkey2 TEXT,
    kind TEXT NOT NULL,
    type TEXT COLLATE NOCASE,
    domain TEXT COLLATE NOCASE,
    confidence TEXT COLLATE NOCASE,
    status TEXT COLLATE NOCASE,
    agent TEXT COLLATE NOCASE,
    owner TEXT,
    description TEXT,
    created TEXT,
    label TEXT,
    data TEXT NOT NULL,
    problems TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_tkey ON notes(tkey);
CREATE INDEX IF NOT EXISTS notes_tkey2 ON notes(tkey2) WHERE tkey2 IS NOT NULL;
CREATE INDEX IF NOT EXISTS notes_facets ON notes(kind, type, domain, confidence, status, agent);
CREATE TABLE IF NOT EXISTS fields (note INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fields_note ON fields(note);
CREATE INDEX IF NOT EXISTS fields_key ON fields(key, value);
CREATE TABLE IF NOT EXISTS links (
    note INTEGER NOT NULL,
    line INTEGER NOT NULL,
    field TEXT,
    raw TEXT NOT NULL,
    target TEXT NOT NULL,
    key TEXT NOT NULL,
    dst TEXT,
    method TEXT,
    ambiguous INTEGER NOT NULL DEFAULT 0,
    wiki INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS links_note ON links(note);
CREATE INDEX IF NOT EXISTS links_dst ON links(dst);
CREATE INDEX IF NOT EXISTS links_key ON links(key);
CREATE VIRTUAL TABLE IF NOT EXISTS fts_head USING fts5(title, description, meta, facets, tokenize='{TOKENIZER}');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_body USING fts5(body, facets, tokenize='{TOKENIZER}');
CREATE TABLE IF NOT EXISTS vectors (note INTEGER PRIMARY KEY, text_hash BLOB NOT NULL, pending TEXT, vec BLOB);
CREATE INDEX IF NOT EXISTS vectors_pending ON vectors(note) WHERE vec IS NULL;
"""

TABLES = ("meta", "notes", "fields", "links", "fts_head", "fts_body", "vectors")


def default_location(root: Path) -> Path:
    """`<vault>/.teleo/index.sqlite`, or a per-user cache file when the vault is read-only."""
    from teleo.notes.edit import may_write

    folder = root / INDEX_DIR
    if may_write(folder if folder.exists() else root):
        return folder / INDEX_FILE
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "teleo" / "indexes"
    digest = hashlib.blake2b(str(root).encode(), digest_size=6).hexdigest()
    return cache / f"{root.name}-{digest}" / INDEX_FILE


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating the folder and its `.gitignore`) with WAL and a busy timeout."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if folder.name == INDEX_DIR and not ignore.exists():
        try:
            ignore.write_text("# Teleo's derived index: rebuilt from the notes at any time.\n*\n", encoding="utf-8")
        except OSError:
            pass
    try:
        return _connect(path, wal=path.exists())
    except sqlite3.OperationalError:  # locked, unwritable: not ours to delete
        raise
    except sqlite3.DatabaseError:  # not a database, or damaged: it is derived data, start over
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return _connect(path, wal=False)


def _connect(path: Path, wal: bool = True) -> sqlite3.Connection:
    """`wal` False for a file about to be created: its first build commits through a rollback
    journal, which for a new file holds next to nothing, where a WAL would take every page
    once more and copy it back at the checkpoint; `use_wal` switches it after that build."""
    db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    try:
        try:
            db.execute(f"PRAGMA journal_mode={'WAL' if wal else 'DELETE'}")
        except sqlite3.OperationalError:  # another process is building it; it switches it to WAL after
            pass
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA temp_store=MEMORY")
        set_cache(db, CACHE_KIB)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def set_cache(db: sqlite3.Connection, kib: int) -> None:
    """The connection's page cache, in KiB (takes effect at once, inside a transaction too)."""
    db.execute(f"PRAGMA cache_size=-{int(kib)}")


def use_wal(db: sqlite3.Connection) -> None:
    """Readers alongside one writer from now on (a no-op once the file is in WAL mode)."""
    if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:  # another connection is reading it now: the next sync switches
            pass


def create(db: sqlite3.Connection) -> None:
    """Create the tables (statement by statement: `executescript` would commit an open transaction)."""
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


SECONDARY_INDEXES = ("fields_note", "fields_key", "links_note", "links_dst", "links_key")
"""Dropped while a fresh index is filled and created afterwards (one sorted build each, much
cheaper than keeping them up to date row by row)."""


def drop_secondary_indexes(db: sqlite3.Connection) -> None:
    for name in SECONDARY_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")


def drop_all(db: sqlite3.Connection) -> None:
    for table in TABLES:
        db.execute(f"DROP TABLE IF EXISTS {table}")


def read_meta(db: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.OperationalError:
        return {}


def generation(db: sqlite3.Connection) -> int:
    """The index's generation: bumped by every committed change; caches of derived data key on it."""
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0


def write_meta(db: sqlite3.Connection, values: dict[str, str]) -> None:
    db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(values.items()))


def chunked_select(db: sqlite3.Connection, sql: str, values: list, size: int = 500, repeat: int = 1) -> list[tuple]:
    """Run `sql` with `{}` (or `{0}` used `repeat` times) bound to chunks of `values`."""
    found: list[tuple] = []
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        found.extend(db.execute(sql.format(", ".join("?" * len(chunk))), chunk * repeat).fetchall())
    return found
