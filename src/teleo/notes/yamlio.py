"""YAML loading for frontmatter: fast, safe, dates kept as strings.

The corpus writes partial dates as `2026-01-00`, which YAML's timestamp
resolver rejects, so the resolver is removed: every date stays the string
that was written. PyYAML's C parser is used when present (about 10x faster
than the pure-Python one); duplicate keys, which PyYAML silently collapses,
are recorded with their line.

Lines are counted in `\n` characters, as everywhere else in Teleo; YAML's
own line count also breaks at `\r`, NEL and the Unicode line separators.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, NamedTuple

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


_OPENED = frozenset({"while scanning a quoted scalar", "while scanning a simple key"})
"""PyYAML contexts (besides flow collections) that mark a construct opened and never finished."""


class YamlProblem(Exception):
    """YAML that cannot be loaded; `line` (where the problem starts) and `noticed` (where PyYAML
    found it, when on another line) are 0-based within the frontmatter."""

    def __init__(self, message: str, line: int, noticed: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.noticed = noticed if noticed != line else None

    @classmethod
    def of(cls, exc: yaml.MarkedYAMLError, lines: "LineIndex") -> "YamlProblem":
        """Where the problem starts: the construct left open (a quote, a `[`, a key without its
        colon: PyYAML's context mark) rather than where PyYAML ran into its consequence — for an
        unclosed quote that is the end of the frontmatter. A block mapping's context is merely
        where the mapping began, and a plain scalar's where the value began (a tab on the next line
        is the problem), so there the problem mark is the line."""
        problem = _line(lines, exc.problem_mark) if exc.problem_mark is not None else None
        context = _line(lines, exc.context_mark) if exc.context_mark is not None else None
        opened = exc.context is not None and (exc.context in _OPENED or "flow" in exc.context)
        start = context if context is not None and (opened or problem is None) else problem
        return cls(_describe(exc), start if start is not None else 0, problem)


class _FrontmatterLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader without timestamps that notes duplicate keys."""

    duplicates: list[tuple[str, int]]
    line_index: LineIndex

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    self.duplicates.append((str(key_node.value), _line(self.line_index, key_node.start_mark)))
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_FrontmatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def load_frontmatter(text: str) -> tuple[Any, list[tuple[str, int]]]:
    """Load YAML text; return the data and `(key, 0-based line)` duplicates.

    The common simple shape is read by `load_simple`; anything else by PyYAML.
    """
    simple = load_simple(text)
    if simple is not None:
        return simple
    return load_yaml(text)


def load_yaml(text: str) -> tuple[Any, list[tuple[str, int]]]:
    """`load_frontmatter` by PyYAML alone (the reference the fast path is checked against)."""
    loader = _FrontmatterLoader(text)
    loader.duplicates = []
    loader.line_index = lines = LineIndex(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem.of(exc, lines) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise YamlProblem(f"unreadable YAML: {exc}", 0) from None
    finally:
        loader.dispose()
    return data, loader.duplicates


# -- the fast path ---------------------------------------------------------------------------
#
# Most frontmatter is a flat mapping of `key: value` lines, `- item` lists and `[a, b]`
# lists. `load_simple` reads exactly that shape and returns None for anything else
# (nested mappings, block scalars, comments, anchors, tags, escapes, multi-line scalars,
# tabs, non-printable or YAML line-break characters, plain scalars that resolve to
# anything but a string...), which PyYAML then reads. Within the shape it returns what
# the loader above returns: plain scalars are resolved with the loader's own implicit
# resolvers (a non-string resolution falls back), quoted ones are strings. This is
# checked by a property test and on every corpus note (tests/test_notes_fastyaml.py).

_SAFE_TEXT = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")
_SIMPLE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]{0,127}):(?: +(.*))?")
_ITEM = re.compile(r"( *)- +(.*)")
_PLAIN_FIRST_BAD = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_ITEM = re.compile(r""" *(?:"([^"\\]*)"|'((?:[^']|'')*)'|([^,\[\]{}#"': ][^,\[\]{}#"':]*?)) *(,|$)""")
"""One flow-list item; a plain one starts with no space, so an empty item (`[a, , b]`, `[a,  ]`) is not simple."""
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVERS = _FrontmatterLoader.yaml_implicit_resolvers
_STRING_KEYS: set[str] = set()
"""Keys already seen to resolve to strings (a vault repeats a few dozen keys)."""


