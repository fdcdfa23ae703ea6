"""Making foreign text safe to keep: it is data, never structure.

Archived text must not be able to
- break the frontmatter or the note's own sections (`---` lines, `## ` headings),
- create graph edges (`[[wiki links]]`),
- smuggle markup that runs when rendered (`<script>`, any raw HTML tag),
- hide itself (control characters, bidirectional overrides, invisible characters).

The last three are `teleo.notes.untrusted` (one definition for every writer of foreign text);
`neutralise_body` adds the structure rules of an archived source to it, and `clean_field`
makes one frontmatter value a single clean line.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from teleo.notes.untrusted import inert, inert_line

_SPACES = re.compile(r"\s+")
_RULE = re.compile(r"^ {0,3}-[ \t]*-[ \t]*-[- \t]*$")
"""A `---` line: a thematic break, a setext underline, or a frontmatter delimiter to a line-based reader."""
_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")
_BLANK_RUN = re.compile(r"\n{3,}")
HEADING_SHIFT = 2
"""Content headings go two levels down, so `## ` lines in a note are only ever its own sections."""


def neutralise_body(text: str) -> str:
    """The extracted text made inert (see the module doc); ends without a newline."""
    lines = []
    for line in inert(text).split("\n"):
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
    """One frontmatter value: a single line, no controls, no wiki link, at most `limit` chars."""
    return inert_line(str(value), limit)


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
