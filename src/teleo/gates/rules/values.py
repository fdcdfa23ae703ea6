"""Small readers of frontmatter values shared by the rules."""

from __future__ import annotations


def non_empty(value) -> bool:
    """A frontmatter value with content: a non-blank scalar, or a list/dict holding one."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (list, tuple)):
        return any(non_empty(item) for item in value)
    if isinstance(value, dict):
        return any(non_empty(item) for item in value.values())
    return bool(str(value).strip())
