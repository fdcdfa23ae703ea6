"""Resolving flags: the owner has re-read the belief or position a flag points at.

`plan_resolution(vault, wanted, when=…)` is pure like `plan_cascade`: it reads the vault (main's
tree or the files on disk) and returns the new texts for the caller to write and commit:

- each chosen flag note with `status: resolved` and `resolved: <date>` (plus `resolution:
  <text>` when the owner says why, its `[[`/`]]` defused like a flag's `why`) — a flag is never
  deleted, so the trail stays in git;
- each target file (a belief or position; a section of `beliefs.md` has no frontmatter) with
  `last_evaluated: <date>`, as the reference's cascade asks of a re-review;
- a belief file the cascade set to `status: under_review`, set to `target_status` (default
  `active`; `revised` or `abandoned` when the re-review changed it) once no open flag
  points at it any more. A position's status is its owner's to change; it is never touched.

Only frontmatter lines change (`set_field`), and every new text is parsed back and must parse
as cleanly as before; a refused edit goes to `problems`, and then nothing may be written (all or
nothing, like a name that matches no flag).
"""

from __future__ import annotations

import bisect

from pydantic import BaseModel, Field

from teleo.cascade.flags import read_flags
from teleo.cascade.models import Flag
from teleo.cascade.plan import UNDER_REVIEW, readable_note
from teleo.notes import Note, note_from_text, set_field
from teleo.notes.untrusted import inert_line
from teleo.vault import Vault

TARGET_STATUSES = ("active", "revised", "abandoned")
"""What a re-reviewed belief may become (the belief schema's statuses but `under_review`)."""
RECASCADE = ("revised", "abandoned")
"""A belief given one of these changed: what rests on it is flagged in turn (reference §4.6,
"changed beliefs re-trigger the cascade"); `active` confirms it and cascades nothing."""


class ResolutionPlan(BaseModel):
    files: dict[str, str] = Field(default_factory=dict)
    """Vault path → new text."""
    resolved: list[Flag] = Field(default_factory=list)
    already: list[str] = Field(default_factory=list)
    """Ids of chosen flags that were resolved before."""
    unknown: list[str] = Field(default_factory=list)
    """What was asked for and names no flag (or more than one)."""
    restored: dict[str, str] = Field(default_factory=dict)
    """Belief path → the status it was given."""
    missing_targets: list[str] = Field(default_factory=list)
    """Targets that are no readable note any more (their flags close all the same)."""
    problems: list[str] = Field(default_factory=list)
    """Edits refused (a frontmatter that cannot be edited line by line); nothing is written then."""

    @property
    def writable(self) -> bool:
        return not self.unknown and not self.problems

    def agents(self) -> list[str]:
        return sorted({flag.agent for flag in self.resolved})


def plan_resolution(
    vault: Vault, wanted: list[str], *, when: str, resolution: str | None = None, target_status: str = "active",
) -> ResolutionPlan:
    """Resolve the flags named in `wanted` (an id, a unique id prefix, or the flag note's path)."""
    if target_status not in TARGET_STATUSES:
        raise ValueError(f"target status must be one of {', '.join(TARGET_STATUSES)}, not {target_status!r}")
    flags, _ = read_flags(vault)
    plan = ResolutionPlan()
    chosen: dict[str, Flag] = {}
    for name in wanted:
        flag = find_flag(flags, name)
        if flag is None:
            plan.unknown.append(name)
        elif flag.status == "resolved":
            plan.already.append(flag.id)
        else:
            chosen[flag.flag_path] = flag
    for path, flag in chosen.items():
        fields = {"status": "resolved", "resolved": when, **({"resolution": inert_line(resolution)} if resolution else {})}
        if _edit(path, readable_note(vault, path), fields, plan):
            plan.resolved.append(flag)
    still_open = {f.target for f in flags if f.status == "open" and f.flag_path not in chosen}
    for target in sorted({f.target for f in plan.resolved if f.section is None}):  # `beliefs.md` sections have no frontmatter
        note = readable_note(vault, target)
        if note is None:  # gone since (or a path that is no note): the flag still closes
            plan.missing_targets.append(target)
            continue
        fields = {"last_evaluated": when}
        restore = target not in still_open and note_status(note) == UNDER_REVIEW
        if restore:
            fields["status"] = target_status
        if _edit(target, note, fields, plan) and restore:
            plan.restored[target] = target_status
    return plan


# -- naming a flag: the one rule `teleo flags` prints by and `teleo flags resolve` reads by ------------

SHORT_ID_PARTS = 4
"""The shortest name `short_ids` offers: the cascade's day (three parts) and a first word."""


def find_flag(flags: list[Flag], name: str) -> Flag | None:
    """The flag `name` names: its whole id or its note's path (`.md` optional), else the one flag
    whose id starts with `name`; None when no flag or several do."""
    name = name.strip().removesuffix(".md")
    exact = [f for f in flags if name in (f.id, f.flag_path.removesuffix(".md"))]
    if exact:
        return exact[0]
    prefixed = [f for f in flags if f.id.startswith(name)] if name else []
    return prefixed[0] if len(prefixed) == 1 else None


def short_ids(flags: list[Flag]) -> dict[str, str]:
    """Each flag id → its shortest start, in whole dash-separated words and at least the day and one
    word, that `find_flag` resolves to that flag alone (the whole id when none does)."""
    ids = sorted(f.id for f in flags)
    short = {}
    for flag_id in set(ids):
        parts = flag_id.split("-")
        short[flag_id] = flag_id
        for n in range(min(SHORT_ID_PARTS, len(parts)), len(parts)):
            prefix = "-".join(parts[:n])
            if _starting_with(ids, prefix) == 1:
                short[flag_id] = prefix
                break
    return short


def _starting_with(ids: list[str], prefix: str) -> int:
    """How many of the sorted `ids` (a flag each, so an id two flags carry counts twice) start with `prefix`."""
    start = bisect.bisect_left(ids, prefix)
    end = start
    while end < len(ids) and ids[end].startswith(prefix):
        end += 1
    return end - start


def note_status(note: Note) -> str:
    """The note's `status`, lower case ("" when it has none)."""
    return str(note.data.get("status") or "").strip().lower()


def _edit(path: str, note: Note | None, fields: dict[str, str], plan: ResolutionPlan) -> bool:
    """Set `fields` in `note`'s frontmatter, line by line; the result must parse as cleanly as before."""
    if note is None:
        plan.problems.append(f"{path}: cannot be read")
        return False
    text = note.doc.text
    try:
        for key, value in fields.items():
            text = set_field(note_from_text(path, text).doc, key, value)
    except ValueError as exc:
        plan.problems.append(f"{path}: {exc}")
        return False
    after = note_from_text(path, text)
    new_problems = {p.message for p in after.all_problems} - {p.message for p in note.all_problems}
    if new_problems or after.doc.body != note.doc.body:
        plan.problems.append(f"{path}: the edit would not leave a valid note ({'; '.join(sorted(new_problems)) or 'body changed'})")
        return False
    plan.files[path] = text
    return True
