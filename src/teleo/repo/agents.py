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


# -- people ---------------------------------------------------------------------------------

CONTRIBUTOR = "Contributor"
"""The trailer naming the person a commit is the work of (`Contributor: alice`, reference §2.9, §4.13)."""
RESERVED_HANDLES = frozenset({AUTO_FIX, "gates", "collective", "contrib", "main", "head"})
_HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,38}$")


class BadHandle(ValueError):
    """A contributor's name that cannot be a handle; the message says what a handle may hold."""


def normalise_handle(name: str, agents: Collection[str] = ()) -> str:
    """A person's handle from what they typed: `@Alice` → `alice`.

    A handle becomes a branch segment (`contrib/<handle>/…`), a trailer value and part of file
    names, so it is held to a plain form rather than rewritten into one: 1–39 characters, lower-case
    ASCII letters, digits, `.`, `_`, `-`, starting with a letter or digit, no `..`, not ending in
    `.lock` — and never the name of an agent of the vault (`agents`) or a reserved name (a person
    does not speak as rio or as the gates). Raises `BadHandle` naming the rule broken."""
    text = one_line(str(name)).strip().removeprefix("@").lower()
    shown = one_line(str(name), 60)
    if not _HANDLE.match(text) or ".." in text or text.endswith((".lock", ".")):
        raise BadHandle(f"'{shown}' is not a usable handle: 1–39 characters, a-z, 0-9, '.', '_' or '-', "
                        "starting with a letter or digit (e.g. alice, j.doe, ann_lee)")
    if text in RESERVED_HANDLES or text in {a.lower() for a in agents}:
        raise BadHandle(f"'{text}' is the name of an agent or a reserved name; contribute under your own handle")
    return text


def contributor_trailer(handle: str) -> str:
    """`Contributor: <handle>` (the handle already normalised: `normalise_handle`)."""
    return f"{CONTRIBUTOR}: {one_line(handle)[:40]}"
