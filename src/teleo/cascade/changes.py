"""How a changed note changed: compared with its text before the change when there is one,
otherwise read from its enrichment blocks dated on the day of the change.

The order of the questions decides: retired, confidence lowered, challenged (a new
`### Additional Evidence (challenge)` block or `challenged_by` entry), confidence raised,
extended or confirmed (new evidence blocks), only links added, anything else (modified).
"""

from __future__ import annotations

import re
from collections import Counter

from teleo.cascade.models import Change
from teleo.notes import Note
from teleo.notes.links import WIKI_LINK

CONFIDENCE_RANK = {"speculative": 0, "experimental": 1, "likely": 2, "proven": 3}
_EVIDENCE_HEADER = re.compile(r"^#{2,4}[ \t]*Additional Evidence[ \t]*\((challenge|extend|confirm)\)", re.IGNORECASE | re.MULTILINE)
_ADDED = re.compile(r"\bAdded:[ \t]*(\d{4}-\d{2}-\d{2})")
_SOURCE_LINE = re.compile(r"^\*Source:.*\bAdded:", re.MULTILINE)
_LINK_LINE = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?[\"']?\[\[")
"""A line that adds a link and little else: a `- [[x]] — relation` bullet, a `- "[[x]]"` list entry."""
_LINK_KEY = re.compile(r"^(?:depends_on|related|supports|Relevant Notes|Topics)[ \t]*:", re.IGNORECASE)
"""A frontmatter key or body label that only introduces links."""


def classify(after: Note | None, before: Note | None, date: str) -> Change:
    """The change from `before` to `after` (None: absent); `date` (YYYY-MM-DD) dates it."""
    if after is None or not after.readable:
        return Change.REMOVED
    if before is None or not before.readable:
        return _classify_alone(after, date) if date else Change.ADDED
    if before.doc.text == after.doc.text:
        return Change.MODIFIED  # named as changed by the caller; nothing to read from the text
    return _classify_pair(after, before)


def _classify_pair(after: Note, before: Note) -> Change:
    if _retired(after) and not _retired(before):
        return Change.RETIRED
    shift = _confidence(after) - _confidence(before)
    if _confidence(after) >= 0 and _confidence(before) >= 0 and shift < 0:
        return Change.CONFIDENCE_DOWN
    new_blocks = _blocks(after.doc.text) - _blocks(before.doc.text)
    if new_blocks["challenge"] or len(_entries(after, "challenged_by")) > len(_entries(before, "challenged_by")):
        return Change.CHALLENGE
    if _confidence(after) >= 0 and _confidence(before) >= 0 and shift > 0:
        return Change.CONFIDENCE_UP
    if new_blocks["extend"]:
        return Change.EXTEND
    if new_blocks["confirm"]:
        return Change.CONFIRM
    if len(_SOURCE_LINE.findall(after.doc.text)) > len(_SOURCE_LINE.findall(before.doc.text)):
        return Change.EXTEND  # the later headerless form of an evidence block
    if _without_links(after.doc.text) == _without_links(before.doc.text):
        return Change.LINKED
    return Change.MODIFIED


def _classify_alone(after: Note, date: str) -> Change:
    """No earlier text: judge by the evidence blocks added on `date`."""
    if _retired(after):
        return Change.RETIRED
    dated = _blocks_dated(after.doc.text, date)
    if dated["challenge"]:
        return Change.CHALLENGE
    if dated["extend"]:
        return Change.EXTEND
    if dated["confirm"]:
        return Change.CONFIRM
    return Change.MODIFIED


def _retired(note: Note) -> bool:
    """A claim retired, or a belief its owner abandoned: what rests on it lost its ground."""
    return str(note.data.get("status") or "").strip().lower() in ("retired", "abandoned")


def _confidence(note: Note) -> int:
    return CONFIDENCE_RANK.get(str(note.data.get("confidence") or "").strip().lower(), -1)


def _entries(note: Note, key: str) -> list:
    value = note.data.get(key)
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def _blocks(text: str) -> Counter:
    return Counter(match.group(1).lower() for match in _EVIDENCE_HEADER.finditer(text))


def _blocks_dated(text: str, date: str) -> Counter:
    """Evidence blocks whose `Added:` line (within the next three lines) carries `date`."""
    found: Counter = Counter()
    for match in _EVIDENCE_HEADER.finditer(text):
        following = text[match.end():].split("\n", 4)[:4]
        added = next((m.group(1) for line in following if (m := _ADDED.search(line))), None)
        if added == date:
            found[match.group(1).lower()] += 1
    return found


def _without_links(text: str) -> str:
    """The text less link-only lines and link markup, whitespace collapsed."""
    kept = [line for line in text.split("\n") if not (_LINK_LINE.match(line) or _LINK_KEY.match(line))]
    return " ".join(WIKI_LINK.sub(" ", "\n".join(kept)).split())
