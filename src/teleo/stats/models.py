"""The shape of `teleo stats`: one pydantic model per section, JSON-ready.

Counts are `{value: n}` mappings ordered by count (largest first), so the
JSON reads like the tables. Placeholder keys are in parentheses:
`(missing)` for an absent or empty field, `(no frontmatter)`,
`(type key missing)` and `(unparseable)` for the `type` tally.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

Counts = dict[str, int]


class Spread(BaseModel):
    """Median and 10th/90th percentiles of a length distribution."""

    n: int = 0
    p10: float = 0
    median: float = 0
    p90: float = 0
    max: float = 0


class FileStats(BaseModel):
    """§7.1: the markdown files, by top folder, kind and raw `type` value."""

    markdown_files: int
    by_top_folder: Counts
    by_kind: Counts
    by_type: Counts
    """Raw `type` values, plus `(no frontmatter)`, `(type key missing)`, `(unparseable)`."""
    skipped: int
    """Markdown files the walk met but did not take in: hidden (name or folder starting with `.`),
    in a tool folder (`node_modules/`, `__pycache__/`), symbolic links leaving the vault."""
    skipped_files: dict[str, str] = {}
    """Each of them, path → why (`hidden`, `tool-folder`, `symlink-outside`)."""
    duplicate_stems: int
    """Titles (filename stems) carried by more than one file."""
    files_sharing_a_stem: int
    duplicate_stems_by_folders: Counts
    """The folders sharing each duplicated stem (`core/mechanisms ↔ domains/internet-finance`)."""


class FrontmatterStats(BaseModel):
    """§7.2: how the frontmatter reads."""

    with_frontmatter: int
    without_frontmatter: int
    problems_by_code: Counts
    """Read problems by code: yaml, duplicate-key, frontmatter-unclosed, not-mapping, encoding, …"""
    files_with_problems: int
    zero_date_values: int
    """Unquoted values like `2026-01-00` / `2026-00-00` (placeholder month or day)."""
    zero_date_files: int
    strict_yaml_failures: int
    """Frontmatters a plain `yaml.safe_load` rejects (timestamps resolved)."""
    strict_yaml_failures_zero_dates: int
    """…of which only because of `00` placeholder dates (Teleo reads them as strings)."""
    gate_findings_by_rule: Counts
    """Findings of the frontmatter gates (parse, schema-*, folder-domain), from `teleo.gates.check`."""
    gate_findings_by_field: dict[str, Counts]
    """The same findings per rule, split by the field they concern."""


class ReferenceStats(BaseModel):
    """Where the entries of a source's `claims_extracted`-like list lead."""

    sources: int = 0
    entries: int = 0
    written_as_md: int = 0
    exact: int = 0
    """Resolve by the exact filename stem, or stem + `.md`."""
    via_resolver: int = 0
    """Resolve only through case-folding, path form or normalisation."""
    dangling: int = 0
    by_method: Counts = Field(default_factory=dict)


class Traceability(BaseModel):
    """§7.3: does each processed source say what it produced?"""

    processed: int = 0
    processed_with_claims: int = 0
    processed_only_enrichments: int = 0
    processed_with_neither: int = 0
    null_result: int = 0
    null_result_with_notes: int = 0
    null_result_with_last_attempted: int = 0


class SourceStats(BaseModel):
    """§7.3: notes in `inbox/archive/` and any other note of kind source."""

    total: int
    by_status: Counts
    by_format: Counts
    by_domain: Counts
    by_priority: Counts
    by_processed_by: Counts
    by_extraction_model: Counts
    unprocessed_by_domain: Counts
    field_usage: Counts
    traceability: Traceability
    claims_extracted: ReferenceStats
    enrichments_applied: ReferenceStats
    enrichments: ReferenceStats
    """The legacy `enrichments` field."""


class TitleStats(BaseModel):
    """Titles (filename stems) of every note in the domain folders, maps excluded."""

    files: int = 0
    prose: int = 0
    """Contain spaces: a sentence."""
    slug: int = 0
    """Hyphenated, no spaces."""
    single_word: int = 0
    with_capitals: int = 0
    non_ascii: int = 0
    chars: Spread = Field(default_factory=Spread)
    words: Spread = Field(default_factory=Spread)
    h1_equals_title: int = 0
    """The first `# heading` equals the filename (after normalisation)."""
    h1_differs: int = 0
    h1_missing: int = 0


