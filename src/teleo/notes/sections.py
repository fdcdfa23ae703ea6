"""Markdown blocks by line: headings, `**Label:**` paragraphs and rules.

Beliefs and positions carry their grounding in sections (`## Grounding`) or in
bold-labelled paragraphs (`**Grounding:**`); the lint gates and the cascade
find them with these same rules, so both agree on what a section holds.
"""

from __future__ import annotations

import re

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
