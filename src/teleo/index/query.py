"""Turning what a person typed into a safe FTS5 query.

FTS5 has its own syntax (`AND`, `OR`, `NOT`, `NEAR`, `*`, `^`, `:`, quotes,
parentheses); a query like `AI "alignment` or `OR AND (` must search for words,
never fail. Every word becomes a quoted FTS5 string (operators inside quotes
are plain text); a balanced `"quoted phrase"` stays a phrase; pieces with no
letter or digit are dropped.
"""

from __future__ import annotations

import re

MAX_TERMS = 16
_PHRASE = re.compile(r'"([^"]+)"')
_WORDY = re.compile(r"\w")


def fts_terms(query: str) -> list[str]:
    """Quoted FTS5 strings for the words and balanced phrases of `query`, in order, deduplicated."""
    pieces: list[str] = []
    position = 0
    for match in _PHRASE.finditer(query):
        pieces.extend(query[position : match.start()].split())
        pieces.append(match.group(1))
        position = match.end()
    pieces.extend(query[position:].split())
    terms: list[str] = []
    for piece in pieces:
        piece = " ".join(piece.replace('"', " ").split())
        if not _WORDY.search(piece):
            continue
        term = f'"{piece}"'
        if term.lower() not in (t.lower() for t in terms):
            terms.append(term)
    return terms[:MAX_TERMS]


def all_of(terms: list[str]) -> str:
    return " ".join(terms)


def any_of(terms: list[str]) -> str:
    return " OR ".join(terms)


def has_words(text: str) -> bool:
    return bool(_WORDY.search(text))
