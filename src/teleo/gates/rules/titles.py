"""Gate 8 of reference §5, mechanical part: one title, one note.

Two claims (or entities, sources, convictions) with the same title make every
`[[title]]` link ambiguous and usually mean a copy drifted into a second
folder. Titles are compared in the resolver's normalised form, so
`futarchy-enables-x` and `futarchy enables X` collide as their links do.
"""

from __future__ import annotations

from collections import defaultdict

from teleo.gates.findings import Severity
from teleo.gates.registry import vault_rule
from teleo.notes import Kind
from teleo.vault import normalise_title

DUPLICATE_KINDS = (Kind.CLAIM, Kind.CONVICTION, Kind.ENTITY, Kind.SOURCE)
_DUPLICATE_KIND_VALUES = frozenset(k.value for k in DUPLICATE_KINDS)
REPEATED_BY_DESIGN = frozenset(
    {
        "_map", "readme", "index", "identity", "beliefs", "reasoning", "skills", "published", "network",
        "research-journal", "knowledge-state", "activation",
    }
)
"""Filenames that recur in every folder or agent by convention."""


@vault_rule(
    "title-duplicate", Severity.WARNING, "a claim, conviction, entity or source title is carried by one note only"
)
def duplicate_titles(ctx):
    by_title: dict[str, list[str]] = defaultdict(list)  # paths first: parse only the notes that collide
    for path in ctx.vault.markdown_paths():
        stem = path.rpartition("/")[2][:-3]
        if stem.casefold() not in REPEATED_BY_DESIGN and (key := normalise_title(stem)):
            by_title[key].append(path)
    for paths in by_title.values():
        if len(paths) < 2:
            continue
        if ctx.kinds is not None:  # kinds known from the lint cache: parse only what can collide
            paths = [p for p in paths if ctx.kinds.get(p) in _DUPLICATE_KIND_VALUES]
        notes = [n for n in (ctx.note(p) for p in paths) if n.kind in DUPLICATE_KINDS]
        if len(notes) < 2:
            continue
        for note in notes:
            others = [n.path for n in notes if n is not note]
            shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            heading = note.doc.h1()
            yield ctx.finding(
                "title-duplicate", note, heading[1] if heading else 1,
                f"the title '{_clip(note.title)}' is also carried by {shown}",
                suggestion="merge the copies into one note (retire the other), or retitle one to state its "
                "different claim; links to this title are ambiguous until then",
            )


def _clip(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
