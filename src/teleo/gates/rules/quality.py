"""`claim-quality`: the claim-quality rubric (`teleo.gates.quality`) as a lint rule.

One finding per `QualityIssue`, with the issue's severity (error: the claim is
unmergeable — the review gates block a proposal that adds one; warning: it
only weakens the claim) and its suggestion. Title issues point at the H1
(the first line when there is none), description issues at the
`description:` line, body and evidence issues at the first line of the body.

Lint does not ground quotes here (it has no source text per claim; the review
gate `grounding` does that), and a missing or non-text description is left to
`schema-required` and `claim-description`, which already report it.
"""

from __future__ import annotations

from teleo.gates.findings import Severity
from teleo.gates.registry import note_rule
from teleo.notes import Kind

RULE = "claim-quality"


@note_rule(
    RULE, Severity.ERROR,
    "the claim is one standalone proposition (finite verb; no anaphor, connective, question, heading or fragment; "
    "no unnamed 'the study'), its description adds to it and its body argues it",
    (Kind.CLAIM, Kind.CONVICTION),
)
def claim_quality(ctx, note):
    for issue in note_issues(note):
        yield ctx.finding(
            RULE, note, _line(note, issue.field), f"{issue.code}: {issue.message}",
            field="description" if issue.field == "description" else None,
            suggestion=issue.suggestion,
            severity=Severity.ERROR if issue.severity == "error" else Severity.WARNING,
        )


def note_issues(note) -> list:
    """The rubric's `QualityIssue`s for a claim-shaped `Note` — exactly what the rule reports."""
    from teleo.gates.quality import judge_description, judge_evidence, judge_title

    issues = list(judge_title(note.title))
    if note.kind is Kind.CLAIM:
        raw = note.data.get("description")
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool) and str(raw).strip():
            issues += judge_description(note.title, str(raw))
        issues += judge_evidence(note.doc.body)
    return issues


def _line(note, field: str) -> int:
    if field == "description":
        return note.doc.line_of("description")
    heading = note.doc.h1()
    if field == "title":
        return heading[1] if heading else 1
    return heading[1] if heading else note.doc.body_start_line
