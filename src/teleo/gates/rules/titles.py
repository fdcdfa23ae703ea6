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


RULE = "title-duplicate"


def colliding_titles(ctx) -> dict[str, list[str]]:
    """Normalised title → the paths carrying it, for titles carried by two paths or more (from the paths
    alone, once per run; files named by convention left out)."""
    found = ctx.memo.get(RULE)
    if found is None:
        by_title: dict[str, list[str]] = defaultdict(list)
        for path in ctx.vault.markdown_paths():
            stem = path.rpartition("/")[2][:-3]
            if stem.casefold() not in REPEATED_BY_DESIGN and (key := normalise_title(stem)):
                by_title[key].append(path)
        found = {key: paths for key, paths in by_title.items() if len(paths) > 1}
        ctx.memo[RULE] = found
        ctx.memo[RULE + "/paths"] = frozenset(path for paths in found.values() for path in paths)
    return found


def heading_line(ctx, note) -> int | None:
    """What `title-duplicate` reports of a note it may name (a title that collides, a kind that counts):
    the line of its H1, else 1 — gathered during the note pass, so the rule reads no note again."""
    colliding_titles(ctx)
    if note.kind not in DUPLICATE_KINDS or note.path not in ctx.memo[RULE + "/paths"]:
        return None
    heading = note.doc.h1()
    return heading[1] if heading else 1


@vault_rule(
    RULE, Severity.WARNING, "a claim, conviction, entity or source title is carried by one note only",
    gather=heading_line,
)
def duplicate_titles(ctx):
    for paths in colliding_titles(ctx).values():  # paths first: only the notes that collide are looked at
        if ctx.kinds is not None:  # kinds known (the lint cache, or the whole pass): only what can collide
            paths = [p for p in paths if ctx.kinds.get(p) in _DUPLICATE_KIND_VALUES]
        carried = [(path, line) for path, line in (_heading_line(ctx, p) for p in paths) if line is not None]
        if len(carried) < 2:
            continue
        for path, line in carried:
            others = [p for p, _ in carried if p != path]
            shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            yield ctx.finding(
                RULE, path, line, f"the title '{_clip(_title(path))}' is also carried by {shown}",
                suggestion="merge the copies into one note (retire the other), or retitle one to state its "
                "different claim; links to this title are ambiguous until then",
            )


def _heading_line(ctx, path: str) -> tuple[str, int | None]:
    """(path, its H1 line when it is of a kind that counts, else None): as gathered, else read."""
    facts = ctx.gathered.get(path)
    if facts is not None:
        return path, facts.get(RULE)
    return path, heading_line(ctx, ctx.note(path))


def _title(path: str) -> str:
    """`Note.title` of the note at `path` (its file name's stem)."""
    name = path.rpartition("/")[2]
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def _clip(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
