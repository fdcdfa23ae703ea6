"""Is this source archived already? Same URL, or same text.

URLs are compared in a normal form: no scheme, no `www.`, lower-case host, no
trailing slash, no fragment, no tracking parameters (`utm_*`, `fbclid`, …),
the remaining query sorted; twitter.com is x.com. Every note under `inbox/`
(but the drop folder `inbox/queue/`, whose raw files wait to be archived) is compared by its `url` field (or the legacy `source` field when that holds
a URL).

Text is compared by `content_hash` (teleo.ingest.clean) of the `## Content`
section, computed on the fly, as the extractor reads it
(`teleo.notes.sections.source_span`): up to the first known section that is
not source text (Agent Notes, Curator Notes, Key Facts, Raw Data), so the
section is exactly what was archived even after Agent Notes are appended, and
an archived text that kept `##` headings of its own is compared whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from teleo.ingest.clean import content_hash
from teleo.notes.sections import source_span
from teleo.vault import Vault

ARCHIVE_ROOT = "inbox/"
DROP_FOLDER = "inbox/queue/"
"""Raw files waiting to be archived (`teleo run`): not archived sources, never duplicates of themselves."""
_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|_hsenc|_hsmi|ref_src)$", re.IGNORECASE)
_X_HOSTS = {"twitter.com", "mobile.twitter.com", "x.com", "mobile.x.com"}


def normalise_url(url: str | None) -> str | None:
    """The comparison form of an http(s) URL; None for anything else."""
    if not url:
        return None
    text = str(url).strip()
    if text.lower().startswith("www."):
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if host in _X_HOSTS:
        host = "x.com"
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = [] if host == "x.com" else sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    return host + path + ("?" + urlencode(query) if query else "")


def clean_url(url: str) -> str:
    """`url` as written to the note: tracking parameters and the fragment removed, nothing else changed."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    if parts.scheme.lower() not in ("http", "https"):
        return url.strip()
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def content_section(body: str) -> str | None:
    """The text of a note's `## Content` section, None when it has none."""
    span = source_span(body)
    return body[span.start:span.end] if span.section == "content" else None


@dataclass(frozen=True)
class Duplicate:
    path: str
    reason: str
    """`url` or `content`."""


class ArchiveIndex:
    """The URLs and content hashes of the sources a vault holds (read once)."""

    def __init__(self, vault: Vault) -> None:
        self.by_url: dict[str, str] = {}
        self.by_hash: dict[str, str] = {}
        for path in vault.markdown_paths():
            if not path.startswith(ARCHIVE_ROOT) or path.startswith(DROP_FOLDER):
                continue
            note = vault.note(path)
            if not note.readable:
                continue
            for key in ("url", "source"):
                norm = normalise_url(_scalar(note.data.get(key)))
                if norm:
                    self.by_url.setdefault(norm, path)
            section = content_section(note.doc.body)
            if section is not None and section.strip():
                self.by_hash.setdefault(content_hash(section), path)

    def url_duplicate(self, urls: list[str | None]) -> Duplicate | None:
        for url in urls:
            norm = normalise_url(url)
            if norm and norm in self.by_url:
                return Duplicate(self.by_url[norm], "url")
        return None

    def content_duplicate(self, digest: str) -> Duplicate | None:
        path = self.by_hash.get(digest)
        return Duplicate(path, "content") if path else None


def _scalar(value: object) -> str | None:
    return value if isinstance(value, str) else None
