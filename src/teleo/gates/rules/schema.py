"""Gate 1 and 2 of reference §5: required fields, enums, date forms, folder ↔ domain."""

from __future__ import annotations

import calendar
import re

from teleo.gates.findings import Severity
from teleo.gates.registry import note_rule
from teleo.notes.schema import LEGACY_ENUM_VALUES, SPECS, Kind

DATE_FORM = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DOMAIN_KINDS = (Kind.CLAIM, Kind.SOURCE, Kind.ENTITY, Kind.CONVICTION, Kind.SECTOR)


def _blank(value) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


@note_rule("schema-required", Severity.ERROR, "every required frontmatter field of the note's kind is present", SPECS)
def required_fields(ctx, note):
    spec = SPECS[note.kind]
    data = note.data
    for key in spec.required:
        if key == "type" and note.type_value is None:
            continue  # untyped sources in inbox/archive are accepted by folder
        names = (key, *spec.aliases.get(key, ()))
        if all(_blank(data.get(name)) for name in names):
            yield ctx.finding(
                "schema-required", note, note.doc.line_of(key) if key in data else 1,
                f"{note.kind.value} is missing required field '{key}'", field=key,
            )


@note_rule("schema-enum", Severity.ERROR, "enumerated fields hold one of their allowed values", SPECS)
def enum_values(ctx, note):
    spec = SPECS[note.kind]
    for key, allowed in spec.enums.items():
        value = note.data.get(key)
        if _blank(value) or str(value) in allowed:
            continue
        coerced = LEGACY_ENUM_VALUES.get((note.kind, key), {}).get(str(value))
        hint = f"legacy value; `teleo fix` sets '{coerced}'" if coerced else "one of: " + ", ".join(allowed)
        yield ctx.finding(
            "schema-enum", note, note.doc.line_of(key),
            f"{key} '{value}' is not a valid {note.kind.value} {key}", field=key, suggestion=hint,
        )


@note_rule("schema-domain", Severity.ERROR, "domain is one of the vault's configured domains", _DOMAIN_KINDS)
def known_domain(ctx, note):
    value = note.data.get("domain")
    if _blank(value) or str(value) in ctx.config.domains:
        return
    yield ctx.finding(
        "schema-domain", note, note.doc.line_of("domain"), f"domain '{value}' is not a configured domain",
        field="domain", suggestion="one of: " + ", ".join(ctx.config.domains),
    )


@note_rule("schema-date", Severity.ERROR, "dates are YYYY-MM-DD (00 placeholders allowed)", SPECS)
def date_forms(ctx, note):
    for key in SPECS[note.kind].dates:
        value = note.data.get(key)
        if _blank(value):
            continue
        if not valid_date(str(value)):
            yield ctx.finding(
                "schema-date", note, note.doc.line_of(key), f"{key} '{value}' is not a YYYY-MM-DD date",
                field=key, suggestion="write YYYY-MM-DD; use 00 for an unknown month or day (2026-01-00)",
            )


def valid_date(text: str) -> bool:
    match = DATE_FORM.match(text.strip())
    if not match:
        return False
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if not 0 <= month <= 12:
        return False
    # A 00 month or day is the placeholder for "unknown"; otherwise the day must exist in that month.
    last_day = calendar.monthrange(year, month)[1] if month else 31
    return 0 <= day <= last_day


@note_rule("schema-type", Severity.WARNING, "the note's type is one Teleo knows", [Kind.UNKNOWN])
def unknown_type(ctx, note):
    yield ctx.finding(
        "schema-type", note, note.doc.line_of("type"), f"unknown note type '{note.type_value}'", field="type",
        suggestion="claim, source, entity, belief, position, musing, conviction, sector, journal or flag",
    )


@note_rule("folder-domain", Severity.ERROR, "a claim lives in the folder of its domain", [Kind.CLAIM])
def folder_matches_domain(ctx, note):
    folder_domain = ctx.config.domain_of_folder(note.folder)
    value = note.data.get("domain")
    if folder_domain is None or _blank(value) or str(value) == folder_domain:
        return
    yield ctx.finding(
        "folder-domain", note, note.doc.line_of("domain"),
        f"domain '{value}' but the file is in {note.folder}/ (domain '{folder_domain}')", field="domain",
        suggestion=f"move the file to {ctx.config.domains[str(value)].folder}/ or set domain: {folder_domain}"
        if str(value) in ctx.config.domains else f"set domain: {folder_domain}",
    )
