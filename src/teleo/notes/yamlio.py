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


class YamlProblem(Exception):
    """YAML that cannot be loaded; `line` is 0-based within the frontmatter."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


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
    """Load YAML text; return the data and `(key, 0-based line)` duplicates."""
    loader = _FrontmatterLoader(text)
    loader.duplicates = []
    loader.line_index = lines = LineIndex(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlProblem(_describe(exc), _line(lines, mark) if mark is not None else 0) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise YamlProblem(f"unreadable YAML: {exc}", 0) from None
    finally:
        loader.dispose()
    return data, loader.duplicates


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
        mark = exc.problem_mark or exc.context_mark
        line = _line(lines, mark) if mark is not None else 0
        raise YamlProblem(_describe(exc), line) from None
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
