"""Running the gates: `check(vault, paths)` → a report of findings."""

from __future__ import annotations

import datetime as dt
import gc
import os
from contextlib import contextmanager
from collections import Counter
from collections.abc import Callable, Iterable

from pydantic import BaseModel

from teleo.gates import rules as _rules  # noqa: F401  (registers every rule)
from teleo.gates.cache import Entry, LintCache, file_stamp, run_key, world_key
from teleo.gates.context import GateContext
from teleo.gates.findings import Finding, Severity
from teleo.gates.registry import RULES
from teleo.notes import Note
from teleo.vault import UnsafePath, Vault


class Summary(BaseModel):
    files: int
    findings: int
    errors: int
    warnings: int
    infos: int
    by_rule: dict[str, int]


class Report(BaseModel):
    """What `teleo lint --format json` prints."""

    findings: list[Finding]
    summary: Summary

    @property
    def has_errors(self) -> bool:
        return self.summary.errors > 0

    def with_findings(self, extra: list[Finding]) -> "Report":
        """This report with `extra` findings (e.g. on paths that are no note of the vault) added in order."""
        if not extra:
            return self
        findings = sorted(extra + self.findings, key=Finding.sort_key)
        return Report(findings=findings, summary=summarise(findings, self.summary.files))


def check(
    vault: Vault,
    paths: Iterable[str] | None = None,
    *,
    rules: Iterable[str] | None = None,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: bool = False,
) -> Report:
    """Run every (or the named) rule on the notes at `paths` (default: all).

    With `cache`, each note's findings are kept in `.teleo/` and reused while
    the note and the vault's set of (path, kind) are unchanged (see `cache.py`);
    a read-only vault (a mounted snapshot) is checked without one.
    """
    ctx = GateContext(vault, today=today or dt.date.today())
    unknown = [r for r in rules or [] if r not in RULES]
    if unknown:
        raise ValueError(f"unknown rule id(s): {', '.join(unknown)}")
    selected = [RULES[r] for r in rules] if rules else list(RULES.values())
    unread = {p.path for p in vault.walk_problems() if p.problem.code == "tool-folder"}
    if paths is None:  # the vault's notes, and the hidden files checked on their own
        targets = sorted(vault.markdown_paths() + vault.hidden_paths())
        wanted = set(targets) | {p.path for p in vault.walk_problems()}
    else:
        wanted = set(paths)
        targets = sorted(wanted - unread)
    findings: list[Finding] = []
    for problem in vault.walk_problems() if any(r.id == "parse" for r in selected) else []:
        if problem.path in wanted and problem.problem.code == "symlink-outside":
            findings.append(ctx.finding("parse", problem.path, problem.problem.line, problem.problem.message))
    note_rules = [r for r in selected if r.note_check is not None]
    with _gc_paused():
        if cache and _writable(vault):
            findings.extend(_check_notes_cached(ctx, vault, targets, selected, note_rules, progress))
        else:
            findings.extend(_check_notes(ctx, vault, targets, note_rules, progress))
        for rule in selected:
            if rule.vault_check is not None:
                findings.extend(f for f in rule.vault_check(ctx) if f.file in wanted)
    findings.sort(key=Finding.sort_key)
    return Report(findings=findings, summary=summarise(findings, len(targets) + len(wanted & unread)))


def _writable(vault: Vault) -> bool:
    target = vault.root / ".teleo"
    return os.access(target if target.exists() else vault.root, os.W_OK)


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector for the run: a lint allocates many long-lived
    objects (notes, links, findings), which makes the cyclic collector rescan them
    over and over (10–13% of a 25k-note lint)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_notes(ctx: GateContext, vault: Vault, targets: list[str], note_rules: list, progress) -> list[Finding]:
    findings: list[Finding] = []
    for index, path in enumerate(targets, 1):
        try:
            note = vault.note(path)
        except UnsafePath as exc:
            findings.append(ctx.finding("parse", path, 1, f"path: {exc}", severity=Severity.ERROR))
            continue
        findings.extend(_check_note(ctx, note, note_rules))
        if progress is not None:
            progress(index, len(targets))
    return findings


def _check_notes_cached(
    ctx: GateContext, vault: Vault, targets: list[str], selected: list, note_rules: list, progress
) -> list[Finding]:
    folder = vault.root / ".teleo"
    key = run_key([r.id for r in selected], vault.config.model_dump_json(), ctx.today.isoformat())
    store = LintCache.load(folder, key)
    stamps = {path: file_stamp(vault.root, path) for path in vault.markdown_paths()}
    kinds: dict[str, str] = {}
    changed: set[str] = set()
    for path, stamp in stamps.items():
        entry = store.entries.get(path)
        if entry is not None and stamp == (entry.size, entry.mtime_ns):
            kinds[path] = entry.kind
        else:
            kinds[path] = vault.note(path).kind.value
            changed.add(path)
    world = world_key(kinds)
    reusable = world == store.world
    ctx.kinds = kinds
    findings: list[Finding] = []
    entries: dict[str, Entry] = {}
    recomputed = 0
    for index, path in enumerate(targets, 1):
        entry = store.entries.get(path)
        if reusable and entry is not None and path in stamps and path not in changed:
            found = entry.findings
        else:
            recomputed += 1
            found = _check_notes(ctx, vault, [path], note_rules, None)
            stamp = stamps.get(path)
            if stamp is not None:
                entry = Entry(stamp[0], stamp[1], kinds[path], found)
        if entry is not None and path in stamps:
            entries[path] = entry
        findings.extend(found)
        if progress is not None:
            progress(index, len(targets))
    if reusable:  # keep what is still valid for notes outside this run
        for path, entry in store.entries.items():
            if path not in entries and path in stamps and path not in changed:
                entries[path] = entry
    if recomputed or not reusable or len(entries) != len(store.entries):
        store.world, store.entries = world, entries
        store.save(folder)
    return findings


def _check_note(ctx: GateContext, note: Note, note_rules: list) -> list[Finding]:
    found: list[Finding] = []
    for rule in note_rules:
        if rule.kinds is not None and note.kind not in rule.kinds:
            continue
        if not note.readable and rule.id != "parse":
            continue
        found.extend(rule.note_check(ctx, note))
    return found


def summarise(findings: list[Finding], files: int) -> Summary:
    severities = Counter(f.severity for f in findings)
    return Summary(
        files=files,
        findings=len(findings),
        errors=severities[Severity.ERROR],
        warnings=severities[Severity.WARNING],
        infos=severities[Severity.INFO],
        by_rule=dict(sorted(Counter(f.rule for f in findings).items())),
    )
