"""The sources of a vault as triage reads them: `teleo sources` (list).

**Where they are read.** Where extraction reads them (`jobs.find_sources`): the base branch's tip
(`main`, else the branch `HEAD` names) when the vault is in a git repository, else — or with
`worktree=True` — the files on disk. A source is a note under `inbox/` (not the drop folder
`inbox/queue/`) that reads as `Kind.SOURCE`.

**What is read of each** (`SourceRecord`): its status as written and the lifecycle state it stands
for (`notes.lifecycle.lifecycle_state`: no status is `unprocessed`, free text is no state), its
domain and the agent the vault routes that domain to, who processed it, its format and date, and
when it was *judged* — the later of `last_attempted` and `processed_date` (the pipeline's two
"looked at it on" fields; a partial date such as `2026-03-00` counts as the end of its month).

**Filters** (`SourceFilter`): status, domain, agent (routed to it, or processed by it), format and a
range of the source's own `date` (`since`/`until`, each `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, both ends
included), all combined.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath

from pydantic import BaseModel, Field, field_validator

from teleo.notes import Kind, Note
from teleo.notes.lifecycle import PARKED, STATUSES, UNPROCESSED, describe_moves, is_source_path, lifecycle_state
from teleo.repo.branches import base_ref
from teleo.repo.discover import open_repository
from teleo.vault import Vault
from teleo.vault.tree import TreeVault

WORKTREE = "worktree"
"""`SourceListing.read_from` when the files on disk were read."""
INVALID = "invalid"
"""The count of sources whose status is no state of the lifecycle."""
JUDGED_FIELDS = ("last_attempted", "processed_date")
"""Frontmatter fields that date a source's judgement; the later one wins."""
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOUND = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


class SourceRecord(BaseModel):
    """One source, as `teleo sources` lists it."""

    path: str
    title: str
    status: str | None
    """Its state in the source lifecycle (`notes.lifecycle.STATUSES`); None when the written value is none."""
    written_status: str | None
    """`status` as written (None: no such field)."""
    status_line: int = 1
    """The file line of `status` (1 when absent), for messages."""
    domain: str | None = None
    agent: str
    """The agent the vault routes its domain to (the evaluator for none or an unknown one)."""
    processed_by: str | None = None
    format: str | None = None
    date: str | None = None
    """The source's own date (`date`, else the legacy `date_published` / `date_archived`)."""
    judged: str | None = None
    """When it was last judged: the later of `last_attempted` and `processed_date` (None: neither is a date)."""
    judged_from: str | None = None
    """Which field `judged` comes from."""


class SourceListing(BaseModel):
    """The sources read, where they were read, and what could not be read as one."""

    read_from: str
    """The branch read (`main`), or `worktree`."""
    sources: list[SourceRecord]
    problems: list[str] = Field(default_factory=list)

    def counts(self, chosen: list[SourceRecord] | None = None) -> dict[str, int]:
        """Status → how many of `chosen` (default: all), every lifecycle state shown (0 included), then
        `invalid` when some status is no state."""
        records = self.sources if chosen is None else chosen
        tally = Counter(record.status or INVALID for record in records)
        counts = {status: tally.get(status, 0) for status in STATUSES}
        if tally.get(INVALID):
            counts[INVALID] = tally[INVALID]
        return counts


