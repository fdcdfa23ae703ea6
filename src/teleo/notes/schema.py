"""The note kinds of a teleo vault and what each requires (reference §2).

This is data, not code: the gates read it to check notes, the writers read
it to build them, and `teleo init` writes it out as the vault's schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from teleo.notes.lifecycle import STATUSES as LIFECYCLE_STATUSES


class Kind(str, Enum):
    """What a note is, decided from its `type` field and its folder."""

    CLAIM = "claim"
    SOURCE = "source"
    ENTITY = "entity"
    BELIEF = "belief"
    POSITION = "position"
    MUSING = "musing"
    CONVICTION = "conviction"
    SECTOR = "sector"
    JOURNAL = "journal"
    FLAG = "flag"
    """A cascade flag: a belief or position to re-review because something it depends on changed."""
    MAP = "map"
    BELIEFS_DOC = "beliefs-doc"
    """An agent's aggregate `beliefs.md`: numbered belief sections, no frontmatter."""
    DOCUMENT = "document"
    """Prose with no typed frontmatter: identities, skills, schemas, READMEs."""
    UNKNOWN = "unknown"
    """Frontmatter with a `type` Teleo does not know."""


CLAIM_DOMAINS = (
    "internet-finance", "entertainment", "health", "ai-alignment", "space-development",
    "grand-strategy", "mechanisms", "living-capital", "living-agents", "teleohumanity",
    "critical-systems", "collective-intelligence", "teleological-economics", "cultural-dynamics",
)
CONFIDENCE = ("proven", "likely", "experimental", "speculative")
SOURCE_STATUS = LIFECYCLE_STATUSES
"""The source lifecycle's states; its moves are `notes.lifecycle.LIFECYCLE`."""
SOURCE_FORMAT = (
    "essay", "newsletter", "tweet", "thread", "whitepaper", "paper", "report", "news", "transcript", "data",
)
ENTITY_TYPES = (
    "company", "person", "organization", "product", "market",
    "protocol", "token", "decision_market", "exchange", "fund",
    "vehicle", "mission", "facility", "program",
    "therapy", "drug", "insurer", "provider", "policy",
    "studio", "creator", "franchise", "platform",
    "lab", "model", "framework", "governance_body",
)
FLAG_PRIORITY = ("high", "normal", "low")
FLAG_STATUS = ("open", "resolved")
ENTITY_STATUS = ("active", "inactive", "acquired", "liquidated", "emerging", "passed", "failed")

LEGACY_TYPES: dict[str, Kind] = {
    "analysis": Kind.CLAIM, "framework": Kind.CLAIM, "insight": Kind.CLAIM,
    "pattern": Kind.CLAIM, "tension": Kind.CLAIM,
    "evidence": Kind.SOURCE, "archive": Kind.SOURCE,
    "topic-map": Kind.MAP, "moc": Kind.MAP,
}
"""`type` values the corpus uses for a kind under an older name."""

LEGACY_ENUM_VALUES: dict[tuple[Kind, str], dict[str, str]] = {
    (Kind.SOURCE, "format"): {"article": "report", "blog": "essay", "news article": "news", "pdf": "paper"},
    (Kind.SOURCE, "status"): {"partial": "processing", "archive": "unprocessed"},
    (Kind.CLAIM, "confidence"): {"plausible": "experimental", "proposed": "speculative"},
    (Kind.POSITION, "confidence"): {"strong": "high", "developing": "cautious", "medium": "moderate"},
    (Kind.BELIEF, "status"): {"needs_review": "under_review"},
}
"""Known legacy values and the schema value `teleo fix` coerces them to."""


@dataclass(frozen=True)
class KindSpec:
    """Required fields, enums and date fields of one kind."""

    kind: Kind
    required: tuple[str, ...] = ()
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dates: tuple[str, ...] = ("created", "last_evaluated", "updated", "date", "processed_date", "last_updated")
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """A required field may be present under a legacy name instead."""


SPECS: dict[Kind, KindSpec] = {
    Kind.CLAIM: KindSpec(
        Kind.CLAIM,
        required=("type", "domain", "description", "confidence", "source", "created"),
        enums={"confidence": CONFIDENCE, "status": ("active", "retired")},
    ),
    Kind.SOURCE: KindSpec(
        Kind.SOURCE,
        required=("title", "author", "url", "date", "domain", "status"),
        enums={"status": SOURCE_STATUS, "format": SOURCE_FORMAT, "priority": ("high", "medium", "low")},
        aliases={"url": ("source",), "date": ("date_published", "date_archived"), "format": ("source_type",)},
    ),
    Kind.ENTITY: KindSpec(
        Kind.ENTITY,
        required=("type", "entity_type", "name", "domain", "status", "tracked_by", "created"),
        enums={"entity_type": ENTITY_TYPES, "status": ENTITY_STATUS},
        dates=("created", "last_updated", "proposal_date", "resolution_date", "launch_date"),
    ),
    Kind.BELIEF: KindSpec(
        Kind.BELIEF,
        required=("type", "agent", "domain", "description", "created"),
        enums={
            "level": ("axiom", "belief", "hypothesis", "unconvinced"),
            "confidence": ("strong", "moderate", "developing"),
            "status": ("active", "under_review", "revised", "abandoned"),
        },
    ),
    Kind.POSITION: KindSpec(
        Kind.POSITION,
        required=(
            "type", "agent", "domain", "description", "status", "outcome", "confidence",
            "depends_on", "time_horizon", "performance_criteria", "proposed_by", "created",
        ),
        enums={
            "status": ("proposed", "adopted", "active", "closed"),
            "outcome": ("pending", "validated", "invalidated", "mixed"),
            "confidence": ("high", "moderate", "cautious"),
        },
    ),
    Kind.MUSING: KindSpec(
        Kind.MUSING,
        required=("type", "agent", "title", "status", "created"),
        enums={"status": ("seed", "developing", "ready-to-extract")},
    ),
    Kind.CONVICTION: KindSpec(
        Kind.CONVICTION,
        required=("type", "domain", "description", "staked_by", "stake", "created"),
        enums={"stake": ("high", "medium")},
    ),
    Kind.SECTOR: KindSpec(
        Kind.SECTOR,
        required=("type", "name", "domain", "description", "tracked_by", "status", "created"),
        enums={"status": ("emerging", "growing", "mature", "consolidating", "declining")},
    ),
    Kind.FLAG: KindSpec(
        Kind.FLAG,
        required=("type", "id", "agent", "priority", "status", "target", "changed", "when", "commit", "created"),
        enums={"priority": FLAG_PRIORITY, "status": FLAG_STATUS},
        dates=("created", "when", "resolved"),
    ),
}
