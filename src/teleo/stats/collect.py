"""`vault_stats(vault)`: one pass over the notes, then the tallies of every section.

Each section has a small accumulator fed note by note; the cross-note parts
(map coverage, duplicate titles, truncated links) are settled after the pass
from what the accumulators kept. Links are resolved with the vault's one
resolver; frontmatter errors are the frontmatter gates' own findings.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import yaml

from teleo.gates import RULES, check
from teleo.notes import SPECS, Kind, Note, find_links, split_link
from teleo.stats.models import (
    ClaimStats, CounterEvidence, Counts, DuplicateTitles, FileStats, FrontmatterStats, LinkStats, MapCoverage,
    OtherKinds, ReferenceStats, SourceStats, Spread, TargetCount, Tier, TitleStats, Traceability, VaultStats,
)
from teleo.vault import Vault, normalise_title
from teleo.vault.resolver import Resolution

MISSING = "(missing)"
NO_FRONTMATTER = "(no frontmatter)"
TYPE_MISSING = "(type key missing)"
UNPARSEABLE = "(unparseable)"
ROOT = "(root)"

ARCHIVE = "inbox/archive/"
MAP_FILE = "_map.md"
EXACT_METHODS = frozenset({"exact", "md-suffix"})

TIERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("exact filename stem", frozenset({"exact"})),
    ("+ case-insensitive stem", frozenset({"exact", "case"})),
    ("+ strip .md, path form / basename", frozenset({"exact", "case", "md-suffix", "path", "basename"})),
    ("+ punctuation/whitespace normalisation", frozenset({"exact", "case", "md-suffix", "path", "basename", "normalised"})),
)
"""The cumulative resolver tiers of reference §7.5, as sets of resolver methods."""
STRIPPER_TIER = "exact stem, domain folders only"

_FRONTMATTER_GATES = ("parse", "folder-domain")
_FRONTMATTER_GATE_PREFIX = "schema-"
_SOURCE_ALIASES = {"format": SPECS[Kind.SOURCE].aliases.get("format", ())}
_NULL_RESULT_NOTES = ("extraction_notes", "notes", "null_result_reason")
_PLAIN_DATE = re.compile(r"(?:^|:[ \t]|-[ \t])[ \t]*(\d{4})-(\d{2})-(\d{2})[ \t]*(?:#.*)?$", re.MULTILINE)
_CHALLENGE_HEADING = re.compile(
    r"^#{2,6}[ \t]+(?:the[ \t]+)?(?:strongest[ \t]+)?(?:challenges?|counter[\w-]*)\b", re.MULTILINE | re.IGNORECASE
)
_ENRICHMENT_HEADING = re.compile(r"^#{2,4}[ \t]+Additional Evidence[ \t]*\((\w+)\)", re.MULTILINE | re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4}-\d{2})")
_StrictLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def vault_stats(vault: Vault) -> VaultStats:
    """The health report of `vault`: every section of `teleo stats`."""
    notes = vault.notes()
    resolver = vault.resolver
    domain_folders = {name: d.folder.strip("/") for name, d in vault.config.domains.items()}
    files = _Files()
    frontmatter = _Frontmatter()
    sources = _Sources(vault)
    claims = _Claims(vault)
    links = _Links(vault, domain_folders)
    others = _Others()
    for note in notes:
        note_links = find_links(note.doc)
        files.add(note)
        frontmatter.add(note)
        links.add(note, note_links)
        if note.kind is Kind.SOURCE or note.path.startswith(ARCHIVE):
            sources.add(note)
        claims.add(note, note_links)
        others.add(note)
    return VaultStats(
        vault=vault.root.name,
        files=files.result(vault, resolver.duplicates()),
        frontmatter=frontmatter.result(vault),
        sources=sources.result(),
        claims=claims.result(),
        links=links.result(),
        maps=_map_coverage(domain_folders, claims.by_folder_domain, links.map_targets),
        others=others.result(),
    )


# -- helpers -------------------------------------------------------------------


def counts(counter: Counter | dict[str, int]) -> Counts:
    """A tally as a plain dict, largest first, then by key."""
    return dict(sorted(((str(k), v) for k, v in counter.items() if v), key=lambda kv: (-kv[1], kv[0])))


def spread(values: Iterable[float]) -> Spread:
    data = sorted(values)
    if not data:
        return Spread()
    if len(data) == 1:
        return Spread(n=1, p10=data[0], median=data[0], p90=data[0], max=data[0])
    deciles = statistics.quantiles(data, n=10, method="inclusive")
    return Spread(n=len(data), p10=round(deciles[0], 1), median=statistics.median(data), p90=round(deciles[-1], 1), max=data[-1])


def value_key(value: Any) -> str:
    """A frontmatter value as a tally key: `(missing)` when absent or empty."""
    if value is None or value == "" or value == [] or value == {}:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return ", ".join(items(value)) or MISSING
    return str(value).strip() or MISSING


def items(value: Any) -> list[str]:
    """A list-valued field's entries as strings (`- [[x]]` unquoted nests lists; flatten)."""
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        return [f"{k}: {v}" for k, v in value.items()]
    if not isinstance(value, (list, tuple)):
        return [str(value)]
    found: list[str] = []
    for item in value:
        if isinstance(item, (list, tuple, dict)):
            found.extend(items(item))
        elif item is not None and str(item).strip():
            found.append(str(item).strip())
    return found


