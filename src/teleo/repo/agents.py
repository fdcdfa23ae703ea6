"""Which agent a commit speaks for — one rule, read by review, the web, `teleo show`, the export and
the MCP tools, and the one way a commit says it.

**Reading** (`commit_agent(message, known)`): the `Pentagon-Agent: <Name> <id>` trailer names the
agent, lower-cased, whoever it is — an agent of the vault, one the vault does not know, or
`auto-fix` (the fixer's commits, which speak for nobody); a commit with no such trailer speaks for
the agent its subject starts with (`rio: …` or `rio/…: …`) when that is an agent of the vault
(`known`). The trailer wins over the subject: it is the explicit statement, and the review's
commit-convention gate refuses a commit whose subject and trailer disagree. The git author is
never the agent: it is the identity of the machine that ran Teleo (`teleo.repo.identity`).
`known_agent` keeps only agents of the vault (attribution in the export, the web's history), and
`teleo.repo.history.merged_agent` answers for a merge commit, which names none of its own, by
asking this rule of the commits it brought in.

**Writing** (`agent_trailer(agent, agents)`): `Pentagon-Agent: Rio <id>`, the name capitalised and
the id from the vault's `[agents.<name>] id` (`HEADLESS` without one), both on one line with
control characters removed so a hostile name cannot add lines or trailers to a message.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from teleo.notes.untrusted import one_line
from teleo.repo.trailers import trailer

PENTAGON_AGENT = "Pentagon-Agent"
AUTO_FIX = "auto-fix"
"""The name the fixer's commits give (`Pentagon-Agent: Auto-Fix <HEADLESS>`): no agent's work."""
HEADLESS = "HEADLESS"
_VALUE = re.compile(r"^\s*([^<]+?)\s*(?:<([^>]*)>)?\s*$")


def pentagon_agent(message: str) -> tuple[str, str | None] | None:
    """(name as written, id or None) of the message's `Pentagon-Agent` trailer (the last one), if any."""
    value = trailer(message, PENTAGON_AGENT)
    return parse_trailer_value(value) if value else None


def parse_trailer_value(value: str) -> tuple[str, str | None] | None:
    """`Rio <R1>` → (`Rio`, `R1`); `Rio` → (`Rio`, None); None when no name is there."""
    match = _VALUE.match(value)
    return (match.group(1), match.group(2)) if match else None


def commit_agent(message: str, known: Collection[str]) -> str | None:
    """The agent the commit with `message` speaks for (see the module doc); `known`: the vault's agents."""
    declared = pentagon_agent(message)
    if declared is not None:
        return declared[0].lower()
    subject = message.split("\n", 1)[0]
    if ":" not in subject:
        return None
    prefix = subject.split(":", 1)[0].strip().lower().split("/", 1)[0]
    return prefix if prefix in known else None


def known_agent(message: str, known: Collection[str]) -> str | None:
    """`commit_agent`, when it is an agent of the vault; else None."""
    agent = commit_agent(message, known)
    return agent if agent in known else None


def display_name(agent: str) -> str:
    """`rio` → `Rio` (the trailer's spelling), on one line."""
    agent = one_line(agent)[:60]
    return agent[:1].upper() + agent[1:]


def agent_trailer(agent: str, agents: Mapping[str, Any]) -> str:
    """`Pentagon-Agent: <Name> <id>` for `agent`; `agents`: the vault's `config.agents` (settings with an `id`)."""
    settings = agents.get(agent)
    value = one_line(getattr(settings, "id", "") or "")[:80].replace("<", "").replace(">", "")
    return f"{PENTAGON_AGENT}: {display_name(agent)} <{value or HEADLESS}>"
