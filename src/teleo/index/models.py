"""What the index hands out: hits, sync statistics, note rows and links (pydantic, JSON-ready)."""

from __future__ import annotations

from enum import Enum
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


FACETS = ("kind", "type", "domain", "confidence", "status", "agent")
"""The per-note values search filters on (`type` matches the kind too)."""

Progress = Callable[[str, int, int], None]
"""`progress(phase, done, total)`; phases: "reading", "embedding"."""


class SearchMode(str, Enum):
    """How `Index.search` ranks: full text, embeddings, or both fused."""

    hybrid = "hybrid"
    text = "text"
    semantic = "semantic"


class Filters(BaseModel):
    """Facet filters; each list means "any of these" (case-insensitive), lists are ANDed."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    domain: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    """Matches the note kind (`claim`, `source`, …) or its raw `type` value (`analysis`)."""
    confidence: tuple[str, ...] = ()
    agent: tuple[str, ...] = ()
    status: tuple[str, ...] = ()

    @classmethod
    def of(cls, **values: Any) -> "Filters":
        """`Filters.of(domain="health", type=["claim"])`: strings or lists, None ignored."""
        clean: dict[str, tuple[str, ...]] = {}
        for key, value in values.items():
            if value is None or value == () or value == []:
                continue
            items = [value] if isinstance(value, str) else list(value)
            clean[key] = tuple(str(v).strip().lower() for v in items if str(v).strip())
        return cls(**clean)

    @property
    def empty(self) -> bool:
        return not (self.domain or self.type or self.confidence or self.agent or self.status)


class Facets(BaseModel):
    """What every view of a note shows first: where it is, what it is, and its facets.

    The one list of them: a note row, a search hit, and the web's and the MCP tools' hits extend it."""

    model_config = ConfigDict(defer_build=True)

    path: str
    title: str
    kind: str
    type: str | None = None
    domain: str | None = None
    confidence: str | None = None
    status: str | None = None
    agent: str | None = None
    description: str | None = None
    label: str | None = None
    """A display name from the frontmatter (a source's `title:`, an entity's `name:`) when it differs."""


class Hit(Facets):
    """One search or similarity result."""

    snippet: str = ""
    score: float
    """Fused score (reciprocal rank fusion) for search; cosine similarity for `similar`."""
    text_rank: int | None = None
    """1-based rank in the full-text ranking, when the note matched the words."""
    semantic_rank: int | None = None
    similarity: float | None = None
    """Cosine similarity of the note's embedding to the query, when computed."""

    _marked: str = PrivateAttr(default="")

    @property
    def marked_snippet(self) -> str:
        """The snippet with matched words between \\x02 and \\x03 (for highlighting)."""
        return self._marked or self.snippet


class SyncStats(BaseModel):
    """What one `Index.sync` did."""

    model_config = ConfigDict(defer_build=True)

    added: int = 0
    """Notes new to the index."""
    updated: int = 0
    """Notes whose bytes changed (parsed again)."""
    removed: int = 0
    """Notes gone from the vault (not among `notes`)."""
    unchanged: int = 0
    """Notes whose size and mtime are unchanged (not read)."""
    touched: int = 0
    """Notes whose size or mtime changed but whose bytes did not (hashed, stat refreshed, not parsed).
    added + updated + unchanged + touched = notes; `teleo index` prints unchanged + touched as unchanged."""
    relinked: int = 0
    """Links re-resolved because titles appeared or disappeared."""
    embedded: int = 0
    pending_embeddings: int = 0
    """Notes waiting for an embedding (computed on the first semantic query, or by `teleo index`)."""
    notes: int = 0
    workers: int = 0
    """Worker processes that read and parsed notes besides this one (a large build; 0: this one alone)."""
    rebuilt: bool = False
    """The index was (re)created from scratch: new, schema changed, or Teleo upgraded."""
    seconds: float = 0.0
    location: str = ""
    warnings: list[str] = Field(default_factory=list)
    """Things that did not stop the sync but should be said (e.g. the embedding model is missing)."""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.relinked or self.embedded or self.rebuilt)


class Link(BaseModel):
    """A link or reference between notes, as the index holds it."""

    model_config = ConfigDict(defer_build=True)

    source: str
    """Path of the note that links."""
    line: int
    field: str | None = None
    """Frontmatter key the reference sits under (`depends_on`, `claims_extracted`, …); None in the body."""
    raw: str
    """What was written: `target|alias` inside brackets, or the plain frontmatter value."""
    target: str
    path: str | None = None
    """The note it resolves to, or None when unresolved."""
    method: str | None = None
    ambiguous: bool = False
    wiki: bool = True
    """True for a `[[wiki link]]`, False for a plain title in a reference field."""


class NoteFacets(Facets):
    """A note's facets and its creation date."""

    created: str | None = None


class NoteRow(NoteFacets):
    """A note as the index knows it (frontmatter as loaded, facets derived)."""

    id: int
    data: dict[str, Any] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)
