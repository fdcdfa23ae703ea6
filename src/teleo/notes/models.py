"""Typed views of each note kind's frontmatter (pydantic).

The models are lenient on purpose: a vault written by many hands carries
legacy fields and values, and reading must never fail. Every field is
optional and coerced to a plain string or list of strings; unknown fields are
kept. Whether a note *conforms* is the gates' question, answered from
`teleo.notes.schema`, with file and line.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from teleo.notes.schema import Kind


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return None
    return str(value)


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [_flatten(item) for item in value if item is not None]
    return [_flatten(value)]


def _flatten(item: Any) -> str:
    # `- [[title]]` unquoted in YAML parses as a nested list [['title']].
    while isinstance(item, list) and len(item) == 1:
        item = item[0]
    if isinstance(item, list):
        return ", ".join(_flatten(i) for i in item)
    if isinstance(item, dict):
        return ", ".join(f"{k}: {v}" for k, v in item.items())
    return str(item)


class Frontmatter(BaseModel):
    """Fields every kind may carry."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    type: str | None = None
    domain: str | None = None
    description: str | None = None
    created: str | None = None
    status: str | None = None
    tags: list[str] = []
    secondary_domains: list[str] = []

    @field_validator("*", mode="before")
    @classmethod
    def _coerce(cls, value: Any, info: Any) -> Any:
        annotation = cls.model_fields[info.field_name].annotation
        if annotation == list[str]:
            return _as_list(value)
        return _as_text(value)


class ClaimFields(Frontmatter):
    confidence: str | None = None
    source: str | None = None
    last_evaluated: str | None = None
    depends_on: list[str] = []
    challenged_by: list[str] = []


class SourceFields(Frontmatter):
    title: str | None = None
    author: str | None = None
    url: str | None = None
    date: str | None = None
    format: str | None = None
    processed_by: str | None = None
    processed_date: str | None = None
    claims_extracted: list[str] = []
    enrichments: list[str] = []
    enrichments_applied: list[str] = []
    extraction_model: str | None = None
    notes: str | None = None
    last_attempted: str | None = None
    priority: str | None = None


class EntityFields(Frontmatter):
    entity_type: str | None = None
    name: str | None = None
    tracked_by: str | None = None
    last_updated: str | None = None
    parent_entity: str | None = None


class BeliefFields(Frontmatter):
    agent: str | None = None
    level: str | None = None
    confidence: str | None = None
    depends_on: list[str] = []
    last_evaluated: str | None = None


class PositionFields(Frontmatter):
    agent: str | None = None
    outcome: str | None = None
    confidence: str | None = None
    depends_on: list[str] = []
    time_horizon: str | None = None
    performance_criteria: str | None = None
    invalidation_criteria: str | None = None
    proposed_by: str | None = None


class MusingFields(Frontmatter):
    agent: str | None = None
    title: str | None = None
    updated: str | None = None


class ConvictionFields(Frontmatter):
    staked_by: str | None = None
    stake: str | None = None
    horizon: str | None = None


class SectorFields(Frontmatter):
    name: str | None = None
    tracked_by: str | None = None


MODELS: dict[Kind, type[Frontmatter]] = {
    Kind.CLAIM: ClaimFields,
    Kind.SOURCE: SourceFields,
    Kind.ENTITY: EntityFields,
    Kind.BELIEF: BeliefFields,
    Kind.POSITION: PositionFields,
    Kind.MUSING: MusingFields,
    Kind.CONVICTION: ConvictionFields,
    Kind.SECTOR: SectorFields,
}


def typed_fields(kind: Kind, data: dict[str, Any]) -> Frontmatter:
    """The typed view of `data` for `kind`; never raises."""
    model = MODELS.get(kind, Frontmatter)
    return model.model_validate(data)
