"""Running the gates: `check(vault, paths)` → a report of findings."""

from __future__ import annotations

import datetime as dt
import gc
import time
from contextlib import contextmanager
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from pydantic import BaseModel

from teleo.gates import parallel
from teleo.gates import rules as _rules  # noqa: F401  (registers every rule)
from teleo.gates.cache import Entry, LintCache, file_stamp, run_key, trusted_mtime, world_key
from teleo.gates.context import GateContext
from teleo.gates.findings import SORT_KEY, Finding, Severity
from teleo.gates.registry import RULES
from teleo.gates.sequential import check_paths
from teleo.notes.edit import may_write
from teleo.vault import Vault


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

    The notes stream: each is read, checked and dropped (notes the vault held already stay),
    keeping only its kind and its findings, so memory does not grow with the notes' text; a
    run over many notes of a vault on disk checks them in forked worker processes
    (`gates.parallel`).
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
    ctx.gatherers = [r for r in selected if r.vault_check is not None and r.gather is not None]
    with _gc_paused():
        if cache and _writable(vault):
            findings.extend(_check_notes_cached(ctx, vault, targets, selected, note_rules, progress))
        else:
            for _, _, found, _ in _checked(ctx, targets, note_rules, progress):
                findings.extend(found)
        if ctx.kinds is None:  # when every note was read, the vault rules need read no more
            learned = ctx.learned_kinds()
            if all(path in learned for path in vault.markdown_paths()):
                ctx.kinds = {path: learned[path] for path in vault.markdown_paths()}
        for rule in selected:
            if rule.vault_check is not None:
                findings.extend(f for f in rule.vault_check(ctx) if f.file in wanted)
    findings.sort(key=SORT_KEY)
    return Report(findings=findings, summary=summarise(findings, len(targets) + len(wanted & unread)))


def _writable(vault: Vault) -> bool:
    target = vault.root / ".teleo"
    return may_write(target if target.exists() else vault.root)


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector for the run: a lint allocates many long-lived
    objects (notes, links, findings), which makes the cyclic collector rescan them
    over and over (10–13% of a 25k-note lint).

    Afterwards the objects made meanwhile go to the oldest generation (`freeze` then
    `unfreeze`): left in the youngest, the first collection after the run would scan them
    all — the report, the caches — at once (~0.4 s after a 20× lint). The oldest
    generation still collects them when its own turn comes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def _checked(
    ctx: GateContext, paths: list[str], note_rules: list, progress: Callable[[int, int], None] | None,
) -> Iterator[tuple[str, str | None, list[Finding], tuple[int, int] | None]]:
    """`check_paths`, in forked workers for many notes read from files (a `Vault` reading notes
    its own way, as a git tree's does, is checked here): (path, kind, findings, the file's stamp as read)."""
    many = (len(paths) >= parallel.PARALLEL_MIN and type(ctx.vault).note is Vault.note
            and parallel.can_fork())
    rows = parallel.check_parallel(ctx, paths, note_rules) if many else check_paths(ctx, paths, note_rules)
    for index, (path, kind, found, facts, stamp) in enumerate(rows, 1):
        if kind is not None:
            ctx.learn(path, kind)
            ctx.noted(path, facts)
        yield path, kind, found, stamp
        if progress is not None:
            progress(index, len(paths))


def _check_notes_cached(
    ctx: GateContext, vault: Vault, targets: list[str], selected: list, note_rules: list, progress
) -> list[Finding]:
    started_ns = time.time_ns()  # before any note is read: what changed since may change again unseen
    folder = vault.root / ".teleo"
    key = run_key([r.id for r in selected], vault.config.model_dump_json(), ctx.today.isoformat())
    store = LintCache.load(folder, key)
    notes = vault.markdown_paths()
    stamps: dict[str, tuple[int, int] | None] | _Stamps = (
        {path: file_stamp(vault.root, path) for path in notes} if store.entries else {})
    changed = {path for path, stamp in stamps.items()
               if (entry := store.entries.get(path)) is None or stamp != (entry.size, entry.mtime_ns)}
    fresh: dict[str, list[Finding]] = {}
    if len(changed) == len(stamps):  # nothing to reuse (a cold lint): no kinds to know beforehand
        reusable = False
        read: dict[str, tuple[int, int] | None] = {}  # each file's stamp as it was read, from the pass itself
        for path, _, found, stamp in _checked(ctx, targets, note_rules, progress):
            fresh[path], read[path] = found, stamp
        stamps = _Stamps(vault.root, notes, read)
        kinds = ctx.learned_kinds()
        if any(path not in kinds for path in notes):  # a path could not be read
            kinds = {path: ctx.kind_of(path).value for path in notes}
        world = world_key({path: kinds[path] for path in notes})
    else:
        kinds = {path: store.entries[path].kind if path not in changed else ctx.kind_of(path).value
                 for path in stamps}
        world = world_key(kinds)
        reusable = world == store.world
        ctx.kinds = kinds
        redo = [p for p in targets if not (reusable and p in store.entries and p in stamps and p not in changed)]
        fresh = {path: found for path, _, found, _ in _checked(ctx, redo, note_rules, progress)}
    ctx.kinds = {path: kinds[path] for path in notes}
    findings: list[Finding] = []
    entries: dict[str, Entry] = {}
    for path in targets:
        entry = store.entries.get(path)
        if path in fresh:
            found = fresh[path]
            stamp = stamps.get(path)
            if stamp is not None:
                entry = Entry(stamp[0], trusted_mtime(stamp[1], started_ns), kinds[path], [f.as_row() for f in found])
        else:
            found = entry.findings  # type: ignore[union-attr]
        if entry is not None and path in stamps:
            entries[path] = entry
        findings.extend(found)
    if reusable:  # keep what is still valid for notes outside this run
        for path, entry in store.entries.items():
            if path not in entries and path in stamps and path not in changed:
                entries[path] = entry
    if fresh or not reusable or len(entries) != len(store.entries):
        store.world, store.entries = world, entries
        store.save(folder)
    if progress is not None:
        progress(len(targets), len(targets))
    return findings


class _Stamps:
    """The (size, mtime_ns) of the vault's notes for a cold lint's cache: as each file was opened to be read
    (`Note.stamp`, which the pass brings back) — no `stat` of 25,000 files before the pass (~0.2 s at 20×, in
    the one process, while the workers wait to be forked) — else a `stat` now (a note the pass did not read,
    or read another way)."""

    def __init__(self, root, notes: list[str], read: dict[str, tuple[int, int] | None]) -> None:
        self.root, self.notes, self.read = root, frozenset(notes), read

    def __contains__(self, path: str) -> bool:
        return path in self.notes

    def get(self, path: str) -> tuple[int, int] | None:
        if path not in self.notes:
            return None
        stamp = self.read.get(path)
        return stamp if stamp is not None else file_stamp(self.root, path)


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
