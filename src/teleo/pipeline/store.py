"""The job table: lease state for extraction jobs, in `.teleo/queue.sqlite` (derived, rebuildable).

One row per source: `(source, source_hash, state, owner, lease_expires,
attempts, last_error, last_attempted, next_attempt_at, …)`.

- **Lease** (`lease`): one `UPDATE … WHERE state='pending' AND next_attempt_at
  <= now OR (state='leased' AND lease_expires < now)` inside `BEGIN IMMEDIATE`,
  so two workers never hold the same job; the attempt counter goes up on lease.
- **Heartbeat** (`heartbeat`) extends the lease while the owner still holds it.
- **Finish** (`complete`, `fail`) only when the caller still owns the lease
  (an owner whose lease was taken over writes nothing).
- **Reap** (`reap`): expired leases, or leases of owners known to be dead, go
  back to `pending` (the attempt stays counted; past `max_attempts` the job
  fails).

The table is the authority on who works on what; the proposal branch is the
commit point (a job whose `extract/<slug>` branch exists is done).  Deleting
the file loses nothing but retry counters: `sync_jobs` re-derives the rows
from the sources' frontmatter and the existing branches.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    source TEXT PRIMARY KEY,
    source_hash TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'leased', 'done', 'failed')),
    owner TEXT,
    lease_expires REAL,
    leased_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_attempted TEXT,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    batch TEXT,
    result TEXT,
    updated_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (state, next_attempt_at);
"""

STATES = ("pending", "leased", "done", "failed")


@dataclass
class Job:
    source: str
    source_hash: str = ""
    state: str = "pending"
    owner: str | None = None
    lease_expires: float | None = None
    leased_at: float | None = None
    attempts: int = 0
    last_error: str | None = None
    last_attempted: str | None = None
    next_attempt_at: float = 0.0
    batch: str | None = None
    result: dict = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Job":
        data = dict(row)
        data.pop("updated_at", None)
        data["result"] = json.loads(data["result"]) if data.get("result") else {}
        return cls(**data)


