"""Finding `[[wiki links]]` in a note, with where they are.

Links inside frontmatter values (`depends_on: ["[[x]]"]`) are real edges and
are found too. Links inside fenced code blocks and inline code are examples,
not edges, and are skipped.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

from teleo.notes.document import Document

WIKI_LINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")
_FENCE = re.compile(r"^(`{3,}|~{3,})", re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]+`")


@dataclass(frozen=True)
class WikiLink:
    """One `[[target|alias]]` occurrence."""

    raw: str
    """The text between the brackets, as written."""
    line: int
    in_frontmatter: bool
    field: str | None = None
    """The frontmatter key it sits under, when in frontmatter."""
    target: str = dataclasses.field(init=False, compare=False)
    alias: str | None = dataclasses.field(init=False, compare=False)

    def __post_init__(self) -> None:
        target, alias = split_link(self.raw)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "alias", alias)


def _new_link(raw: str, line: int, in_frontmatter: bool, field: str | None = None) -> WikiLink:
    """`WikiLink(raw, line, in_frontmatter, field)` without the frozen dataclass's per-field
    `object.__setattr__` calls (a note has dozens of links; this is the read path's hot loop)."""
    link = object.__new__(WikiLink)
    target, alias = split_link(raw)
    link.__dict__.update(raw=raw, line=line, in_frontmatter=in_frontmatter, field=field, target=target, alias=alias)
    return link


@lru_cache(maxsize=65_536)
def split_link(raw: str) -> tuple[str, str | None]:
    """`target|alias` → (target, alias); `target#heading` keeps the target."""
    target, _, alias = raw.partition("|")
    target = target.split("#", 1)[0] if not target.startswith("#") else target
    return target.strip(), (alias.strip() or None) if alias else None


def find_links(doc: Document) -> list[WikiLink]:
    """Every wiki link of the document, in file order."""
    links: list[WikiLink] = []
    if "[[" in doc.frontmatter_text:
        links.extend(_frontmatter_links(doc))
    links.extend(_body_links(doc))
    return links


def body_link_targets(doc: Document) -> list[str]:
    """The targets of the body's wiki links in file order: `find_links`'s non-frontmatter
    links' targets, without their positions (for readers that need only the edges)."""
    body = doc.body
    if "[[" not in body:
        return []
    targets = []
    for _, segment in _prose_segments(body):
        if "[[" in segment:
            targets.extend([split_link(raw)[0] for raw in WIKI_LINK.findall(segment)])
    return targets


def field_link_targets(doc: Document, key: str) -> list[str]:
    """The targets of the wiki links under frontmatter key `key`, in order (as `find_links` finds them)."""
    if "[[" not in doc.frontmatter_text:
        return []
    return [link.target for link in _frontmatter_links(doc) if link.field == key]


def _frontmatter_links(doc: Document) -> list[WikiLink]:
    found = []
    current_key: str | None = None
    for offset, line in enumerate(doc.frontmatter_text.split("\n")):  # `\n` lines, as everywhere
        key_match = re.match(r"^([A-Za-z_][\w\-]*)\s*:", line)
        if key_match:
            current_key = key_match.group(1)
        for match in WIKI_LINK.finditer(line):
            found.append(_new_link(match.group(1), doc.fm_first_line + offset, True, current_key))
    return found


def _body_links(doc: Document) -> list[WikiLink]:
    body = doc.body
    if "[[" not in body:
        return []
    found = []
    line, counted = doc.body_start_line, 0  # lines counted incrementally: links come in file order
    for start, segment in _prose_segments(body):
        if segment is not body and "[[" not in segment:  # (the whole body was searched just above)
            continue
        for match in WIKI_LINK.finditer(segment):
            offset = start + match.start()
            line += body.count("\n", counted, offset)
            counted = offset
            found.append(_new_link(match.group(1), line, False))
    return found


def _prose_segments(body: str) -> list[tuple[int, str]]:
    """(offset, text) pieces of the body outside fenced code and inline code."""
    pieces: list[tuple[int, str]] = []
    position = 0
    # (a one-character test first: a body with a non-ASCII character is searched far slower for "```")
    fenced = ("`" in body and "```" in body) or ("~" in body and "~~~" in body)
    fences = list(_FENCE.finditer(body)) if fenced else []
    index = 0
    while index < len(fences):
        opener = fences[index]
        # the next fence of the same character closes it (an index scan: linear over the body)
        close_at = next((j for j in range(index + 1, len(fences)) if fences[j].group(1)[0] == opener.group(1)[0]), None)
        pieces.append((position, body[position : opener.start()]))
        if close_at is None:
            position = len(body)
            break
        position = body.find("\n", fences[close_at].end())
        position = len(body) if position < 0 else position
        index = close_at + 1
        while index < len(fences) and fences[index].start() < position:
            index += 1
    if position < len(body):
        pieces.append((position, body[position:]))
    return [(offset, _blank_inline_code(text)) for offset, text in pieces]


def _blank_inline_code(text: str) -> str:
    if "`" not in text:
        return text
    return _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), text)