def entry_target(entry: str) -> str:
    """The note an entry like `[[title|alias]]`, `title.md` or `title` names."""
    text = entry.strip().strip('"').strip("'")
    if text.startswith("[[") and text.endswith("]]"):
        text = text[2:-2]
    return split_link(text)[0]


def file_name(path: str) -> str:
    return path.rpartition("/")[2]


def stem(path: str) -> str:
    name = file_name(path)
    return name[:-3] if name.endswith(".md") else name


def top_folder(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else ROOT


def area(path: str) -> str:
    """The first two folders of a path (`domains/health`), or less."""
    parts = path.split("/")[:-1]
    return "/".join(parts[:2]) if parts else ROOT


def agent_of(note: Note) -> str:
    agent = note.data.get("agent")
    if isinstance(agent, str) and agent.strip():
        return agent.strip()
    parts = note.path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "agents" else MISSING


# -- files ---------------------------------------------------------------------


class _Files:
    def __init__(self) -> None:
        self.total = 0
        self.by_top = Counter()
        self.by_kind = Counter()
        self.by_type = Counter()

    def add(self, note: Note) -> None:
        self.total += 1
        self.by_top[top_folder(note.path)] += 1
        self.by_kind[note.kind.value] += 1
        self.by_type[raw_type(note)] += 1

    def result(self, vault: Vault, duplicates: dict[str, list[str]]) -> FileStats:
        return FileStats(
            markdown_files=self.total,
            by_top_folder=counts(self.by_top),
            by_kind=counts(self.by_kind),
            by_type=counts(self.by_type),
            skipped=len(vault.walk_problems()),
            skipped_files={p.path: p.problem.code for p in vault.walk_problems()},
            duplicate_stems=len(duplicates),
            files_sharing_a_stem=sum(len(p) for p in duplicates.values()),
            duplicate_stems_by_folders=counts(Counter(_folders_key(title, paths) for title, paths in duplicates.items())),
        )


def _folders_key(title: str, paths: list[str]) -> str:
    folders = sorted({p.rpartition("/")[0] or ROOT for p in paths})
    if len(folders) > 2:
        return f"{title}.md in {len(folders)} folders"
    return " ↔ ".join(folders)


def raw_type(note: Note) -> str:
    """The `type` value as written, or why there is none."""
    doc = note.doc
    if not doc.has_frontmatter:
        return NO_FRONTMATTER
    if doc.frontmatter is None:
        return UNPARSEABLE
    if "type" not in doc.frontmatter:
        return TYPE_MISSING
    return value_key(doc.frontmatter["type"])


# -- frontmatter ---------------------------------------------------------------


class _Frontmatter:
    def __init__(self) -> None:
        self.with_fm = 0
        self.without_fm = 0
        self.problems = Counter()
        self.files_with_problems = 0
        self.zero_values = 0
        self.zero_files = 0
        self.strict = 0
        self.strict_zero = 0

    def add(self, note: Note) -> None:
        doc = note.doc
        if doc.has_frontmatter:
            self.with_fm += 1
        else:
            self.without_fm += 1
        problems = note.all_problems
        if problems:
            self.files_with_problems += 1
            self.problems.update(p.code for p in problems)
        yaml_broken = any(p.code == "yaml" for p in problems)
        if yaml_broken:
            self.strict += 1
        if not doc.frontmatter_text:
            return
        zeros, invalid = _date_tokens(doc.frontmatter_text)
        if zeros:
            self.zero_values += zeros
            self.zero_files += 1
        if invalid and not yaml_broken and not _strict_loads(doc.frontmatter_text):
            self.strict += 1
            if zeros:
                self.strict_zero += 1

    def result(self, vault: Vault) -> FrontmatterStats:
        by_rule, by_field = _frontmatter_gates(vault)
        return FrontmatterStats(
            with_frontmatter=self.with_fm,
            without_frontmatter=self.without_fm,
            problems_by_code=counts(self.problems),
            files_with_problems=self.files_with_problems,
            zero_date_values=self.zero_values,
            zero_date_files=self.zero_files,
            strict_yaml_failures=self.strict,
            strict_yaml_failures_zero_dates=self.strict_zero,
            gate_findings_by_rule=by_rule,
            gate_findings_by_field=by_field,
        )


def _date_tokens(text: str) -> tuple[int, bool]:
    """(unquoted dates with a `00` month or day, whether any unquoted date is invalid)."""
    if "-" not in text:
        return 0, False
    zeros = 0
    invalid = False
    for match in _PLAIN_DATE.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        if month == 0 or day == 0:
            zeros += 1
            invalid = True
            continue
        try:
            dt.date(year, month, day)
        except ValueError:
            invalid = True
    return zeros, invalid


def _strict_loads(text: str) -> bool:
    """Whether a plain `yaml.safe_load` (timestamps resolved) accepts `text`."""
    try:
        yaml.load(text, Loader=_StrictLoader)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        return False
    return True


def _frontmatter_gates(vault: Vault) -> tuple[Counts, dict[str, Counts]]:
    rules = [r for r in RULES if r in _FRONTMATTER_GATES or r.startswith(_FRONTMATTER_GATE_PREFIX)]
    report = check(vault, rules=rules)
    by_field: dict[str, Counter] = defaultdict(Counter)
    for finding in report.findings:
        by_field[finding.rule][finding.field or MISSING] += 1
    return dict(report.summary.by_rule), {rule: counts(c) for rule, c in sorted(by_field.items())}


# -- sources -------------------------------------------------------------------


class _References:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.stats = ReferenceStats()
        self.methods = Counter()

    def add(self, note: Note, entries: list[str]) -> None:
        if not entries:
            return
        stats = self.stats
        stats.sources += 1
        for entry in entries:
            stats.entries += 1
            target = entry_target(entry)
            if target.lower().endswith(".md"):
                stats.written_as_md += 1
            resolution = self.vault.resolver.resolve(target, note.path)
            self.methods[resolution.method or "unresolved"] += 1
            if not resolution.resolved:
                stats.dangling += 1
            elif resolution.method in EXACT_METHODS:
                stats.exact += 1
            else:
                stats.via_resolver += 1

    def result(self) -> ReferenceStats:
        return self.stats.model_copy(update={"by_method": counts(self.methods)})


class _Sources:
    def __init__(self, vault: Vault) -> None:
        self.total = 0
        self.tallies: dict[str, Counter] = defaultdict(Counter)
        self.fields = Counter()
        self.trace = Traceability()
        self.claims_extracted = _References(vault)
        self.enrichments_applied = _References(vault)
        self.enrichments = _References(vault)

    def add(self, note: Note) -> None:
        data = note.data
        self.total += 1
        self.fields.update(data.keys())
        for name in ("status", "format", "domain", "priority", "processed_by", "extraction_model"):
            self.tallies[name][value_key(_with_alias(data, name))] += 1
        status = value_key(data.get("status")).lower()
        if status == "unprocessed":
            self.tallies["unprocessed_domain"][value_key(data.get("domain"))] += 1
        claims = items(data.get("claims_extracted"))
        applied = items(data.get("enrichments_applied"))
        legacy = items(data.get("enrichments"))
        self.claims_extracted.add(note, claims)
        self.enrichments_applied.add(note, applied)
        self.enrichments.add(note, legacy)
        trace = self.trace
        if status == "processed":
            trace.processed += 1
            if claims:
                trace.processed_with_claims += 1
            elif applied or legacy:
                trace.processed_only_enrichments += 1
            else:
                trace.processed_with_neither += 1
        elif status == "null-result":
            trace.null_result += 1
            if any(value_key(data.get(f)) != MISSING for f in _NULL_RESULT_NOTES):
                trace.null_result_with_notes += 1
            if value_key(data.get("last_attempted")) != MISSING:
                trace.null_result_with_last_attempted += 1

    def result(self) -> SourceStats:
        t = self.tallies
        return SourceStats(
            total=self.total,
            by_status=counts(t["status"]),
            by_format=counts(t["format"]),
            by_domain=counts(t["domain"]),
            by_priority=counts(t["priority"]),
            by_processed_by=counts(t["processed_by"]),
            by_extraction_model=counts(t["extraction_model"]),
            unprocessed_by_domain=counts(t["unprocessed_domain"]),
            field_usage=counts(self.fields),
            traceability=self.trace,
            claims_extracted=self.claims_extracted.result(),
            enrichments_applied=self.enrichments_applied.result(),
            enrichments=self.enrichments.result(),
        )


def _with_alias(data: dict[str, Any], name: str) -> Any:
    """A source field's value, or its legacy alias's (`format` ← `source_type`)."""
    value = data.get(name)
    if value is None or value == "":
        for alias in _SOURCE_ALIASES.get(name, ()):
            if data.get(alias) not in (None, ""):
                return data[alias]
    return value


# -- claims --------------------------------------------------------------------


class _Claims:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.paths: list[str] = []
        self.by_folder_domain: dict[str, list[str]] = defaultdict(list)
        """Folder domain → its notes other than maps: claims, legacy-typed claims, untyped files."""
        self.table: dict[str, Counter] = defaultdict(Counter)
        self.confidence = Counter()
        self.fields = Counter()
        self.months = Counter()
        self.mismatch = 0
        self.body_chars: list[int] = []
        self.description_chars: list[int] = []
        self.without_body_links = 0
        self.enrichment_blocks = Counter()
        self.titles = TitleStats()
        self.title_chars: list[int] = []
        self.title_words: list[int] = []
        self.counter = CounterEvidence()
        self.other_types = Counter()
        self.kb_by_stem: dict[str, list[Note]] = defaultdict(list)

    def add(self, note: Note, note_links: list) -> None:
        folder_domain = self.vault.config.domain_of_folder(note.folder)
        if folder_domain is None or file_name(note.path) == MAP_FILE:
            return
        self.kb_by_stem[note.title].append(note)
        if note.kind is not Kind.MAP:
            self.by_folder_domain[folder_domain].append(note.path)
        self._title(note)
        self.enrichment_blocks.update(m.lower() for m in _ENRICHMENT_HEADING.findall(note.doc.body))
        type_value = (note.type_value or "").strip().lower()
        if type_value != "claim":
            self.other_types[raw_type(note)] += 1
            return
        data = note.data
        self.paths.append(note.path)
        domain = value_key(data.get("domain"))
        confidence = value_key(data.get("confidence")).lower()
        self.table[domain][confidence] += 1
        self.confidence[confidence] += 1
        if domain != MISSING and domain != folder_domain:
            self.mismatch += 1
        self.fields.update(data.keys())
        month = _MONTH.match(value_key(data.get("created")))
        self.months[month.group(1) if month else value_key(data.get("created"))] += 1
        self.body_chars.append(len(note.doc.body))
        description = data.get("description")
        if isinstance(description, str) and description.strip():
            self.description_chars.append(len(description.strip()))
        if not any(not link.in_frontmatter for link in note_links):
            self.without_body_links += 1
        if confidence in ("likely", "proven"):
            self._counter_evidence(note)

    def _title(self, note: Note) -> None:
        title, stats = note.title, self.titles
        stats.files += 1
        if " " in title:
            stats.prose += 1
        elif "-" in title:
            stats.slug += 1
        else:
            stats.single_word += 1
        stats.with_capitals += any(c.isupper() for c in title)
        stats.non_ascii += not title.isascii()
        self.title_chars.append(len(title))
        self.title_words.append(len(normalise_title(title).split()))
        h1 = note.doc.h1()
        if h1 is None:
            stats.h1_missing += 1
        elif normalise_title(h1[0]) == normalise_title(title):
            stats.h1_equals_title += 1
        else:
            stats.h1_differs += 1

    def _counter_evidence(self, note: Note) -> None:
        counter = self.counter
        counter.likely_or_proven += 1
        body = note.doc.body
        challenged = bool(items(note.data.get("challenged_by")))
        section = bool(_CHALLENGE_HEADING.search(body))
        enrichment = any(m.lower() == "challenge" for m in _ENRICHMENT_HEADING.findall(body))
        counter.with_challenged_by += challenged
        counter.with_challenge_section += section
        counter.with_challenge_enrichment += enrichment
        counter.with_any += challenged or section or enrichment
        counter.with_none += not (challenged or section or enrichment)

    def result(self) -> ClaimStats:
        self.titles.chars = spread(self.title_chars)
        self.titles.words = spread(self.title_words)
        rows = sorted(self.table.items(), key=lambda kv: (kv[0] == MISSING, -sum(kv[1].values()), kv[0]))
        return ClaimStats(
            total=len(self.paths),
            by_domain_confidence={domain: counts(c) for domain, c in rows},
            by_domain={domain: sum(c.values()) for domain, c in rows},
            by_confidence=counts(self.confidence),
            domain_not_folder=self.mismatch,
            field_usage=counts(self.fields),
            created_by_month=dict(sorted(self.months.items(), reverse=True)),
            body_chars=spread(self.body_chars),
            description_chars=spread(self.description_chars),
            without_body_links=self.without_body_links,
            enrichment_blocks=counts(self.enrichment_blocks),
            titles=self.titles,
            counter_evidence=self.counter,
            duplicate_titles=self._duplicates(),
            other_types_in_domain_folders=counts(self.other_types),
        )

    def _duplicates(self) -> DuplicateTitles:
        found = DuplicateTitles()
        pairs = Counter()
        for title, notes in sorted(self.kb_by_stem.items()):
            if len(notes) < 2 or not any(n.kind is Kind.CLAIM for n in notes):
                continue
            found.titles += 1
            if len({n.doc.text for n in notes}) > 1:
                found.different_content += 1
            else:
                found.identical_content += 1
            pairs[" ↔ ".join(sorted({n.folder for n in notes}))] += 1
            if len(found.examples) < 10:
                found.examples.append(title)
        found.by_folder_pair = counts(pairs)
        return found


# -- links ---------------------------------------------------------------------


class _Links:
    def __init__(self, vault: Vault, domain_folders: dict[str, str]) -> None:
        self.resolver = vault.resolver
        folders = tuple(f + "/" for f in domain_folders.values())
        self.domain_stems = {stem(p) for p in vault.markdown_paths() if p.startswith(folders)}
        self.occurrences = 0
        self.in_frontmatter = 0
        self.files_with_links = 0
        self.targets = Counter()
        self.unresolved_targets = Counter()
        self.methods = Counter()
        self.unsafe = 0
        self.ambiguous_stem = 0
        self.ambiguous_unsettled = 0
        self.stripper = 0
        self.by_target_folder = Counter()
        self.unresolved_by_area = Counter()
        self.map_targets: dict[str, set[str]] = {}

    def add(self, note: Note, note_links: list) -> None:
        is_map = file_name(note.path) == MAP_FILE
        if is_map:
            self.map_targets[note.path] = set()
        if not note_links:
            return
        self.files_with_links += 1
        for link in note_links:
            target = link.target
            self.occurrences += 1
            self.in_frontmatter += link.in_frontmatter
            self.targets[target] += 1
            self.stripper += target in self.domain_stems
            resolution = self.resolver.resolve(target, note.path)
            self._count(note, target, resolution)
            if is_map and resolution.path:
                self.map_targets[note.path].add(resolution.path)

    def _count(self, note: Note, target: str, resolution: Resolution) -> None:
        if not resolution.resolved:
            self.methods["unresolved"] += 1
            self.unsafe += resolution.unsafe
            self.unresolved_targets[target] += 1
            self.unresolved_by_area[area(note.path)] += 1
            return
        path = resolution.path or ""
        self.methods[resolution.method or "unresolved"] += 1
        self.ambiguous_stem += len(resolution.candidates) > 1
        self.ambiguous_unsettled += resolution.ambiguous
        self.by_target_folder["_map" if file_name(path) == MAP_FILE else top_folder(path)] += 1

    def result(self) -> LinkStats:
        total = self.occurrences
        tiers = []
        for label, methods in TIERS:
            resolved = sum(n for m, n in self.methods.items() if m in methods)
            tiers.append(Tier(resolver=label, resolved=resolved, unresolved=total - resolved, percent=_pct(resolved, total)))
        tiers.append(Tier(
            resolver=STRIPPER_TIER, resolved=self.stripper, unresolved=total - self.stripper,
            percent=_pct(self.stripper, total), cumulative=False,
        ))
        truncated = [t for t in self.unresolved_targets if self._truncated(t)]
        unresolved = sum(self.unresolved_targets.values())
        top = sorted(self.unresolved_targets.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
        return LinkStats(
            occurrences=total,
            in_frontmatter=self.in_frontmatter,
            distinct_targets=len(self.targets),
            files_with_links=self.files_with_links,
            tiers=tiers,
            by_method=counts(self.methods),
            unresolved=unresolved,
            unresolved_distinct=len(self.unresolved_targets),
            unsafe=self.unsafe,
            ambiguous_stem=self.ambiguous_stem,
            ambiguous_unsettled=self.ambiguous_unsettled,
            truncated_distinct=len(truncated),
            truncated_occurrences=sum(self.unresolved_targets[t] for t in truncated),
            resolved_by_target_folder=counts(self.by_target_folder),
            unresolved_by_source_folder=counts(self.unresolved_by_area),
            top_unresolved=[TargetCount(target=t, occurrences=n) for t, n in top],
        )

    def _truncated(self, target: str) -> bool:
        name = file_name(target)
        return len(self.resolver.completions(normalise_title(name))) == 1


def _pct(part: int, total: int) -> float:
    return round(100 * part / total, 1) if total else 0.0


# -- maps ----------------------------------------------------------------------


def _map_coverage(
    domain_folders: dict[str, str], claims: dict[str, list[str]], map_targets: dict[str, set[str]]
) -> list[MapCoverage]:
    """Per domain folder: its notes (subfolders included, maps excepted) the folder's `_map.md` does not link to."""
    rows = []
    for domain, folder in domain_folders.items():
        map_path = f"{folder}/{MAP_FILE}"
        in_folder_claims = claims.get(domain, [])
        linked = map_targets.get(map_path)
        unlinked = [p for p in in_folder_claims if linked is None or p not in linked]
        rows.append(MapCoverage(
            domain=domain, folder=folder, has_map=linked is not None, claims=len(in_folder_claims),
            unlinked=len(unlinked), unlinked_paths=unlinked,
        ))
    return rows


# -- other kinds ---------------------------------------------------------------


class _Others:
    def __init__(self) -> None:
        self.kinds = Counter()
        self.tallies: dict[str, Counter] = defaultdict(Counter)

    def add(self, note: Note) -> None:
        kind, data = note.kind, note.data
        self.kinds[kind] += 1
        t = self.tallies
        if kind is Kind.ENTITY:
            t["entity_type"][value_key(data.get("entity_type"))] += 1
            t["entity_status"][value_key(data.get("status"))] += 1
            t["entity_domain"][value_key(data.get("domain"))] += 1
            t["entity_tracked_by"][value_key(data.get("tracked_by"))] += 1
        elif kind is Kind.POSITION:
            t["position_agent"][agent_of(note)] += 1
            t["position_status"][value_key(data.get("status"))] += 1
            t["position_outcome"][value_key(data.get("outcome"))] += 1
        elif kind is Kind.MUSING:
            t["musing_status"][value_key(data.get("status"))] += 1
            t["musing_agent"][agent_of(note)] += 1
        elif kind is Kind.CONVICTION:
            t["conviction_staked_by"][value_key(data.get("staked_by"))] += 1
        elif kind is Kind.SECTOR:
            t["sector_status"][value_key(data.get("status"))] += 1
        elif kind is Kind.FLAG:
            status = value_key(data.get("status"))
            t["flag_status"][status] += 1
            if status == "open":
                t["open_flag_agent"][value_key(data.get("agent"))] += 1
                t["open_flag_priority"][value_key(data.get("priority"))] += 1

    def result(self) -> OtherKinds:
        k, t = self.kinds, self.tallies
        return OtherKinds(
            entities=k[Kind.ENTITY],
            entities_by_type=counts(t["entity_type"]),
            entities_by_status=counts(t["entity_status"]),
            entities_by_domain=counts(t["entity_domain"]),
            entities_by_tracked_by=counts(t["entity_tracked_by"]),
            positions=k[Kind.POSITION],
            positions_by_agent=counts(t["position_agent"]),
            positions_by_status=counts(t["position_status"]),
            positions_by_outcome=counts(t["position_outcome"]),
            musings=k[Kind.MUSING],
            musings_by_status=counts(t["musing_status"]),
            musings_by_agent=counts(t["musing_agent"]),
            convictions=k[Kind.CONVICTION],
            convictions_by_staked_by=counts(t["conviction_staked_by"]),
            sectors=k[Kind.SECTOR],
            sectors_by_status=counts(t["sector_status"]),
            beliefs=k[Kind.BELIEF] + k[Kind.BELIEFS_DOC],
            maps=k[Kind.MAP],
            journals=k[Kind.JOURNAL],
            flags=k[Kind.FLAG],
            flags_by_status=counts(t["flag_status"]),
            open_flags_by_agent=counts(t["open_flag_agent"]),
            open_flags_by_priority=counts(t["open_flag_priority"]),
        )
