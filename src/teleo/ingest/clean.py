"""Making foreign text safe to keep: it is data, never structure.

Archived text must not be able to
- break the frontmatter or the note's own sections (`---` lines, `## ` headings),
- create graph edges (`[[wiki links]]`),
- smuggle markup that runs when rendered (`<script>`, any raw HTML tag),
- hide itself (control characters, bidirectional overrides).

`neutralise_body` applies all of that to the extracted text; `clean_field`
makes one frontmatter value a single clean line.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")
"""C0/C1 controls (tab and newline kept), direction marks and overrides, line separators, BOM."""
_FIELD_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")
_RULE = re.compile(r"^ {0,3}-[ \t]*-[ \t]*-[- \t]*$")
"""A `---` line: a thematic break, a setext underline, or a frontmatter delimiter to a line-based reader."""
_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_LINK_OPEN = re.compile(r"\[(?=\[)")
_LINK_CLOSE = re.compile(r"\](?=\])")
_BLANK_RUN = re.compile(r"\n{3,}")
HEADING_SHIFT = 2
"""Content headings go two levels down, so `## ` lines in a note are only ever its own sections."""


def strip_controls(text: str) -> str:
    """Newlines normalised to `\\n`; control and direction-override characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _CONTROL.sub("", text)


def neutralise_links(text: str) -> str:
    """`[[x]]` → `[ [x] ]`: readable, but never a wiki link."""
    return _LINK_CLOSE.sub("] ", _LINK_OPEN.sub("[ ", text))


def neutralise_body(text: str) -> str:
    """The extracted text made inert (see the module doc); ends without a newline."""
    text = neutralise_links(strip_controls(text))
    text = _TAG_OPEN.sub("&lt;", text)
    lines = []
    for line in text.split("\n"):
        line = line.rstrip()
        if _RULE.match(line):
            line = "* * *"
        else:
            line = _HEADING.sub(_demote, line, count=1)
        lines.append(line)
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")


def _demote(match: re.Match) -> str:
    return match.group(1) + "#" * min(len(match.group(2)) + HEADING_SHIFT, 6)


def clean_field(value: object, limit: int = 500) -> str:
    """One frontmatter value: a single line, no controls, no wiki-link brackets, at most `limit` chars."""
    text = _FIELD_CONTROL.sub(" ", str(value))
    text = _SPACES.sub(" ", neutralise_links(text)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


_HEADING_MARK = re.compile(r"^ {0,3}#{1,6}[ \t]*", re.MULTILINE)


def content_hash(text: str) -> str:
    """sha256 of the text's comparison form.

    The form is the neutralised text (so archived and fresh copies agree) without
    heading marks (so demotion does not count), NFKC, case-folded, whitespace collapsed.
    """
    norm = _HEADING_MARK.sub("", neutralise_body(text))
    norm = _SPACES.sub(" ", unicodedata.normalize("NFKC", norm).casefold()).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def truncate(text: str, max_chars: int) -> tuple[str, int]:
    """Cut `text` at a line end before `max_chars`; return it and the number of characters dropped."""
    if len(text) <= max_chars:
        return text, 0
    cut = text.rfind("\n", 0, max_chars)
    cut = cut if cut > max_chars // 2 else max_chars
    return text[:cut].rstrip(), len(text) - cut