def _iso(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")


class JobStore:
    """The lease table. One instance per process (SQLite connections are not shared across forks)."""

    def __init__(self, path: Path | str, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A `BEGIN IMMEDIATE` transaction (the write lock is taken up front: no upgrade deadlocks)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- rows ---------------------------------------------------------------------------

    def get(self, source: str) -> Job | None:
        row = self.conn.execute("SELECT * FROM jobs WHERE source = ?", (source,)).fetchone()
        return Job.from_row(row) if row else None

    def all(self, batch: str | None = None) -> list[Job]:
        if batch is None:
            rows = self.conn.execute("SELECT * FROM jobs ORDER BY source").fetchall()
        else:
            rows = self.conn.execute("SELECT * FROM jobs WHERE batch = ? ORDER BY source", (batch,)).fetchall()
        return [Job.from_row(r) for r in rows]

    def counts(self, batch: str | None = None) -> dict[str, int]:
        where, args = ("WHERE batch = ?", (batch,)) if batch is not None else ("", ())
        rows = self.conn.execute(f"SELECT state, COUNT(*) FROM jobs {where} GROUP BY state", args).fetchall()
        found = {state: 0 for state in STATES}
        found.update({r[0]: r[1] for r in rows})
        return found

    def upsert(self, source: str, source_hash: str, *, state: str = "pending", batch: str | None = None,
               result: dict | None = None) -> str:
        """Add a job, or reset it when its source changed; returns the row's state afterwards.

        A job already known with the same hash keeps its state (and attempts), only joining `batch`.
        """
        now = time.time()
        with self._write() as db:
            row = db.execute("SELECT source_hash, state FROM jobs WHERE source = ?", (source,)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO jobs (source, source_hash, state, batch, result, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (source, source_hash, state, batch, json.dumps(result) if result else None, now),
                )
                return state
            if row["source_hash"] != source_hash and row["state"] != "leased":
                db.execute(
                    "UPDATE jobs SET source_hash = ?, state = ?, owner = NULL, lease_expires = NULL, attempts = 0,"
                    " last_error = NULL, next_attempt_at = 0, batch = ?, result = ?, updated_at = ? WHERE source = ?",
                    (source_hash, state, batch, json.dumps(result) if result else None, now, source),
                )
                return state
            if state == "done" and row["state"] in ("pending", "failed"):
                # the branch exists: the job is done whatever the table said
                db.execute("UPDATE jobs SET state = 'done', batch = ?, result = COALESCE(?, result), updated_at = ?"
                           " WHERE source = ?", (batch, json.dumps(result) if result else None, now, source))
                return "done"
            if batch is not None:
                db.execute("UPDATE jobs SET batch = ? WHERE source = ?", (batch, source))
            return row["state"]

    def retry_failed(self, sources: Iterable[str] | None = None) -> int:
        """Failed jobs back to pending with a fresh attempt budget."""
        with self._write() as db:
            if sources is None:
                cur = db.execute("UPDATE jobs SET state = 'pending', attempts = 0, next_attempt_at = 0 WHERE state = 'failed'")
                return cur.rowcount
            total = 0
            for source in sources:
                total += db.execute("UPDATE jobs SET state = 'pending', attempts = 0, next_attempt_at = 0"
                                    " WHERE state = 'failed' AND source = ?", (source,)).rowcount
            return total

    # -- leases -------------------------------------------------------------------------

    def lease(self, owner: str, ttl: float, *, batch: str | None = None, source: str | None = None,
              max_attempts: int = 3, now: float | None = None) -> Job | None:
        """Take one ready job (or the named one) for `owner` until now + ttl; None when none is ready."""
        now = time.time() if now is None else now
        ready = ("((state = 'pending' AND next_attempt_at <= :now) OR (state = 'leased' AND lease_expires < :now))"
                 " AND attempts < :max")
        args: dict = {"now": now, "max": max_attempts, "owner": owner, "exp": now + ttl, "iso": _iso(now)}
        if batch is not None:
            ready += " AND batch = :batch"
            args["batch"] = batch
        if source is not None:
            ready += " AND source = :source"
            args["source"] = source
        with self._write() as db:
            row = db.execute(f"SELECT source FROM jobs WHERE {ready} ORDER BY next_attempt_at, source LIMIT 1", args).fetchone()
            if row is None:
                return None
            args["pick"] = row["source"]
            cur = db.execute(
                "UPDATE jobs SET state = 'leased', owner = :owner, lease_expires = :exp, leased_at = :now,"
                " attempts = attempts + 1, last_attempted = :iso, updated_at = :now"
                f" WHERE source = :pick AND {ready}",
                args,
            )
            if cur.rowcount != 1:  # cannot happen inside BEGIN IMMEDIATE; kept as the CAS guard
                return None
            picked = db.execute("SELECT * FROM jobs WHERE source = ?", (row["source"],)).fetchone()
        return Job.from_row(picked)

    def heartbeat(self, source: str, owner: str, ttl: float) -> bool:
        """Extend the lease; False when `owner` no longer holds it."""
        now = time.time()
        with self._write() as db:
            cur = db.execute("UPDATE jobs SET lease_expires = ?, updated_at = ? WHERE source = ? AND owner = ? AND state = 'leased'",
                             (now + ttl, now, source, owner))
            return cur.rowcount == 1

    def complete(self, source: str, owner: str, result: dict) -> bool:
        now = time.time()
        with self._write() as db:
            cur = db.execute(
                "UPDATE jobs SET state = 'done', owner = NULL, lease_expires = NULL, last_error = NULL, result = ?,"
                " updated_at = ? WHERE source = ? AND owner = ? AND state = 'leased'",
                (json.dumps(result), now, source, owner),
            )
            return cur.rowcount == 1

    def fail(self, source: str, owner: str | None, error: str, *, max_attempts: int, backoff_s: float,
             max_backoff_s: float = 3600.0, result: dict | None = None) -> str | None:
        """Record a failed attempt: back to pending after an exponential backoff, or `failed` past max_attempts.

        `owner=None` fails whoever holds the lease (the supervisor's timeout). Returns the new state, or
        None when the lease was not held.
        """
        now = time.time()
        with self._write() as db:
            row = db.execute("SELECT attempts, owner, state FROM jobs WHERE source = ?", (source,)).fetchone()
            if row is None or row["state"] != "leased" or (owner is not None and row["owner"] != owner):
                return None
            attempts = row["attempts"]
            if attempts >= max_attempts:
                state, next_at = "failed", now
            else:
                state, next_at = "pending", now + min(max_backoff_s, backoff_s * 2 ** (attempts - 1))
            db.execute(
                "UPDATE jobs SET state = ?, owner = NULL, lease_expires = NULL, last_error = ?, next_attempt_at = ?,"
                " result = COALESCE(?, result), updated_at = ? WHERE source = ?",
                (state, error, next_at, json.dumps(result) if result else None, now, source),
            )
            return state

    def reap(self, *, dead_owners: Iterable[str] = (), max_attempts: int = 3, now: float | None = None) -> list[str]:
        """Release expired leases and those of dead owners (the job is redone from scratch); returns their sources."""
        now = time.time() if now is None else now
        dead = list(dead_owners)
        released = []
        marks = ",".join("?" * len(dead)) or "NULL"
        if not self.conn.execute(f"SELECT 1 FROM jobs WHERE state = 'leased' AND (lease_expires < ? OR owner IN ({marks})) LIMIT 1",
                                 (now, *dead)).fetchone():
            return released  # nothing to reap: no write lock taken
        with self._write() as db:
            rows = db.execute("SELECT source, owner, attempts, lease_expires FROM jobs WHERE state = 'leased'").fetchall()
            for row in rows:
                if row["lease_expires"] is not None and row["lease_expires"] < now or row["owner"] in dead:
                    state = "failed" if row["attempts"] >= max_attempts else "pending"
                    db.execute(
                        "UPDATE jobs SET state = ?, owner = NULL, lease_expires = NULL, next_attempt_at = ?,"
                        " last_error = ?, updated_at = ? WHERE source = ?",
                        (state, now, f"lease lost (worker {row['owner']} died or stalled)", now, row["source"]),
                    )
                    released.append(row["source"])
        return released

    def leased(self) -> list[Job]:
        rows = self.conn.execute("SELECT * FROM jobs WHERE state = 'leased'").fetchall()
        return [Job.from_row(r) for r in rows]
