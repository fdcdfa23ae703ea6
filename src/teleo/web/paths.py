"""Turning a path from a URL into a vault-relative note path that cannot leave the vault."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import unquote


class BadPath(Exception):
    """The path is not a note of this vault (escapes it, is hidden, or is not markdown)."""


def safe_note_path(root: Path, raw: str) -> str:
    """The vault-relative POSIX path for `raw` (already URL-decoded once by the router).

    Refused: absolute paths, `..` segments (also when encoded twice, `%252e%252e`),
    backslashes and NUL, hidden folders (`.git`, `.teleo`), anything not ending in
    `.md`, and a path whose real location (symlinks resolved) is outside the vault.
    """
    text = raw
    for _ in range(3):  # a path encoded more than once is decoded to its end
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    if not text or "\x00" in text or "\\" in text:
        raise BadPath("not a vault path")
    pure = PurePosixPath(text)
    if pure.is_absolute() or text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise BadPath("absolute paths are not served")
    if any(part in ("..", ".") for part in text.split("/")):
        raise BadPath("path leaves the vault")
    if any(part.startswith(".") for part in pure.parts):
        raise BadPath("hidden files are not served")
    if pure.suffix.lower() != ".md":
        raise BadPath("only markdown notes are served")
    root = root.resolve()
    real = Path(os.path.realpath(root / pure))
    if not real.is_relative_to(root):
        raise BadPath("path resolves outside the vault")
    return pure.as_posix()
