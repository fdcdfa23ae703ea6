"""Two proposals' changes to one entity file, merged by the entity writer's own rules (issue 15.1).

Sibling proposals — two proposals of one parent, extracted from the same tip of main — each append
to the parent's entity file (a timeline line, a `Relevant Entities` line, a `## Key Decisions` row,
`last_updated`). Once one merged, git sees the other's lines at the same place and reports a
conflict, although nothing contradicts. `merge_entity(base, ours, theirs)` settles exactly that
case and nothing else:

1. **Read the proposal's change as the writer's operations.** From `base` (the fork point) to
   `theirs` (the proposal): timeline lines added, `Relevant Entities` lines added, Key Decisions
   rows added (read back into cells by the table's header), frontmatter values set.
2. **Check that this is all it did.** Those operations are replayed on `base` with the writer's own
   functions (`add_timeline`, `add_relevant_entity`, `add_key_decision`, `set_field`); unless the
   replay gives `theirs` byte for byte, the change was something else (an edited overview, a removed
   line, a rewritten row) and the merge is refused (None: the proposal waits with `merge-conflict`).
3. **Apply them to `ours`** (main's tip): the same functions, so a line main already holds is not
   repeated (`add_timeline` skips a line its section holds, the others skip a slug already listed)
   and main's own lines all stay. A frontmatter key the proposal set is taken when main left it as
   it was (or already has the proposal's value); `last_updated` takes the later date; `handles` and
   `secondary_domains` gain the proposal's new items; a key both changed differently is a real
   conflict (None).

All three must be entity notes (`Kind.ENTITY`) and the base must exist (a file both created is
not an append). Pure text in, text out: the caller reads the three versions from git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from teleo.extract.entity_writer import (
    _KEY_DECISIONS,
    _RELEVANT,
    _TIMELINE,
    _section_end,
    _split,
    add_key_decision,
    add_relevant_entity,
    add_timeline,
)
from teleo.extract.writer import append_block
from teleo.notes import Kind, note_from_text, parse_document, set_field

UNION_FIELDS = ("handles", "secondary_domains")
"""List fields the writer only ever adds to: the proposal's new items join main's."""
LATEST_FIELDS = ("last_updated",)
"""Date fields where the later date wins."""
_SEPARATOR = re.compile(r"^\|[\s:|-]+\|$")
_ITEMS = re.compile(r"(?:\n[ \t]*[-*+][^\n]*)*")
_SLUG = re.compile(r"\[\[([^\]|]+)")
_ABSENT = object()


@dataclass
class EntityChange:
    """What a proposal did to one entity file, as the writer's operations (step 1 of the module doc)."""

    fields: dict[str, object] = field(default_factory=dict)
    timeline: list[str] = field(default_factory=list)
    relevant: list[str] = field(default_factory=list)
    decisions: list[tuple[dict[str, str], str]] = field(default_factory=list)
    """(cells by lower-cased column name, the proposal's slug) per row."""

    def apply(self, text: str) -> str:
        """The body operations on `text`, in the writer's order (timeline, relevant entities, key decisions)."""
        if self.timeline:
            text = add_timeline(text, self.timeline, append_block)
        for line in self.relevant:
            text = add_relevant_entity(text, line)
        for cells, slug in self.decisions:
            text = add_key_decision(text, cells, slug, append_block)
        return text


def merge_entity(path: str, base: str | None, ours: str | None, theirs: str | None) -> str | None:
    """`ours` with the proposal's (`base` → `theirs`) appended entity lines, or None when the change
    is not append-only or contradicts main (see the module doc). `path` is vault-relative."""
    if base is None or ours is None or theirs is None:
        return None
    notes = [note_from_text(path, text) for text in (base, ours, theirs)]
    if any(note.kind is not Kind.ENTITY or not isinstance(note.data, dict) for note in notes):
        return None
    try:
        change = read_change(base, theirs)
        if change is None or replay(base, change) != theirs:
            return None
        return _onto(base, ours, change)
    except ValueError:  # a frontmatter set_field cannot edit line by line
        return None


def read_change(base: str, theirs: str) -> EntityChange | None:
    """The proposal's change as the writer's operations; None when it removed a frontmatter key."""
    old, new = parse_document(base).data or {}, parse_document(theirs).data or {}
    if set(old) - set(new):
        return None
    change = EntityChange(fields={k: v for k, v in new.items() if old.get(k) != v})
    _, old_body = _split(base)
    _, new_body = _split(theirs)
    change.timeline = _added(_section_lines(old_body, _TIMELINE), _section_lines(new_body, _TIMELINE))
    change.relevant = _added(_relevant_lines(old_body), _relevant_lines(new_body))
    header, rows = _table(new_body)
    _, old_rows = _table(old_body)
    for row in _added(old_rows, rows):
        values = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(values) != len(header):
            return None
        slug = _SLUG.search(row)
        if slug is None:
            return None
        change.decisions.append(({c.casefold(): v for c, v in zip(header, values, strict=True)}, slug.group(1).strip()))
    return change


def replay(text: str, change: EntityChange) -> str:
    """`change` applied to `text` as the writer applies it: frontmatter then body."""
    for key, value in change.fields.items():
        text = set_field(parse_document(text), key, value)
    return change.apply(text)


def _onto(base: str, ours: str, change: EntityChange) -> str | None:
    old, mine = parse_document(base).data or {}, parse_document(ours).data or {}
    text = ours
    for key, value in change.fields.items():
        current = mine.get(key, _ABSENT)
        if current == value:
            continue
        if current == old.get(key, _ABSENT):  # main left it as it was: the proposal's value
            text = set_field(parse_document(text), key, value)
        elif key in LATEST_FIELDS and current is not _ABSENT:
            if str(value) > str(current):
                text = set_field(parse_document(text), key, value)
        elif key in UNION_FIELDS and isinstance(value, list) and isinstance(current, list):
            before = old.get(key) if isinstance(old.get(key), list) else []
            new = [v for v in value if v not in before and v not in current]
            if new:
                text = set_field(parse_document(text), key, [*current, *new])
        else:
            return None  # both changed this key, differently: a real conflict
    return change.apply(text)


def _added(before: list[str], after: list[str]) -> list[str]:
    """The lines of `after` beyond those of `before` (as a multiset, in `after`'s order)."""
    left = list(before)
    out = []
    for line in after:
        if line in left:
            left.remove(line)
        else:
            out.append(line)
    return out


def _section_lines(body: str, heading: re.Pattern) -> list[str]:
    match = heading.search(body)
    if match is None:
        return []
    return [line for line in body[match.end():_section_end(body, match.end())].splitlines() if line.strip()]


def _relevant_lines(body: str) -> list[str]:
    match = _RELEVANT.search(body)
    if match is None:
        return []
    items = _ITEMS.match(body, match.end())
    return [line for line in (items.group(0) if items else "").splitlines() if line.strip()]


def _table(body: str) -> tuple[list[str], list[str]]:
    """The Key Decisions table's column names and its rows (header and separator left out)."""
    lines = [line.strip() for line in _section_lines(body, _KEY_DECISIONS) if line.strip().startswith("|")]
    if not lines:
        return [], []
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [line for line in lines[1:] if not _SEPARATOR.match(line)]
    return header, rows
