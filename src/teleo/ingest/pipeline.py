"""`ingest(vault, source, options)`: one source in, one lint-clean note in `inbox/archive/` out.

Steps: read (fetch a URL, read a file or stdin) → sniff the media → extract
text and metadata → settle title, author, date, url, domain, format (options
first, then the source's own metadata, then fallbacks) → report a duplicate
(same URL, then same text) and stop, or → neutralise the text → name the
file → write it atomically → lint it (any error: the file is removed and
IngestError raised) → commit it when the vault is a git repository.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from teleo.gates import Severity, check
from teleo.ingest.clean import clean_field, content_hash, neutralise_body, truncate
from teleo.ingest.dedupe import ArchiveIndex, clean_url
from teleo.ingest.extract import detect_media, extract
from teleo.ingest.fetch import fetch
from teleo.ingest.models import (
    MEDIA,
    Extracted,
    IngestError,
    IngestInput,
    IngestOptions,
    IngestResult,
    IngestUsageError,
)
from teleo.ingest.names import (
    UNKNOWN_AUTHOR,
    author_handle,
    normalise_date,
    source_filename,
)
from teleo.notes import atomic_write, note_from_text
from teleo.notes.document import MAX_NOTE_BYTES, dump_value
from teleo.notes.schema import LEGACY_ENUM_VALUES, SOURCE_FORMAT, Kind
from teleo.repo import GitError, Repo
from teleo.vault import UnsafePath, Vault, normalise_title

ARCHIVE = "inbox/archive"
MAX_CONTENT_CHARS = (MAX_NOTE_BYTES - 64 * 1024) // 4
"""Content kept per note: the note stays under the 5 MB note limit even in 4-byte characters."""
MAX_COLLISIONS = 99
FIELD_ORDER = ("type", "title", "author", "url", "date", "domain", "format", "status", "tags", "ingested")
MEDIA_FORMAT = {"pdf": "paper", "html": "essay", "markdown": "essay", "text": "essay"}
"""The format written when neither --format nor the source says: a PDF is a paper, anything else an essay."""
_TWEET_HOSTS = ("x.com", "twitter.com", "mobile.twitter.com", "www.twitter.com", "www.x.com")


def ingest(vault: Vault, source: IngestInput, options: IngestOptions | None = None) -> IngestResult:
    """Archive `source` in `vault` as an unprocessed source note, or report the note it duplicates."""
    options = options or IngestOptions()
    today = options.today or dt.date.today()
    domain = _domain(vault, options.domain)
    chosen_format = _format(options.format, strict=True) if options.format else None
    chosen_date = _date(options.date) if options.date else None
    if options.url is not None and web_url(options.url) is None:
        raise IngestUsageError(f"--url '{options.url}' is not an http:// or https:// URL")
    if options.media is not None and options.media not in MEDIA:
        raise IngestUsageError(f"unknown input type '{options.media}' (one of: {', '.join(MEDIA)})")
    archive = ArchiveIndex(vault)

    early = archive.url_duplicate([options.url, source.location if source.kind == "url" else None])
    if early is not None:
        return _duplicate(early.path, early.reason, options.title or source.location, {})

    data, name, content_type, charset, final_url = _read(source, options)
    if not data.strip():
        raise IngestError(f"{_label(source)}: the input is empty ({len(data):,} bytes{', all whitespace' if data else ''}): no text to archive")
    try:
        media = options.media or detect_media(data, name=name, content_type=content_type)
        found = extract(data, media, url=final_url, charset=charset)
    except IngestError as exc:  # name the input: "the PDF cannot be read" alone says not which
        raise IngestError(f"{_label(source)}: {exc}") from None
    warnings = list(found.warnings)

    fields = _fields(vault, source, options, found, domain, chosen_format, chosen_date, today, warnings)
    dup = archive.url_duplicate([fields["url"], final_url, found.url])
    if dup is not None:
        return _duplicate(dup.path, dup.reason, fields["title"], fields, found.warnings)

    body, dropped = truncate(neutralise_body(found.text), MAX_CONTENT_CHARS)
    if not body.strip():  # why extraction found nothing, not what the fields would have been
        why = f" ({'; '.join(found.warnings)})" if found.warnings else ""
        raise IngestError(f"{_label(source)}: no text could be extracted from it as {media}{why}")
    dup = archive.content_duplicate(content_hash(body))
    if dup is not None:
        return _duplicate(dup.path, dup.reason, fields["title"], fields, found.warnings)
    if fields["domain"] is None:
        raise IngestUsageError(
            "say which domain the source belongs to with --domain (one of: " + ", ".join(vault.config.domains) + ")"
        )
    if dropped:
        body += f"\n\n*[truncated by teleo ingest: {dropped:,} more characters not kept]*"
        warnings.append(f"the text was cut to {MAX_CONTENT_CHARS:,} characters ({dropped:,} dropped)")

    text = render(fields, body)
    rel = _write(vault, fields, text)
    commit_id = _commit(vault, rel, options, warnings)
    return IngestResult(path=rel, title=fields["title"], fields=fields, media=media, commit=commit_id, warnings=warnings)


# -- reading ---------------------------------------------------------------------


def _read(source: IngestInput, options: IngestOptions) -> tuple[bytes, str | None, str | None, str | None, str | None]:
    """(bytes, name for sniffing, content type, charset, final URL)."""
    if source.kind == "url":
        if source.data is not None:
            return source.data, source.location, None, None, source.location
        fetched = fetch(source.location, max_bytes=options.max_bytes, timeout=options.timeout)
        return fetched.data, fetched.final, fetched.content_type, fetched.charset, fetched.final
    if source.kind == "stdin":
        data = source.data if source.data is not None else _read_stdin(options.max_bytes)
        if len(data) > options.max_bytes:
            raise IngestError(f"standard input is over the {options.max_bytes:,}-byte cap")
        return data, None, None, None, None
    path = Path(source.location)
    try:
        if not path.is_file():
            raise IngestError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
        size = path.stat().st_size
        if size > options.max_bytes:
            raise IngestError(f"{path}: {size:,} bytes is over the {options.max_bytes:,}-byte cap")
        data = source.data if source.data is not None else path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return data, path.name, None, None, None


def _read_stdin(max_bytes: int) -> bytes:
    import sys

    return sys.stdin.buffer.read(max_bytes + 1)


def _label(source: IngestInput) -> str:
    return "standard input" if source.kind == "stdin" else source.location


# -- choosing the fields ------------------------------------------------------------


def _domain(vault: Vault, wanted: str | None) -> str | None:
    domains = list(vault.config.domains)
    if wanted is not None:
        if wanted not in vault.config.domains:
            raise IngestUsageError(f"domain '{wanted}' is not configured in this vault (one of: {', '.join(domains)})")
        return wanted
    return domains[0] if len(domains) == 1 else None


def _format(value: str, strict: bool) -> str | None:
    text = value.strip().lower()
    if text in SOURCE_FORMAT:
        return text
    legacy = LEGACY_ENUM_VALUES.get((Kind.SOURCE, "format"), {}).get(text)
    if legacy:
        return legacy
    if strict:
        raise IngestUsageError(f"format '{value}' is not a source format (one of: {', '.join(SOURCE_FORMAT)})")
    return None


def _date(value: str) -> str:
    found = normalise_date(value)
    if found is None:
        raise IngestUsageError(f"date '{value}' is not YYYY-MM-DD (YYYY-MM and YYYY, or 00 for unknown parts, also work)")
    return found


def _fields(
    vault: Vault, source: IngestInput, options: IngestOptions, found: Extracted, domain: str | None,
    chosen_format: str | None, chosen_date: str | None, today: dt.date, warnings: list[str],
) -> dict[str, Any]:
    if domain is None and found.domain in vault.config.domains:
        domain = found.domain
    title = clean_field(options.title or found.title or "") or "untitled"
    if title == "untitled":
        warnings.append("no title found; pass --title")
    author = clean_field(options.author or found.author or found.sitename or "", limit=200)
    if not author:
        author = UNKNOWN_AUTHOR
        warnings.append("no author found; wrote 'unknown' (pass --author 'Name (@handle)')")
    date = chosen_date or normalise_date(found.date)
    if date is None:
        date = today.isoformat()
        warnings.append(f"no publication date found; used today's date {date} (pass --date)")
    url = options.url or (source.location if source.kind == "url" else None) or web_url(found.url)
    if url:
        url = clean_field(clean_url(url), limit=2000)
    else:
        name = "stdin" if source.kind == "stdin" else clean_field(Path(source.location).name, 200)
        url = f"local:{name}"
        warnings.append(f"no URL known; wrote '{url}' (pass --url)")
    fmt = chosen_format or (_format(found.format, strict=False) if found.format else None) or infer_format(found.media, url)
    tags = []
    for tag in [*options.tags, *found.tags]:
        tag = clean_field(tag, limit=80)
        if tag and tag not in tags:
            tags.append(tag)
    fields: dict[str, Any] = {
        "type": "source", "title": title, "author": author, "url": url, "date": date, "domain": domain,
        "format": fmt, "status": "unprocessed", "tags": tags, "ingested": today.isoformat(),
    }
    return fields


def web_url(url: str | None) -> str | None:
    """`url` when it is an http(s) URL (metadata can say anything, `javascript:` included)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def infer_format(media: str, url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    if host in _TWEET_HOSTS and "/status/" in url:
        return "tweet"
    return MEDIA_FORMAT.get(media, "essay")


def _duplicate(path: str, reason: str, title: str, fields: dict, warnings: list[str] | None = None) -> IngestResult:
    return IngestResult(
        title=title, duplicate_of=path, duplicate_reason=reason, fields=fields, warnings=list(warnings or [])  # type: ignore[arg-type]
    )


# -- writing ---------------------------------------------------------------------


def render(fields: dict[str, Any], body: str) -> str:
    """The note: frontmatter in FIELD_ORDER (an empty tag list left out), then `## Content`."""
    lines = ["---\n"]
    for key in FIELD_ORDER:
        value = fields.get(key)
        if value is None or (key == "tags" and not value):
            continue
        lines.append(dump_value(key, value))
    lines.append("---\n\n## Content\n\n")
    lines.append(body.rstrip("\n") + "\n")
    return "".join(lines)


def _write(vault: Vault, fields: dict[str, Any], text: str) -> str:
    _check_round_trip(fields, text)
    try:
        archive_dir = vault.absolute(ARCHIVE)
        archive_dir.mkdir(parents=True, exist_ok=True)
        vault.absolute(ARCHIVE)  # the folder may be an outward symlink made before mkdir
    except UnsafePath as exc:
        raise IngestError(f"cannot write into {ARCHIVE}/: {exc}") from None
    real_dir = archive_dir.resolve()
    taken = {normalise_title(PurePosixPath(p).stem) for p in vault.markdown_paths() if p.startswith(ARCHIVE + "/")}
    handle = author_handle(fields["author"])
    for attempt in range(1, MAX_COLLISIONS + 1):
        suffix = "" if attempt == 1 else f"-{attempt}"
        name = source_filename(fields["date"], handle, fields["title"], suffix)
        rel = f"{ARCHIVE}/{name}"
        full = vault.absolute(rel)
        if full.resolve().parent != real_dir:
            raise IngestError(f"refusing to write {rel}: it resolves outside {ARCHIVE}/")
        if _exists(full) or normalise_title(name[:-3]) in taken:
            continue
        if _reserve(full):
            break
    else:
        raise IngestError(f"{MAX_COLLISIONS} files named like {name} exist already")
    try:
        atomic_write(full, text)
    except BaseException:
        full.unlink(missing_ok=True)
        raise
    vault.forget()
    report = check(vault, [rel])
    errors = [f for f in report.findings if f.severity is Severity.ERROR and f.file == rel]
    if errors:
        full.unlink(missing_ok=True)
        vault.forget()
        listed = "; ".join(f"{f.rule} (line {f.line}): {f.message}" for f in errors)
        raise IngestError(f"the note failed lint and was not kept: {listed}")
    return rel


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _reserve(path: Path) -> bool:
    """Create `path` empty, failing if anything is there: a concurrent ingest never overwrites a note."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False
    except OSError as exc:
        raise IngestError(f"cannot create {path.name}: {exc.strerror or exc}") from None
    return True


def _check_round_trip(fields: dict[str, Any], text: str) -> None:
    """The frontmatter reads back as exactly the fields written (a guard against quoting surprises)."""
    note = note_from_text(f"{ARCHIVE}/check.md", text)
    data = note.doc.frontmatter
    if data is None or note.doc.problems:
        raise IngestError("internal error: the note's frontmatter does not read back")
    for key in FIELD_ORDER:
        if key in data and data[key] != fields[key]:
            raise IngestError(f"internal error: field {key} reads back as {data[key]!r}, not {fields[key]!r}")


def _commit(vault: Vault, rel: str, options: IngestOptions, warnings: list[str]) -> str | None:
    if not options.commit:
        return None
    repo = Repo.open(vault.root)
    if repo is None:
        return None
    name = PurePosixPath(rel).name
    try:
        repo_path = (vault.root / rel).resolve().relative_to(repo.root.resolve()).as_posix()
        return repo.commit([repo_path], f"ingest: archive {name}\n")
    except (GitError, ValueError) as exc:
        warnings.append(f"archived but not committed: {exc}")
        return None
