"""Commit trailers, parsed one way: `Key: value` lines of a message's last paragraph.

Teleo's commits say who they speak for and what they did in trailers (`Pentagon-Agent: Rio
<id>`, `Teleo-Proposal: extract/x`, `Teleo-Head: <commit>`, `Cascade-Of: <merge>`,
`Teleo-Resolution: cascade owed`, `Contributor: …`). As in git, the trailers are the last
paragraph of the message *body*: the subject paragraph never counts, so a subject like
`rio: extract from x.md` is not read as a trailer. A key is a letter followed by letters,
digits and `-`; the value is the rest of the line after `:` and whitespace. A key may repeat
(`trailers` keeps every value, in order); `trailer` is the last one.
"""

from __future__ import annotations

import re

_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):\s+(.+?)\s*$")


def trailers(message: str) -> dict[str, list[str]]:
    """Every trailer of `message` (a whole commit message, subject included): key → values, in order."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    found: dict[str, list[str]] = {}
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return found


def trailer(message: str, key: str) -> str | None:
    """The last value of the trailer `key` in `message`, or None."""
    values = trailers(message).get(key)
    return values[-1] if values else None
