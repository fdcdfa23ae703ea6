"""Entities as the gates and the extractor both see them: identity keys, the index, significance.

One definition with three users — the lint rules of `gates/rules/entities.py`, the extraction
writer (`extract/entity_writer.py`: look up before creating) and the offline mapping of data
sources (`extract/data.py`):

- **identity keys** (`name_key`, `handle_key`, `url_key`): an entity is the same real-world
  object as another when their names, file titles, other names (`aliases:`), handles or websites
  (a decision market's `proposal_url` counts as its website) are equal once normalised — case, accents, punctuation
  and spacing for names (`Meta-DAO` = `MetaDAO` = `metadao`); a leading `@` and an `x.com/`
  or `twitter.com/` prefix for handles; scheme, `www.` and a trailing `/` for URLs;
- **the index** (`EntityIndex.of(vault)`): every entity note of every `entities/*` folder by
  those keys — `find` answers the matches of a name, handles and a website, `mentioned` the
  entities a text names (whole-word name, handle or website host+path);
- **significance** (`insignificant`): reference §4.10 and `schemas/entity.md` — a test, a
  placeholder (`Unknown`, `TBD`), spam, or a bare name with nothing to track is not worth an
  entity. What a deterministic check can see; the LLM is also told the rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from teleo.notes import Kind, Note

ENTITIES_FOLDER = "entities"
URL_FIELDS = ("website", "proposal_url")
"""Fields whose value identifies an entity as its website does."""
ALIAS_FIELD = "aliases"
"""The entity's other names (a list, or one name). The reference's entity schema has no field for them
(`handles` are social identities, `tags` discovery words), so Teleo reads Obsidian's `aliases`:
an alias is compared as the name is — a lookup, a mention, a duplicate."""

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_HANDLE_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?(?:x\.com/|twitter\.com/)?@?", re.IGNORECASE)
_URL_PREFIX = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?", re.IGNORECASE)
_PLACEHOLDER_NAMES = frozenset({"unknown", "tbd", "na", "none", "null", "test", "untitled", "project"})
_TEST_WORDS = re.compile(r"\b(?:test|testing|tests|spam|dummy|placeholder|lorem ipsum|do not (?:vote|use))\b", re.IGNORECASE)


def name_key(name: object) -> str:
    """A name or file title as compared: accents folded, case folded, only letters and digits kept."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode("ascii")
    text = text.strip().removeprefix("[[").removesuffix("]]").split("|", 1)[0]
    return _NON_ALNUM.sub("", text.casefold())


def handle_key(handle: object) -> str:
    """`@Name`, `x.com/name`, `https://twitter.com/Name/` → `name`."""
    text = _HANDLE_PREFIX.sub("", str(handle or "").strip()).strip().rstrip("/")
    return text.split("?", 1)[0].casefold() if text and " " not in text else ""


def url_key(url: object) -> str:
    """`https://www.Example.com/a/` → `example.com/a`; "" for something that is no URL."""
    text = str(url or "").strip()
    if not text or " " in text or "." not in text:
        return ""
    text = _URL_PREFIX.sub("", text).split("#", 1)[0].rstrip("/")
    host, _, path = text.partition("/")
    return host.casefold() + ("/" + path if path else "")


def as_list(value: object) -> list[str]:
    """A frontmatter value as a list of non-empty strings (a scalar is one entry)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return [str(v).strip() for v in items if isinstance(v, (str, int, float)) and str(v).strip()]


def _words(text: str) -> str:
    """`text` as lower-case ASCII words separated by one space (`Island.ag` → `island ag`)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").casefold()
    return " ".join(_NON_ALNUM.sub(" ", folded).split())


