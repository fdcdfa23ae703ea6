"""Files that cannot be read as notes: encoding, binary, empty, size, YAML, keys."""

from __future__ import annotations

from teleo.gates.findings import Severity
from teleo.gates.registry import note_rule

_INFO_ONLY = {"empty"}


@note_rule("parse", Severity.ERROR, "the file reads as a note: UTF-8 text, closed frontmatter, a YAML mapping, unique keys")
def parse_problems(ctx, note):
    for problem in note.all_problems:
        severity = Severity.WARNING if problem.code in _INFO_ONLY else None
        yield ctx.finding(
            "parse", note, problem.line, f"{problem.code}: {problem.message}", field=problem.field, severity=severity
        )
