"""Text from outside the vault, made safe to keep in a note: it stays data, never structure.

A web page, a PDF, a model's output, a commit message, a reviewer's words: whatever Teleo writes
into a note from elsewhere goes through these functions, so every writer (ingest, extraction,
the cascade's flag notes, flag resolutions) means the same thing by "safe". Such text must not

- **hide itself**: control characters and invisible format characters are removed —
  C0 and C1 controls and DEL (tab and newline kept), and Unicode's format characters
  (category Cf: bidirectional marks, embeddings, overrides and isolates, zero-width space,
  word joiner, byte order mark, soft hyphen, the invisible "tag" letters that can smuggle
  instructions to a model), and lone surrogates. Kept: zero-width joiner and non-joiner
  (U+200D, U+200C), which join letters in emoji and in Persian, Arabic and Indic scripts.
  `\\r\\n`, `\\r` and U+2028 become `\\n`, U+2029 a blank line (`strip_controls`);
- **add an edge to the graph**: `[[x]]` is written `[ [x] ]` — a space between any two
  brackets in a row, whatever their number, so no `[[` or `]]` remains, nothing is removed and
  the text reads the same (`defuse_links`);
- **run as markup**: an HTML tag opener `<x` is written `&lt;x`, which markdown shows as `<x`
  (`defuse_tags`; for markdown bodies — a frontmatter value keeps its `<`, as the web UI
  escapes values and never renders them as HTML).

`inert(text)` does all three to a body; `one_line(text, limit)` makes one line (every control
character and line break a space, invisible characters removed, spaces collapsed, cut at a word
with `…`), and `inert_line(text, limit)` a frontmatter value from it (links defused too). Structure rules of a particular note (ingest demoting headings, extraction
removing `---` lines) stay with their writer.

Character classes come from the `regex` module's Unicode database (`\\p{Cc}`, `\\p{Cf}`), so a
format character added to Unicode later is covered without a table to keep by hand.
"""

from __future__ import annotations

import re
from functools import cache

ELLIPSIS = "\u2026"
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_LINK_OPEN = re.compile(r"\[(?=\[)")
_LINK_CLOSE = re.compile(r"\](?=\])")
_NEWLINES = str.maketrans({"\u2028": "\n", "\u2029": "\n\n"})


@cache
def _classes():
    """(controls but tab and newline, every control, invisible characters) — compiled on first use:
    `regex` costs ~50 ms to import, which commands that never see foreign text need not pay."""
    import regex

    return (
        regex.compile(r"[\p{Cc}--[\t\n]]+", regex.V1),
        regex.compile(r"\p{Cc}+", regex.V1),
        regex.compile(r"[[\p{Cf}\p{Cs}]--[\u200c\u200d]]+", regex.V1),
    )


def strip_controls(text: str) -> str:
    """`text` with newlines normalised to `\\n` and control and invisible characters removed (see the module doc)."""
    controls, _, invisible = _classes()
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_NEWLINES)
    return controls.sub("", invisible.sub("", text))


def one_line(text: str, limit: int | None = None) -> str:
    """One line: every control character (line breaks and tabs too) a space, invisible characters
    removed, runs of white space one space, ends trimmed; cut to `limit` characters by `clip`."""
    _, every_control, invisible = _classes()
    text = " ".join(every_control.sub(" ", invisible.sub("", text)).split())
    return clip(text, limit) if limit is not None else text


def clip(text: str, limit: int) -> str:
    """`text` when it fits in `limit` characters, else cut at the last space that fits (or, in one
    long word, at the limit) and ended with `…`, `limit` characters at most."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    word_end = head.rfind(" ")
    return (head[:word_end] if word_end > 0 else head).rstrip() + ELLIPSIS


def defuse_links(text: str) -> str:
    """`[[x]]` → `[ [x] ]`: no wiki link remains, and nothing is lost (see the module doc)."""
    return _LINK_CLOSE.sub("] ", _LINK_OPEN.sub("[ ", text))


def defuse_tags(text: str) -> str:
    """`<tag` → `&lt;tag` (markdown shows `<tag`; no HTML element starts); `3 < 4` is left as it is."""
    return _TAG_OPEN.sub("&lt;", text)


def inert_line(text: str, limit: int | None = None) -> str:
    """Foreign text for one frontmatter value or one line of a note: `one_line`, links defused, cut to `limit`."""
    text = defuse_links(one_line(text))
    return clip(text, limit) if limit is not None else text


def inert(text: str) -> str:
    """Foreign text for a note's body: `strip_controls`, then `defuse_links`, then `defuse_tags`
    (in that order: an invisible character between two brackets cannot hide a link)."""
    return defuse_tags(defuse_links(strip_controls(text)))
