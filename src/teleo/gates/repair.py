"""`teleo fix` as one library call: plan the repairs, leave alone what must not be touched, write, commit.

`repair(vault, paths, strip_broken=…, dry_run=…, commit=…)` returns a `RepairRun` that says
everything the command line prints: the repairs applied (or, with `dry_run`, that would be),
those refused because they would damage a note, the files skipped because they hold
uncommitted changes (never overwritten), the totals by kind and the commit.

The repairs themselves are `teleo.gates.fixes` (pure texts); this module is the only place
they reach the disk: atomic writes, then one commit of exactly those files when the vault is
in a git repository (the reference's author and message for `--strip-broken-links`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from teleo.gates.fixes import (
    STRIP_COMMIT_AUTHOR,
    STRIP_COMMIT_BODY,
    FileFix,
    safe_fixes,
    strip_broken_links,
    strip_commit_subject,
)
from teleo.notes import atomic_write
from teleo.repo import GitError, Repo
from teleo.vault import Vault

_LABELS = {
    "link-rewritten": "links rewritten to the exact title they resolve to",
    "link-completed": "truncated links completed",
    "enum-coerced": "legacy enum values coerced",
}


@dataclass
class RepairRun:
    """What one `repair` did (or, with `dry_run`, would do)."""

    fixes: list[FileFix]
    """The repairs applied (or planned): one per file."""
    refused: list[FileFix] = field(default_factory=list)
    """Repairs computed but not applied: `FileFix.refused` says why."""
    skipped: list[str] = field(default_factory=list)
    """Vault paths left alone because they hold uncommitted changes."""
    dry_run: bool = False
    commit: str | None = None
    message: str = ""
    """The commit message (also when no commit was made)."""
    commit_error: str | None = None
    """The files were written but the commit failed: git's own words."""

    @property
    def totals(self) -> Counter:
        return sum((f.kinds for f in self.fixes), Counter())


def repair(
    vault: Vault, paths: list[str] | None = None, *, strip_broken: bool = False, dry_run: bool = False,
    commit: bool = True,
) -> RepairRun:
    """Repair the notes at `paths` (default: the whole vault); see the module doc."""
    planned = strip_broken_links(vault, paths) if strip_broken else safe_fixes(vault, paths)
    run = RepairRun(fixes=[f for f in planned if not f.refused], refused=[f for f in planned if f.refused],
                    dry_run=dry_run)
    repo = Repo.open(vault.root)
    if repo is not None and not dry_run:
        run.fixes, run.skipped = _without_dirty(vault, repo, run.fixes)
    run.message = _message(run.totals, len(run.fixes), strip_broken)
    if dry_run or not run.fixes:
        return run
    for fix in run.fixes:
        atomic_write(vault.root / fix.path, fix.after)
    vault.forget()
    if repo is None or not commit:
        return run
    try:
        run.commit = repo.commit([_repo_path(vault, repo, f.path) for f in run.fixes], run.message,
                                 author=STRIP_COMMIT_AUTHOR if strip_broken else None)
    except GitError as exc:
        run.commit_error = str(exc)
    return run


def _without_dirty(vault: Vault, repo: Repo, fixes: list[FileFix]) -> tuple[list[FileFix], list[str]]:
    """The repairs of files without uncommitted changes, and the paths of the others."""
    rel = {f.path: _repo_path(vault, repo, f.path) for f in fixes}
    dirty = repo.dirty(list(rel.values()))
    return [f for f in fixes if rel[f.path] not in dirty], [f.path for f in fixes if rel[f.path] in dirty]


def _repo_path(vault: Vault, repo: Repo, path: str) -> str:
    return (vault.root / path).resolve().relative_to(repo.root.resolve()).as_posix()


def _message(totals: Counter, files: int, strip: bool) -> str:
    if strip:
        return strip_commit_subject(totals["link-stripped"]) + "\n\n" + STRIP_COMMIT_BODY + "\n"
    lines = [f"teleo fix: {sum(totals.values())} safe repairs in {files} files", ""]
    lines += [f"- {totals[k]} {label}" for k, label in _LABELS.items() if totals[k]]
    return "\n".join(lines) + "\n"
