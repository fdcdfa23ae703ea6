"""Findings built on the fast paths (`make_finding`, `Finding.from_row`) are the findings validation builds."""

from __future__ import annotations

import pickle

import pytest
from pydantic import ValidationError

from teleo.gates.findings import ALL_FIELDS, Finding, Severity, make_finding

VALUES = [
    ("link-unresolved", Severity.WARNING, "domains/a/b c.md", 12, "[[x]] does not resolve to any note", "depends_on",
     "did you mean [[y]]"),
    ("parse", Severity.ERROR, "inbox/archive/é.md", 1, "yaml: bad \u201cquote\u201d", None, None),
]


def validated(rule, severity, file, line, message, field, suggestion) -> Finding:
    return Finding(rule=rule, severity=severity, file=file, line=line, message=message, field=field,
                   suggestion=suggestion)


def same(fast: Finding, slow: Finding) -> None:
    assert fast == slow and hash(fast) == hash(slow)
    assert list(fast.__dict__.items()) == list(slow.__dict__.items())  # same fields, same order
    assert fast.model_dump_json() == slow.model_dump_json() and fast.model_dump() == slow.model_dump()
    assert fast.model_fields_set == slow.model_fields_set == ALL_FIELDS
    assert fast.__pydantic_fields_set__ is ALL_FIELDS
    assert pickle.loads(pickle.dumps(fast)) == slow
    with pytest.raises(ValidationError):
        fast.line = 2  # frozen, like the validated one


@pytest.mark.parametrize("values", VALUES)
def test_make_finding_equals_the_validated_finding(values):
    same(make_finding(*values), validated(*values))


@pytest.mark.parametrize("values", VALUES)
def test_a_row_comes_back_as_the_same_finding(values):
    finding = validated(*values)
    same(Finding.from_row(finding.as_row()), finding)
    assert isinstance(Finding.from_row(finding.as_row()).severity, Severity)


def test_values_of_other_types_are_validated_as_before():
    assert make_finding("r", Severity.INFO, "f.md", "7", "m") == validated("r", Severity.INFO, "f.md", 7, "m", None, None)
    assert make_finding("r", "warning", "f.md", 3, "m").severity is Severity.WARNING
    with pytest.raises(ValidationError):
        make_finding("r", Severity.INFO, "f.md", "seven", "m")
    with pytest.raises(ValidationError):
        make_finding("r", Severity.INFO, "f.md", 1, ["not", "text"])