def load_simple(text: str) -> tuple[dict[str, Any] | None, list[tuple[str, int]]] | None:
    """The frontmatter read without PyYAML when it has the simple shape, else None."""
    if _SAFE_TEXT.fullmatch(text) is None or None in _RESOLVERS:  # (no wildcard resolvers in the table)
        return None
    data: dict[str, Any] = {}
    seen: set[str] = set()
    duplicates: list[tuple[str, int]] = []
    items: list[Any] | None = None  # the open block list (after `key:` with nothing else)
    item_indent = -1
    for number, line in enumerate(text.split("\n")):
        if not line.strip(" "):
            continue
        if line[0] == " " or line[0] == "-":
            match = _ITEM.fullmatch(line)
            if match is None or items is None:
                return None
            indent = len(match.group(1))
            if item_indent < 0:
                item_indent = indent
            elif indent != item_indent:
                return None
            value = _block_scalar(match.group(2))
            if value is _NOT_SIMPLE:
                return None
            items.append(value)
            continue
        match = _SIMPLE_KEY.fullmatch(line)
        if match is None:
            return None
        key = match.group(1)
        if key not in _STRING_KEYS:
            if _resolve(key) != _STR_TAG:
                return None
            if len(_STRING_KEYS) < 10_000:
                _STRING_KEYS.add(key)
        if key in seen:
            duplicates.append((key, number))
        seen.add(key)
        raw = match.group(2)
        items, item_indent = None, -1
        if raw is None or not raw.rstrip(" "):
            items = []  # becomes the value if `- item` lines follow, else the value is None
            data[key] = _OpenList(items)
            continue
        value = _block_value(raw)
        if value is _NOT_SIMPLE:
            return None
        data[key] = value
    if not data:
        return None, duplicates
    for key, value in data.items():
        if type(value) is _OpenList:
            data[key] = value.items if value.items else None
    return data, duplicates


class _OpenList:
    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items


_NOT_SIMPLE = object()


def _resolve(plain: str) -> str:
    """The tag the loader's implicit resolvers give a plain scalar (str when none matches)."""
    resolvers = _RESOLVERS.get(plain[:1])
    if not resolvers:
        return _STR_TAG
    for tag, regexp in resolvers:
        if regexp.match(plain):
            return tag
    return _STR_TAG


def _block_value(raw: str) -> Any:
    """A value after `key: ` (flow lists allowed)."""
    value = raw.rstrip(" ")
    if value[0] == "[":
        return _flow_list(value)
    return _block_scalar(value)


def _block_scalar(raw: str) -> Any:
    """A one-line scalar in block context: plain, or quoted without escapes."""
    value = raw.rstrip(" ")
    if not value:
        return _NOT_SIMPLE
    first = value[0]
    if first == '"':
        inner = value[1:-1]
        if len(value) < 2 or value[-1] != '"' or '"' in inner or "\\" in inner:
            return _NOT_SIMPLE
        return inner
    if first == "'":
        inner = value[1:-1]
        if len(value) < 2 or value[-1] != "'" or "'" in inner.replace("''", ""):
            return _NOT_SIMPLE
        return inner.replace("''", "'")
    if first in _PLAIN_FIRST_BAD or ": " in value or value[-1] == ":" or " #" in value:
        return _NOT_SIMPLE
    tag = _resolve(value)
    if tag == _STR_TAG:
        return value
    constructed = _PLAIN_CONSTRUCTORS.get(tag)
    return _NOT_SIMPLE if constructed is None else constructed(value)


