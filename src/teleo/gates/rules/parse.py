"""Files that cannot be read as notes: encoding, binary, empty, size, YAML, keys."""

from __future__ import annotations

from teleo.gates.findings import Severity
from teleo.gates.registry import note_rule, vault_rule

_INFO_ONLY = {"empty"}
_SET_ASIDE = {
    "hidden": "to make it a note of the vault, rename it (and its folders) without the leading '.'",
    "tool-folder": "to make it a note of the vault, move it out of the tool folder",
}


@note_rule("parse", Severity.ERROR, "the file reads as a note: UTF-8 text, closed frontmatter, a YAML mapping, unique keys")
def parse_problems(ctx, note):
    for problem in note.all_problems:
        severity = Severity.WARNING if problem.code in _INFO_ONLY else None
        yield ctx.finding(
            "parse", note, problem.line, f"{problem.code}: {problem.message}", field=problem.field, severity=severity
        )


@vault_rule(
    "walk-skipped", Severity.WARNING,
    "no markdown file is left out in silence: a hidden one (name or folder starting with '.') or one in a tool folder is named",
)
def skipped_by_the_walk(ctx):
    """The vault leaves such files out; lint says so (a hidden one's own findings follow it)."""
    for problem in ctx.vault.walk_problems():
        code = problem.problem.code
        if code in _SET_ASIDE:
            yield ctx.finding("walk-skipped", problem.path, problem.problem.line, problem.problem.message, suggestion=_SET_ASIDE[code])
