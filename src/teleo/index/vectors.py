"""In-memory views of the index for fast queries: facet codes per note, and the embedding matrix.

Both are loaded once per index generation and patched in place after syncs
made by the same `Index`, so a query neither reads blobs nor joins tables to
filter. Filters become boolean masks over note ids; cosine scores come from
`numpy.einsum` (numpy's own SIMD loop), which on small machines is steadier
than a BLAS call that spins up threads.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np

from teleo.index.embed import DIM
from teleo.index.models import FACETS, Filters


@dataclass
class Facets:
    """Facet values of every note as small integer codes, in arrays indexed by note id."""

    generation: int
    codes: dict[str, np.ndarray]
    alive: np.ndarray
    vocab: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, db: sqlite3.Connection, generation: int) -> "Facets":
        rows = db.execute(f"SELECT id, {', '.join(FACETS)} FROM notes").fetchall()  # a covering index
        size = max((r[0] for r in rows), default=0) + 1
        facets = cls(generation, {}, np.zeros(size, dtype=bool))
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        facets.alive[ids] = True
        for position, name in enumerate(FACETS, start=1):
            vocab: dict[str, int] = {"": 0}
            raw: dict[str | None, int] = {None: 0}
            codes = np.zeros(size, dtype=np.int32)
            column = []
            for row in rows:
                value = row[position]
                code = raw.get(value)
                if code is None:
                    code = raw[value] = vocab.setdefault(value.strip().lower(), len(vocab))
                column.append(code)
            codes[ids] = np.asarray(column, dtype=np.int32)
            facets.codes[name] = codes
            facets.vocab[name] = vocab
        return facets

    def _code(self, facet: str, value: str | None) -> int:
        key = (value or "").strip().lower()
        table = self.vocab[facet]
        code = table.get(key)
        if code is None:
            code = table[key] = len(table)
        return code

    def mask(self, filters: Filters | None, kinds: tuple[str, ...] | None = None) -> np.ndarray | None:
        """Note ids allowed by `filters` and `kinds`, as a boolean array (None: no filter)."""
        if not kinds and (filters is None or filters.empty):
            return None
        mask = self.alive.copy()
        if kinds:
            mask &= self._isin("kind", kinds)
        if filters is not None:
            if filters.type:
                mask &= self._isin("kind", filters.type) | self._isin("type", filters.type)
            for facet in ("domain", "confidence", "status", "agent"):
                values = getattr(filters, facet)
                if values:
                    mask &= self._isin(facet, values)
        return mask

    def _isin(self, facet: str, values: tuple[str, ...]) -> np.ndarray:
        wanted = [self.vocab[facet][v.lower()] for v in values if v.lower() in self.vocab[facet]]
        if not wanted:
            return np.zeros(len(self.alive), dtype=bool)
        return np.isin(self.codes[facet], np.asarray(wanted, dtype=np.int32))

    def remove(self, note_ids) -> None:
        for note_id in note_ids:
            if note_id < len(self.alive):
                self.alive[note_id] = False

    def set(self, note_id: int, values: tuple[str | None, ...]) -> None:
        if note_id >= len(self.alive):
            size = max(note_id + 1, 2 * len(self.alive))
            self.alive = np.concatenate([self.alive, np.zeros(size - len(self.alive), dtype=bool)])
            for name in FACETS:
                self.codes[name] = np.concatenate([self.codes[name], np.zeros(size - len(self.codes[name]), dtype=np.int32)])
        self.alive[note_id] = True
        for name, value in zip(FACETS, values):
            self.codes[name][note_id] = self._code(name, value)


@dataclass
class VectorCache:
    """Every stored embedding as rows of one float32 matrix (unit length), with their note ids."""

    generation: int
    ids: np.ndarray
    matrix: np.ndarray
    alive: np.ndarray
    row_of: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls, db: sqlite3.Connection, generation: int) -> "VectorCache":
        rows = db.execute("SELECT note, vec FROM vectors WHERE vec IS NOT NULL ORDER BY note").fetchall()
        count = len(rows)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=count)
        matrix = (
            np.frombuffer(b"".join([r[1] for r in rows]), dtype=np.float32).reshape(count, DIM).copy()
            if count else np.zeros((0, DIM), dtype=np.float32)
        )
        return cls(generation, ids, matrix, np.ones(count, dtype=bool), {int(i): n for n, i in enumerate(ids)})

    def __len__(self) -> int:
        return int(self.alive.sum())

    def rows_allowed(self, allowed: np.ndarray | None) -> np.ndarray | None:
        """Rows whose note id `allowed` (a mask by note id) lets through, and that are alive."""
        if allowed is None:
            return None if self.alive.all() else self.alive
        inside = self.ids < len(allowed)
        rows = np.zeros(len(self.ids), dtype=bool)
        rows[inside] = allowed[self.ids[inside]]
        return rows & self.alive

    def top(self, query: np.ndarray, n: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(note id, cosine) of the `n` nearest rows among `rows` (a row mask), best first."""
        if len(self.ids) == 0 or n <= 0:
            return []
        scores = np.einsum("ij,j->i", self.matrix, query.astype(np.float32, copy=False))
        candidates = np.flatnonzero(rows) if rows is not None else None
        if candidates is not None:  # select among allowed rows only (a sea of -inf slows argpartition)
            scores = scores[candidates]
        n = min(n, len(scores))
        if n == 0:
            return []
        part = np.argpartition(scores, len(scores) - n)[len(scores) - n :]
        order = part[np.argsort(-scores[part], kind="stable")]
        rows_ = candidates[order] if candidates is not None else order
        return [(int(self.ids[r]), float(s)) for r, s in zip(rows_, scores[order])]

    def vector(self, note_id: int) -> np.ndarray | None:
        row = self.row_of.get(note_id)
        return None if row is None or not self.alive[row] else self.matrix[row]

    def remove(self, note_ids) -> None:
        for note_id in note_ids:
            row = self.row_of.pop(int(note_id), None)
            if row is not None:
                self.alive[row] = False

    def upsert(self, items: dict[int, np.ndarray]) -> None:
        """Set note id → unit vector: replaced in place, new rows appended at once."""
        fresh = [note_id for note_id in items if note_id not in self.row_of]
        if fresh:
            start = len(self.ids)
            self.ids = np.concatenate([self.ids, np.asarray(fresh, dtype=np.int64)])
            self.matrix = np.vstack([self.matrix, np.stack([items[i] for i in fresh]).astype(np.float32)])
            self.alive = np.concatenate([self.alive, np.ones(len(fresh), dtype=bool)])
            for offset, note_id in enumerate(fresh):
                self.row_of[note_id] = start + offset
        for note_id, vec in items.items():
            row = self.row_of[note_id]
            self.matrix[row] = vec
            self.alive[row] = True
