"""Dates, author handles, slugs and the archive filename `YYYY-MM-DD-author-slug.md`."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

MAX_NAME_BYTES = 120
"""Longest archive filename, `.md` and any `-N` collision suffix included."""
MAX_HANDLE = 24
UNKNOWN_AUTHOR = "unknown"

_DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
_HANDLE = re.compile(r"@([A-Za-z0-9_]{1,40})")
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "et", "al", "etal"}


def normalise_date(value: object) -> str | None:
    """`YYYY-MM-DD` (00 for an unknown month or day) from a date, datetime or date-like text; None if not one."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return None
    text = str(value).strip()
    match = _DATE.match(text)
    if not match or (match.end() < len(text) and text[match.end()] not in "T "):
        return None
    year, month, day = match.group(1), int(match.group(2) or 0), int(match.group(3) or 0)
    if year == "0000" or not 0 <= month <= 12 or not 0 <= day <= 31 or (month == 0 and day):
        return None
    if month and day:
        try:
            dt.date(int(year), month, day)
        except ValueError:
            return None
    return f"{year}-{month:02d}-{day:02d}"


def ascii_slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens (accents folded, everything else dropped)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", folded.lower()).strip("-")


def author_handle(author: str | None) -> str:
    """`Name (@handle)` → `handle`; `First Last` → `last`; `Last, First` → `last`; else `unknown`.

    The first of several authors (`;`, `,`, ` and `) is used, as the source-filename gate does.
    """
    if not author:
        return UNKNOWN_AUTHOR
    at = _HANDLE.search(author)
    if at:
        return _cap(ascii_slug(at.group(1)).replace("-", "")) or UNKNOWN_AUTHOR
    first = re.split(r";|,|\band\b|&", author.split("(")[0])[0]
    words = [w for w in (ascii_slug(word) for word in first.split()) if w]
    while len(words) > 1 and words[-1].replace("-", "") in _SUFFIXES:
        words.pop()
    if not words:
        return UNKNOWN_AUTHOR
    return _cap(words[-1].replace("-", "")) or UNKNOWN_AUTHOR


def _cap(handle: str) -> str:
    return handle[:MAX_HANDLE]


def source_filename(date: str, handle: str, title: str, suffix: str = "") -> str:
    """`{date}-{handle}-{slug}{suffix}.md`, the slug cut at a word boundary to keep the name ≤ 120 bytes."""
    prefix = f"{date}-{handle}-"
    budget = MAX_NAME_BYTES - len(prefix) - len(suffix) - len(".md")
    slug = cut_slug(ascii_slug(title), budget) or "untitled"
    return f"{prefix}{slug}{suffix}.md"


def cut_slug(slug: str, budget: int) -> str:
    """`slug` shortened to at most `budget` characters, at a hyphen when there is one."""
    if len(slug) <= budget:
        return slug
    cut = slug[: budget + 1]
    at = cut.rfind("-")
    return (cut[:at] if at > 0 else slug[:budget]).strip("-")
