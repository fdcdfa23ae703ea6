"""The context of one extraction job: what the extractor is given, and nothing more.

`build_request(vault, source_path, k=…, max_claims=…, job_id=…)` returns the
`ExtractionRequest` for a source:

- **agent and domain** — the domain is the source's `domain:` when the vault
  configures it; otherwise the first domain the evaluator owns (reference §3:
  "anything else → leo"); the agent is `config.agent_for_domain(domain)`. A
  vault where the evaluator owns no domain cannot place such a source:
  `ContextError`;
- **identity** — `agents/<agent>/identity.md` when the vault has it;
- **guidance and schema** — the vault's `skills/extract.md` and
  `schemas/claim.md` when present, else empty; the prompt adds them to
  Teleo's built-in rules, never in their place (`teleo.extract.prompt`);
- **source text** — the source's `## Content` section when it has one, with
  every heading, table and list the archived text holds, up to the first
  known section that is not source material (Agent Notes, Curator Notes, Key
  Facts, Raw Data); else the body up to its notes; `source_text(note)` also
  says on which file line it starts, so grounded quotes can cite their line
  in the file;
- **entities** — a `format: data` source's fields (`extract.data.data_fields`), and the
  existing entities of every `entities/*` folder the source names by name, handle or website
  (`gates.entities.EntityIndex.mentioned`, plus a lookup of its project and URL): the
  extractor updates those rather than creating duplicates (reference §4.10);
- **similar claims** — the `k` claims of the index nearest to the source
  (title plus the start of its text), never the whole domain (reference §8.13).
  A vault whose index or embedding model is unavailable gets no similar claims
  (the job still runs; dedupe then relies on exact titles).

The vault may be a `TreeVault` (the files of `main`'s tip): the job reads the
source and the context files from there; the index is always the disk
vault's.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from teleo.contract.request import ExtractionRequest, KnownEntity, SimilarClaim
from teleo.notes import Note
from teleo.notes.sections import source_span
from teleo.vault import Vault

DEFAULT_K = 8
DEFAULT_MAX_CLAIMS = 8
CONTEXT_FILE_CHARS = 60_000
"""Context files (identity, guidance, schema) are read up to this size; the prompt condenses them further."""
QUERY_CHARS = 4_000
"""How much of the source text (after its title) is embedded to find similar claims."""
IDENTITY_FILE = "agents/{agent}/identity.md"
GUIDANCE_FILE = "skills/extract.md"
SCHEMA_FILE = "schemas/claim.md"



class ContextError(Exception):
    """The job cannot be given a context (no such source, no domain to place it in)."""


@dataclass(frozen=True)
class SourceText:
    """The part of a source note the extractor reads, and where it starts in the file."""

    text: str
    first_line: int
    """1-based line of the file on which `text` starts."""
    section: str
    """`content` (its `## Content` section) or `body`."""

    def file_line(self, line: int) -> int:
        """The file line of `line` (1-based within `text`)."""
        return self.first_line + max(line, 1) - 1


def source_text(note: Note) -> SourceText:
    """The source's own text: its `## Content` section with every heading, table and list in it,
    up to the first known section that is not source text (Agent Notes, Curator Notes, Key Facts,
    Raw Data — `teleo.notes.sections.source_span`); without `## Content`, the body up to its notes."""
    body = note.doc.body
    span = source_span(body)
    first_line = note.doc.body_start_line + body.count("\n", 0, span.start)
    return SourceText(body[span.start:span.end], first_line, span.section)


def placement(vault: Vault, note: Note) -> tuple[str, str]:
    """(domain, agent) for the source `note`: its configured domain, else the evaluator's."""
    config = vault.config
    raw = note.data.get("domain")
    domain = raw.strip() if isinstance(raw, str) else None
    if domain and domain in config.domains:
        return domain, config.agent_for_domain(domain)
    evaluator = config.vault.evaluator
    owned = [name for name, d in config.domains.items() if d.agent == evaluator]
    if not owned:
        shown = f"'{domain}'" if domain else "no domain"
        raise ContextError(
            f"{note.path}: {shown} is not a configured domain and the evaluator '{evaluator}' owns no domain "
            "to place its claims in"
        )
    return owned[0], evaluator


def read_context_file(vault: Vault, relative: str) -> str:
    """A trusted context file of the vault (identity, guidance, schema), or "" when absent."""
    reader = getattr(vault, "read_bytes", None)
    try:
        if reader is not None:
            data = reader(relative)
        else:
            path = vault.absolute(relative)
            data = path.read_bytes() if path.is_file() else None
    except (OSError, ValueError, NotImplementedError):
        return ""
    if data is None:
        return ""
    return data[: CONTEXT_FILE_CHARS * 4].decode("utf-8", errors="replace")[:CONTEXT_FILE_CHARS]


_SYNCED: dict[Path, str] = {}
"""Index location → the base tree it was last synced for, in this process."""


