"""`teleo stats`: the health report of a vault, one table per section."""

from __future__ import annotations

import json
from itertools import zip_longest
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import OutputFormat, console, example, fail, vault_from
from teleo.stats import SECTIONS, VaultStats, vault_stats
from teleo.stats.models import Counts, SourceStats
from teleo.vault import Vault, VaultNotFound

LIMIT = 12
"""Rows shown per tally in text output; the rest are summed into one `other` row."""


def register(app: typer.Typer) -> None:
    app.command("stats", epilog=EPILOG)(stats)


EPILOG = example(
    "teleo stats",
    "teleo stats ../teleo-codex",
    "teleo stats --section links --section maps",
    "teleo stats --format json > stats.json",
    "teleo stats --format json --section claims | jq .claims.by_confidence",
)


def stats(
    ctx: typer.Context,
    path: Optional[Path] = typer.Argument(None, help="The vault, or a folder inside it (default: --vault, or found from here)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
    section: Optional[list[str]] = typer.Option(
        None, "--section", "-s", metavar="NAME", help="Show only this section (repeatable): " + ", ".join(SECTIONS) + "."
    ),
) -> None:
    """Report the vault's health: counts by type, status, domain and confidence, link resolution,
    source traceability, map coverage and frontmatter errors."""
    for name in section or []:
        if name not in SECTIONS:
            fail(f"unknown section '{name}' (choose from {', '.join(SECTIONS)})")
    chosen = [name for name in SECTIONS if name in section] if section else list(SECTIONS)
    vault = _open(ctx, path)
    report = vault_stats(vault)
    if output is OutputFormat.json:
        payload = {"vault": report.vault, **report.model_dump(mode="json", include=set(chosen))}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    console.print(headline(report))
    for name in chosen:
        for table in RENDERERS[name](report):
            console.print()
            console.print(table)


def _open(ctx: typer.Context, path: Path | None) -> Vault:
    if path is None:
        return vault_from(ctx)
    if not path.is_dir():
        fail(f"{path}: not a folder")
    try:
        return Vault.discover(path)
    except VaultNotFound:
        return vault_from(ctx, path)


# -- text output ---------------------------------------------------------------


def headline(report: VaultStats) -> str:
    links = report.links
    lenient = links.tiers[3].percent if len(links.tiers) > 3 else 0.0
    return (
        f"[bold]teleo stats — {escape(report.vault)}[/]: {report.files.markdown_files:,} notes · "
        f"{report.claims.total:,} claims · {report.sources.total:,} sources · "
        f"{links.occurrences:,} links, {lenient}% resolve · "
        f"{_plural(report.frontmatter.strict_yaml_failures, 'frontmatter')} a strict YAML loader rejects · "
        f"{_plural(report.claims.duplicate_titles.titles, 'duplicated claim title')}"
    )


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _tally(counts: Counts, limit: int = LIMIT) -> list[tuple[str, str]]:
    """`(markup, n)` rows: the vault's values escaped, the rest summed into one dim row."""
    rows = [(escape(key), f"{n:,}") for key, n in list(counts.items())[:limit]]
    rest = list(counts.items())[limit:]
    if rest:
        rows.append((f"[dim]other ({len(rest)} values)[/]", f"{sum(n for _, n in rest):,}"))
    return rows


def side_by_side(
    title: str, columns: dict[str, Counts | list[tuple[str, str]]], limit: int = LIMIT, width: int = 48
) -> Table:
    """One table of several `value | n` column pairs, like the reference's tables."""
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    groups = []
    for heading, data in columns.items():
        table.add_column(heading, overflow="fold", max_width=width)
        table.add_column("n", justify="right")
        groups.append(_tally(data, limit) if isinstance(data, dict) else [(escape(key), n) for key, n in data])
    for row in zip_longest(*groups, fillvalue=("", "")):
        table.add_row(*(cell for pair in row for cell in pair))
    return table


def _facts(*pairs: tuple[str, object]) -> list[tuple[str, str]]:
    return [(label, _number(value)) for label, value in pairs]


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _files(report: VaultStats) -> Iterator[Table]:
    f = report.files
    yield side_by_side(
        f"Files — {f.markdown_files:,} markdown notes", {"top folder": f.by_top_folder, "kind": f.by_kind, "type": f.by_type},
    )
    yield side_by_side("Duplicate file names", {
        "summary": _facts(("titles carried by 2+ files", f.duplicate_stems), ("files sharing a title", f.files_sharing_a_stem),
                          ("skipped by the walk", f.skipped)),
        "folders": f.duplicate_stems_by_folders,
    }, limit=8)
    if f.skipped_files:
        yield _skipped_table(f.skipped_files)


def _skipped_table(skipped: dict[str, str]) -> Table:
    """Every markdown file the walk left out, named (the first LIMIT; JSON has all)."""
    table = Table(
        title=f"Skipped by the walk — {_plural(len(skipped), 'markdown file')} not taken into the vault (teleo lint names each)",
        title_justify="left", show_edge=False, pad_edge=False,
    )
    table.add_column("file", overflow="fold")
    table.add_column("why")
    for path, why in list(skipped.items())[:LIMIT]:
        table.add_row(escape(path), why)
    if len(skipped) > LIMIT:
        table.add_row(f"[dim]and {len(skipped) - LIMIT:,} more (--format json lists every one)[/]", "")
    return table


def _frontmatter(report: VaultStats) -> Iterator[Table]:
    fm = report.frontmatter
    facts = _facts(
        ("with frontmatter", fm.with_frontmatter),
        ("without frontmatter", fm.without_frontmatter),
        ("files with read problems", fm.files_with_problems),
        ("unquoted 00 dates (values)", fm.zero_date_values),
        ("unquoted 00 dates (files)", fm.zero_date_files),
        ("rejected by yaml.safe_load", fm.strict_yaml_failures),
        ("  … only for 00 dates", fm.strict_yaml_failures_zero_dates),
    )
    fields = {f"{rule}: {field}": n for rule, by in fm.gate_findings_by_field.items() for field, n in by.items()}
    yield side_by_side("Frontmatter health", {
        "measure": facts, "read problem": fm.problems_by_code, "gate": fm.gate_findings_by_rule,
        "gate: field": dict(sorted(fields.items(), key=lambda kv: -kv[1])),
    })


def _sources(report: VaultStats) -> Iterator[Table]:
    s = report.sources
    yield side_by_side(
        f"Sources — {s.total:,}", {"status": s.by_status, "format": s.by_format, "domain": s.by_domain, "field": s.field_usage},
    )
    t = s.traceability
    trace = _facts(
        ("processed", t.processed), ("  with claims_extracted", t.processed_with_claims),
        ("  only enrichments", t.processed_only_enrichments), ("  neither", t.processed_with_neither),
        ("null-result", t.null_result), ("  with notes", t.null_result_with_notes),
        ("  with last_attempted", t.null_result_with_last_attempted),
    )
    yield side_by_side("Source traceability", {"status": trace})
    yield _reference_table(s)


def _reference_table(s: SourceStats) -> Table:
    table = Table(title="Where source lists lead", title_justify="left", show_edge=False, pad_edge=False)
    refs = {"claims_extracted": s.claims_extracted, "enrichments_applied": s.enrichments_applied, "enrichments": s.enrichments}
    table.add_column("entries")
    for name in refs:
        table.add_column(name, justify="right")
    for label, attr in (("sources listing", "sources"), ("entries", "entries"), ("written as .md", "written_as_md"),
                        ("resolve exactly", "exact"), ("resolve via resolver", "via_resolver"), ("dangling", "dangling")):
        table.add_row(label, *(_number(getattr(r, attr)) for r in refs.values()))
    return table


def _claims(report: VaultStats) -> Iterator[Table]:
    c = report.claims
    levels = ["proven", "likely", "experimental", "speculative"]
    table = Table(title=f"Claims — {c.total:,} (type claim in the domain folders)", title_justify="left", show_edge=False)
    table.add_column("domain field")
    for heading in ["n", *levels, "other"]:
        table.add_column(heading, justify="right")
    for domain, row in c.by_domain_confidence.items():
        other = {k: n for k, n in row.items() if k not in levels}
        note = ", ".join(f"{n} {escape(k)}" for k, n in other.items())
        table.add_row(escape(domain), str(sum(row.values())), *(str(row.get(level, 0)) for level in levels), note)
    totals = c.by_confidence
    table.add_row(
        "[bold]total[/]", f"[bold]{c.total}[/]", *(f"[bold]{totals.get(level, 0)}[/]" for level in levels),
        str(sum(n for k, n in totals.items() if k not in levels)),
    )
    yield table
    t, ce, dup = c.titles, c.counter_evidence, c.duplicate_titles
    titles = _facts(
        ("files (domain folders)", t.files), ("prose with spaces", t.prose), ("hyphen slugs", t.slug),
        ("with capitals", t.with_capitals), ("non-ASCII", t.non_ascii), ("median chars", t.chars.median),
        ("max chars", t.chars.max), ("median words", t.words.median), ("H1 = filename", t.h1_equals_title),
        ("H1 differs", t.h1_differs), ("H1 missing", t.h1_missing),
    )
    body = _facts(
        ("median body chars", c.body_chars.median), ("median description chars", c.description_chars.median),
        ("no body links", c.without_body_links), ("domain ≠ folder", c.domain_not_folder),
        ("likely/proven", ce.likely_or_proven), ("  with challenged_by", ce.with_challenged_by),
        ("  with Challenges section", ce.with_challenge_section), ("  with (challenge) enrichment", ce.with_challenge_enrichment),
        ("  with none of these", ce.with_none), ("duplicated titles", dup.titles),
        ("  with different contents", dup.different_content),
    )
    yield side_by_side("Claim titles and bodies", {
        "titles": titles, "bodies and counter-evidence": body, "field": c.field_usage, "duplicates in": dup.by_folder_pair,
    })


def _links(report: VaultStats) -> Iterator[Table]:
    lk = report.links
    table = Table(title=f"Wiki links — {lk.occurrences:,} occurrences", title_justify="left", show_edge=False)
    for heading, justify in (("resolver", "left"), ("resolved", "right"), ("%", "right"), ("unresolved", "right")):
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for tier in lk.tiers:
        label = tier.resolver if tier.cumulative else f"[dim]{escape(tier.resolver)} (not cumulative)[/]"
        table.add_row(label, f"{tier.resolved:,}", f"{tier.percent}", f"{tier.unresolved:,}")
    yield table
    facts = _facts(
        ("in frontmatter", lk.in_frontmatter), ("distinct targets", lk.distinct_targets),
        ("notes with links", lk.files_with_links), ("unresolved", lk.unresolved),
        ("unresolved distinct", lk.unresolved_distinct), ("truncated titles (distinct)", lk.truncated_distinct),
        ("truncated titles (links)", lk.truncated_occurrences), ("ambiguous title", lk.ambiguous_stem),
        ("  not settled by folder", lk.ambiguous_unsettled), ("unsafe", lk.unsafe),
    )
    yield side_by_side("Link details", {
        "measure": facts, "resolved into": lk.resolved_by_target_folder, "unresolved from": lk.unresolved_by_source_folder,
    })
    top = [(t.target, str(t.occurrences)) for t in lk.top_unresolved[:8]]
    yield side_by_side("Most-cited missing notes", {"target": top}, width=160)


def _maps(report: VaultStats) -> Iterator[Table]:
    table = Table(title="Map coverage — notes of each domain folder its _map.md does not link", title_justify="left", show_edge=False)
    for heading, justify in (("domain", "left"), ("folder", "left"), ("notes", "right"), ("not in map", "right"), ("%", "right")):
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for row in sorted(report.maps, key=lambda r: (-r.unlinked, r.folder)):
        missing = "[red]no _map.md[/]" if not row.has_map else f"{row.unlinked}"
        pct = f"{100 * row.unlinked / row.claims:.0f}" if row.claims else "—"
        table.add_row(escape(row.domain), escape(row.folder), str(row.claims), missing, pct)
    yield table


def _others(report: VaultStats) -> Iterator[Table]:
    o = report.others
    yield side_by_side(f"Entities — {o.entities}", {
        "entity_type": o.entities_by_type, "status": o.entities_by_status, "domain": o.entities_by_domain,
        "tracked_by": o.entities_by_tracked_by,
    })
    yield side_by_side("Agents' notes", {
        f"positions ({o.positions}) by agent": o.positions_by_agent, "position status": o.positions_by_status,
        f"musings ({o.musings}) by status": o.musings_by_status, "musings by agent": o.musings_by_agent,
        f"convictions ({o.convictions}) staked by": o.convictions_by_staked_by,
        "other": _facts(("sectors", o.sectors), ("beliefs", o.beliefs), ("maps", o.maps), ("journals", o.journals)),
    })
    if o.flags:
        yield side_by_side(f"Cascade flags — {o.flags}", {
            "status": o.flags_by_status, "open, by agent": o.open_flags_by_agent,
            "open, by priority": o.open_flags_by_priority,
        })


RENDERERS = {
    "files": _files, "frontmatter": _frontmatter, "sources": _sources, "claims": _claims,
    "links": _links, "maps": _maps, "others": _others,
}
