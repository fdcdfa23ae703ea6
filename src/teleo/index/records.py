"""From a note's bytes to the rows the index stores: facets, fields, links, text, embedding text.

`parse_record` is a pure function of (path, bytes) so it can run in worker
processes; what depends on the vault's config (domain from folder, owning
agent) is added afterwards by `facets`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from teleo.notes import Note, find_links, note_from_bytes, split_link
from teleo.notes.schema import Kind
from teleo.vault.config import Config
from teleo.vault.resolver import Resolution, normalise_title, path_stem

REF_FIELDS = (
    "depends_on", "challenged_by", "challenges", "claims_extracted", "enrichments",
    "enrichments_applied", "parent_entity", "supports", "related",
)
"""Frontmatter keys whose plain values name other notes (`[[links]]` anywhere are found anyway)."""

EMBED_KINDS = frozenset({
    Kind.CLAIM.value, Kind.SOURCE.value, Kind.ENTITY.value, Kind.BELIEF.value, Kind.POSITION.value,
    Kind.CONVICTION.value, Kind.SECTOR.value, Kind.MUSING.value,
})
"""Kinds that get an embedding. Maps, agent documents, journals and prose docs do not: they are
hubs and instructions, and would crowd the neighbours of every claim."""

META_FIELDS = ("tags", "author", "source", "name", "entity_type", "secondary_domains", "format", "event_type")
"""Frontmatter text that is searchable (a third, lighter column next to title and description)."""

EMBED_BODY_CHARS = 500
_LINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")
_MARKUP_CHARS = "*_`>#|\n\t"
_URL = re.compile(r"https?://\S+")


@dataclass
class Record:
    """Everything the index stores for one note, before config-derived facets."""

    path: str
    hash: bytes
    title: str
    kind: str
    type: str | None
    domain: str | None
    confidence: str | None
    status: str | None
    description: str | None
    created: str | None
    label: str | None
    owner: str | None
    """An agent the note itself names: `agent:`, `tracked_by:`, or its `agents/<name>/` folder."""
    data_json: str
    problems_json: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    links: list[tuple[int, str | None, str, str, bool, str]] = field(default_factory=list)
    """(line, field, raw, target, wiki, key): `key` is `link_key(target)`."""
    resolved: list[tuple[str | None, str | None, int]] | None = None
    """(path, method, ambiguous) per link, when resolved where the record was parsed."""
    head: tuple[str, str, str] = ("", "", "")
    """Full-text columns: title words, description, other frontmatter text."""
    body: str = ""
    embed_text: str | None = None
    vector: bytes | None = None
    """The embedding of `embed_text` (float32, as bytes: what the index stores, and a worker's
    records unpickle at half the cost of holding arrays), when computed where the record was parsed."""


def content_hash(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def large_digest(size: int, mtime: int) -> bytes:
    """Files over the size limit are never read; their stat stands in for their content."""
    return hashlib.blake2b(f"large:{size}:{mtime}".encode(), digest_size=16).digest()


def resolution_row(res: Resolution) -> tuple[str | None, str | None, int]:
    """A link's resolution as the `links` table stores it: (dst, method, ambiguous)."""
    return res.path, res.method, int(res.ambiguous)


def parse_record(path: str, raw: bytes, digest: bytes | None = None) -> Record:
    """Parse one note's bytes into a record; never raises on bad content."""
    return record_of(note_from_bytes(path, raw), digest or content_hash(raw))


def record_of(note: Note, digest: bytes) -> Record:
    data = note.data
    kind = note.kind.value
    name = note.path.rpartition("/")[2]
    title = name[:-3] if name.endswith(".md") else note.title
    label = _label(note.kind, data, title)
    description = _text(data.get("description"))
    record = Record(
        path=note.path,
        hash=digest,
        title=title,
        kind=kind,
        type=_text(data.get("type")),
        domain=_text(data.get("domain")),
        confidence=_text(data.get("confidence")),
        status=_text(data.get("status")),
        description=description,
        created=_text(data.get("created")),
        label=label,
        owner=_owner(note),
        data_json=json.dumps(data, ensure_ascii=False, default=str),
        problems_json=json.dumps([f"{p.line}: {p.message}" for p in note.all_problems], ensure_ascii=False),
    )
    record.fields = list(_fields(data))
    record.links = _links(note)
    body, h1 = _without_h1(note.doc.body)
    names = [title] + [n for n in (label, h1) if n and normalise_title(n) != normalise_title(title)]
    record.head = (" ".join(names), description or "", _meta_text(data))
    record.body = body
    if kind in EMBED_KINDS:
        record.embed_text = embed_text(label or title, description, note.doc.body)
    return record


