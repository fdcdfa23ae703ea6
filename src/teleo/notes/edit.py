"""Minimal edits to a note's text, and the atomic write.

A field edit replaces only the lines of that top-level key (or appends it
before the closing delimiter); every other byte of the file is kept. That is
how "change one field, change only its lines" holds without trusting a YAML
round-tripper to reproduce quoting, comments and spacing it did not write.

A key's lines run from the key to the next top-level key, as YAML itself
places them (so quoted keys and multi-line scalars are handled), less any
blank or `#` comment lines just before the next key, which stay put. New
lines take the file's line ending. A frontmatter that does not parse as a
mapping with its keys at column 0 is not edited: `ValueError` is raised
instead of guessing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from teleo.notes.document import Document, dump_value, parse_document, split_lines

_BOM = "\ufeff"


def set_field(doc: Document, key: str, value: Any) -> str:
    """Return the document text with top-level `key` set to `value`.

    Raises ValueError when the frontmatter cannot be edited line by line.
    """
    lines = split_lines(doc.text)
    eol = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    new_lines = dump_value(key, value).replace("\n", eol)
    if not doc.has_frontmatter:
        bom = _BOM if doc.text.startswith(_BOM) else ""
        return f"{bom}---{eol}{new_lines}---{eol}{doc.text[len(bom):]}"
    start, end = _field_span(doc, key)
    if start is None:
        close = doc.fm_close_line - 1  # 0-based index of the closing delimiter
        return "".join(lines[:close]) + _with_newline(lines, close) + new_lines + "".join(lines[close:])
    return "".join(lines[:start]) + new_lines + "".join(lines[end:])


def remove_field(doc: Document, key: str) -> str:
    """Return the document text without top-level `key`."""
    if not doc.has_frontmatter:
        return doc.text
    start, end = _field_span(doc, key)
    if start is None:
        return doc.text
    lines = split_lines(doc.text)
    return "".join(lines[:start]) + "".join(lines[end:])


def _with_newline(lines: list[str], close: int) -> str:
    # The line before the closer normally ends in a newline; if not, add one.
    if close > 0 and not lines[close - 1].endswith("\n"):
        return "\n"
    return ""


def _field_span(doc: Document, key: str) -> tuple[int | None, int]:
    """0-based [start, end) line indexes of `key` and its continuation lines.

    With duplicate keys the last one (the value YAML keeps) is the one edited.
    """
    _check_editable(doc)
    close = doc.fm_close_line - 1
    starts = doc.key_starts
    found = [i for i, top in enumerate(starts) if top.key == key]
    if not found:
        return None, close
    index = found[-1]
    start = starts[index].line - 1
    last = starts[index].last_line - 1
    end = starts[index + 1].line - 1 if index + 1 < len(starts) else close
    lines = split_lines(doc.text)
    while end - 1 > start and (not lines[end - 1].strip() or (end - 1 > last and lines[end - 1].startswith("#"))):
        end -= 1  # blank lines and, after the value, comments belong to what follows
    return start, end


def _check_editable(doc: Document) -> None:
    if doc.frontmatter is None:
        reason = doc.problems[0].message if doc.problems else "it does not parse"
        raise ValueError(f"frontmatter cannot be edited: {reason}")
    lines = [top.line for top in doc.key_starts]
    if any(top.column != 0 for top in doc.key_starts) or len(set(lines)) != len(lines):
        raise ValueError("frontmatter cannot be edited line by line: its keys are not each on a line of their own at column 0")


def replace_in_body(doc: Document, old: str, new: str) -> str:
    """Replace every occurrence of `old` in the body only."""
    head_len = len(doc.text) - len(doc.body)
    return doc.text[:head_len] + doc.body.replace(old, new)


def atomic_write(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically; see `atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temp file in the same folder, fsync and a rename.

    The temp name is short and fixed-length: corpus titles reach 252 bytes,
    so `<note>.tmp` would overflow the 255-byte name limit.
    """
    fd, tmp = tempfile.mkstemp(prefix=".teleo-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else _default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def may_write(folder: Path) -> bool:
    """Whether Teleo may write in `folder` (an index, a cache), decided without writing there.

    Root ignores permission bits, so `os.access` alone says yes for a folder made read-only (a
    shared snapshot, say): its mode bits and a read-only mount are checked too. Nothing is created
    to find out, so asking never changes the folder, not even its modification time."""
    try:
        mode = folder.stat().st_mode
        read_only_mount = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
    return os.access(folder, os.W_OK) and bool(mode & 0o222) and not read_only_mount


def reparse(text: str) -> Document:
    return parse_document(text)


def _read_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


_UMASK = _read_umask()
"""Read once at import: os.umask is process-wide, so it must not be toggled while threads write."""


def _default_mode() -> int:
    """The mode a plain `open(path, "w")` would give a new file (0o666 less the umask)."""
    return 0o666 & ~_UMASK
