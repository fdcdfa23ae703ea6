"""A note: a vault-relative path, its document, its kind and typed fields."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from teleo.notes.document import MAX_NOTE_BYTES, Document, Problem, parse_document
from teleo.notes.models import Frontmatter, typed_fields
from teleo.notes.schema import LEGACY_TYPES, Kind

_TYPE_KINDS: dict[str, Kind] = {k.value: k for k in Kind if k not in (Kind.MAP, Kind.BELIEFS_DOC)}
_TYPE_KINDS.update(LEGACY_TYPES)
_SOURCE_LIKE_TYPES = {"newsletter", "essay", "report", "news article", "news", "paper", "tweet", "thread"}
_ENTITY_LIKE_TYPES = {"timeline", "organization", "company", "person"}


@dataclass
class Note:
    """One markdown file of a vault."""

    path: str
    """Vault-relative POSIX path, e.g. `domains/health/x.md`."""
    doc: Document
    kind: Kind = Kind.DOCUMENT
    problems: list[Problem] = field(default_factory=list)
    """Problems reading the file (encoding, size, YAML); see also `doc.problems`."""
    stamp: tuple[int, int] | None = None
    """(size, mtime in ns) of the file as it was opened to be read (None when not read from a file): what
    the text was read from, for a cache keyed on it (the lint cache) without a second `stat`."""

    @cached_property
    def title(self) -> str:
        """The title is the filename stem (reference §2.2)."""
        name = self.path.rpartition("/")[2]
        stem, dot, _ = name.rpartition(".")
        return stem if dot and stem else name

    @cached_property
    def folder(self) -> str:
        return self.path.rpartition("/")[0]

    @property
    def data(self) -> dict:
        return self.doc.data

    @property
    def type_value(self) -> str | None:
        value = self.doc.data.get("type")
        return str(value) if value is not None else None

    @cached_property
    def fields(self) -> Frontmatter:
        return typed_fields(self.kind, self.doc.data)

    @property
    def all_problems(self) -> list[Problem]:
        return self.problems + self.doc.problems

    @property
    def readable(self) -> bool:
        return not self.problems


def note_from_text(path: str, text: str) -> Note:
    """Parse `text` as the note at vault-relative `path`."""
    doc = parse_document(text)
    return Note(path=path, doc=doc, kind=detect_kind(path, doc))


def read_note(root: Path, path: str) -> Note:
    """Read the note at vault-relative `path`; never raises on bad content."""
    try:
        with open(os.path.join(root, path), "rb") as handle:
            info = os.fstat(handle.fileno())
            size = info.st_size
            if size > MAX_NOTE_BYTES:
                note = _unreadable(path, "too-large", f"file is {size / 1e6:.1f} MB; notes over {MAX_NOTE_BYTES / 1e6:.0f} MB are not read")
                note.stamp = (size, info.st_mtime_ns)
                return note
            raw = handle.read()
    except OSError as exc:
        return _unreadable(path, "unreadable", f"cannot read file: {exc.strerror or exc}")
    note = note_from_bytes(path, raw)
    note.stamp = (size, info.st_mtime_ns)
    return note


def note_from_bytes(path: str, raw: bytes) -> Note:
    """Decode and parse; bad bytes become problems, not exceptions."""
    if not raw.strip():
        note = note_from_text(path, raw.decode("utf-8", errors="replace"))
        note.problems.append(Problem("empty", 1, "file is empty"))
        return note
    if b"\x00" in raw[:8192]:
        return _unreadable(path, "binary", "file is binary (contains NUL bytes), not markdown")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return _unreadable(path, "encoding", f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}", line)
    return note_from_text(path, text)


def _unreadable(path: str, code: str, message: str, line: int = 1) -> Note:
    return Note(path=path, doc=Document(text=""), kind=Kind.DOCUMENT, problems=[Problem(code, line, message)])


def detect_kind(path: str, doc: Document) -> Kind:
    """Decide the kind from `type`, falling back on the folder conventions."""
    parts = _parts(path)
    name = parts[-1] if parts else ""
    type_value = doc.data.get("type")
    if isinstance(type_value, str) and type_value.strip():
        return _kind_of_type(type_value.strip().lower(), parts)
    if name == "_map.md" or (parts and parts[0] == "maps"):
        return Kind.MAP
    if len(parts) == 3 and parts[0] == "agents" and name == "beliefs.md":
        return Kind.BELIEFS_DOC
    if len(parts) == 3 and parts[0] == "agents" and name == "research-journal.md":
        return Kind.JOURNAL
    if doc.has_frontmatter and _in_archive(parts):
        return Kind.SOURCE
    return Kind.DOCUMENT


def _parts(path: str) -> tuple[str, ...]:
    """`PurePosixPath(path).parts` for the relative POSIX paths notes have, without pathlib's cost."""
    if path.startswith("/") or "//" in path or "/./" in path or path.startswith("./") or path.endswith(("/", "/.")) or path in ("", "."):
        return PurePosixPath(path).parts
    return tuple(path.split("/"))


def _kind_of_type(type_value: str, parts: tuple[str, ...]) -> Kind:
    if type_value in _TYPE_KINDS:
        return _TYPE_KINDS[type_value]
    if _in_archive(parts) and type_value in _SOURCE_LIKE_TYPES:
        return Kind.SOURCE
    if parts and parts[0] == "entities" and type_value in _ENTITY_LIKE_TYPES:
        return Kind.ENTITY
    return Kind.UNKNOWN


def _in_archive(parts: tuple[str, ...]) -> bool:
    return len(parts) >= 3 and parts[0] == "inbox" and parts[1] == "archive"
