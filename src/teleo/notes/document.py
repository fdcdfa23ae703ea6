"""Markdown + YAML frontmatter documents that round-trip byte for byte.

A `Document` keeps the exact text it was read from. Parsing never normalises
anything: the frontmatter mapping is derived data, the text is the truth.
Edits (`teleo.notes.edit`) splice new lines into that text, so an unchanged
document writes back identical bytes and a changed field changes only its
own lines.

A line ends at `\n` (so `\r\n` too), never at the other characters
`str.splitlines` breaks on (`\r`, `\f`, NEL, U+2028…): line numbers then
agree with git, grep and editors, and with every `count("\n")` in Teleo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from teleo.notes.yamlio import LineIndex, TopKey, YamlProblem, load_frontmatter, load_frontmatter_keys

MAX_NOTE_BYTES = 5 * 1024 * 1024
"""Notes larger than this are reported, not parsed: a knowledge-base note is
kilobytes; a multi-megabyte file is a dump that slows every tool down."""

_OPENER = "---"
_CLOSERS = ("---", "...")
_BOM = "\ufeff"
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][\w\-]*)[ \t]*:", re.MULTILINE)
_H1 = re.compile(r"^# (.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    """Something wrong with a file's form, found while reading it."""

    code: str
    line: int
    message: str
    field: str | None = None


@dataclass
class Document:
    """One markdown file: its exact text, its frontmatter and where things are."""

    text: str
    frontmatter: dict[str, Any] | None = None
    has_frontmatter: bool = False
    frontmatter_text: str = ""
    fm_first_line: int = 0
    """1-based line of the first frontmatter line after the opening `---`."""
    body_start_line: int = 1
    """1-based line where the body starts."""
    fm_close_line: int = 0
    """1-based line of the closing `---`/`...` (0 without frontmatter)."""
    body: str = ""
    problems: list[Problem] = field(default_factory=list)
    _keys: list[TopKey] | None = field(default=None, repr=False, compare=False)
    _line_index: dict[str, int] | None = field(default=None, repr=False, compare=False)

    @property
    def key_starts(self) -> list[TopKey]:
        """Every top-level key in order, duplicates included, with 1-based file lines.

        Computed on first use: most reads never need key positions, and
        working them out costs as much as loading the YAML.
        """
        if self._keys is None:
            self._keys = _key_positions(self)
        return self._keys

    @property
    def key_lines(self) -> dict[str, int]:
        """File line of each top-level key's first occurrence."""
        lines: dict[str, int] = {}
        for top in self.key_starts:
            if top.key is not None:
                lines.setdefault(top.key, top.line)
        return lines

    @property
    def data(self) -> dict[str, Any]:
        """The frontmatter mapping, empty when absent or unparseable."""
        return self.frontmatter or {}

    def line_of(self, key: str) -> int:
        """The file line of a top-level frontmatter key (1 when unknown), for messages.

        A pattern scan of column-0 `key:` lines: cheap, and exact for every key
        but quoted ones; edits use the YAML-exact `key_starts` instead.
        """
        if self._line_index is None:
            self._line_index = {}
            if self.has_frontmatter:  # `_regex_keys`' lines, a line at a time (no match spans a `\n`)
                first, match_key = self.fm_first_line, _TOP_LEVEL_KEY.match
                for number, line in enumerate(self.frontmatter_text.split("\n")):
                    found = match_key(line)
                    if found is not None:
                        self._line_index.setdefault(found.group(1), first + number)
        return self._line_index.get(key, max(self.fm_first_line - 1, 1))

    def h1(self) -> tuple[str, int] | None:
        """The first `# heading` of the body and its file line."""
        match = _H1.search(self.body)
        if match is None:
            return None
        line = self.body_start_line + self.body.count("\n", 0, match.start())
        return match.group(1), line


def parse_document(text: str) -> Document:
    """Split `text` into frontmatter and body; never raises on bad input."""
    start = len(_BOM) if text.startswith(_BOM) else 0
    if not _is_delimiter(text, start, _OPENER):
        return Document(text=text, body=text, body_start_line=1)
    closer = _find_closer_in(text)
    if closer is None:
        problem = Problem("frontmatter-unclosed", 1, "frontmatter opened with '---' is never closed")
        return Document(text=text, body=text, body_start_line=1, has_frontmatter=True, problems=[problem])
    close_index, fm_start, close_start, close_end = closer
    doc = Document(
        text=text,
        has_frontmatter=True,
        frontmatter_text=text[fm_start:close_start],
        fm_first_line=2,
        body=text[close_end:],
        body_start_line=close_index + 2 if text[close_end - 1 : close_end] == "\n" else close_index + 1,
        fm_close_line=close_index + 1,
    )
    _load_mapping(doc)
    return doc


