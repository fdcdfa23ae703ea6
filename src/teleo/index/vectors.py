"""The embeddings of a vault as one normalised float32 matrix, with facet codes for filtering.

Loaded from the `vectors` table once per index generation and patched in
place after syncs made by the same `Index`, so a query never reads blobs.
Scores are computed with `numpy.einsum` (numpy's own SIMD loop), which on
small machines is steadier than a BLAS call that spins up threads.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np

from teleo.index.embed import DIM
from teleo.index.models import Filters

FACETS = ("kind", "type", "domain", "confidence", "status", "agent")


@dataclass
class VectorCache:
    generation: int
    ids: np.ndarray
    matrix: np.ndarray
    alive: np.ndarray
    codes: dict[str, np.ndarray]
    vocab: dict[str, dict[str, int]] = field(default_factory=dict)
    row_of: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls, db: sqlite3.Connection, generation: int) -> "VectorCache":
        rows = db.execute(
            "SELECT v.note, v.vec, n.kind, n.type, n.domain, n.confidence, n.status, n.agent "
            "FROM vectors v JOIN notes n ON n.id = v.note WHERE v.vec IS NOT NULL ORDER BY v.note"
        ).fetchall()
        count = len(rows)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=count)
        matrix = (
            np.frombuffer(b"".join([r[1] for r in rows]), dtype=np.float32).reshape(count, DIM).copy()
            if count else np.zeros((0, DIM), dtype=np.float32)
        )
        cache = cls(generation, ids, matrix, np.ones(count, dtype=bool), {})
        cache.vocab = {name: {} for name in FACETS}
        for position, name in enumerate(FACETS, start=2):
            cache.codes[name] = np.fromiter(
                (cache._code(name, r[position]) for r in rows), dtype=np.int32, count=count
            )
        cache.row_of = {int(i): n for n, i in enumerate(ids)}
        return cache

    def _code(self, facet: str, value: str | None) -> int:
        key = (value or "").strip().lower()
        table = self.vocab[facet]
        code = table.get(key)
        if code is None:
            code = table[key] = len(table)
        return code

    def __len__(self) -> int:
        return int(self.alive.sum())

    # -- queries ---------------------------------------------------------------

    def mask(self, filters: Filters | None, kinds: tuple[str, ...] | None = None) -> np.ndarray | None:
        """Rows allowed by `filters` and `kinds` (None when everything is)."""
        mask: np.ndarray | None = None if self.alive.all() else self.alive.copy()

        def narrow(allowed: np.ndarray) -> None:
            nonlocal mask
            mask = allowed if mask is None else (mask & allowed)

        if kinds:
            narrow(self._isin("kind", kinds))
        if filters is not None:
            if filters.type:
                narrow(self._isin("kind", filters.type) | self._isin("type", filters.type))
            for facet in ("domain", "confidence", "status", "agent"):
                values = getattr(filters, facet)
                if values:
                    narrow(self._isin(facet, values))
        return mask

    def _isin(self, facet: str, values: tuple[str, ...]) -> np.ndarray:
        wanted = [self.vocab[facet][v.lower()] for v in values if v.lower() in self.vocab[facet]]
        if not wanted:
            return np.zeros(len(self.ids), dtype=bool)
        return np.isin(self.codes[facet], np.asarray(wanted, dtype=np.int32))

    def top(self, query: np.ndarray, n: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(note id, cosine) of the `n` nearest rows, best first."""
        if len(self.ids) == 0 or n <= 0:
            return []
        scores = np.einsum("ij,j->i", self.matrix, query.astype(np.float32, copy=False))
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        n = min(n, len(scores))
        part = np.argpartition(scores, len(scores) - n)[len(scores) - n :]
        order = part[np.argsort(-scores[part], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in order if np.isfinite(scores[i])]

    def vector(self, note_id: int) -> np.ndarray | None:
        row = self.row_of.get(note_id)
        return None if row is None or not self.alive[row] else self.matrix[row]

    # -- patches after a sync --------------------------------------------------

    def remove(self, note_ids) -> None:
        for note_id in note_ids:
            row = self.row_of.pop(int(note_id), None)
            if row is not None:
                self.alive[row] = False

    def upsert(self, items: list[tuple[int, np.ndarray, tuple[str | None, ...]]]) -> None:
        """Set (note id, unit vector, facet values) rows: replace in place, append the new ones at once."""
        fresh = [item for item in items if item[0] not in self.row_of]
        if fresh:
            start = len(self.ids)
            self.ids = np.concatenate([self.ids, np.asarray([i for i, _, _ in fresh], dtype=np.int64)])
            self.matrix = np.vstack([self.matrix, np.stack([v for _, v, _ in fresh]).astype(np.float32)])
            self.alive = np.concatenate([self.alive, np.ones(len(fresh), dtype=bool)])
            for name in FACETS:
                self.codes[name] = np.concatenate([self.codes[name], np.zeros(len(fresh), dtype=np.int32)])
            for offset, (note_id, _, _) in enumerate(fresh):
                self.row_of[note_id] = start + offset
        for note_id, vec, facet_values in items:
            row = self.row_of[note_id]
            self.matrix[row] = vec
            self.alive[row] = True
            for name, value in zip(FACETS, facet_values):
                self.codes[name][row] = self._code(name, value)
