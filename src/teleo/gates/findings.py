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
        return {"error": 0, "warning": 1, "info": 2}[self.value]


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
        return cls.model_construct(_fields_set=ALL_FIELDS, rule=rule, severity=Severity(severity), file=file,
                                   line=line, message=message, field=field, suggestion=suggestion)


ALL_FIELDS = frozenset(Finding.model_fields)
"""The fields set of a finding built with every value given. Findings share this one: a set of its
own (~730 bytes) weighs more than the rest of a finding, and a large lint holds 50,000 of them."""


def compact(finding: Finding) -> Finding:
    """`finding`, sharing `ALL_FIELDS` when every field was given (the same set, one copy)."""
    if finding.__pydantic_fields_set__ == ALL_FIELDS:
        object.__setattr__(finding, "__pydantic_fields_set__", ALL_FIELDS)
    return finding


SORT_KEY = attrgetter("file", "line", "rule", "message")
"""`Finding.sort_key` as one C call (a lint sorts tens of thousands of findings)."""
