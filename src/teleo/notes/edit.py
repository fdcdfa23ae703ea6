"""Minimal edits to a note's text, and the atomic write.

A field edit replaces only the lines of that top-level key (or appends it
before the closing delimiter); every other byte of the file is kept. That is
how "change one field, change only its lines" holds without trusting a YAML
round-tripper to reproduce quoting, comments and spacing it did not write.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from teleo.notes.document import Document, dump_value, parse_document

_KEY_LINE = re.compile(r"^([A-Za-z_][\w\-]*)\s*:")


def set_field(doc: Document, key: str, value: Any) -> str:
    """Return the document text with top-level `key` set to `value`."""
    new_lines = dump_value(key, value)
    if not doc.has_frontmatter:
        return f"---\n{new_lines}---\n{doc.text}"
    start, end = _field_span(doc, key)
    lines = doc.text.splitlines(keepends=True)
    if start is None:
        close = doc.body_start_line - 2  # 0-based index of the closing delimiter
        return "".join(lines[:close]) + _with_newline(lines, close) + new_lines + "".join(lines[close:])
    return "".join(lines[:start]) + new_lines + "".join(lines[end:])


def remove_field(doc: Document, key: str) -> str:
    """Return the document text without top-level `key`."""
    start, end = _field_span(doc, key)
    if start is None:
        return doc.text
    lines = doc.text.splitlines(keepends=True)
    return "".join(lines[:start]) + "".join(lines[end:])


def _with_newline(lines: list[str], close: int) -> str:
    # The line before the closer normally ends in a newline; if not, add one.
    if close > 0 and not lines[close - 1].endswith("\n"):
        return "\n"
    return ""


def _field_span(doc: Document, key: str) -> tuple[int | None, int]:
    """0-based [start, end) line indexes of `key` and its continuation lines."""
    lines = doc.text.splitlines(keepends=True)
    first = doc.fm_first_line - 1
    close = doc.body_start_line - 2
    start = None
    for index in range(first, close):
        match = _KEY_LINE.match(lines[index])
        if start is None and match and match.group(1) == key:
            start = index
        elif start is not None and match:
            return start, index
    return start, close


def replace_in_body(doc: Document, old: str, new: str) -> str:
    """Replace every occurrence of `old` in the body only."""
    head_len = len(doc.text) - len(doc.body)
    return doc.text[:head_len] + doc.body.replace(old, new)


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` via a temp file in the same folder and a rename.

    The temp name is short and fixed-length: corpus titles reach 252 bytes,
    so `<note>.tmp` would overflow the 255-byte name limit.
    """
    fd, tmp = tempfile.mkstemp(prefix=".teleo-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def reparse(text: str) -> Document:
    return parse_document(text)