_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_PLAIN_CONSTRUCTORS = {
    "tag:yaml.org,2002:bool": lambda plain: yaml.constructor.SafeConstructor.bool_values[plain.lower()],
    "tag:yaml.org,2002:int": lambda plain: int(plain) if _DECIMAL.fullmatch(plain) else _NOT_SIMPLE,
    "tag:yaml.org,2002:null": lambda plain: None,
}
"""What the loader's constructor makes of a one-line plain scalar of a resolved tag, for the forms read here:
a boolean (`true`, `No`, `on`: the constructor's own table), a decimal integer without underscores or a
leading zero (`2025`, `-3`), a null (`~`, `null`). Other forms of these tags (octal, hex, `1_000`, `1:30`),
floats and the rest fall back to PyYAML. A vault's `founded: 2025` or `load_bearing: true` sent one note
in thirteen of the corpus to PyYAML."""


def _flow_list(value: str) -> Any:
    """`[a, "b", 'c']` on one line: flat, no empty items, no trailing comma."""
    if value[-1] != "]":
        return _NOT_SIMPLE
    inner = value[1:-1]
    if not inner.strip(" "):
        return []
    found: list[str] = []
    position = 0
    while position < len(inner):
        match = _FLOW_ITEM.match(inner, position)
        if match is None:
            return _NOT_SIMPLE
        double, single, plain, comma = match.groups()
        if double is not None:
            found.append(double)
        elif single is not None:
            found.append(single.replace("''", "'"))
        else:
            if plain[0] in _PLAIN_FIRST_BAD or _resolve(plain) != _STR_TAG:
                return _NOT_SIMPLE
            found.append(plain)
        position = match.end()
        if not comma:
            if position != len(inner):
                return _NOT_SIMPLE
            return found
    return _NOT_SIMPLE  # a trailing comma


class TopKey(NamedTuple):
    """A top-level key: as written (None when not a scalar), 0-based line and column, its value's last line."""

    key: str | None
    line: int
    column: int
    last_line: int


def load_frontmatter_keys(text: str) -> tuple[Any, list[tuple[str, int]], list[TopKey]]:
    """Like `load_frontmatter`, plus every top-level key in order (duplicates included)."""
    loader = _FrontmatterLoader(text)
    loader.duplicates = []
    loader.line_index = lines = LineIndex(text)
    try:
        node = loader.get_single_node()
        keys = _top_keys(lines, node)  # before construction, which flattens `<<` merges in place
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem.of(exc, lines) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise YamlProblem(f"unreadable YAML: {exc}", 0) from None
    finally:
        loader.dispose()
    return data, loader.duplicates, keys


def _top_keys(text: LineIndex, node: yaml.Node | None) -> list[TopKey]:
    if not isinstance(node, yaml.MappingNode):
        return []
    return [
        TopKey(
            key.value if isinstance(key, yaml.ScalarNode) else None,
            _line(text, key.start_mark),
            key.start_mark.column,
            max(_last_line(text, value), _line(text, key.start_mark)),
        )
        for key, value in node.value
    ]


def _last_line(text: LineIndex, node: yaml.Node) -> int:
    """The 0-based line holding the last character of `node`."""
    while isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last  # block collections end at the next token
    if isinstance(node, yaml.ScalarNode) and node.value == "" and not node.style:
        return _line(text, node.start_mark) - (node.start_mark.column == 0)  # `key:` with nothing after
    line = _line(text, node.end_mark)
    if node.end_mark.column == 0 and line > _line(text, node.start_mark):
        line -= 1  # a block scalar's end mark sits at the start of the following line
    return line


class LineIndex:
    """0-based `\n` line numbers of character offsets in a text, in O(log n) each."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines: list[int] | None = None

    def line(self, index: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._newlines, index)


def _line(lines: LineIndex, mark: Any) -> int:
    """The 0-based line of a mark, counting `\n` only."""
    index = getattr(mark, "index", None)
    if not isinstance(index, int) or not 0 <= index <= len(lines.text):
        return int(mark.line)
    return lines.line(index)


def _describe(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "invalid YAML: " + (", ".join(parts) if parts else "syntax error")
