"""The mechanical checklist of entities (reference §4.10, `schemas/entity.md`'s eval checklist).

- `entity-parent`: a `parent_entity` (or `parent`) names an existing entity;
- `entity-dates`: `proposal_date` ≤ `resolution_date` (both full dates; their form is `schema-date`'s);
- `entity-status`: a decision market's status is `active`, `passed` or `failed`, and matches its
  data — resolved (a `resolution_date`) is not `active`, `passed`/`failed` has been resolved;
- `entity-duplicate`: no two entities share a name (or file title), a handle or a website / proposal
  URL, normalised (`gates.entities`), in any `entities/*` folder;
- `entity-significance`: a test, a placeholder or spam is not an entity (`gates.entities.insignificant_name`;
  the writer also refuses a creation with nothing to track).

All errors: an extraction proposal adding one is refused by the lint gate and review's schema gate
(`gates.proposal.new_errors`), while an error a note already had does not block its update.
"""

from __future__ import annotations

import datetime as dt

from teleo.gates.entities import ENTITIES_FOLDER, EntityIndex, EntityRecord, insignificant_name, record_of
from teleo.gates.findings import Severity
from teleo.gates.registry import note_rule, vault_rule
from teleo.notes import Kind

DECISION_STATUS = ("active", "passed", "failed")
RESOLVED = ("passed", "failed")
PARENT_FIELDS = ("parent_entity", "parent")


def _text(note, key: str) -> str:
    value = note.data.get(key)
    return str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@note_rule("entity-parent", Severity.ERROR, "an entity's parent_entity / parent is an existing entity", [Kind.ENTITY])
def parent_exists(ctx, note):
    for key in PARENT_FIELDS:
        value = _text(note, key)
        if not value:
            continue
        target = value.removeprefix("[[").removesuffix("]]").split("|", 1)[0].strip()
        resolution = ctx.resolve(note, target)
        line = note.doc.line_of(key)
        if not resolution.resolved or resolution.path is None:
            yield ctx.finding("entity-parent", note, line, f"{key} [[{target}]] is not an existing entity", field=key,
                              suggestion="create the parent entity first, or name an entity of entities/*")
        elif ctx.kind_of(resolution.path) is not Kind.ENTITY:
            yield ctx.finding("entity-parent", note, line, f"{key} [[{target}]] is {resolution.path}, not an entity",
                              field=key)


@note_rule("entity-dates", Severity.ERROR, "proposal_date ≤ resolution_date", [Kind.ENTITY])
def dates_ordered(ctx, note):
    proposed, resolved = _date(_text(note, "proposal_date")), _date(_text(note, "resolution_date"))
    if proposed and resolved and resolved < proposed:
        yield ctx.finding("entity-dates", note, note.doc.line_of("resolution_date"),
                          f"resolution_date {resolved} is before proposal_date {proposed}", field="resolution_date")


@note_rule("entity-status", Severity.ERROR, "a decision market's status is active/passed/failed and matches its dates",
           [Kind.ENTITY])
def status_matches(ctx, note):
    if _text(note, "entity_type") != "decision_market":
        return
    status = _text(note, "status").lower()
    line = note.doc.line_of("status")
    if status and status not in DECISION_STATUS:
        yield ctx.finding("entity-status", note, line,
                          f"a decision market's status is active, passed or failed, not '{status}'", field="status")
    elif status == "active" and _text(note, "resolution_date"):
        yield ctx.finding("entity-status", note, line,
                          f"status active but the market resolved on {_text(note, 'resolution_date')}",
                          field="status", suggestion="set status: passed or failed, as the source says")
    elif status in RESOLVED and not (_text(note, "resolution_date") or _text(note, "proposal_date")):
        yield ctx.finding("entity-status", note, line, f"status {status} but no proposal or resolution date",
                          field="status", severity=Severity.WARNING)


@note_rule("entity-significance", Severity.ERROR, "an entity is something worth tracking (no test, placeholder, spam)",
           [Kind.ENTITY])
def significant(ctx, note):
    name = _text(note, "name") or note.title
    why = insignificant_name(name)
    if why:
        yield ctx.finding("entity-significance", note, note.doc.line_of("name") if "name" in note.data else 1, why,
                          field="name", suggestion="keep it as a timeline line of its parent, not an entity")


def entity_record(ctx, note) -> EntityRecord | None:
    """What `entity-duplicate` needs of an entity of `entities/*`: its record (gathered during the note
    pass, so the rule reads no entity again)."""
    if note.kind is not Kind.ENTITY or not note.path.startswith(ENTITIES_FOLDER + "/"):
        return None
    return record_of(note)


@vault_rule("entity-duplicate", Severity.ERROR, "one entity per real-world object (name, handle, website) across entities/*",
            gather=entity_record)
def duplicate_entities(ctx):
    if ctx.kinds is not None:
        paths = [p for p, k in ctx.kinds.items() if k == Kind.ENTITY.value and p.startswith(ENTITIES_FOLDER + "/")]
    else:
        paths = [p for p in ctx.vault.markdown_paths() if p.startswith(ENTITIES_FOLDER + "/")]
    index = EntityIndex()
    for path in sorted(paths):
        facts = ctx.gathered.get(path)
        record = facts.get("entity-duplicate") if facts is not None else entity_record(ctx, ctx.note(path))
        if record is not None:
            index.add(record)
    for path, shared in sorted(index.duplicates().items()):
        for key, other in shared:
            yield ctx.finding("entity-duplicate", path, 1, f"shares its {key} with {other.path}",
                              suggestion="keep one file per real-world object: update the existing entity "
                              "(add secondary_domains for another domain) and retire the copy")
