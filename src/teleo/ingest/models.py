"""The data of one ingest: what is read, the choices that shape the note, what came of it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

Media = Literal["html", "pdf", "markdown", "text"]
MEDIA: tuple[str, ...] = ("html", "pdf", "markdown", "text")

MAX_BYTES = 20 * 1024 * 1024
"""Largest input read (a fetched body, a file, stdin): 20 MB."""

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):(//)?")


class IngestError(Exception):
    """The source could not be archived (fetch, read, extraction, lint or write failed)."""


class IngestUsageError(IngestError):
    """An option is wrong (unknown domain or format, bad date, unsupported URL scheme)."""


class IngestInput(BaseModel):
    """Where the source comes from: a URL, a local file, or standard input."""

    kind: Literal["url", "file", "stdin"]
    location: str
    """The URL, the file path, or `-`."""
    data: bytes | None = Field(default=None, repr=False)
    """The bytes already read (stdin); when None they are fetched or read from `location`."""

    @classmethod
    def parse(cls, argument: str, data: bytes | None = None) -> "IngestInput":
        """`-` is stdin, `http(s)://…` a URL, anything else a file path.

        Any other scheme (`file://`, `ftp://`, `javascript:`) is refused: fetching
        http and https is the only network access, and local files are named by path.
        """
        text = argument.strip()
        if text == "-":
            return cls(kind="stdin", location="-", data=data)
        match = _SCHEME.match(text)
        if match and (match.group(2) or match.group(1).lower() in ("http", "https", "file", "javascript", "data")):
            scheme = match.group(1).lower()
            if scheme not in ("http", "https"):
                raise IngestUsageError(f"{argument}: only http:// and https:// URLs are fetched (scheme '{scheme}')")
            return cls(kind="url", location=text, data=data)
        return cls(kind="file", location=argument, data=data)


class IngestOptions(BaseModel):
    """What the caller says about the source; each set field wins over the source's own metadata."""

    domain: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    """YYYY-MM-DD, YYYY-MM or YYYY (00 placeholders allowed)."""
    url: str | None = None
    format: str | None = None
    """The source format (essay, paper, report, …); inferred when absent."""
    media: Media | None = None
    """What the bytes are (html, pdf, markdown, text); sniffed when absent."""
    tags: list[str] = Field(default_factory=list)
    commit: bool = True
    today: dt.date | None = None
    max_bytes: int = MAX_BYTES
    timeout: float = 20.0
    """Seconds per network operation; the whole download gets three times this."""


class IngestResult(BaseModel):
    """What `ingest` did: the note written, or the archive entry the source duplicates."""

    path: str | None = None
    """Vault-relative path of the note written (None for a duplicate)."""
    title: str
    duplicate_of: str | None = None
    duplicate_reason: Literal["url", "content"] | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    """The frontmatter written (or that would have been, for a content duplicate)."""
    media: str | None = None
    commit: str | None = None
    warnings: list[str] = Field(default_factory=list)

    @property
    def written(self) -> bool:
        return self.path is not None

    @property
    def status(self) -> str:
        return "duplicate" if self.duplicate_of else "archived"


@dataclass
class Extracted:
    """Text and metadata read from one input, before any choice is made."""

    media: str
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    sitename: str | None = None
    format: str | None = None
    domain: str | None = None
    tags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
