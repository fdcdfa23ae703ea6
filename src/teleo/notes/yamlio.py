"""YAML loading for frontmatter: fast, safe, dates kept as strings.

The corpus writes partial dates as `2026-01-00`, which YAML's timestamp
resolver rejects, so the resolver is removed: every date stays the string
that was written. PyYAML's C parser is used when present (about 10x faster
than the pure-Python one); duplicate keys, which PyYAML silently collapses,
are recorded with their line.
"""

from __future__ import annotations

from typing import Any

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

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    self.duplicates.append((str(key_node.value), key_node.start_mark.line))
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
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line if mark is not None else 0
        raise YamlProblem(_describe(exc), line) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise YamlProblem(f"unreadable YAML: {exc}", 0) from None
    finally:
        loader.dispose()
    return data, loader.duplicates


def _describe(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "invalid YAML: " + (", ".join(parts) if parts else "syntax error")
