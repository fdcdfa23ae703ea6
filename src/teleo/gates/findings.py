"""Findings: what a gate says about a note, with file, line and a suggestion."""

from __future__ import annotations

from enum import Enum
from operator import attrgetter

from pydantic import BaseModel, ConfigDict


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for an error, 1 a warning, 2 an info (`teleo lint` filters tens of thousands of findings by it)."""
        return _RANKS[self.value]


_RANKS = {"error": 0, "warning": 1, "info": 2}


class Finding(BaseModel):
    """One thing a gate found. `line` is 1-based in `file`."""

    model_config = ConfigDict(frozen=True)

    rule: str
    severity: Severity
    file: str
    line: int
    message: str
    field: str | None = None
    suggestion: str | None = None

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line, self.rule, self.message)

    def as_row(self) -> tuple:
        """The finding as a plain tuple: what crosses a process boundary and sits in the lint cache
        (a tenth of the pickling cost of the model)."""
        return (self.rule, self.severity.value, self.file, self.line, self.message, self.field, self.suggestion)

    @classmethod
    def from_row(cls, row: tuple) -> "Finding":
        """The finding `as_row` made (its values were validated when it was first built)."""
        rule, severity, file, line, message, field, suggestion = row
        return _assembled(rule, _SEVERITIES[severity], file, line, message, field, suggestion)


ALL_FIELDS = frozenset(Finding.model_fields)
"""The fields set of a finding built with every value given. Findings share this one: a set of its
own (~730 bytes) weighs more than the rest of a finding, and a large lint holds 50,000 of them."""


_SEVERITIES = {severity.value: severity for severity in Severity}
_new = object.__new__
_set = object.__setattr__


def _assembled(rule: str, severity: Severity, file: str, line: int, message: str, field: str | None,
               suggestion: str | None) -> Finding:
    """A `Finding` of these (already valid) values, set up as `Finding.model_construct` sets one up —
    its fields in their order, the shared `ALL_FIELDS`, no extra, no private — without its generic
    per-field path (~10 µs against ~2): a large lint builds 50,000 findings, and again from the
    rows its workers send back."""
    finding = _new(Finding)
    _set(finding, "__dict__", {"rule": rule, "severity": severity, "file": file, "line": line, "message": message,
                               "field": field, "suggestion": suggestion})
    _set(finding, "__pydantic_fields_set__", ALL_FIELDS)
    _set(finding, "__pydantic_extra__", None)
    _set(finding, "__pydantic_private__", None)
    return finding


def make_finding(rule: str, severity: Severity, file: str, line: int, message: str, field: str | None = None,
                 suggestion: str | None = None) -> Finding:
    """`Finding(...)` with every field given: values of exactly the declared types are taken as they
    are (validation would return them unchanged), anything else is validated as before."""
    if (type(rule) is str and type(severity) is Severity and type(file) is str and type(line) is int
            and type(message) is str and (field is None or type(field) is str)
            and (suggestion is None or type(suggestion) is str)):
        return _assembled(rule, severity, file, line, message, field, suggestion)
    return compact(Finding(rule=rule, severity=severity, file=file, line=line, message=message, field=field,
                           suggestion=suggestion))


def compact(finding: Finding) -> Finding:
    """`finding`, sharing `ALL_FIELDS` when every field was given (the same set, one copy)."""
    if finding.__pydantic_fields_set__ == ALL_FIELDS:
        object.__setattr__(finding, "__pydantic_fields_set__", ALL_FIELDS)
    return finding


SORT_KEY = attrgetter("file", "line", "rule", "message")
"""`Finding.sort_key` as one C call (a lint sorts tens of thousands of findings)."""
