"""`claims-context.json`: a compact claim index for chat system prompts.

The file is written as compact JSON (no spaces) and the budget applies to
exactly what is written (characters, trailing newline included). When the
full index is over budget:

1. descriptions are cut to 160, 120, 100, 80, 60, 40, 20 characters (+ `...`),
   stopping at the first cap that fits;
2. if even 20 does not fit, descriptions are emptied;
3. if titles alone still do not fit, the lowest-priority claims are dropped
   until the file fits: fewest graph links first, then lowest confidence
   (unrated < speculative < experimental < likely < proven), then domain and
   title in reverse order.

Every step is re-checked against the exact serialised size, so the budget
holds (unless it is smaller than the empty index itself). What was done is
recorded under `truncation`.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from teleo.export.graph import GraphEdge, GraphNode

DEFAULT_BUDGET = 100_000
DESCRIPTION_CAPS = (160, 120, 100, 80, 60, 40, 20)
ELLIPSIS = "..."
_CONFIDENCE_RANK = {"proven": 4, "likely": 3, "experimental": 2, "speculative": 1}


_encode_string = json.encoder.encode_basestring  # type: ignore[attr-defined]
"""A str as a JSON string literal, non-ASCII kept (what the encoder below writes)."""
compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""Compact JSON text (the C encoder, one instance)."""


def build_context(
    nodes: list[GraphNode], edges: list[GraphEdge], generated: str | None, budget: int = DEFAULT_BUDGET,
    schema_version: int = 1,
) -> tuple[dict[str, Any], str]:
    """The claims-context document and its exact file text."""
    ordered = sorted(nodes, key=lambda n: (n.domain, n.title, n.id))
    bare = [
        {"title": n.title, "description": "", "domain": n.domain, "agent": n.agent, "confidence": n.confidence}
        for n in ordered
    ]
    descriptions = [n.description for n in ordered]
    total = len(bare)
    # Compact JSON is additive: document = wrapper + entries joined by ",". So
    # sizes are computed per entry (a description's size is its escaped string),
    # and only the chosen step is rendered — then measured for real.
    bare_sizes = [len(compact(entry)) - 2 for entry in bare]  # without the "" of the description

    def render(entries: list[dict[str, Any]], truncation: dict[str, Any], count: int | None = None) -> tuple[dict[str, Any], str]:
        document = {
            "schema_version": schema_version, "generated": generated,
            "claimCount": len(entries) if count is None else count, "truncation": truncation, "claims": entries,
        }
        return document, compact(document) + "\n"

    def estimate(truncation: dict[str, Any], kept: int, kept_total: int) -> int:
        return len(render([], truncation, kept)[1]) + kept_total + max(kept - 1, 0)

    def record(cap: int | None, dropped: int = 0) -> dict[str, Any]:
        return {
            "budget": budget, "description_cap": cap, "descriptions_dropped": cap == 0,
            "claims_dropped": dropped, "claims_total": total,
        }

    titles_only = [b + 2 for b in bare_sizes]
    steps = (None, *DESCRIPTION_CAPS, 0)
    if estimate(record(0), total, sum(titles_only)) > budget:
        steps = ()  # not even the titles fit: no cap can help
    sizes = titles_only
    for cap in steps:
        cut = [_cut(d, cap) for d in descriptions]
        sizes = [b + len(_encode_string(t)) for b, t in zip(bare_sizes, cut)]
        truncation = record(cap)
        if estimate(truncation, total, sum(sizes)) <= budget:
            document, text = render([{**e, "description": t} for e, t in zip(bare, cut)], truncation)
            if len(text) <= budget:
                return document, text
    sizes = titles_only

    # Titles alone are over budget: give up entries, lowest priority first.
    dropped: set[int] = set()
    kept_total = sum(sizes)
    order = drop_order(ordered, edges)
    position = 0
    while True:
        kept = total - len(dropped)
        truncation = record(0, len(dropped))
        if kept == 0 or estimate(truncation, kept, kept_total) <= budget:
            entries = [e for i, e in enumerate(bare) if i not in dropped]
            document, text = render(entries, truncation)
            if len(text) <= budget or not entries:
                return document, text
        index = order[position]
        position += 1
        dropped.add(index)
        kept_total -= sizes[index]


def _cut(text: str, cap: int | None) -> str:
    if cap is None or len(text) <= cap:
        return text
    return text[:cap].rstrip() + ELLIPSIS if cap else ""


def drop_order(ordered: list[GraphNode], edges: list[GraphEdge]) -> list[int]:
    """Indexes into `ordered`, in the order entries are given up.

    Fewest graph links first, then lowest confidence, then the entry latest in
    (domain, title) order.
    """
    degree: Counter[str] = Counter()
    for edge in edges:
        degree[edge.source] += 1
        degree[edge.target] += 1
    indexes = list(range(len(ordered)))
    indexes.sort(reverse=True)  # latest (domain, title) first among equals (sorts below are stable)
    indexes.sort(key=lambda i: (degree[ordered[i].id], _CONFIDENCE_RANK.get(ordered[i].confidence, 0)))
    return indexes
