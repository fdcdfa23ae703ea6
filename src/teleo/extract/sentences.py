"""Sentences of a markdown source, each mapped back to its characters in the original text.

`split_sentences(text)` reads the text as markdown blocks — paragraphs, list
items, block quotes — and skips what is not prose: frontmatter (a leading
`---` block and `key: value` lines), headings (kept as context), fenced
code, tables, rules and metadata lines (`Author:`, `URL:` …). Inside a block
it removes inline markup (emphasis, code ticks, HTML tags, footnote and
numeric citation marks), keeps the text of `[links](…)` and `[[wiki|links]]`,
drops bare URLs and images, and collapses whitespace — remembering, for every
character kept, where it came from. `pysbd` then splits each block into
sentences, and each sentence gets:

- `text`: the plain sentence, for scoring, embedding and titles;
- `start`, `end`: its span in the original, so `source[start:end]` is the
  verbatim sentence (markup inside it included) — what a `Quote` carries and
  what grounding finds exactly;
- its block (paragraph) and the nearest heading above it, for context.

`embedder()` loads the `wordllama` model bundled in its wheel, offline and once
per process; `embed(texts)` returns unit-length vectors.
"""

from __future__ import annotations

import functools
import html
import re
import threading
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["paragraph", "item", "quote"]


@dataclass(frozen=True)
class Block:
    """A paragraph, list item or block-quote paragraph of the source."""

    index: int
    kind: BlockKind
    start: int
    end: int
    """`source[start:end]` is the block as written (markers of its first line excluded)."""
    text: str
    """Plain text of the whole block."""
    heading: str
    """The nearest heading above the block, as plain text ("" before the first heading)."""


@dataclass(frozen=True)
class Sentence:
    """One sentence of the source."""

    index: int
    text: str
    """Plain text: markup removed, whitespace collapsed."""
    start: int
    end: int
    verbatim: str
    """`source[start:end]`: the sentence exactly as it stands in the source."""
    block: int
    """Index of its `Block`."""
    position: int
    """Its position within the block (0 = first sentence)."""


@dataclass(frozen=True)
class Segmented:
    """A source split into blocks and sentences."""

    text: str
    blocks: list[Block]
    sentences: list[Sentence]

    def block_of(self, sentence: Sentence) -> Block:
        return self.blocks[sentence.block]

    def neighbours(self, sentence: Sentence) -> tuple[Sentence | None, Sentence | None]:
        """The sentences just before and after `sentence` in the same block."""
        before = after = None
        if sentence.index > 0:
            other = self.sentences[sentence.index - 1]
            before = other if other.block == sentence.block else None
        if sentence.index + 1 < len(self.sentences):
            other = self.sentences[sentence.index + 1]
            after = other if other.block == sentence.block else None
        return before, after


