"""Turning what a person typed into a safe FTS5 query.

FTS5 has its own syntax (`AND`, `OR`, `NOT`, `NEAR`, `*`, `^`, `:`, quotes,
parentheses); a query like `AI "alignment` or `OR AND (` must search for words,
never fail. Every word becomes a quoted FTS5 string (operators inside quotes
are plain text); a balanced `"quoted phrase"` stays a phrase; pieces with no
letter or digit are dropped. Common English words are dropped from unquoted
text (unless nothing else is left): they match nearly every note, add nothing
to the ranking and cost the most to rank.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
import re

MAX_TERMS = 16
_PHRASE = re.compile(r'"([^"]+)"')
_WORDY = re.compile(r"\w")

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me more most my myself no nor not of off on once only or other our
ours ourselves out over own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves
""".split())


def fts_terms(query: str) -> list[str]:
    """Quoted FTS5 strings for the words and balanced phrases of `query`, in order, deduplicated."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in _PHRASE.finditer(query):
        pieces.extend((word, False) for word in query[position : match.start()].split())
        pieces.append((match.group(1), True))
        position = match.end()
    pieces.extend((word, False) for word in query[position:].split())
    terms: list[str] = []
    common: list[str] = []
    for piece, quoted in pieces:
        piece = " ".join(piece.replace('"', " ").split())
        if not _WORDY.search(piece):
            continue
        term = f'"{piece}"'
        if term.lower() in (t.lower() for t in terms + common):
            continue
        if not quoted and piece.lower().strip(".,;:!?'()[]{}") in STOPWORDS:
            common.append(term)
        else:
            terms.append(term)
    return (terms or common)[:MAX_TERMS]


FACET_LETTERS = {"kind": "k", "type": "t", "domain": "d", "confidence": "c", "status": "s", "agent": "a"}
HEAD_COLUMNS = "{title description meta}"
BODY_COLUMNS = "body"


@lru_cache(maxsize=4096)  # a vault has a few dozen facet values; a build asks six per note
def facet_token(facet: str, value: str | None) -> str | None:
    """The word a facet value is indexed as in the `facets` column of both FTS tables.

    Hex of a hash, after a prefix no prose word has, ending in a digit so the porter
    stemmer leaves it whole: filters become a cheap doclist intersection inside FTS5.
    """
    if value is None or not str(value).strip():
        return None
    digest = hashlib.blake2b(str(value).strip().lower().encode(), digest_size=5).hexdigest()
    return f"zf{FACET_LETTERS[facet]}{digest}0"


def facet_text(values: dict[str, str | None]) -> str:
    return " ".join(t for t in (facet_token(f, v) for f, v in values.items()) if t)


def facet_filter(filters) -> str:
    """The FTS5 expression for `Filters` (empty when there is none)."""
    groups: list[list[str]] = []
    if filters.type:
        groups.append([facet_token(f, v) for v in filters.type for f in ("kind", "type")])
    for facet in ("domain", "confidence", "status", "agent"):
        values = getattr(filters, facet)
        if values:
            groups.append([facet_token(facet, v) for v in values])
    return " AND ".join(f"facets : ({' OR '.join(t for t in group if t)})" for group in groups)


def scoped(match: str, columns: str, facets: str = "") -> str:
    """`match` restricted to `columns`, ANDed with a facet filter."""
    expression = f"{columns} : ({match})"
    return f"{expression} AND {facets}" if facets else expression


def all_of(terms: list[str]) -> str:
    return " ".join(terms)


def any_of(terms: list[str]) -> str:
    return " OR ".join(terms)


def has_words(text: str) -> bool:
    return bool(_WORDY.search(text))
