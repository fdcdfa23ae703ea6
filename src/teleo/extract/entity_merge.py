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

All three must be entity notes (`Kind.ENTITY`). Pure text in, text out: the caller reads the
three versions from git.

**A file both created** (no base: two pages of one raise each made the entity, one merged first) is
settled by `fold_creation`: the second creation becomes an update of the entity the first created,
by the writer's update rule (`entity_writer._update`) where it does not contradict: the same entity
(entity type, name, website and proposal URL agree — else it is another object under the same
slug, a real conflict); `status` the proposal's, except that a decision market's `passed`/`failed`
is terminal (a page saying `active` is older news); a field main lacks, or holds as a placeholder
(`N/A`, `unknown`, empty), takes the proposal's value; a field both state differently is a real
conflict; `created` and the identity fields stay main's, `last_updated` the later, `handles`,
`secondary_domains` and `aliases` joined; the proposal's timeline lines, `Relevant Entities` lines
and Key Decisions rows appended as above. Its overview and provenance line are not copied (an update
never rewrites those).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from teleo.extract.entity_writer import (
    _KEY_DECISIONS,
    _RELEVANT,
    _TIMELINE,
    _same,
    _section_end,
    _split,
    add_key_decision,
    add_relevant_entity,
    add_timeline,
)
from teleo.extract.writer import append_block
from teleo.gates.entities import URL_FIELDS, as_list, name_key, url_key
from teleo.notes import Kind, note_from_text, parse_document, set_field

UNION_FIELDS = ("handles", "secondary_domains", "aliases")
"""List fields the writer only ever adds to: the proposal's new items join main's."""
LATEST_FIELDS = ("last_updated",)
"""Date fields where the later date wins."""
IDENTITY_FIELDS = ("type", "entity_type", "name", "domain", "tracked_by", "created")
"""What a folded creation never changes in the entity main holds (the first creator owns the file)."""
PLACEHOLDERS = frozenset({"", "n/a", "na", "none", "null", "unknown", "tbd", "-", "?"})
"""Values that say nothing: a folded creation's real value replaces them."""
TERMINAL = ("passed", "failed")
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
    if ours is None or theirs is None:
        return None
    if base is None:
        return fold_creation(path, ours, theirs)
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


def fold_creation(path: str, ours: str, theirs: str, *, matched: bool = False) -> str | None:
    """`theirs` (a creation of the entity main already holds as `ours`) as an update of `ours`, or None
    when the two contradict (see the module doc). `matched`: the caller found them one object by an
    identity key (`gates.entities`: a shared URL, handle or name) though their names may differ —
    the proposal's name then joins main's `aliases`."""
    try:
        return fold(path, ours, theirs, matched=matched)
    except ValueError:  # a Contradiction, or a frontmatter set_field cannot edit line by line
        return None


class Contradiction(ValueError):
    """Why a creation cannot be folded into the entity main holds."""


def fold(path: str, ours: str, theirs: str, *, matched: bool = False) -> str:
    """`fold_creation`, raising `Contradiction` with the reason instead of returning None."""
    notes = [note_from_text(path, text) for text in (ours, theirs)]
    if any(note.kind is not Kind.ENTITY or not isinstance(note.data, dict) for note in notes):
        raise Contradiction("not an entity note")
    mine, new = notes[0].data, notes[1].data
    if not same_object(mine, new, by_name=not matched):
        raise Contradiction("another object under the same file title (entity type, name or URL differ)")
    text = ours
    other = str(new.get("name") or "").strip()
    known = {name_key(n) for n in [mine.get("name"), PurePosixPath(path).stem, *as_list(mine.get("aliases"))]}
    if matched and other and name_key(other) not in known:
        text = set_field(parse_document(text), "aliases", [*as_list(mine.get("aliases")), other])
    for key, value in new.items():
        current = mine.get(key, _ABSENT)
        if key in IDENTITY_FIELDS or current == value:
            continue
        if key in LATEST_FIELDS:
            if current is _ABSENT or str(value) > str(current):
                text = set_field(parse_document(text), key, value)
        elif key in UNION_FIELDS and isinstance(value, list):
            have = current if isinstance(current, list) else []
            added = [v for v in value if v not in have]
            if added:
                text = set_field(parse_document(text), key, [*have, *added])
        elif key == "status":
            if not (str(mine.get("entity_type")) == "decision_market" and current in TERMINAL):
                text = set_field(parse_document(text), key, value)
        elif current is _ABSENT or _placeholder(current):
            text = set_field(parse_document(text), key, value)
        elif not _same_value(current, value):
            raise Contradiction(f"{key} is {_show(current)} on main and {_show(value)} in the proposal")
    _, old_body = _split(ours)
    _, new_body = _split(theirs)
    change = EntityChange(timeline=_added(_section_lines(old_body, _TIMELINE), _section_lines(new_body, _TIMELINE)),
                          relevant=_added(_relevant_lines(old_body), _relevant_lines(new_body)))
    decisions = _new_rows(old_body, new_body)
    if decisions is None:
        raise Contradiction("a Key Decisions row does not fit the table")
    change.decisions = decisions
    return change.apply(text)


def _show(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:59] + "…")


def same_object(mine: dict, new: dict, *, by_name: bool = True) -> bool:
    """Two entity records are one real-world object: same type and (`by_name`) name, no website or
    proposal URL that differs."""
    if str(mine.get("entity_type")) != str(new.get("entity_type")):
        return False
    if by_name and name_key(mine.get("name")) != name_key(new.get("name")):
        return False
    for key in URL_FIELDS:
        a, b = url_key(mine.get(key)), url_key(new.get(key))
        if a and b and a != b:
            return False
    return True


def _placeholder(value: object) -> bool:
    return isinstance(value, str | int | float | type(None)) and str(value or "").strip().casefold() in PLACEHOLDERS


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, str | int | float) and isinstance(b, str | int | float):
        return _same(str(a), str(b))
    return a == b


def rename_links(text: str, renames: dict[str, str]) -> str:
    """`[[old]]` / `[[old|…]]` → `[[new]]` / `[[new|…]]` for each `old → new` of `renames` (file titles)."""
    if not renames:
        return text
    pattern = re.compile(r"\[\[(" + "|".join(re.escape(old) for old in renames) + r")(?=\]\]|\|)")
    return pattern.sub(lambda m: "[[" + renames[m.group(1)], text)


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
    decisions = _new_rows(old_body, new_body)
    if decisions is None:
        return None
    change.decisions = decisions
    return change


def _new_rows(old_body: str, new_body: str) -> list[tuple[dict[str, str], str]] | None:
    """The Key Decisions rows `new_body` adds, read back into cells by its header (and the slug each names);
    None when a row does not fit its header or names no proposal."""
    header, rows = _table(new_body)
    out = []
    for row in _added(_table(old_body)[1], rows):
        values = [c.strip() for c in row.strip().strip("|").split("|")]
        slug = _SLUG.search(row)
        if len(values) != len(header) or slug is None:
            return None
        out.append(({c.casefold(): v for c, v in zip(header, values, strict=True)}, slug.group(1).strip()))
    return out


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
