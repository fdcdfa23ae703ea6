"""The answers for the chunks of one source, merged into one `ExtractionResult`.

Neighbouring chunks overlap, and a long source repeats itself, so two chunks often propose the
same claim. `merge_results(results)` keeps the first of claims that restate one another
(`teleo.extract.dedupe.earlier_duplicates`: the same title, or a cosine at or above the
duplicate line) and gives it the evidence, related links and challenges of the others;
enrichments repeat when target, type and quote are the same; key facts when their words are.
The notes of every chunk are kept, each marked with its part. What the contract cannot hold
(more than its 25 claims or enrichments, 30 key facts) is left out *and said* in the notes.
"""

from __future__ import annotations

from teleo.contract.extraction import ClaimDraft, EnrichmentDraft, ExtractionResult, SourceUpdate
from teleo.extract.dedupe import earlier_duplicates

MAX_CLAIMS = 25
MAX_ENRICHMENTS = 25
MAX_FACTS = 30
MAX_NOTES = 2000


def merge_results(results: list[ExtractionResult]) -> ExtractionResult:
    """One result for a source from the results of its chunks, in order (see the module doc)."""
    if len(results) == 1:
        return results[0]
    claims, merged_away = _claims([c for r in results for c in r.claims])
    enrichments = _enrichments([e for r in results for e in r.enrichments])
    facts = _unique([f for r in results for f in r.source_update.key_facts])
    notes = [f"[part {n}/{len(results)}] {r.source_update.notes.strip()}"
             for n, r in enumerate(results, 1) if r.source_update.notes.strip()]
    if merged_away:
        notes.append(f"[merge] {merged_away} claim(s) restated by another part were merged into it.")
    for label, items, limit in (("claims", claims, MAX_CLAIMS), ("enrichments", enrichments, MAX_ENRICHMENTS),
                                ("key facts", facts, MAX_FACTS)):
        if len(items) > limit:
            notes.append(f"[merge] {len(items) - limit} {label} of later parts left out: the contract holds {limit}.")
            del items[limit:]
    if not claims and not enrichments and not notes:
        notes.append("No part of the source gave a claim or an enrichment.")
    return ExtractionResult(claims=claims, enrichments=enrichments,
                            source_update=SourceUpdate(key_facts=facts, notes=_join(notes)))


def _claims(claims: list[ClaimDraft]) -> tuple[list[ClaimDraft], int]:
    if not claims:
        return [], 0
    kept: dict[int, ClaimDraft] = {}
    merged = 0
    earlier = earlier_duplicates([c.title for c in claims])
    for index, duplicate_of in enumerate(earlier):
        while duplicate_of is not None and duplicate_of not in kept:
            duplicate_of = earlier[duplicate_of]  # it restates a claim that was itself merged away
        if duplicate_of is None:
            kept[index] = claims[index]
            continue
        merged += 1
        first, other = kept[duplicate_of], claims[index]
        kept[duplicate_of] = first.model_copy(update={
            "evidence": _unique_by(first.evidence + other.evidence, lambda q: _key(q.text))[:10],
            "related": _unique_by(first.related + other.related, lambda r: _key(r.title))[:20],
            "challenges": _unique(first.challenges + other.challenges)[:10],
        })
    return list(kept.values()), merged


def _enrichments(enrichments: list[EnrichmentDraft]) -> list[EnrichmentDraft]:
    return _unique_by(enrichments, lambda e: (_key(e.target), e.type, _key(e.quote.text)))


def _unique(texts: list[str]) -> list[str]:
    return _unique_by([t for t in texts if t.strip()], _key)


def _unique_by(items: list, key) -> list:
    seen: set = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _key(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".")


def _join(notes: list[str]) -> str:
    """The notes joined, within the contract's 2,000 characters (whole notes first, then an ellipsis)."""
    text = " ".join(notes)
    if len(text) <= MAX_NOTES:
        return text
    cut = text.rfind(" ", 0, MAX_NOTES - 1)
    return text[: cut if cut > 0 else MAX_NOTES - 1] + "…"
