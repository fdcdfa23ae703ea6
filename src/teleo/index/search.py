"""Ranking: full text (bm25 over two FTS5 tables), embeddings (cosine) and their fusion.

`Ranking` is the query side of one `Index`: it reads the SQLite tables and keeps the
in-memory views a query needs (`vectors.Facets`, `vectors.VectorCache`), patched after
each of the index's own commits (`patch`). A hybrid search runs its cosine scan on one
process-wide worker thread while SQLite ranks the words on the caller's thread.

The caps below keep a query on a big vault from ranking a word most notes share; the
embeddings order such queries instead.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import TYPE_CHECKING, Callable, Sequence

from teleo.index import store
from teleo.index.embed import EmbeddingUnavailable, embed, load_model
from teleo.index.models import Filters, Hit, SearchMode
from teleo.index.query import BODY_COLUMNS, HEAD_COLUMNS, all_of, any_of, facet_filter, fts_terms, has_words, scoped
from teleo.index.records import embed_text

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import numpy as np

    from teleo.index.sync import Plan
    from teleo.index.vectors import Facets, VectorCache

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
SEMANTIC_FLOOR = 0.3
"""Search drops embedding neighbours below this cosine: with this model, unrelated text scores
0.1–0.26 against the corpus and relevant notes 0.35 and up. (`similar` keeps every neighbour.)"""
SNIPPET_TOKENS = 18
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"


class Ranking:
    """Searches of one index's tables, with the in-memory facet codes and vector matrix.

    Not locked: the `Index` that owns it serialises calls. `embed_pending` is the index's
    own (a semantic query first embeds whatever text a sync left pending)."""

    def __init__(self, db: sqlite3.Connection, embed_pending: Callable[[], object]) -> None:
        self.db = db
        self._embed_pending = embed_pending
        self._vectors: VectorCache | None = None  # loaded on the first semantic query
        self._facets: Facets | None = None  # loaded on the first filtered query

    # -- queries -----------------------------------------------------------------

    def search(self, query: str, mode: SearchMode, filters: Filters, k: int) -> list[Hit]:
        """Notes matching `query`: full text (bm25), embeddings (cosine) or both (reciprocal rank fusion)."""
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
            ranked = fuse([[i for i, _ in semantic], text_ids], [1.0, 1.0])
        top = ranked[:k]
        text_rank = {i: r for r, i in enumerate(text_ids, 1)}
        sem_rank = {i: (r, s) for r, (i, s) in enumerate(semantic, 1)}
        hits = self._hits([i for i, _ in top], [s for _, s in top], terms)
        for hit, (note_id, _) in zip(hits, top):
            hit.text_rank = text_rank.get(note_id)
            if note_id in sem_rank:
                hit.semantic_rank, hit.similarity = sem_rank[note_id][0], round(sem_rank[note_id][1], 4)
        return hits

    def similar(
        self, text: str, k: int, kinds: Sequence[str] | None, filters: Filters | None, exclude: Sequence[str],
    ) -> list[Hit]:
        """The `k` notes whose embeddings are nearest to `text`'s (cosine; best first)."""
        if not has_words(text):
            return []
        kinds_ = tuple(kind.lower() for kind in kinds) if kinds else None
        allowed = self.facet_cache().mask(filters, kinds_) if kinds_ or (filters and not filters.empty) else None
        if allowed is not None and not allowed.any():
            return []  # no note can answer: no query vector, so no model load (a vault without claims)
        excluded = set(exclude)
        found = self._nearest(text, k + len(excluded), allowed)
        if excluded:
            paths = dict(store.chunked_select(self.db, "SELECT id, path FROM notes WHERE id IN ({})", [i for i, _ in found]))
            found = [(i, s) for i, s in found if paths.get(i) not in excluded]
        found = found[:k]
        hits = self._hits([i for i, _ in found], [round(s, 4) for _, s in found], [])
        for rank, hit in enumerate(hits, 1):
            hit.semantic_rank, hit.similarity = rank, hit.score
        return hits

    # -- the in-memory views -------------------------------------------------------

    def vector_cache(self) -> "VectorCache":
        from teleo.index.vectors import VectorCache

        generation = store.generation(self.db)
        if self._vectors is None or self._vectors.generation != generation:
            self._vectors = VectorCache.load(self.db, generation)
        return self._vectors

    def facet_cache(self) -> "Facets":
        from teleo.index.vectors import Facets

        generation = store.generation(self.db)
        if self._facets is None or self._facets.generation != generation:
            self._facets = Facets.load(self.db, generation)
        return self._facets

    def patch(self, plan: "Plan") -> None:
        """Bring the in-memory facet codes and vector matrix along with what a commit changed."""
        if plan.rebuilt:  # note ids start again from 1
            self._vectors = self._facets = None
        facets, vectors = self._facets, self._vectors
        if facets is not None:
            if facets.generation != plan.generation_before or plan.dirty:
                self._facets = None
            else:
                facets.remove(plan.removed_ids)
                for note_id, values in plan.facets.items():
                    facets.set(note_id, values)
                facets.generation = plan.generation
        if vectors is not None:
            if vectors.generation != plan.generation_before:
                self._vectors = None
            else:
                vectors.remove(plan.removed_ids)
                vectors.remove(plan.reset_ids)
                vectors.upsert(plan.embedded)
                vectors.generation = plan.generation

    # -- embeddings ------------------------------------------------------------------

    def _nearest(self, text: str, n: int, allowed: "np.ndarray | None") -> list[tuple[int, float]]:
        self._embed_pending()
        cache = self.vector_cache()
        return cache.top(embed([text])[0], n, cache.rows_allowed(allowed))

    def _nearest_async(self, text: str, n: int, filters: Filters) -> "Future[list[tuple[int, float]]]":
        """Start `_nearest` on the worker thread (numpy and the tokenizer release the GIL; the
        database work it needs is done here first, on this thread)."""
        allowed = None if filters.empty else self.facet_cache().mask(filters)
        self._embed_pending()
        cache = self.vector_cache()
        load_model()  # raises EmbeddingUnavailable here, not in the thread
        return _search_pool().submit(lambda: cache.top(embed([text])[0], n, cache.rows_allowed(allowed)))

    # -- full text -------------------------------------------------------------------

    def _text_ranking(self, terms: list[str], filters: Filters, depth: int, fill: bool) -> list[int]:
        """Full-text ranking: all words first, then (when that finds few) any word. `fill` (text
        mode) ranks however many notes match; otherwise very common words are left to the embeddings.

        A selective filter is applied inside FTS5 (facet codes); a broad one (most notes pass)
        costs less as a check on a deeper unfiltered ranking, with the in-memory facet mask."""
        facets = facet_filter(filters)
        allowed = None
        fetch = depth
        if facets and self._note_count() > BROAD_FILTER_MIN_NOTES:
            cache = self.facet_cache()
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
        return [i for i, _ in fuse([head, body], [1.0, BODY_WEIGHT])]

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

    # -- hits ------------------------------------------------------------------------

    def _hits(self, ids: list[int], scores: list[float], terms: list[str]) -> list[Hit]:
        if not ids:
            return []
        rows = {
            row[0]: row
            for row in store.chunked_select(
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


def fuse(rankings: list[list[int]], weights: list[float]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: Σ weight / (RRF_K + rank); ties keep first-seen order."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, note_id in enumerate(ranking, 1):
            scores[note_id] = scores.get(note_id, 0.0) + weight / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _search_pool() -> "ThreadPoolExecutor":
    """One worker thread for the cosine scans of hybrid searches (created on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from concurrent.futures import ThreadPoolExecutor

            _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="teleo-index")
        return _POOL


def stop_search_thread() -> None:
    """End the search thread (the next hybrid search starts it again). A build forks its
    parse workers only when no other thread runs (`parse_pool.can_fork`)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=True)
            _POOL = None


_SNIPPET_MARKUP = re.compile(r"\[\[|\]\]|^#+\s*|\*\*|__|`")
_WHITESPACE = re.compile(r"\s+")


def _clean_snippet(text: str) -> str:
    return _WHITESPACE.sub(" ", _SNIPPET_MARKUP.sub("", text)).strip()


def _unmark(text: str) -> str:
    return text.replace(_MARK_OPEN, "").replace(_MARK_CLOSE, "")