def slugify(name: str, limit: int = 80) -> str:
    """An entity's file title: lower-case ASCII words joined by `-` (`Island: Futardio Fundraise` →
    `island-futardio-fundraise`), as the corpus names entities; "" when nothing is left."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").casefold()
    slug = re.sub(r"[^0-9a-z]+", "-", text).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug


@dataclass(frozen=True)
class EntityRecord:
    """What identifies one entity note."""

    path: str
    title: str
    name: str
    domain: str
    entity_type: str
    status: str
    handles: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def folder_domain(self) -> str:
        """The domain its folder files it under (`entities/<domain>/…`)."""
        parts = PurePosixPath(self.path).parts
        return parts[1] if len(parts) > 2 else self.domain

    def keys(self) -> list[tuple[str, str]]:
        """(kind, key) pairs: `name` for its name, file title and aliases, `handle`, `url`."""
        found = {("name", k) for k in (name_key(n) for n in self.names()) if k}
        found |= {("handle", k) for k in (handle_key(h) for h in self.handles) if k}
        found |= {("url", k) for k in (url_key(u) for u in self.urls) if k}
        return sorted(found)


    def names(self) -> tuple[str, ...]:
        """Its name, file title and aliases."""
        return (self.name, self.title, *self.aliases)


def record_of(note: Note) -> EntityRecord:
    data = note.data if isinstance(note.data, dict) else {}

    def text(key: str) -> str:
        value = data.get(key)
        return str(value).strip() if isinstance(value, (str, int, float)) else ""

    return EntityRecord(
        path=note.path, title=note.title, name=text("name") or note.title, domain=text("domain"),
        entity_type=text("entity_type"), status=text("status"), handles=tuple(as_list(data.get("handles"))),
        urls=tuple(u for key in URL_FIELDS for u in as_list(data.get(key))),
        aliases=tuple(as_list(data.get(ALIAS_FIELD))),
    )


@dataclass
class EntityIndex:
    """Every entity of the vault's `entities/*` folders by identity key (see the module doc)."""

    records: list[EntityRecord] = field(default_factory=list)
    by_key: dict[tuple[str, str], list[EntityRecord]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, vault, notes: Iterable[Note] | None = None) -> EntityIndex:
        """The index of `vault` (a `Vault` or `TreeVault`), or of the given entity notes."""
        if notes is None:
            paths = [p for p in vault.markdown_paths() if p.startswith(ENTITIES_FOLDER + "/")]
            notes = (vault.note(p) for p in paths)
        index = cls()
        for note in notes:
            if note.kind is Kind.ENTITY:
                index.add(record_of(note))
        return index

    def add(self, record: EntityRecord) -> None:
        self.records.append(record)
        for key in record.keys():
            self.by_key[key].append(record)

    def find(self, name: str = "", handles: Iterable[str] = (), website: str = "") -> list[EntityRecord]:
        """The entities sharing the name (or file title, or an alias), a handle or the website — name matches first."""
        keys = [("name", name_key(name))]
        keys += [("handle", handle_key(h)) for h in handles]
        keys += [("url", url_key(website))]
        found: list[EntityRecord] = []
        for key in keys:
            if not key[1]:
                continue
            for record in self.by_key.get(key, ()):
                if record not in found:
                    found.append(record)
        return found

    def by_path(self, path: str) -> EntityRecord | None:
        return next((r for r in self.records if r.path == path), None)

    def mentioned(self, text: str, limit: int = 20) -> list[EntityRecord]:
        """The entities `text` names: a name, title or alias of ≥ 3 characters as whole words, a handle, a website."""
        folded = text.casefold()
        spaced = f" {_words(text)} "
        found: list[EntityRecord] = []
        for record in self.records:
            hit = any(len(name_key(n)) >= 3 and f" {_words(n)} " in spaced for n in record.names())
            hit = hit or any((k := handle_key(h)) and f"@{k}" in folded for h in record.handles)
            hit = hit or any((k := url_key(u)) and k in folded for u in record.urls)
            if hit:
                found.append(record)
                if len(found) >= limit:
                    break
        return found

    def duplicates(self) -> dict[str, list[tuple[str, EntityRecord]]]:
        """Path → (the shared key, the other entity) for every entity sharing a key with another."""
        out: dict[str, list[tuple[str, EntityRecord]]] = defaultdict(list)
        for (kind, key), records in sorted(self.by_key.items()):
            unique = list(dict.fromkeys(records))
            for record in unique if len(unique) > 1 else ():
                out[record.path] += [(f"{kind} '{key}'", other) for other in unique if other is not record]
        return out


def insignificant(name: str, fields: dict[str, object] | None = None, *, entity_type: str = "",
                  summary: str = "") -> str | None:
    """Why an entity of this name and data is not worth tracking, or None (see the module doc)."""
    why = insignificant_name(name)
    if why:
        return why
    data = {k: v for k, v in (fields or {}).items() if v not in (None, "", [], {})}
    if entity_type == "decision_market" and not (data.get("proposal_date") or data.get("launch_date")):
        return f"'{name}': a decision market with no proposal date is nothing to track"
    if not data and not summary.strip():
        return f"'{name}': a bare name with no data to track"
    return None


def insignificant_name(name: str) -> str | None:
    """Why the name alone says it is no entity (a test, a placeholder, spam), or None."""
    key = name_key(name)
    if not key or key in _PLACEHOLDER_NAMES:
        return f"'{name}' is a placeholder, not a named entity"
    if _TEST_WORDS.search(name):
        return f"'{name}' is a test or spam entry"
    project = name.split(":", 1)[0]
    if name_key(project) in _PLACEHOLDER_NAMES:
        return f"'{name}' belongs to no named project"
    return None
