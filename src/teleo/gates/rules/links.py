"""Gate 11 and 20: every [[link]] resolves; claims never link to musings."""

from __future__ import annotations

from teleo.gates.findings import Severity
from teleo.gates.registry import note_rule
from teleo.notes import Kind

TRACE_FIELDS = frozenset({"claims_extracted", "enrichments", "enrichments_applied", "entities_created", "entities_updated"})
"""Source fields whose entries `source-trace` checks; `link-unresolved` leaves them to it."""


@note_rule("link-unresolved", Severity.WARNING, "every [[wiki link]] resolves to a note (nearest title suggested)")
def unresolved_links(ctx, note):
    for link, resolution in ctx.resolved_links(note):
        if link.field in TRACE_FIELDS and note.kind is Kind.SOURCE:
            continue
        if resolution.resolved or resolution.unsafe:
            continue
        suggestion = ctx.resolver.suggest(link.target)
        hint = None
        if suggestion is not None:
            verb = "complete to" if suggestion.reason == "prefix" else "did you mean"
            hint = f"{verb} [[{suggestion.title}]]"
        yield ctx.finding(
            "link-unresolved", note, link.line, f"[[{link.target}]] does not resolve to any note",
            field=link.field, suggestion=hint,
        )


_LENIENT = {"md-suffix": "a .md suffix", "case": "different case", "normalised": "different punctuation or spacing",
            "basename": "a path that no longer exists"}


@note_rule("link-inexact", Severity.INFO, "a link names its note exactly (not only by case, .md, punctuation or a stale path)")
def inexact_links(ctx, note):
    for link, resolution in ctx.resolved_links(note):
        if resolution.method in _LENIENT:
            title = resolution.path.rsplit("/", 1)[-1][:-3]
            yield ctx.finding(
                "link-inexact", note, link.line,
                f"[[{link.target}]] resolves only through {_LENIENT[resolution.method]} to {resolution.path}",
                field=link.field, suggestion=f"`teleo fix` rewrites it to [[{title}]]",
            )


@note_rule("link-unsafe", Severity.ERROR, "no link points outside the vault (`..`, absolute paths)")
def unsafe_links(ctx, note):
    for link, resolution in ctx.resolved_links(note):
        if resolution.unsafe:
            yield ctx.finding(
                "link-unsafe", note, link.line, f"[[{link.target}]] points outside the vault; it is never followed",
                field=link.field,
            )


@note_rule("link-ambiguous", Severity.INFO, "a link's title is carried by one file only, or the folder rule settles it")
def ambiguous_links(ctx, note):
    for link, resolution in ctx.resolved_links(note):
        if resolution.ambiguous:
            others = [c for c in resolution.candidates if c != resolution.path]
            yield ctx.finding(
                "link-ambiguous", note, link.line,
                f"[[{link.target}]] matches {len(resolution.candidates)} files; resolved to {resolution.path}",
                field=link.field, suggestion="link by path to pick another: " + ", ".join(others[:3]),
            )


@note_rule("claim-links-musing", Severity.ERROR, "claims never link to musings (the one-way rule)", [Kind.CLAIM])
def claim_links_musing(ctx, note):
    for link, resolution in ctx.resolved_links(note):
        if resolution.path and "/musings/" in f"/{resolution.path}":
            yield ctx.finding(
                "claim-links-musing", note, link.line, f"claim links to the musing {resolution.path}",
                suggestion="link the claim from the musing instead, or extract the musing into a claim",
            )
