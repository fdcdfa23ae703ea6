"""A long markdown file condensed by section, never cut mid-sentence.

The prompt carries the agent's identity and the vault's guidance and schema, each within a
character budget. Cutting such a file at the budget (as Teleo once did at 4,000 characters)
keeps its first sections whole and loses the rest, mid-sentence. `condense(text, budget)`
keeps instead *every heading* and the *first sentences of every section*: it takes the first
unit (sentence, list item, table row, code block) of each section, then the second of each,
and so on, while they fit; a unit that does not fit ends its section (later units would read
out of order). What is kept is written back in its original order and shape, followed by a
marker saying how much was kept. Sentence boundaries come from `pysbd` (already used by the
offline extractor).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from teleo.notes.sections import HEADING

MARKER = "[… condensed by Teleo: every heading and the first sentences of each section, {kept:,} of {total:,} characters …]"
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


@dataclass
class _Block:
    """A paragraph (its sentences), a list item, a table row or a fenced block, as units."""

    units: list[str]
    lines: bool
    """Units are lines (list items, table rows, a code block), joined by newlines; else sentences
    that carry their own trailing spaces, joined as they are."""


@dataclass
class _Section:
    heading: str | None
    blocks: list[_Block] = field(default_factory=list)

    def units(self) -> list[tuple[int, int, str]]:
        return [(b, u, text) for b, block in enumerate(self.blocks) for u, text in enumerate(block.units)]


def condense(text: str, budget: int) -> str:
    """`text` itself when it fits in `budget` characters, else its headings and first sentences
    of each section (see the module doc) with a marker; never longer than `budget` plus the marker."""
    text = text.strip()
    if len(text) <= budget:
        return text
    return _condense(text, budget)


@functools.lru_cache(maxsize=64)
def _condense(text: str, budget: int) -> str:
    sections = _sections(text)
    chosen: dict[int, set[tuple[int, int]]] = {i: set() for i in range(len(sections))}
    used = 0
    kept_headings: list[int] = []
    for index, section in enumerate(sections):
        if section.heading is None:
            continue
        cost = len(section.heading) + 2
        if used + cost > budget:
            break
        used += cost
        kept_headings.append(index)
    open_sections = [i for i in range(len(sections)) if sections[i].heading is None or i in kept_headings]
    units = {i: sections[i].units() for i in open_sections}
    depth = 0
    while open_sections:
        still = []
        for i in open_sections:
            if depth >= len(units[i]):
                continue
            b, u, unit = units[i][depth]
            cost = len(unit) + 1
            if used + cost > budget:
                continue  # this section stops here: its later units would read out of order
            used += cost
            chosen[i].add((b, u))
            still.append(i)
        open_sections = still
        depth += 1
    shown = [i for i in range(len(sections)) if i in kept_headings or (sections[i].heading is None and chosen[i])]
    out = "\n\n".join(_render(sections[i], chosen[i]) for i in shown).strip()
    return out + "\n\n" + MARKER.format(kept=len(out), total=len(text))


def _render(section: _Section, chosen: set[tuple[int, int]]) -> str:
    parts = [section.heading] if section.heading else []
    for b, block in enumerate(section.blocks):
        kept = [unit for u, unit in enumerate(block.units) if (b, u) in chosen]
        if kept:
            parts.append("\n".join(kept) if block.lines else "".join(kept).strip())
    return "\n\n".join(parts)


def _sections(text: str) -> list[_Section]:
    sections = [_Section(None)]
    paragraph: list[str] = []
    fence: list[str] | None = None

    def flush() -> None:
        if paragraph:
            sections[-1].blocks.extend(_paragraph_blocks(paragraph))
            paragraph.clear()

    for line in text.splitlines():
        if fence is not None:
            fence.append(line)
            if _FENCE.match(line) and line.strip().startswith(fence[0].strip()[:3]) and len(fence) > 1:
                sections[-1].blocks.append(_Block(["\n".join(fence)], True))
                fence = None
            continue
        if _FENCE.match(line):
            flush()
            fence = [line]
            continue
        if HEADING.match(line):
            flush()
            sections.append(_Section(line.strip()))
            continue
        if not line.strip():
            flush()
            continue
        paragraph.append(line)
    if fence is not None:
        sections[-1].blocks.append(_Block(["\n".join(fence)], True))
    flush()
    if not sections[0].blocks:
        sections.pop(0)
    return sections


def _paragraph_blocks(lines: list[str]) -> list[_Block]:
    """A paragraph as units: its sentences; each list item and table row is a unit of its own."""
    if any(_LIST_ITEM.match(line) or line.lstrip().startswith("|") for line in lines):
        items: list[str] = []
        for line in lines:
            if items and not (_LIST_ITEM.match(line) or line.lstrip().startswith("|")):
                items[-1] += "\n" + line  # a continuation line of the item above
            else:
                items.append(line)
        return [_Block(items, True)]
    return [_Block(_sentences(" ".join(line.strip() for line in lines)), False)]


@functools.lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _sentences(text: str) -> list[str]:
    """The sentences of `text`, each with its trailing whitespace (so that joined they are `text`)."""
    return [s for s in _segmenter().segment(text) if s.strip()] or [text]
