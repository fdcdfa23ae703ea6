"""The rules over notes, one note after another in this process: what `check` runs itself for a few
notes and what each forked worker of `gates.parallel` runs on its share (both import it; it imports
neither)."""

from __future__ import annotations

from collections.abc import Iterator

from teleo.gates.context import GateContext
from teleo.gates.findings import Finding, Severity
from teleo.notes import Note
from teleo.vault import UnsafePath


def check_paths(ctx: GateContext, paths: list[str], note_rules: list) -> Iterator[tuple[str, str | None, list[Finding]]]:
    """(path, kind value, findings) of each path in turn, in this process (kind None: not read)."""
    for path in paths:
        try:
            note = ctx.note(path)
        except UnsafePath as exc:
            yield path, None, [ctx.finding("parse", path, 1, f"path: {exc}", severity=Severity.ERROR)]
            continue
        found = check_note(ctx, note, note_rules)
        ctx.done(note)
        yield path, note.kind.value, found


def check_note(ctx: GateContext, note: Note, note_rules: list) -> list[Finding]:
    found: list[Finding] = []
    for rule in note_rules:
        if rule.kinds is not None and note.kind not in rule.kinds:
            continue
        if not note.readable and rule.id != "parse":
            continue
        found.extend(rule.note_check(ctx, note))
    return found
