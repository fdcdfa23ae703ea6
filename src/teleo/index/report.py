"""Everything the index knows about one note, gathered for `teleo show` (git history aside):
`find_note` says which note a name means, `note_report` gathers it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from teleo.index.index import Index
from teleo.index.models import Link, NoteRow
from teleo.vault import Vault

SOURCE_FIELDS = {"claims_extracted": "extracted", "enrichments": "enriched", "enrichments_applied": "enriched"}
"""Fields of a source note that name the notes made from it, and what that relation is called."""


class NoteNotFound(LookupError):
    """No note goes by that name; the message says so, with the nearest title when there is one."""


class NoteMatch(BaseModel):
    """The note a name means, and the other notes carrying the same title (duplicate titles)."""

    path: str
    others: list[str] = Field(default_factory=list)


def find_note(vault: Vault, index: Index, name: str) -> NoteMatch:
    """The note `name` means: an existing `.md` file (a path as typed, from the current folder),
    else a title, link target or vault path resolved exactly as links are (case and punctuation
    forgiven). Raises `NoteNotFound`, and `UnsafePath` for a file outside the vault."""
    if name.endswith(".md") and Path(name).is_file():
        return NoteMatch(path=vault.relative(Path(name)))
    found = index.resolve(name)
    if found.path:
        return NoteMatch(path=found.path, others=[c for c in found.candidates if c != found.path])
    hint = index.suggest(name)
    raise NoteNotFound(f"no note titled '{name}'" + (f" — did you mean '{hint.title}'?" if hint else ""))


class SourceRef(BaseModel):
    """A source a note came from."""

    path: str
    title: str
    how: str
    """`extracted` / `enriched` (the source lists the note), or `cited` (the note links the source)."""
    line: int
    """Line of the reference, in the source (extracted/enriched) or in the note (cited)."""


class NoteReport(BaseModel):
    note: NoteRow
    backlinks: list[Link] = Field(default_factory=list)
    """Who links here: body links and frontmatter references from other notes."""
    depends_on: list[Link] = Field(default_factory=list)
    challenged_by: list[Link] = Field(default_factory=list)
    challenges: list[Link] = Field(default_factory=list)
    """Notes whose `challenged_by` names this note."""
    sources: list[SourceRef] = Field(default_factory=list)
    source_text: str | None = None
    """The note's own `source:` attribution (free text)."""
    links_out: int = 0
    unresolved: list[Link] = Field(default_factory=list)
    """Outgoing wiki links that lead nowhere."""


def note_report(index: Index, path: str) -> NoteReport | None:
    """The note at `path` with its links in both directions and its sources."""
    note = index.note_row(path)
    if note is None:
        return None
    outgoing = index.links_from(path)
    backlinks = index.backlinks(path)
    kinds = index.kinds_of({link.source for link in backlinks} | {link.path for link in outgoing if link.path})
    report = NoteReport(note=note, backlinks=backlinks, links_out=len(outgoing))
    report.depends_on = [link for link in outgoing if link.field == "depends_on"]
    report.challenged_by = [link for link in outgoing if link.field == "challenged_by"]
    report.challenges = [link for link in backlinks if link.field == "challenged_by"]
    report.unresolved = [link for link in outgoing if link.wiki and link.path is None]
    seen: set[tuple[str, str]] = set()
    for link in backlinks:
        how = SOURCE_FIELDS.get(link.field or "")
        if how and kinds.get(link.source) == "source" and (link.source, how) not in seen:
            seen.add((link.source, how))
            report.sources.append(SourceRef(path=link.source, title=_title(link.source), how=how, line=link.line))
    for link in outgoing:
        if link.path and link.path != path and kinds.get(link.path) == "source" and (link.path, "cited") not in seen:
            if any(s.path == link.path for s in report.sources):
                continue
            seen.add((link.path, "cited"))
            report.sources.append(SourceRef(path=link.path, title=_title(link.path), how="cited", line=link.line))
    source = note.data.get("source")
    if isinstance(source, (str, int, float)) and str(source).strip():
        report.source_text = str(source).strip()
    return report


def _title(path: str) -> str:
    name = path.rpartition("/")[2]
    return name[:-3] if name.endswith(".md") else name
