"""What the rules share: the vault, the resolver, today, and per-note caches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from teleo.gates.findings import Finding, Severity, compact
from teleo.notes import Kind, Note, WikiLink, find_links
from teleo.vault import Vault
from teleo.vault.resolver import LinkResolver, Resolution


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
        return compact(Finding(
            rule=rule,
            severity=severity or RULES[rule].severity,
            file=path,
            line=max(line, 1),
            message=message,
            field=field,
            suggestion=suggestion,
        ))
