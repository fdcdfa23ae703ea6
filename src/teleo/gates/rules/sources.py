"""Gates 15 and 16 of reference §5 for sources, plus the archive filename convention.

- `source-lifecycle`: `processed` lists what was extracted; `null-result` says why in notes;
  both name who processed the source;
- `source-trace`: every `claims_extracted` / `enrichments` / `enrichments_applied` entry resolves;
- `source-filename`: `inbox/archive/YYYY-MM-DD-author-slug.md`.
"""

from __future__ import annotations

import re

from teleo.gates.findings import Severity
from teleo.gates.rules.values import non_empty
from teleo.gates.registry import note_rule
from teleo.notes import Kind

TRACE_FIELDS = ("claims_extracted", "enrichments", "enrichments_applied", "entities_created", "entities_updated")
_NOTES_FIELDS = ("notes", "extraction_notes", "null_result_reason")
_PLACEHOLDERS = frozenset({"0", "none", "null", "n/a", "na", "-", "[]", "tbd"})
_TARGET_KEYS = ("target", "claim", "title", "file", "path", "name")


def _status(note) -> str | None:
    value = note.data.get("status")
    if value is None or isinstance(value, (list, dict, bool)):
        return None
    return str(value).strip().lower() or None


def trace_entries(value) -> list[str]:
    """The entries of a trace field as text, whatever YAML shape they were written in.

    A scalar is one entry; `- [[title]]` unquoted (a nested list) is its title; a mapping
    (`- target: title`) is its target/claim/title value; placeholders (`0`, `none`) are dropped.
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    entries = []
    for item in items:
        while isinstance(item, (list, tuple)) and len(item) == 1:
            item = item[0]
        if isinstance(item, dict):
            item = next((item[k] for k in _TARGET_KEYS if isinstance(item.get(k), (str, int, float))), None)
        if item is None or isinstance(item, (bool, list, tuple, dict)):
            continue
        text = str(item).strip()
        if text and text.lower() not in _PLACEHOLDERS:
            entries.append(text)
    return entries


# -- source-lifecycle ------------------------------------------------------------


@note_rule(
    "source-lifecycle", Severity.ERROR,
    "processed ⇒ claims or enrichments listed; null-result ⇒ notes say why; both ⇒ processed_by", [Kind.SOURCE],
)
def lifecycle(ctx, note):
    status = _status(note)
    if status not in ("processed", "null-result"):
        return
    data = note.data
    line = note.doc.line_of("status")
    if status == "processed" and not any(trace_entries(data.get(key)) for key in TRACE_FIELDS):
        yield ctx.finding(
            "source-lifecycle", note, line,
            "status is processed but claims_extracted, enrichments, enrichments_applied and entities_* are all empty",
            field="status",
            suggestion="list the claims written from this source in claims_extracted (or the enriched claims in "
            "enrichments_applied); if nothing was extracted, set status: null-result and say why in notes",
        )
    if status == "null-result" and not any(non_empty(data.get(key)) for key in _NOTES_FIELDS):
        yield ctx.finding(
            "source-lifecycle", note, line,
            "status is null-result but there are no notes saying why nothing was extracted",
            field="notes", suggestion="add notes: (or extraction_notes:) explaining why the source yielded no claims",
        )
    if not non_empty(data.get("processed_by")):
        yield ctx.finding(
            "source-lifecycle", note, line, f"status is {status} but processed_by does not name who processed it",
            field="processed_by", severity=Severity.WARNING,
            suggestion="add processed_by: <agent> (and processed_date: YYYY-MM-DD)",
        )


# -- source-trace ----------------------------------------------------------------

_ANNOTATION = re.compile(r"\s+(?:\u2014|\u2013|--|-)\s+.*$|\s+\(.*\)\s*$")
_QUOTE_CHARS = "\"'` "


def trace_targets(entry: str) -> list[str]:
    """The titles an extraction-trace entry may name, most literal first.

    Brackets, quotes and `.md` are dropped; a trailing annotation (`title — what was done`,
    `title (note)`) is tried only as a second reading, since some titles contain ` -- `.
    """
    text = entry.strip().strip(_QUOTE_CHARS)
    if text.startswith("[[") and "]]" in text:
        text = text[2 : text.index("]]")].split("|", 1)[0]
    targets = []
    for candidate in (text, _ANNOTATION.sub("", text)):
        candidate = candidate.strip().strip(_QUOTE_CHARS).strip()
        if candidate.lower().endswith(".md"):
            candidate = candidate[:-3].rstrip()
        if candidate and candidate not in targets:
            targets.append(candidate)
    return targets


@note_rule(
    "source-trace", Severity.WARNING,
    "every claims_extracted / enrichments / enrichments_applied entry names an existing note", [Kind.SOURCE],
)
def trace(ctx, note):
    for key in TRACE_FIELDS:
        if key not in note.data:
            continue
        for entry in trace_entries(note.data[key]):
            targets = trace_targets(entry)
            if not targets or any(ctx.resolve(note, t).resolved for t in targets):
                continue
            target = targets[-1]
            suggestion = ctx.resolver.suggest(target)
            hint = None
            if suggestion is not None:
                verb = "complete to" if suggestion.reason == "prefix" else "did you mean"
                hint = f"{verb} '{suggestion.title}'"
            yield ctx.finding(
                "source-trace", note, _entry_line(note, key, entry),
                f"{key} entry '{_clip(target)}' does not resolve to any note", field=key, suggestion=hint,
            )


def _entry_line(note, key: str, entry: str) -> int:
    """The frontmatter line holding `entry` of list `key` (the key's line when not found)."""
    start = note.doc.line_of(key)
    lines = note.doc.frontmatter_text.splitlines()
    probe = entry.strip()[:60]
    if not probe:
        return start
    first = start - note.doc.fm_first_line
    for offset in range(max(first, 0), len(lines)):
        line = lines[offset]
        if offset > first and line[:1] not in (" ", "-", "\t", ""):
            break  # the next top-level key: the list has ended
        if probe in line:
            return note.doc.fm_first_line + offset
    return start


def _clip(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- source-filename -------------------------------------------------------------

SOURCE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9][a-z0-9_.]*(?:-[a-z0-9_.]+)+\.md$")
_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


@note_rule(
    "source-filename", Severity.INFO, "source files are named YYYY-MM-DD-author-slug.md (00 allowed)", [Kind.SOURCE]
)
def filename(ctx, note):
    name = note.path.rsplit("/", 1)[-1]
    if SOURCE_NAME.match(name):
        return
    yield ctx.finding(
        "source-filename", note, 1, f"source filename '{name}' is not YYYY-MM-DD-author-slug.md",
        suggestion=f"rename to {_suggested_name(note, name)}",
    )


def _suggested_name(note, name: str) -> str:
    """A conforming filename from the date/author fields and the current name."""
    stem = name[:-3] if name.endswith(".md") else name
    date = "0000-00-00"
    for key in ("date", "date_published", "date_archived", "created"):
        value = note.data.get(key)
        match = _DATE_PREFIX.match(str(value).strip()) if isinstance(value, (str, int)) else None
        if match is None and value is not None and hasattr(value, "isoformat"):
            match = _DATE_PREFIX.match(value.isoformat())
        if match:
            date = f"{match.group(1)}-{match.group(2)}-{match.group(3) or '00'}"
            break
    prefix = _DATE_PREFIX.match(stem)
    if prefix:
        stem = stem[prefix.end() :]
        if date == "0000-00-00":
            date = f"{prefix.group(1)}-{prefix.group(2)}-{prefix.group(3) or '00'}"
    slug = _slug(stem) or "source"
    handle = _author_handle(note.data.get("author"))
    if handle and not slug.startswith(handle + "-") and slug != handle:
        slug = f"{handle}-{slug}"
    elif "-" not in slug:
        slug = f"unknown-{slug}"
    return f"{date}-{slug}.md"


def _author_handle(author) -> str | None:
    """`Name (@handle)` → `handle`; `First Last` → `last`; anything else → None."""
    if not isinstance(author, str):
        return None
    at = re.search(r"@([A-Za-z0-9_]+)", author)
    if at:
        return _slug(at.group(1)) or None
    words = author.split("(")[0].split(",")[0].split()
    return _slug(words[-1]) or None if words else None


def _slug(text: str) -> str:
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")
