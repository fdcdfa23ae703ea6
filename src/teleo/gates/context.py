"""What the rules share: the vault, the resolver, today, and per-note caches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from teleo.gates.findings import Finding, Severity, make_finding
from teleo.notes import Kind, Note, WikiLink, find_links
from teleo.vault import Vault
from teleo.vault.resolver import LinkResolver, Resolution


_NOTHING: dict[str, Any] = {}
"""The facts of a note nothing was noted about (one shared, never changed)."""


@dataclass
class GateContext:
    """Shared state of one gate run over a vault."""

    vault: Vault
    today: dt.date = field(default_factory=dt.date.today)
    _links: dict[str, list[WikiLink]] = field(default_factory=dict)
    _resolved: dict[str, list[tuple[WikiLink, Resolution]]] = field(default_factory=dict)
    kinds: dict[str, str] | None = None
    """Every note's kind by path, when known without parsing (from the lint cache, or learned by a
    whole-vault pass)."""
    _learned: dict[str, Kind] = field(default_factory=dict)
    gatherers: list = field(default_factory=list)
    """The run's vault rules that gather facts during the note pass (`Rule.gather`)."""
    gathered: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Path → {rule id: fact} for every note the pass checked (an empty mapping when nothing was noted):
    a vault rule finds here what it needs of a note instead of reading the note again."""
    memo: dict[str, Any] = field(default_factory=dict)
    """Per-run values a rule works out once (by rule id)."""

    @property
    def config(self):
        return self.vault.config

    @property
    def resolver(self) -> LinkResolver:
        return self.vault.resolver

    def links(self, note: Note) -> list[WikiLink]:
        """The note's wiki links (computed once per run)."""
        found = self._links.get(note.path)
        if found is None:
            found = find_links(note.doc)
            self._links[note.path] = found
        return found

    def resolved_links(self, note: Note) -> list[tuple[WikiLink, Resolution]]:
        """The note's links with where each leads (resolved once per run, shared by the rules)."""
        found = self._resolved.get(note.path)
        if found is None:
            resolve = self.resolver.resolve
            found = [(link, resolve(link.target, note.path)) for link in self.links(note)]
            self._resolved[note.path] = found
        return found

    def resolve(self, note: Note, target: str) -> Resolution:
        return self.resolver.resolve(target, note.path)

    def note(self, path: str) -> Note:
        """The note at `path`, read through the vault but not left there (unless the vault held it
        already): a run reads every note once, so memory does not grow with the notes' text. Its
        kind is remembered."""
        vault = self.vault
        held = vault.holds(path)
        note = vault.note(path)
        self._learned[path] = note.kind
        if not held:
            vault.forget(path)
        return note

    def kind_of(self, path: str) -> Kind:
        """The kind of the note at `path` (known to this run, else read)."""
        kind = self._learned.get(path)
        if kind is None:
            known = self.kinds.get(path) if self.kinds is not None else None
            kind = Kind(known) if known is not None else self.note(path).kind
        return kind

    def done(self, note: Note) -> None:
        """The note's rules have run: drop what this run kept for it alone (its links and their
        resolutions)."""
        self._links.pop(note.path, None)
        self._resolved.pop(note.path, None)

    def gather(self, note: Note) -> dict[str, Any] | None:
        """The facts the run's vault rules note about `note` (None when none does)."""
        facts = None
        for rule in self.gatherers:
            fact = rule.gather(self, note)
            if fact is not None:
                if facts is None:
                    facts = {}
                facts[rule.id] = fact
        return facts

    def noted(self, path: str, facts: dict[str, Any] | None) -> None:
        """The pass checked the note at `path` and gathered `facts` (found here or in a worker)."""
        self.gathered[path] = facts or _NOTHING

    def learn(self, path: str, kind: str) -> None:
        """The kind of the note at `path`, found elsewhere (a worker process read it)."""
        self._learned[path] = Kind(kind)

    def learned_kinds(self) -> dict[str, str]:
        """Path → kind value of every note this run read."""
        return {path: kind.value for path, kind in self._learned.items()}

    @cached_property
    def all_notes(self) -> list[Note]:
        return self.vault.notes()

    def notes_of(self, *kinds: Kind) -> list[Note]:
        """The notes of these kinds, in path order (parsing only those when kinds are known)."""
        if self.kinds is not None:
            wanted = {k.value for k in kinds}
            return [self.note(path) for path, kind in self.kinds.items() if kind in wanted]
        return [n for n in self.all_notes if n.kind in kinds]

    def finding(
        self,
        rule: str,
        note: Note | str,
        line: int,
        message: str,
        *,
        field: str | None = None,
        suggestion: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """Build a finding with the rule's registered severity unless overridden."""
        from teleo.gates.registry import RULES

        path = note if isinstance(note, str) else note.path
        return make_finding(rule, severity or RULES[rule].severity, path, max(line, 1), message, field, suggestion)
