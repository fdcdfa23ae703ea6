"""The gate registry: small rule functions with ids and severities.

A *note rule* looks at one note at a time; a *vault rule* looks across notes
(duplicate titles, position counts). Rules never write: fixes live in
`teleo.gates.fixes` and are applied only by `teleo fix`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from dataclasses import dataclass

from teleo.gates.findings import Finding, Severity
from teleo.notes import Kind

NoteCheck = Callable[..., Iterable[Finding]]
"""`(ctx: GateContext, note: Note) -> findings`. The registry only keeps rules, so it does not import the
context they run in (`gates.context` reads the registry for a rule's severity: one direction)."""
VaultCheck = Callable[..., Iterable[Finding]]
"""`(ctx: GateContext) -> findings`."""
Gather = Callable[..., Any]
"""`(ctx: GateContext, note: Note) -> a small fact or None`: what a vault rule needs of a note, noted while
the note pass has it in hand (`GateContext.gathered`), so the rule need not read it again."""


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    kinds: frozenset[Kind] | None
    """The kinds a note rule applies to; None for all kinds."""
    note_check: NoteCheck | None = None
    vault_check: VaultCheck | None = None
    gather: Gather | None = None
    """A vault rule's fact about each note, taken during the note pass (None: it gathers nothing)."""


RULES: dict[str, Rule] = {}


def note_rule(rule_id: str, severity: Severity, summary: str, kinds: Iterable[Kind] | None = None):
    """Register a per-note rule; the function yields findings."""

    def register(func: NoteCheck) -> NoteCheck:
        RULES[rule_id] = Rule(rule_id, severity, summary, frozenset(kinds) if kinds else None, note_check=func)
        return func

    return register


def vault_rule(rule_id: str, severity: Severity, summary: str, gather: Gather | None = None):
    """Register a rule that looks across the whole vault (with `gather`, noting what it needs of each
    note during the note pass)."""

    def register(func: VaultCheck) -> VaultCheck:
        RULES[rule_id] = Rule(rule_id, severity, summary, None, vault_check=func, gather=gather)
        return func

    return register

