"""Grounding: a quote is re-found in a source text by code (pure text, no vault).

Used by the extraction writer and the review gates (through `teleo.extract.grounding`)
and by the claim-quality rubric (`teleo.gates.quality`), so all judge grounding alike.

`ground(quote, source_text)` tries, in order:

1. **exact** — the quote is a substring of the source (score 100);
2. **normalised** — both sides Unicode NFKC, case-folded, quotes and dashes
   straightened (‘’ “” – — → ' " -), markdown emphasis marks (`*`, `_`, `~`,
   backticks) and invisible format characters (zero-width, bidi marks: the
   model reads the source without them) dropped and whitespace collapsed; an offset map leads the match
   back to the original characters (score 100);
3. **fuzzy** — `rapidfuzz.fuzz.partial_ratio_alignment` of the normalised
   quote against the normalised source, at least `FUZZY_THRESHOLD` (90) and
   only for quotes of `FUZZY_MIN_CHARS` or more (a short string fuzzy-matches
   almost anything). Long sources are searched in overlapping windows of
   `WINDOW_CHARS`, so the cost stays linear (well under 0.1 s for a 2 000-char
   quote in a 130 kB source).

The result says where: character span and 1-based line in the original
text, the method and the score. `teleo.extract.grounding` grounds every quote
of an `ExtractionResult` with it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

Method = Literal["exact", "normalised", "fuzzy"]

FUZZY_THRESHOLD = 90.0
"""Minimum `partial_ratio` (0–100) of a fuzzy match: one or two typos in a sentence, not a paraphrase."""
FUZZY_MIN_CHARS = 16
"""Quotes shorter than this (normalised) are only grounded exactly or normalised."""
WINDOW_CHARS = 20_000
"""Fuzzy search window over the normalised source (windows overlap by the quote's length)."""

_STRAIGHTEN = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u02bc", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d", "-"),
}
_DROPPED = frozenset("*_~`")


@dataclass(frozen=True)
class Grounding:
    """Where a quote stands in the source (or that it does not)."""

    found: bool
    method: Method | None = None
    start: int | None = None
    end: int | None = None
    """`source_text[start:end]` is the matched passage."""
    line: int | None = None
    """1-based line of `start`."""
    score: float = 0.0
    """100 for exact and normalised matches; the fuzzy score otherwise (best seen when not found)."""

    def matched(self, source_text: str) -> str:
        return source_text[self.start:self.end] if self.found and self.start is not None else ""



def normalise(text: str) -> tuple[str, list[int]]:
    """The comparison form of `text` and, for each of its characters, the offset it came from."""
    chars: list[str] = []
    offsets: list[int] = []
    pending = False
    for index, ch in enumerate(text):
        if ch.isascii():
            pieces = ch.lower()
        elif unicodedata.category(ch) == "Cf":
            continue  # invisible (zero-width, bidi marks): the model reads the source without them
        else:
            pieces = unicodedata.normalize("NFKC", ch).casefold()
        for piece in pieces:
            piece = _STRAIGHTEN.get(piece, piece)
            if piece in _DROPPED:
                continue
            if piece.isspace():
                pending = bool(chars)
                continue
            if pending:
                chars.append(" ")
                offsets.append(index)
                pending = False
            chars.append(piece)
            offsets.append(index)
    return "".join(chars), offsets


@lru_cache(maxsize=8)
def _normalised_source(source_text: str) -> tuple[str, list[int]]:
    return normalise(source_text)


def _line(source_text: str, offset: int) -> int:
    return source_text.count("\n", 0, offset) + 1


def _span(offsets: list[int], source_text: str, start: int, end: int) -> tuple[int, int]:
    """Original span of normalised characters [start, end)."""
    first = offsets[start]
    last = offsets[end - 1]
    # one original character may expand into several normalised ones: include all of it
    return first, min(last + 1, len(source_text))


def ground(quote: str, source_text: str) -> Grounding:
    """Find `quote` in `source_text`: exact, then normalised, then fuzzy (see the module doc)."""
    if not quote or not quote.strip() or not source_text:
        return Grounding(False)
    for candidate in (quote, quote.strip()):
        at = source_text.find(candidate)
        if at >= 0:
            return Grounding(True, "exact", at, at + len(candidate), _line(source_text, at), 100.0)

    norm_quote, _ = normalise(quote)
    if not norm_quote:
        return Grounding(False)
    norm_source, offsets = _normalised_source(source_text)
    at = norm_source.find(norm_quote)
    if at >= 0:
        start, end = _span(offsets, source_text, at, at + len(norm_quote))
        return Grounding(True, "normalised", start, end, _line(source_text, start), 100.0)

    if len(norm_quote) < FUZZY_MIN_CHARS or len(norm_quote) > len(norm_source):
        return Grounding(False)
    best = None
    step = max(WINDOW_CHARS - len(norm_quote), WINDOW_CHARS // 2)
    for window_start in range(0, max(1, len(norm_source) - len(norm_quote) + 1), step):
        window = norm_source[window_start:window_start + WINDOW_CHARS + len(norm_quote)]
        if len(window) < len(norm_quote):
            break
        cutoff = best.score if best is not None else 0
        found = fuzz.partial_ratio_alignment(norm_quote, window, score_cutoff=cutoff)
        if found is not None and (best is None or found.score > best.score):
            best = found
            best_offset = window_start
        if best is not None and best.score >= 100:
            break
    if best is None:
        return Grounding(False)
    if best.score < FUZZY_THRESHOLD or best.dest_end <= best.dest_start:
        return Grounding(False, score=round(best.score, 1))
    start, end = _span(offsets, source_text, best_offset + best.dest_start, best_offset + best.dest_end)
    return Grounding(True, "fuzzy", start, end, _line(source_text, start), round(best.score, 1))


