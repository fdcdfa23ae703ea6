"""What the rules share: the vault, the resolver, today, and per-note caches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from teleo.gates.findings import Finding, Severity
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
    """Every note's kind by path, when known without parsing (from the lint cache)."""

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

    @cached_property
    def all_notes(self) -> list[Note]:
        return self.vault.notes()

    def notes_of(self, *kinds: Kind) -> list[Note]:
        """The notes of these kinds, in path order (parsing only those when kinds are known)."""
        if self.kinds is not None:
            wanted = {k.value for k in kinds}
            return [self.vault.note(path) for path, kind in self.kinds.items() if kind in wanted]
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
        return Finding(
            rule=rule,
            severity=severity or RULES[rule].severity,
            file=path,
            line=max(line, 1),
            message=message,
            field=field,
            suggestion=suggestion,
        )