def similar_claims(
    vault: Vault, text: str, k: int, *, exclude: tuple[str, ...] = (), sync_key: str | None = None,
) -> list[SimilarClaim]:
    """The `k` claims of the (disk) vault's index nearest to `text`; [] when the index cannot answer.

    The index is synced first — once per `sync_key` (the base tree's id) in this process: a
    worker extracting many sources from one base tip walks the vault once, not once per job.
    """
    if k <= 0 or not text.strip():
        return []
    from teleo.index import EmbeddingUnavailable, IndexUnavailable, open_index

    disk = getattr(vault, "disk_vault", vault)
    try:
        index = open_index(disk)
        if sync_key is None or _SYNCED.get(disk.root) != sync_key:
            index.sync()
            if sync_key is not None:
                _SYNCED[disk.root] = sync_key
        hits = index.similar(text, k, kinds=["claim"], exclude=exclude)
    except (EmbeddingUnavailable, IndexUnavailable, sqlite3.Error, OSError):
        return []
    return [
        SimilarClaim(title=hit.title, description=hit.description or "", path=hit.path, score=float(hit.score))
        for hit in hits
    ]


def warm_index(vault: Vault) -> None:
    """Sync the vault's index for its base tip and load its vectors, as a worker's first job would."""
    from teleo.index import open_index
    from teleo.repo.branches import base_ref, tip
    from teleo.repo.discover import open_repository

    repo = open_repository(vault.root)
    key = str(tip(repo, base_ref(repo)).tree.id) if repo is not None else None
    index = open_index(vault)
    index.sync()
    if key is not None:
        _SYNCED[vault.root] = key
    index.similar("warm up", 1, kinds=["claim"])


def source_title(note: Note) -> str:
    value = note.data.get("title")
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())[:300]
    return note.title


def build_request(
    vault: Vault,
    source_path: str,
    *,
    k: int = DEFAULT_K,
    max_claims: int = DEFAULT_MAX_CLAIMS,
    job_id: str | None = None,
) -> ExtractionRequest:
    """The `ExtractionRequest` for the source at vault-relative `source_path` (see the module doc)."""
    note = vault.note(source_path)
    if note.problems:
        raise ContextError(f"{source_path}: {note.problems[0].message}")
    domain, agent = placement(vault, note)
    text = source_text(note)
    title = source_title(note)
    tree = getattr(vault, "tree", None)
    similar = similar_claims(vault, f"{title}\n\n{text.text[:QUERY_CHARS]}", k,
                             sync_key=str(tree.id) if tree is not None else None)
    return ExtractionRequest(
        job_id=job_id or new_job_id(source_path),
        agent=agent,
        domain=domain,
        source_path=source_path,
        source_title=title,
        source_text=text.text,
        identity=read_context_file(vault, IDENTITY_FILE.format(agent=agent)),
        guidance=read_context_file(vault, GUIDANCE_FILE),
        claim_schema=read_context_file(vault, SCHEMA_FILE),
        similar=similar,
        max_claims=max_claims,
        **entity_context(vault, note, text.text),
    )


MAX_KNOWN_ENTITIES = 20


def entity_context(vault: Vault, note: Note, text: str) -> dict:
    """`source_format`, `source_fields` and `entities` of the request (see the module doc)."""
    from teleo.extract.data import data_fields, is_data_source

    data = is_data_source(note)
    fields = data_fields(note) if data else {}
    index = entity_index(vault)
    found = index.mentioned("\n".join([note.doc.body if data else text, *fields.values()]), MAX_KNOWN_ENTITIES)
    for record in index.find(fields.get("project", ""), website=fields.get("url", "")):
        if record not in found:
            found.append(record)
    form = note.data.get("format") if isinstance(note.data, dict) else None
    return {
        "source_format": form.strip() if isinstance(form, str) else "",
        "source_fields": fields,
        "entities": [
            KnownEntity(title=r.title, name=r.name, entity_type=r.entity_type, domain=r.domain, status=r.status,
                        path=r.path, handles=list(r.handles), urls=list(r.urls), aliases=list(r.aliases))
            for r in found[:MAX_KNOWN_ENTITIES + 5]
        ],
    }


_ENTITY_INDEXES: dict[str, object] = {}


def entity_index(vault: Vault):
    """The vault's `EntityIndex`, kept per git tree (a tree never changes) for the jobs of one tip."""
    from teleo.gates.entities import EntityIndex

    tree = getattr(vault, "tree", None)
    plain = tree is not None and not getattr(vault, "overlay", None)
    key = f"{tree.id}:{getattr(vault, 'prefix', '')}" if plain else None
    if key is not None and key in _ENTITY_INDEXES:
        return _ENTITY_INDEXES[key]
    index = EntityIndex.of(vault)
    if key is not None:
        if len(_ENTITY_INDEXES) > 4:
            _ENTITY_INDEXES.clear()
        _ENTITY_INDEXES[key] = index
    return index


def new_job_id(source_path: str) -> str:
    stem = source_path.rsplit("/", 1)[-1].removesuffix(".md")[:60]
    return f"extract:{stem}:{uuid.uuid4().hex[:8]}"