# -- block structure ---------------------------------------------------------------

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?:\s+|$)(.*?)(?:\s+#+\s*)?$")
_RULE = re.compile(r"^\s{0,3}([-*_=])(?:\s*\1){2,}\s*$")
_TABLE = re.compile(r"^\s*\|")
_BULLET = re.compile(r"^(\s*)(?:[-*+\u2022]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
_QUOTE_MARK = re.compile(r"^\s{0,3}(?:>\s?)+")
_YAML_LINE = re.compile(r"^\s*[a-z_][a-z0-9_-]{0,40}:(?:\s|$)")
"""A frontmatter-like `key: value` line (lower-case identifier key)."""
_META_LINE = re.compile(
    r"^\s*\**(?:title|author|authors|by|date|published|posted|updated|source|url|link|links|tags|"
    r"category|categories|format|status|domain|doi|isbn|via|credit|credits|photo|image)\**\s*:",
    re.IGNORECASE,
)
"""Metadata lines of pasted articles (`Author: …`, `URL: …`)."""


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line without its newline) for every line."""
    out = []
    offset = 0
    for line in text.splitlines(keepends=True):
        out.append((offset, line.rstrip("\r\n")))
        offset += len(line)
    return out


def _frontmatter_end(lines: list[tuple[int, str]]) -> int:
    """Index of the first line after a leading `---` frontmatter block (0 when there is none)."""
    if not lines or lines[0][1].strip() != "---":
        return 0
    for index in range(1, min(len(lines), 400)):
        if lines[index][1].strip() in ("---", "..."):
            return index + 1
    return 0


# -- inline markup -----------------------------------------------------------------

_INLINE = re.compile(
    r"(?P<image>!\[[^\]\n]*\]\([^)\n]*\))"
    r"|(?P<wiki>\[\[(?P<wt>[^\]|#\n]*)(?:#[^\]|\n]*)?(?:\|(?P<wa>[^\]\n]+))?\]\])"
    r"|(?P<footnote>\[\^[^\]\n]+\])"
    r"|(?P<cite>\[\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*\])"
    r"|(?P<link>\[(?P<lt>(?:!\[[^\]\n]*\]\([^)\n]*\)|[^\]\n])*)\]\([^)\s]*(?:\s+\"[^\"\n]*\")?\))"
    r"|(?P<reflink>\[(?P<rt>[^\]\n]+)\]\[[^\]\n]*\])"
    r"|(?P<autolink><(?:https?|mailto):[^>\s]+>)"
    r"|(?P<tag></?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>)"
    r"|(?P<url>(?:https?://|www\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"])"
    r"|(?P<entity>&(?:#\d{1,6}|#x[0-9a-fA-F]{1,6}|[A-Za-z]{2,10});)"
    r"|(?P<emph>\*+|~~|`+|(?<![\w])_{1,3}(?=\S)|(?<=\S)_{1,3}(?![\w]))"
)


def _strip_inline(line: str, base: int, chars: list[str], offsets: list[int]) -> None:
    """Append the plain characters of `line` (at `base` in the source) with their offsets."""
    position = 0
    for match in _INLINE.finditer(line):
        for index in range(position, match.start()):
            chars.append(line[index])
            offsets.append(base + index)
        position = match.end()
        kind = match.lastgroup
        keep: tuple[int, int] | None = None
        if kind == "wiki":
            keep = match.span("wa") if match.group("wa") else match.span("wt")
        elif kind == "link":
            keep = match.span("lt")
        elif kind == "reflink":
            keep = match.span("rt")
        elif kind == "entity":
            value = html.unescape(match.group())
            for ch in value:
                chars.append(ch)
                offsets.append(base + match.start())
            continue
        if keep is not None:
            # the kept text may carry emphasis of its own
            _strip_inline(line[keep[0]:keep[1]], base + keep[0], chars, offsets)
    for index in range(position, len(line)):
        chars.append(line[index])
        offsets.append(base + index)


_NO_SPACE_BEFORE = frozenset(".,;:!?)]\u201d")


def _collapse(chars: list[str], offsets: list[int]) -> tuple[str, list[int]]:
    """Whitespace runs become one space; leading and trailing whitespace go.

    A space left before closing punctuation by removed markup ("see [1] ." →
    "see.") is dropped; `a ../b` keeps its space (the dot is not followed by a space).
    """
    out_chars: list[str] = []
    out_offsets: list[int] = []
    pending = False
    count = len(chars)
    for index, (ch, off) in enumerate(zip(chars, offsets)):
        if ch.isspace() or ch in "\u200b\ufeff" or (ord(ch) < 32):
            pending = bool(out_chars)
            continue
        if pending:
            closing = ch in _NO_SPACE_BEFORE and (index + 1 >= count or chars[index + 1].isspace())
            if not closing:
                out_chars.append(" ")
                out_offsets.append(off)
        pending = False
        out_chars.append(ch)
        out_offsets.append(off)
    return "".join(out_chars), out_offsets


# -- sentences ---------------------------------------------------------------------

_segmenter_lock = threading.Lock()


@functools.cache
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


_INNER_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s")
"""A possible sentence end inside a block; a block without one is one sentence (pysbd skipped)."""


def _split_block(text: str) -> list[tuple[int, int]]:
    """Sentence spans (in `text`) of one block's plain text."""
    if not _INNER_END.search(text):
        return [(0, len(text))]
    with _segmenter_lock:
        pieces = _segmenter().segment(text)
    spans = []
    cursor = 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        found = text.find(piece, cursor)
        if found < 0:  # pysbd altered the text: fall back to the rest of the block
            spans.append((cursor, len(text)))
            cursor = len(text)
            break
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    if cursor < len(text) and text[cursor:].strip():
        rest = len(text) - len(text[cursor:].lstrip())
        spans.append((rest, len(text)))
    return spans


def split_sentences(text: str) -> Segmented:
    """Blocks and sentences of markdown `text` (see the module doc)."""
    lines = _lines(text)
    blocks: list[Block] = []
    sentences: list[Sentence] = []
    heading = ""
    current: list[tuple[int, str]] = []  # (offset, content) lines of the open block
    kind: BlockKind = "paragraph"

    def close() -> None:
        nonlocal current
        if not current:
            return
        chars: list[str] = []
        offsets: list[int] = []
        for number, (offset, content) in enumerate(current):
            if number:
                chars.append(" ")
                offsets.append(offset - 1 if offset else 0)
            _strip_inline(content, offset, chars, offsets)
        plain, mapping = _collapse(chars, offsets)
        first_offset = current[0][0]
        last_offset, last_content = current[-1]
        current = []
        if not plain:
            return
        block = Block(len(blocks), kind, first_offset, last_offset + len(last_content), plain, heading)
        blocks.append(block)
        for position, (s, e) in enumerate(_split_block(plain)):
            while e > s and plain[e - 1] == " ":
                e -= 1
            if e <= s:
                continue
            start, end = mapping[s], mapping[e - 1] + 1
            sentences.append(Sentence(len(sentences), plain[s:e], start, end, text[start:end], block.index, position))

    index = _frontmatter_end(lines)
    fence: str | None = None
    while index < len(lines):
        offset, line = lines[index]
        index += 1
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        opened = _FENCE.match(line)
        if opened:
            close()
            fence = opened.group(1)[:3]
            continue
        if not line.strip():
            close()
            continue
        titled = _HEADING.match(line)
        if titled:
            close()
            chars: list[str] = []
            offsets: list[int] = []
            _strip_inline(titled.group(2), offset + titled.start(2), chars, offsets)
            heading = _collapse(chars, offsets)[0]
            continue
        if _RULE.match(line) or _TABLE.match(line) or _META_LINE.match(line) or (not current and _YAML_LINE.match(line)):
            close()
            continue
        quoted = _QUOTE_MARK.match(line)
        if quoted:
            if kind != "quote":
                close()
            kind = "quote"
            rest = line[quoted.end():]
            if not rest.strip():
                close()
                continue
            bullet = _BULLET.match(rest)
            if bullet:
                close()
                kind = "quote"
                rest_offset = offset + quoted.end() + bullet.end()
                current.append((rest_offset, rest[bullet.end():]))
            else:
                current.append((offset + quoted.end(), rest))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            close()
            kind = "item"
            current.append((offset + bullet.end(), line[bullet.end():]))
            continue
        if kind == "quote" and current:
            close()
        if not current:
            kind = "paragraph"
        stripped = len(line) - len(line.lstrip())
        current.append((offset + stripped, line[stripped:]))
    close()
    return Segmented(text, blocks, sentences)


# -- embeddings --------------------------------------------------------------------
# One loader per process for the whole engine: the index owns it.
from teleo.index.embed import embed  # noqa: E402
from teleo.index.embed import load_model as embedder  # noqa: E402

__all__ = ["Segmented", "Sentence", "embed", "embedder", "split_sentences"]