class SourceFilter(BaseModel):
    """What `teleo sources list` keeps; empty fields keep everything."""

    statuses: list[str] = Field(default_factory=list)
    """Lifecycle states, or `invalid`."""
    domains: list[str] = Field(default_factory=list)
    agent: str | None = None
    formats: list[str] = Field(default_factory=list)
    since: str | None = None
    until: str | None = None

    @field_validator("statuses")
    @classmethod
    def _known_statuses(cls, value: list[str]) -> list[str]:
        for status in value:
            if status not in (*STATUSES, INVALID):
                raise ValueError(f"--status {status!r} is no source status (one of {', '.join((*STATUSES, INVALID))})")
        return value

    @field_validator("since", "until")
    @classmethod
    def _a_date(cls, value: str | None, info) -> str | None:
        if value is not None and not _BOUND.fullmatch(value):
            raise ValueError(f"--{info.field_name} {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        return value

    def keeps(self, record: SourceRecord) -> bool:
        if self.statuses and (record.status or INVALID) not in self.statuses:
            return False
        if self.domains and record.domain not in self.domains:
            return False
        if self.agent and self.agent not in (record.agent, record.processed_by):
            return False
        if self.formats and record.format not in self.formats:
            return False
        if self.since or self.until:
            if not record.date:
                return False
            if self.since and record.date < self.since:
                return False
            if self.until and record.date[:len(self.until)] > self.until:
                return False
        return True


def source_vault(vault: Vault, *, worktree: bool = False) -> tuple[Vault, str]:
    """Where sources are read (the module doc) and its name: the base branch's tree, or the disk vault
    (`worktree`). Raises `BranchError` when the repository's base branch has no commit."""
    repo = None if worktree else open_repository(vault.root)
    if repo is None or repo.is_empty:
        return vault, WORKTREE
    ref = base_ref(repo)
    return TreeVault.at(vault, ref, repo=repo), ref.removeprefix("refs/heads/")


def source_paths(tree: Vault) -> list[str]:
    """The markdown files under `inbox/` that may be sources (the drop folder aside)."""
    return [p for p in tree.markdown_paths() if is_source_path(p)]


def read_sources(vault: Vault, *, worktree: bool = False) -> SourceListing:
    """Every source where extraction reads them (module doc), sorted by path."""
    tree, where = source_vault(vault, worktree=worktree)
    records, problems = [], []
    for rel in source_paths(tree):
        note = tree.note(rel)
        if note.kind is not Kind.SOURCE:
            continue
        if not note.readable:
            problems.append(f"{rel}: {note.all_problems[0].message if note.all_problems else 'cannot be read'}")
        records.append(source_record(tree, note))
    return SourceListing(read_from=where, sources=records, problems=problems)


def source_record(vault: Vault, note: Note) -> SourceRecord:
    """What `teleo sources` reads of one source note."""
    data = note.data if isinstance(note.data, dict) else {}
    written = data.get("status")
    domain = _text(data.get("domain"))
    judged = judged_date(data)
    return SourceRecord(
        path=note.path, title=_text(data.get("title")) or PurePosixPath(note.path).stem,
        status=lifecycle_state(written), written_status=None if written is None else str(written),
        status_line=note.doc.line_of("status"), domain=domain, agent=vault.config.agent_for_domain(domain),
        processed_by=_text(data.get("processed_by")), format=_text(data.get("format") or data.get("source_type")),
        date=_text(data.get("date") or data.get("date_published") or data.get("date_archived")),
        judged=judged[0] if judged else None, judged_from=judged[1] if judged else None,
    )


def not_queued(vault: Vault, paths: list[str]) -> list[str]:
    """Why each of `paths` (vault-relative) that extraction would not take is not queued, read where
    extraction reads sources: its status and the way back to the queue (for `teleo extract SOURCE`)."""
    tree, where = source_vault(vault)
    reasons = []
    for rel in paths:
        if not tree.exists(rel) or tree.note(rel).kind is not Kind.SOURCE:
            continue
        record = source_record(tree, tree.note(rel))
        if record.status == UNPROCESSED:
            continue
        if record.status == PARKED:
            reasons.append(f"{rel} is parked (status {PARKED} on {where}): `teleo sources unpark` puts it back in the queue")
        elif record.status is None:
            reasons.append(f"{rel}: status {record.written_status!r} on {where} is no state of the source lifecycle")
        else:
            reasons.append(f"{rel} is {record.status} on {where} (moves from there: {describe_moves(record.status)})")
    return reasons


def judged_date(data: dict) -> tuple[str, str] | None:
    """(date, field) of the later of `JUDGED_FIELDS` that holds a date; None when neither does."""
    found = [(str(data[key]).strip(), key) for key in JUDGED_FIELDS
             if data.get(key) is not None and DATE.fullmatch(str(data[key]).strip())]
    return max(found, key=lambda pair: upper_bound(pair[0])) if found else None


def upper_bound(date: str) -> str:
    """The last day a (possibly partial) date may stand for, as a comparable string:
    `2026-03-00` → `2026-03-99`, `2026-00-00` → `2026-99-99`."""
    year, month, day = date[:4], date[5:7], date[8:10]
    return f"{year}-{'99' if month == '00' else month}-{'99' if month == '00' or day == '00' else day}"


def _text(value: object) -> str | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    text = str(value).strip()
    return text or None
