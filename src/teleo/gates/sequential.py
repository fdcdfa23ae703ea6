"""The rules over notes, one note after another in this process: what `check` runs itself for a few
notes and what each forked worker of `gates.parallel` runs on its share (both import it; it imports
neither)."""

from __future__ import annotations

from collections.abc import Iterator

from teleo.gates.context import GateContext
from teleo.gates.findings import Finding, Severity
from teleo.notes import Kind, Note
from teleo.vault import UnsafePath


Checked = tuple[str, str | None, list[Finding], dict | None, tuple[int, int] | None]
"""(path, kind value — None when the path could not be read —, findings, the facts gathered for the vault
rules — None when none —, the file's (size, mtime_ns) as it was read — `Note.stamp`, None when unknown)."""


def check_paths(ctx: GateContext, paths: list[str], note_rules: list) -> Iterator[Checked]:
    """Each path checked in turn, in this process."""
    plan = RulePlan(note_rules)
    for path in paths:
        try:
            note = ctx.note(path)
        except UnsafePath as exc:
            yield path, None, [ctx.finding("parse", path, 1, f"path: {exc}", severity=Severity.ERROR)], None, None
            continue
        found = plan.check(ctx, note)
        facts = ctx.gather(note) if ctx.gatherers else None
        ctx.done(note)
        yield path, note.kind.value, found, facts, note.stamp


def check_note(ctx: GateContext, note: Note, note_rules: list) -> list[Finding]:
    return RulePlan(note_rules).check(ctx, note)


class RulePlan:
    """The note rules that apply to a note, worked out once per kind (not per note and rule): a
    whole-vault pass runs some forty rules on each of tens of thousands of notes. A note that could
    not be read gets only `parse`, which reports why."""

    def __init__(self, note_rules: list) -> None:
        self.note_rules = note_rules
        self._plans: dict[tuple[Kind, bool], list] = {}

    def checks(self, note: Note) -> list:
        """The `note_check`s to run on `note`, in rule order."""
        key = (note.kind, note.readable)
        found = self._plans.get(key)
        if found is None:
            found = [rule.note_check for rule in self.note_rules
                     if (rule.kinds is None or note.kind in rule.kinds) and (note.readable or rule.id == "parse")]
            self._plans[key] = found
        return found

    def check(self, ctx: GateContext, note: Note) -> list[Finding]:
        found: list[Finding] = []
        for note_check in self.checks(note):
            found.extend(note_check(ctx, note))
        return found
