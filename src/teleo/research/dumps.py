"""Raw dumps under `inbox-raw/<agent>/`: the material a research session reads (reference §4.1, §4.2).

What a dump may be (anything else is skipped and named in the session's notes):

| file | holds | read as |
|---|---|---|
| `*.json` | a list of records, or an object holding one under `tweets`, `data`, `data.tweets`, `items` or `records` (twitterapi.io's `last_tweets` answer as it is) | one item per record |
| `*.jsonl` | one record per line (blank lines skipped) | one item per line |
| `*.md`, `*.markdown` | one document; frontmatter `title`, `author`, `url`, `date`, `format` honoured (`teleo.ingest`'s reader) | one item |
| `*.txt` | one document; its first line is the title | one item |

A record is an object with the post's text under `text` (or `full_text`, `content`, `body`) and,
optionally: `url` (`link`, `twitterUrl`), `id` (`id_str`), the date under `createdAt`, `created_at`
or `date` (ISO 8601 or X's `Wed Oct 10 20:19:24 +0000 2018`), likes under `likeCount`, `likes` or
`favorite_count`, the author as `author: {userName, name}` (X's shape), `user: {screen_name,
name}`, `username`/`handle`, or a string `"Name (@handle)"`. A record without a URL but with a
handle and an id gets `https://x.com/<handle>/status/<id>`.

Dumps are data, never instructions: text is kept only after `teleo.ingest`'s cleaning (controls and
invisible characters removed, links and tags defused); a handle must be an X handle (else the
record's author is unknown and the notes say which file, record and field); a URL must be http(s);
only regular files are read (no symlinks, nothing hidden), at most `MAX_FILES` files of
`MAX_FILE_BYTES` each and `MAX_RECORDS` records per file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from teleo.ingest.names import normalise_date
from teleo.ingest.pipeline import web_url
from teleo.notes.untrusted import one_line
from teleo.research.network import HANDLE
from teleo.vault.vault import RAW_DIR

RAW_ROOT = RAW_DIR  # one definition: every walk of the vault leaves it out (`teleo.vault.vault.RAW_DIR`)
MAX_FILES = 200
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_RECORDS = 2_000
MAX_TEXT_CHARS = 40_000
RECORD_SUFFIXES = (".json", ".jsonl")
DOCUMENT_SUFFIXES = (".md", ".markdown", ".txt")
_TEXT_KEYS = ("text", "full_text", "content", "body")
_URL_KEYS = ("url", "link", "twitterUrl")
_DATE_KEYS = ("createdAt", "created_at", "date")
_LIKE_KEYS = ("likeCount", "likes", "favorite_count")
_NAME_HANDLE = re.compile(r"\(@([A-Za-z0-9_]{1,15})\)")
_X_DATE = "%a %b %d %H:%M:%S %z %Y"


@dataclass
class RawItem:
    """One post or document from a dump."""

    origin: str
    """Where it came from: `inbox-raw/rio/tweets.json #3` (record numbers from 1)."""
    text: str
    handle: str | None = None
    name: str | None = None
    url: str | None = None
    date: str | None = None
    """YYYY-MM-DD."""
    likes: int | None = None
    title: str | None = None
    format: str | None = None
    media: str = "text"
    """`text` for a post (its text is the content), `markdown` for a document."""

    @property
    def author(self) -> str:
        """`Name (@handle)` as the source schema writes it; `@handle`; the name; `unknown`."""
        if self.handle and self.name:
            return f"{self.name} (@{self.handle})"
        if self.handle:
            return f"@{self.handle}"
        return self.name or "unknown"


@dataclass
class Dumps:
    items: list[RawItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What was skipped and why (file, record, field)."""
    files: int = 0


def read_dumps(root: Path, agent: str) -> Dumps:
    """Every item of `<root>/inbox-raw/<agent>/` (see the module doc), in file-name then record order."""
    folder = root / RAW_ROOT / agent
    out = Dumps()
    label = f"{RAW_ROOT}/{agent}"
    if folder.is_symlink() or (root / RAW_ROOT).is_symlink():
        out.notes.append(f"{label}: a symbolic link, not read (dumps are read from a plain folder)")
        return out
    if not folder.is_dir():
        return out
    paths = sorted(p for p in folder.rglob("*") if not any(part.startswith(".") for part in p.relative_to(folder).parts))
    for path in paths:
        rel = f"{label}/{path.relative_to(folder).as_posix()}"
        if path.is_dir() and not path.is_symlink():
            continue
        if path.is_symlink() or not path.is_file():
            out.notes.append(f"{rel}: not a regular file, skipped")
            continue
        suffix = path.suffix.lower()
        if suffix not in RECORD_SUFFIXES + DOCUMENT_SUFFIXES:
            out.notes.append(f"{rel}: not a dump format (.json, .jsonl, .md, .txt), skipped")
            continue
        if out.files >= MAX_FILES:
            out.notes.append(f"{label}: more than {MAX_FILES} files, the rest skipped")
            break
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            out.notes.append(f"{rel}: {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte cap, skipped")
            continue
        out.files += 1
        data = path.read_bytes()
        if suffix in RECORD_SUFFIXES:
            _read_records(data, rel, suffix, out)
        else:
            _read_document(data, rel, suffix, out)
    return out