def split_lines(text: str) -> list[str]:
    """`text` cut after every `\n` (ends kept; the last piece may lack one)."""
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def _is_delimiter(text: str, start: int, marker: str) -> bool:
    end = start + len(marker)
    return text[start:end] == marker and text[end : end + 1] in ("\n", "\r", "")


def _find_closer_in(text: str) -> tuple[int, int, int, int] | None:
    """(0-based line, frontmatter start, closer start, closer end) of the first `---`/`...`
    line after the opener; the lines are those of `split_lines`, walked without splitting
    the whole text (bodies are long, frontmatter short)."""
    newline = text.find("\n")
    if newline < 0:
        return None
    fm_start = position = newline + 1
    index, size = 1, len(text)
    while position < size:
        newline = text.find("\n", position)
        end = size if newline < 0 else newline + 1
        if text[position:end].rstrip("\r\n").rstrip() in _CLOSERS:
            return index, fm_start, position, end
        position = end
        index += 1
    return None


def _regex_keys(fm_text: str) -> list[TopKey]:
    """Top-level keys by pattern, for frontmatter YAML cannot read."""
    keys = []
    lines = LineIndex(fm_text)
    for match in _TOP_LEVEL_KEY.finditer(fm_text):
        line = lines.line(match.start())
        keys.append(TopKey(match.group(1), line, 0, line))
    return keys


def _key_positions(doc: Document) -> list[TopKey]:
    if not doc.has_frontmatter:
        return []
    keys: list[TopKey] | None = None
    if isinstance(doc.frontmatter, dict):
        try:
            keys = load_frontmatter_keys(doc.frontmatter_text)[2]
        except YamlProblem:
            keys = None
    if keys is None:
        keys = _regex_keys(doc.frontmatter_text)
    first = doc.fm_first_line
    return [TopKey(k.key, first + k.line, k.column, first + k.last_line) for k in keys]


def _written(fm_text: str) -> bool:
    """Does the frontmatter hold anything but blank lines and comments?"""
    return any(line.strip() and not line.lstrip().startswith("#") for line in fm_text.splitlines())


def _load_mapping(doc: Document) -> None:
    try:
        data, duplicates = load_frontmatter(doc.frontmatter_text)
    except YamlProblem as exc:
        noticed = f" (noticed on line {doc.fm_first_line + exc.noticed})" if exc.noticed is not None else ""
        doc.problems.append(Problem("yaml", doc.fm_first_line + exc.line, exc.message + noticed))
        return
    for key, line in duplicates:
        doc.problems.append(
            Problem("duplicate-key", doc.fm_first_line + line, f"key '{key}' appears more than once", key)
        )
    if data is None and _written(doc.frontmatter_text):
        # a null written out ("null", "NULL", "~") is a value, not an empty mapping: a key added
        # after it would make YAML that no longer parses
        doc.problems.append(Problem("not-mapping", doc.fm_first_line, "frontmatter is a YAML null, not a mapping"))
    elif data is None:
        doc.frontmatter = {}  # nothing but blank lines and comments
    elif isinstance(data, dict):
        doc.frontmatter = {str(k): v for k, v in data.items()}
    else:
        kind = type(data).__name__
        doc.problems.append(Problem("not-mapping", doc.fm_first_line, f"frontmatter is a YAML {kind}, not a mapping"))


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes date-like strings bare, as the corpus does."""


_Dumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


class _FlowList(list):
    """A list written in flow style (`[a, b]`) under a block-style key."""


_Dumper.add_representer(
    _FlowList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)


def dump_value(key: str, value: Any, flow_lists: bool = True) -> str:
    """Serialise one top-level `key: value` as YAML lines.

    Scalars and mappings are written in block style; lists in flow style
    (`[a, b]`, the corpus's usual form) unless `flow_lists` is False.
    """
    if isinstance(value, (list, tuple)) and flow_lists:
        value = _FlowList(value)  # the key is dumped too, so odd keys get quoted
    text = _dump({key: value}, allow_unicode=True)
    if any(ch in text for ch in _RAW_BREAKS):
        # PyYAML writes NEL/U+2028/U+2029 raw inside quotes, where YAML reads them as
        # folded line breaks (NEL comes back as a space): escape instead.
        text = _dump({key: value}, allow_unicode=False)
    return text


_RAW_BREAKS = "\x85\u2028\u2029"


def _dump(data: dict[str, Any], allow_unicode: bool) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=allow_unicode, width=1_000_000, default_flow_style=False
    )
