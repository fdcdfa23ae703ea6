"""Safe repairs: changes that keep every piece of information.

* a link that resolves only leniently (case, `.md`, punctuation, a stale
  path) is rewritten to the exact title it resolves to, alias kept;
* a truncated link is completed when exactly one title starts with it;
* a known legacy enum value is coerced to its schema value.

Nothing here deletes text. `strip_broken_links` is the exception, kept for
teams that want parity with the reference's auto-fixer (reference §4.5); it
is only run when asked for by name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from teleo.notes import Kind, Note, find_links, note_from_text, set_field, split_link
from teleo.notes.document import split_lines
from teleo.notes.schema import LEGACY_ENUM_VALUES
from teleo.vault import Vault
from teleo.vault.resolver import LinkResolver

_REWRITE_METHODS = {"md-suffix", "case", "normalised", "basename"}


@dataclass
class FileFix:
    """The repaired text of one file and what changed in it."""

    path: str
    before: str
    after: str
    changes: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    refused: str | None = None
    """Why a computed repair is not applied (it would damage the note)."""

    @property
    def changed(self) -> bool:
        return self.before != self.after


def safe_fixes(vault: Vault, paths: list[str] | None = None) -> list[FileFix]:
    """The safe repairs for every note at `paths` (default: all)."""
    fixes = []
    for path in paths if paths is not None else vault.markdown_paths():
        note = vault.note(path)
        if not note.readable or note.doc.problems:
            continue  # never rewrite a file Teleo could not fully read
        fix = _fix_links(note, vault.resolver)
        fix = _fix_enums(note, fix)
        if fix.changed:
            fix.refused = _damage(note, fix)
            fixes.append(fix)
    return fixes


def _fix_links(note: Note, resolver: LinkResolver) -> FileFix:
    fix = FileFix(note.path, note.doc.text, note.doc.text)
    replacements: dict[int, list[tuple[str, str]]] = {}
    for link in find_links(note.doc):
        target, alias = split_link(link.raw)
        new_target, reason = _better_target(note, target, resolver)
        if new_target is None or new_target == target:
            continue
        rest = link.raw[len(link.raw.partition("|")[0]):] if alias else ""
        new_raw = new_target + rest
        replacements.setdefault(link.line, []).append((f"[[{link.raw}]]", f"[[{new_raw}]]"))
        fix.changes.append(f"line {link.line}: [[{link.raw}]] → [[{new_raw}]] ({reason})")
        fix.kinds["link-completed" if reason == "truncated" else "link-rewritten"] += 1
    if replacements:
        lines = split_lines(fix.after)
        for line_no, pairs in replacements.items():
            for old, new in pairs:
                lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
        fix.after = "".join(lines)
    return fix


def _better_target(note: Note, target: str, resolver: LinkResolver) -> tuple[str | None, str]:
    resolution = resolver.resolve(target, note.path)
    if resolution.unsafe:
        return None, ""
    if resolution.resolved:
        if resolution.method not in _REWRITE_METHODS:
            return None, ""
        return _link_text(resolution.path, resolver), f"resolved by {resolution.method}"
    suggestion = resolver.suggest(target)
    if suggestion is not None and suggestion.reason == "prefix":
        return _link_text(suggestion.path, resolver), "truncated"
    return None, ""


def _link_text(path: str, resolver: LinkResolver) -> str:
    """The exact title, or the path form when the title is carried by several files."""
    title = path.rsplit("/", 1)[-1][:-3]
    if len(resolver.titles().get(title, ())) > 1:
        return path[:-3]
    return title


def _fix_enums(note: Note, fix: FileFix) -> FileFix:
    for (kind, key), mapping in LEGACY_ENUM_VALUES.items():
        if note.kind is not kind:
            continue
        value = note.data.get(key)
        if isinstance(value, str) and value in mapping:
            current = note_from_text(note.path, fix.after)
            fix.after = set_field(current.doc, key, mapping[value])
            fix.changes.append(f"line {note.doc.line_of(key)}: {key}: {value} → {mapping[value]} (legacy value)")
            fix.kinds["enum-coerced"] += 1
    return fix


def _damage(note: Note, fix: FileFix) -> str | None:
    """Why the repaired text would be worse than the original, or None when it is sound."""
    after = note_from_text(note.path, fix.after)
    if after.doc.problems:
        return "the repaired frontmatter would not parse: " + after.doc.problems[0].message
    if set(after.data) != set(note.data):
        return "the repair would change which frontmatter fields exist"
    if after.kind is not note.kind:
        return "the repair would change the note's kind"
    return None


# -- the reference's lossy stripper, for parity only -------------------------------------------

STRIP_COMMIT_AUTHOR = "Teleo Agents <agents@livingip.xyz>"
STRIP_COMMIT_BODY = (
    "- Replaced [[wiki links]] whose target is not an existing claim title with plain text\n"
    "- Automated link hygiene pass (strip mode)"
)


def strip_commit_subject(count: int) -> str:
    return f"auto-fix: strip {count} broken wiki links"


def strip_broken_links(vault: Vault, paths: list[str] | None = None) -> list[FileFix]:
    """Reproduce the reference stripper: `[[x]]` → `x` unless x is exactly a claim's title."""
    claim_titles = {n.title for n in vault.notes() if n.kind is Kind.CLAIM}
    fixes = []
    for path in paths if paths is not None else vault.markdown_paths():
        note = vault.note(path)
        if not note.readable or note.doc.problems:
            continue
        lines = split_lines(note.doc.text)
        fix = FileFix(path, note.doc.text, note.doc.text)
        for link in find_links(note.doc):
            if link.raw.strip() in claim_titles:
                continue
            lines[link.line - 1] = lines[link.line - 1].replace(f"[[{link.raw}]]", link.raw, 1)
            fix.changes.append(f"line {link.line}: [[{link.raw}]] → {link.raw} (stripped)")
            fix.kinds["link-stripped"] += 1
        fix.after = "".join(lines)
        if fix.changed:
            fixes.append(fix)
    return fixes