def link_key(target: str) -> str:
    """The normalised title a link target can only ever resolve to (see `LinkResolver`)."""
    target = target.strip()
    base = PurePosixPath(target).name if "/" in target else target
    stem = base[:-3] if base.lower().endswith(".md") else base
    return normalise_title(stem)


def title_keys(path: str) -> set[str]:
    """The link keys a file's title answers to (for re-resolving when files come and go)."""
    stem = path_stem(path)
    keys = {normalise_title(stem)}
    if stem.lower().endswith(".md"):
        keys.add(normalise_title(stem[:-3]))
    return keys


def derive_facets(record: Record, config: Config) -> tuple[str | None, str | None]:
    """(domain, agent): the frontmatter domain (else the folder's), and the owning agent."""
    folder = record.path.rpartition("/")[0]
    domain = record.domain or config.domain_of_folder(folder)
    return domain, note_agent(config, record.owner, domain, folder)


def note_agent(config: Config, owner: str | None, domain: str | None, folder: str) -> str | None:
    """The agent a note belongs to: the one it names, else its domain's owner (config)."""
    if owner:
        return owner
    if domain and domain.lower() in config.domains:
        return config.agent_for_domain(domain.lower())
    by_folder = config.domain_of_folder(folder)
    return config.agent_for_domain(by_folder) if by_folder else None


def embed_text(title: str, description: str | None, body: str) -> str:
    """What a note's embedding is computed from: title, description, the start of the body."""
    title_text = title.replace("-", " ") if " " not in title else title
    text = body[: EMBED_BODY_CHARS * 3]
    stripped = text.lstrip()
    if stripped.startswith("# "):  # the H1 repeats the title
        text = stripped.partition("\n")[2]
    if "[[" in text:
        text = _LINK.sub(lambda m: split_link(m.group(1))[1] or split_link(m.group(1))[0], text)
    if "://" in text:
        text = _URL.sub(" ", text)
    for char in _MARKUP_CHARS:  # str.replace beats translate() and regexes here by 10x
        if char in text:
            text = text.replace(char, " ")
    text = " ".join(text.replace(" - ", " ").split())[:EMBED_BODY_CHARS]
    parts = [title_text]
    if description:
        parts.append(description)
    if text:
        parts.append(text)
    return ". ".join(parts)


# -- helpers ---------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (list, tuple, dict)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def _label(kind: Kind, data: dict[str, Any], title: str) -> str | None:
    key = "title" if kind in (Kind.SOURCE, Kind.MUSING) else "name" if kind in (Kind.ENTITY, Kind.SECTOR) else None
    value = _text(data.get(key)) if key else None
    return value if value and value != title else None


def _without_h1(body: str) -> tuple[str, str | None]:
    """The body without a leading `# heading` line (it repeats the title), and that heading."""
    stripped = body.lstrip()
    if not stripped.startswith("# "):
        return body, None
    heading, _, rest = stripped.partition("\n")
    return rest, heading[2:].strip() or None


def _owner(note: Note) -> str | None:
    data = note.data
    for key in ("agent", "tracked_by"):
        value = _text(data.get(key))
        if value:
            return value.lower()
    parts = note.path.split("/")
    if len(parts) >= 3 and parts[0] == "agents":
        return parts[1].lower()
    return None


def _flatten(item: Any) -> str:
    while isinstance(item, list) and len(item) == 1:
        item = item[0]
    if isinstance(item, (list, dict)):
        return json.dumps(item, ensure_ascii=False, default=str)
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


def _fields(data: dict[str, Any]):
    for key, value in data.items():
        if value is None:
            yield key, ""
        elif isinstance(value, list):
            for item in value:
                if item is not None:
                    yield key, _flatten(item)
        else:
            yield key, _flatten(value)


def _meta_text(data: dict[str, Any]) -> str:
    parts = []
    for key in META_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        parts.extend(_flatten(v) for v in value) if isinstance(value, list) else parts.append(_flatten(value))
    return " ".join(parts)


def _links(note: Note) -> list[tuple[int, str | None, str, str, bool, str]]:
    found: list[tuple[int, str | None, str, str, bool, str]] = []
    for link in find_links(note.doc):
        target = link.target
        if target:
            found.append((link.line, link.field, link.raw, target, True, link_key(target)))
    data = note.data
    for key in REF_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            text = _flatten(item).strip() if item is not None else ""
            if not text or "[[" in text:
                continue  # wiki links inside were found above
            target = split_link(text)[0]
            if target:
                found.append((_ref_line(note, key, text), key, text, target, False, link_key(target)))
    return found


def _ref_line(note: Note, key: str, text: str) -> int:
    doc = note.doc
    first = doc.line_of(key)
    lines = doc.frontmatter_text.splitlines()
    start = max(first - doc.fm_first_line, 0)
    for offset, line in enumerate(lines[start:], start):
        if text in line:
            return doc.fm_first_line + offset
    return first