class CounterEvidence(BaseModel):
    """The counter-evidence gate on `likely` / `proven` claims."""

    likely_or_proven: int = 0
    with_challenged_by: int = 0
    """A non-empty `challenged_by`."""
    with_challenge_section: int = 0
    """A `## Challenges` / `## Counter-evidence` / `## The strongest counterarguments` section."""
    with_challenge_enrichment: int = 0
    """An `### Additional Evidence (challenge)` block."""
    with_any: int = 0
    with_none: int = 0


class DuplicateTitles(BaseModel):
    """Titles carried by two or more files of the domain folders, one at least a claim (legacy types included)."""

    titles: int = 0
    different_content: int = 0
    identical_content: int = 0
    by_folder_pair: Counts = Field(default_factory=dict)
    examples: list[str] = Field(default_factory=list)


class ClaimStats(BaseModel):
    """§7.4: notes with `type: claim` in the configured domain folders."""

    total: int
    by_domain_confidence: dict[str, Counts]
    """`domain` field → confidence → n (rows by size; `(missing)` for no field)."""
    by_domain: Counts
    by_confidence: Counts
    domain_not_folder: int
    """`domain` is set but is not the domain of the folder the claim lives in."""
    field_usage: Counts
    created_by_month: Counts
    body_chars: Spread
    description_chars: Spread
    without_body_links: int
    enrichment_blocks: Counts
    """`### Additional Evidence (extend|confirm|challenge)` headers, in every note of the domain folders."""
    titles: TitleStats
    counter_evidence: CounterEvidence
    duplicate_titles: DuplicateTitles
    other_types_in_domain_folders: Counts
    """`type` values of the other notes in the domain folders (maps excluded)."""


class Tier(BaseModel):
    """One row of the cumulative resolution table."""

    resolver: str
    resolved: int
    unresolved: int
    percent: float
    cumulative: bool = True


class TargetCount(BaseModel):
    target: str
    occurrences: int


class LinkStats(BaseModel):
    """§7.5: every `[[wiki link]]` of every note, through the one resolver."""

    occurrences: int
    in_frontmatter: int
    distinct_targets: int
    files_with_links: int
    tiers: list[Tier]
    by_method: Counts
    unresolved: int
    unresolved_distinct: int
    unsafe: int
    ambiguous_stem: int
    """Resolved links whose title is carried by two or more files."""
    ambiguous_unsettled: int
    """…of which the same-folder rule did not settle the choice."""
    truncated_distinct: int
    """Unresolved targets that are the unique prefix of an existing title."""
    truncated_occurrences: int
    resolved_by_target_folder: Counts
    unresolved_by_source_folder: Counts
    top_unresolved: list[TargetCount]


class MapCoverage(BaseModel):
    """One domain folder and its `_map.md`."""

    domain: str
    folder: str
    has_map: bool
    claims: int
    """Notes of the folder other than maps: claims, legacy-typed claims (`analysis`, …), untyped files."""
    unlinked: int
    """Claims of the folder the map does not link to."""
    unlinked_paths: list[str] = Field(default_factory=list)


class OtherKinds(BaseModel):
    """§7.7: entities, positions, musings, convictions, sectors, beliefs; and the open cascade flags."""

    entities: int
    entities_by_type: Counts
    entities_by_status: Counts
    entities_by_domain: Counts
    entities_by_tracked_by: Counts
    positions: int
    positions_by_agent: Counts
    positions_by_status: Counts
    positions_by_outcome: Counts
    musings: int
    musings_by_status: Counts
    musings_by_agent: Counts
    convictions: int
    convictions_by_staked_by: Counts
    sectors: int
    sectors_by_status: Counts
    beliefs: int
    maps: int
    journals: int
    flags: int = 0
    """Cascade flag notes (Teleo's own; the reference has none)."""
    flags_by_status: Counts = Field(default_factory=dict)
    open_flags_by_agent: Counts = Field(default_factory=dict)
    open_flags_by_priority: Counts = Field(default_factory=dict)


class VaultStats(BaseModel):
    """The health report of a vault (`teleo stats`)."""

    vault: str
    files: FileStats
    frontmatter: FrontmatterStats
    sources: SourceStats
    claims: ClaimStats
    links: LinkStats
    maps: list[MapCoverage]
    others: OtherKinds


SECTIONS = ("files", "frontmatter", "sources", "claims", "links", "maps", "others")
"""The section names, in report order (`teleo stats --section NAME`)."""
