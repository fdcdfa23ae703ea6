"""A claim's evidence and where each passage stands in its source (`teleo.extract.grounding`).

Evidence is what sits under an `## Evidence` heading or an `Additional Evidence`
heading (the enrichment blocks): blockquotes when there are any (the extractor
writes grounded passages as blockquotes), else the paragraphs. The source is the
first wiki link of the section that resolves to a source note, else the note's
only cited source. Each passage is looked up in that source's text: exact,
normalised or fuzzy, with its line.
"""

from __future__ import annotations

import re
from functools import lru_cache

from teleo.extract.grounding import ground, normalise
from teleo.index import Index, Link
from teleo.notes import read_note
from teleo.notes.links import WIKI_LINK
from teleo.web.markdown import note_href
from teleo.web.models import Evidence, Grounded, NoteRef
from teleo.web.state import WebState

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_EVIDENCE = re.compile(r"evidence", re.IGNORECASE)
MAX_PASSAGES = 20
FUZZY_MAX_CHARS = 1500
"""Longer quotes are only matched exactly or normalised (fuzzy cost grows with the quote's length)."""


def sections(body: str) -> list[tuple[str, list[str]]]:
    """(heading, lines) for each heading of the body (text before the first heading is skipped)."""
    found: list[tuple[str, list[str]]] = []
    fenced = False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            found.append((match.group(2), []))
        elif found:
            found[-1][1].append(line)
    return found


def passages(lines: list[str]) -> tuple[list[str], bool]:
    """Blockquotes of the section, or its paragraphs when it has none (source lines and rules left
    out); and whether they are quotes."""
    quotes: list[str] = []
    paragraphs: list[str] = []
    current: list[str] = []
    quoting = False
    for line in lines + [""]:
        stripped = line.strip()
        if stripped.startswith(">"):
            if not quoting and current:
                paragraphs.append(" ".join(current))
                current = []
            quoting = True
            current.append(stripped.lstrip(">").strip())
            continue
        if quoting:
            quotes.append(" ".join(c for c in current if c))
            current, quoting = [], False
        if not stripped or stripped == "---":
            if current:
                paragraphs.append(" ".join(current))
            current = []
        elif not (stripped.startswith("*Source:") or stripped.startswith("(from ")):
            current.append(stripped)
    chosen = quotes or paragraphs
    return [p for p in chosen if p.strip()][:MAX_PASSAGES], bool(quotes)


def evidence_of(state: WebState, index: Index, path: str, body: str, links: list[Link]) -> list[Evidence]:
    resolved = {link.raw: link.path for link in links if link.path}
    kinds = index.kinds_of({p for p in resolved.values() if p})
    sources = [p for p in dict.fromkeys(resolved.values()) if p and kinds.get(p) == "source"]
    found: list[Evidence] = []
    texts: dict[str, str] = {}
    for heading, lines in sections(body):
        if not _EVIDENCE.search(heading):
            continue
        section_sources = [
            resolved[m.group(1)] for m in WIKI_LINK.finditer("\n".join(lines))
            if resolved.get(m.group(1)) and kinds.get(resolved[m.group(1)]) == "source"
        ]
        source = section_sources[0] if section_sources else (sources[0] if len(sources) == 1 else None)
        chosen, quoted = passages(lines)
        for passage in chosen:
            item = Evidence(section=heading, text=passage)
            if source:
                item.source = _ref(state, source)
                if source not in texts:
                    texts[source] = read_note(state.root, source).doc.text
                item.grounding = locate(passage, texts[source], fuzzy=quoted and len(passage) <= FUZZY_MAX_CHARS)
            found.append(item)
    return found


def locate(passage: str, source_text: str, *, fuzzy: bool) -> Grounded:
    """Where `passage` sits in the source: `ground` (exact, normalised, fuzzy) for a quote; for
    prose (an agent's own words about the source) only exact and normalised matches are tried,
    as a fuzzy search for a paraphrase costs much and finds nothing."""
    if fuzzy:
        found = ground(passage, source_text)
        return Grounded(found=found.found, method=found.method, line=found.line, score=found.score,
                        passage=found.matched(source_text)[:600])
    at = source_text.find(passage)
    if at >= 0:
        return Grounded(found=True, method="exact", line=source_text.count("\n", 0, at) + 1, score=100.0,
                        passage=passage[:600])
    wanted, _ = normalise(passage)
    text, offsets = _normalised(source_text)
    at = text.find(wanted) if wanted else -1
    if at < 0:
        return Grounded(found=False)
    start = offsets[at]
    return Grounded(found=True, method="normalised", line=source_text.count("\n", 0, start) + 1, score=100.0,
                    passage=source_text[start : offsets[min(at + len(wanted), len(offsets)) - 1] + 1][:600])


@lru_cache(maxsize=16)
def _normalised(source_text: str) -> tuple[str, list[int]]:
    return normalise(source_text)


def _ref(state: WebState, path: str) -> NoteRef:
    rows = state.note_rows("WHERE path = ?", (path,))
    title = (rows[0]["label"] or rows[0]["title"]) if rows else path
    return NoteRef(path=path, title=title, href=note_href(path), kind="source")