def _read_records(data: bytes, rel: str, suffix: str, out: Dumps) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.notes.append(f"{rel}: not UTF-8 text, skipped")
        return
    records: list[Any] = []
    if suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                out.notes.append(f"{rel}: line {number}: not JSON ({exc.msg}), skipped")
                records.append(None)
    else:
        try:
            records = _record_list(json.loads(text))
        except json.JSONDecodeError as exc:
            out.notes.append(f"{rel}: line {exc.lineno}: not JSON ({exc.msg}), skipped")
            return
        except ValueError as exc:
            out.notes.append(f"{rel}: {exc}, skipped")
            return
    if len(records) > MAX_RECORDS:
        out.notes.append(f"{rel}: {len(records):,} records, only the first {MAX_RECORDS:,} read")
        records = records[:MAX_RECORDS]
    for number, record in enumerate(records, 1):
        if record is None:
            continue
        item = _record_item(record, f"{rel} #{number}", out.notes)
        if item is not None:
            out.items.append(item)


def _record_list(raw: Any) -> list[Any]:
    if isinstance(raw, list):
        return raw
    if isinstance(raw, dict):
        for key in ("tweets", "data", "items", "records"):
            value = raw.get(key)
            if isinstance(value, list):
                return value
            if isinstance(value, dict) and isinstance(value.get("tweets"), list):
                return value["tweets"]
    raise ValueError("neither a list of records nor an object holding one under tweets, data, items or records")


def _record_item(record: Any, origin: str, notes: list[str]) -> RawItem | None:
    if not isinstance(record, dict):
        notes.append(f"{origin}: a record must be an object, skipped")
        return None
    text = _first_str(record, _TEXT_KEYS)
    if not text or not text.strip():
        notes.append(f"{origin}: no text (field text), skipped")
        return None
    handle, name, where = _author(record)
    if handle is not None and not HANDLE.match(handle):
        notes.append(f"{origin}: field '{where}': {json.dumps(handle[:40])} is not an X handle; author kept as unknown")
        handle = None
    url = _web_url(_first_str(record, _URL_KEYS))
    ident = record.get("id_str") or record.get("id")
    if url is None and handle and isinstance(ident, (str, int)) and str(ident).isdigit():
        url = f"https://x.com/{handle}/status/{ident}"
    likes = next((record[k] for k in _LIKE_KEYS if isinstance(record.get(k), int) and not isinstance(record.get(k), bool)), None)
    return RawItem(origin=origin, text=text[:MAX_TEXT_CHARS], handle=handle,
                   name=one_line(name, 80) if name else None, url=url,
                   date=parse_date(_first_str(record, _DATE_KEYS)), likes=likes, format="tweet" if handle else None)


def _author(record: dict) -> tuple[str | None, str | None, str]:
    """(handle, name, the field the handle came from)."""
    for key, handle_key, name_key in (("author", "userName", "name"), ("author", "username", "name"),
                                      ("author", "screen_name", "name"), ("user", "screen_name", "name"),
                                      ("user", "username", "name")):
        value = record.get(key)
        if isinstance(value, dict) and isinstance(value.get(handle_key), str):
            name = value.get(name_key)
            return value[handle_key].lstrip("@"), name if isinstance(name, str) else None, f"{key}.{handle_key}"
    for key in ("username", "handle", "screen_name"):
        if isinstance(record.get(key), str):
            name = record.get("name")
            return record[key].lstrip("@"), name if isinstance(name, str) else None, key
    author = record.get("author")
    if isinstance(author, str) and author.strip():
        found = _NAME_HANDLE.search(author)
        if found:
            return found.group(1), author.split("(")[0].strip() or None, "author"
        if author.strip().startswith("@"):
            return author.strip()[1:], None, "author"
        return None, author, "author"
    return None, None, "author"


def _read_document(data: bytes, rel: str, suffix: str, out: Dumps) -> None:
    from teleo.ingest.extract import extract
    from teleo.ingest.models import IngestError

    media = "text" if suffix == ".txt" else "markdown"
    try:
        found = extract(data, media)
    except IngestError as exc:
        out.notes.append(f"{rel}: {exc}, skipped")
        return
    if not found.text.strip():
        out.notes.append(f"{rel}: no text, skipped")
        return
    handle, name = None, found.author
    if found.author:
        at = _NAME_HANDLE.search(found.author)
        handle = at.group(1) if at else None
        name = found.author.split("(")[0].strip() or None if at else found.author
    out.items.append(RawItem(origin=rel, text=found.text[:MAX_TEXT_CHARS], handle=handle,
                             name=one_line(name, 80) if name else None, url=_web_url(found.url),
                             date=normalise_date(found.date), title=found.title, format=found.format,
                             media="markdown"))


def _first_str(record: dict, keys: tuple[str, ...]) -> str | None:
    return next((record[k] for k in keys if isinstance(record.get(k), str)), None)


def _web_url(url: str | None) -> str | None:
    """`url` stripped, when it is an http(s) URL (`teleo.ingest`'s test) without spaces; else None."""
    url = url.strip() if url else None
    return url if url and " " not in url and web_url(url) else None


def parse_date(value: str | None) -> str | None:
    """YYYY-MM-DD from ISO 8601 or X's `Wed Oct 10 20:19:24 +0000 2018`; None when neither."""
    if not value:
        return None
    found = normalise_date(value.strip())
    if found:
        return found
    try:
        return dt.datetime.strptime(value.strip(), _X_DATE).date().isoformat()
    except ValueError:
        return None
