"""Markdown blocks by line: headings, `**Label:**` paragraphs and rules.

Beliefs and positions carry their grounding in sections (`## Grounding`) or in
bold-labelled paragraphs (`**Grounding:**`); the lint gates and the cascade
find them with these same rules, so both agree on what a section holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
BOLD_LABEL = re.compile(r"^\*\*[^*\n]+?:?\*\*")
RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})\s*$")


def section_end(lines: list[str], start: int, level: int) -> int:
    """Index of the first line after `start` that opens a heading of `level` or higher."""
    for index in range(start + 1, len(lines)):
        match = HEADING.match(lines[index])
        if match and len(match.group(1)) <= level:
            return index
    return len(lines)


def paragraph_end(lines: list[str], start: int, stop: int) -> int:
    """End of a `**Label:**` block: the next bold label, heading or horizontal rule."""
    for index in range(start + 1, stop):
        line = lines[index]
        if BOLD_LABEL.match(line) or HEADING.match(line) or RULE.match(line):
            return index
    return stop


# -- a source note's own text -------------------------------------------------------------

SOURCE_NOTES_SECTIONS = ("agent notes", "curator notes", "key facts", "extraction notes", "extraction hints")
"""Sections *about* a source, written by its curator or by an earlier extraction (reference §2.4):
they end the source's text wherever they appear at level 1–2."""
SOURCE_DATA_SECTIONS = ("raw data",)
"""Sections the ingestion writes *beside* `## Content` (Futardio pages): they end a `## Content`
section, but are the source's data when it has no `## Content`."""
_CONTENT = "content"
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class SourceSpan:
    """Where the source's own text lies in a note body: `body[start:end]`."""

    start: int
    end: int
    section: str
    """`content` (its `## Content` section) or `body` (no such section: the body up to the notes)."""


def source_span(body: str) -> SourceSpan:
    """The source's own text in `body`: its `## Content` section, else the body, each up to the first
    known section that is not source text.

    A `## Content` section holds the archived text *with its own headings* (`##`, `###`, even `#`),
    tables and lists: it ends only at a level-1/2 heading naming a known section of a source note
    (`SOURCE_NOTES_SECTIONS`, `SOURCE_DATA_SECTIONS`; case, bold markers, a trailing colon or
    parenthesis ignored), never inside a fenced code block. Without `## Content`, the body ends at
    the first notes section (Agent Notes, Curator Notes, Key Facts…). An empty result falls back
    on the whole body.
    """
    headings = list(_level_two_headings(body))
    content = next((h for h in headings if h[2] == _CONTENT), None)
    if content is not None:
        start = content[1]
        if body[start:start + 1] == "\n":
            start += 1
        enders = SOURCE_NOTES_SECTIONS + SOURCE_DATA_SECTIONS
        end = next((h[0] for h in headings if h[0] >= start and _names(h[2], enders)), len(body))
        if body[start:end].strip():
            return SourceSpan(start, end, "content")
    end = next((h[0] for h in headings if _names(h[2], SOURCE_NOTES_SECTIONS)), len(body))
    if not body[:end].strip():
        end = len(body)
    return SourceSpan(0, end, "body")


def _level_two_headings(body: str):
    """(line start, line end, normalised name) of each `#`/`##` heading outside fenced code."""
    offset = 0
    fence: str | None = None
    for line in body.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        opener = _FENCE.match(line)
        if fence is not None:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence) \
                    and not line.strip().lstrip(fence[0]):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            continue
        match = HEADING.match(line.rstrip("\r\n"))
        if match and len(match.group(1)) <= 2:
            yield start, start + len(line.rstrip("\r\n")), _section_name(match.group(2))


def _section_name(text: str) -> str:
    """`**Curator Notes (structured handoff)**:` → `curator notes (structured handoff)`."""
    return " ".join(text.replace("*", "").replace("_", " ").split()).strip(" :").casefold()


def _names(name: str, sections: tuple[str, ...]) -> bool:
    """`name` is one of `sections`, alone or followed by a parenthesis or a dash (`curator notes (…)`)."""
    return any(name == s or name.startswith((s + " (", s + " -", s + " —", s + " –")) for s in sections)
