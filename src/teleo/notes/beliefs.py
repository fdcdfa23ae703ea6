"""Beliefs and where their grounding is written: one reading for the lint gates, the cascade and the web UI.

As the codex writes them (reference §2.6):

* an agent's aggregate `agents/<name>/beliefs.md` (no frontmatter) holds one belief per numbered
  section, `### N. statement` (or `N)`), down to the next heading of level 1–3. Its grounding is
  the links of its `**Grounding:**` blocks (each to the next bold label, heading or rule); other
  links in the section (disconfirmation targets, asides) are not grounding. A heading may end in a
  remark, `*(keystone — [full file](beliefs/….md))*`: the section then stands for that belief
  file, and the words keystone, load-bearing or axiom make it load-bearing;
* a belief file (`type: belief`) is grounded by its `depends_on` entries and the links of its
  `## Grounding` section or `**Grounding:**` blocks (`grounding_lines`).

`belief_sections(doc, folder)` and `section_lines(doc, heading)` give file line numbers, the
numbering every `WikiLink.line` and every index link uses, so a caller keeps the links on them.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote

from teleo.notes.document import Document
from teleo.notes.sections import HEADING, paragraph_end, section_end

NUMBERED_BELIEF = re.compile(r"^###[ \t]+(\d+)[.)][ \t]+(.+?)\s*$")
GROUNDING_LABEL = re.compile(r"^\*\*Grounding:?\*\*", re.IGNORECASE)
GROUNDING_HEADING = re.compile(r"^grounding\b", re.IGNORECASE)
_REMARK = re.compile(r"\s*\*\([^)]*(?:\([^)]*\)[^)]*)*\)\*\s*$")
"""A trailing `*(keystone — [full file](…))*` remark on a belief heading."""
_FULL_FILE = re.compile(r"\]\(([^()\s]+\.md)\)")
_LOAD_BEARING = re.compile(r"keystone|load-bearing|axiom", re.IGNORECASE)


@dataclass(frozen=True)
class BeliefSection:
    """One `### N. statement` section of an agent's `beliefs.md`."""

    number: str
    line: int
    """File line of the heading."""
    heading: str
    """The heading's text after the number, as written (remark included)."""
    section: str
    """`N. statement`: the heading without its `###` and its trailing remark."""
    statement: str
    """The statement alone."""
    load_bearing: bool
    full_files: tuple[str, ...]
    """Vault paths of the `….md` files the heading links (its `[full file](…)`), not checked."""
    has_grounding: bool
    """Whether the section has a `**Grounding:**` block at all."""
    grounding_lines: frozenset[int]
    """File lines of its `**Grounding:**` blocks."""


def body_lines(doc: Document) -> list[str]:
    """The body split at `\\n` only: index + `doc.body_start_line` is the file line links carry."""
    return doc.body.split("\n")


def belief_sections(doc: Document, folder: str) -> list[BeliefSection]:
    """Every `### N. statement` section of `doc` (a `beliefs.md` in vault folder `folder`)."""
    lines = body_lines(doc)
    start = doc.body_start_line
    sections = []
    for index, line in enumerate(lines):
        match = NUMBERED_BELIEF.match(line)
        if not match:
            continue
        end = section_end(lines, index, 3)
        grounding: set[int] = set()
        labelled = False
        for inner in range(index + 1, end):
            if GROUNDING_LABEL.match(lines[inner]):
                labelled = True
                grounding.update(range(start + inner, start + paragraph_end(lines, inner, end)))
        heading = match.group(0).lstrip("#").strip()
        sections.append(BeliefSection(
            number=match.group(1), line=start + index, heading=match.group(2),
            section=_REMARK.sub("", heading).strip() or heading,
            statement=_REMARK.sub("", match.group(2)).strip() or match.group(2),
            load_bearing=bool(_LOAD_BEARING.search(line)), full_files=_linked_files(line, folder),
            has_grounding=labelled, grounding_lines=frozenset(grounding),
        ))
    return sections


def section_lines(doc: Document, heading: re.Pattern, *, grounding_blocks: bool = False) -> frozenset[int]:
    """File lines of the sections whose heading text matches `heading` (each to the next heading of
    its level or higher) and, with `grounding_blocks`, of every `**Grounding:**` block."""
    lines = body_lines(doc)
    start = doc.body_start_line
    wanted: set[int] = set()
    for index, line in enumerate(lines):
        found = HEADING.match(line)
        if found and heading.match(found.group(2)):
            wanted.update(range(start + index, start + section_end(lines, index, len(found.group(1)))))
        elif grounding_blocks and GROUNDING_LABEL.match(line):
            wanted.update(range(start + index, start + paragraph_end(lines, index, len(lines))))
    return frozenset(wanted)


def grounding_lines(doc: Document) -> frozenset[int]:
    """File lines of a belief file's grounding in its body: `## Grounding` sections and `**Grounding:**` blocks."""
    return section_lines(doc, GROUNDING_HEADING, grounding_blocks=True)


def _linked_files(heading: str, folder: str) -> tuple[str, ...]:
    """Vault paths of the relative `….md` links in `heading`; a URL, an absolute path or one that
    climbs out of the vault is none."""
    found = []
    for match in _FULL_FILE.finditer(heading):
        relative = unquote(match.group(1))
        if "://" in relative or relative.startswith("/"):
            continue
        path = posixpath.normpath(posixpath.join(folder, relative))
        if path != ".." and not path.startswith("../"):
            found.append(path)
    return tuple(found)
