"""The proposal: the commit message and the commit (the lint gate over the proposal's tree is
`teleo.gates.proposal.new_errors`, which review runs too).

**Message** (reference §4.13, deployed extractor)::

    <agent>: extract from <file>.md

    - Source: <vault-relative source path>
    - Domain: <domain>
    - Extracted by: headless extraction cron (worker N)

    Pentagon-Agent: <Agent> <id>

`<id>` is the agent's `id` in `teleo.toml` (`HEADLESS` by default). Names
from the vault are written on one line with control characters removed, so
a hostile file name cannot add lines or trailers to the message.
"""

from __future__ import annotations

import pygit2

from teleo.notes.untrusted import one_line
from teleo.repo.agents import agent_trailer
from teleo.repo.branches import propose
from teleo.vault import Vault

EXTRACTED_BY = "headless extraction cron (worker {worker})"


def _line(text: str, limit: int = 300) -> str:
    """One line for a commit message (`teleo.notes.untrusted.one_line`), cut at `limit` characters."""
    return one_line(text)[:limit]


def commit_message(vault: Vault, *, agent: str, source_path: str, domain: str, worker: int = 1) -> str:
    """The proposal commit's message (see the module doc)."""
    name = _line(source_path.rsplit("/", 1)[-1], 250)
    if not name.endswith(".md"):
        name += ".md"
    lines = [
        f"{_line(agent, 60)}: extract from {name}",
        "",
        f"- Source: {_line(source_path, 500)}",
        f"- Domain: {_line(domain, 100)}",
        f"- Extracted by: {EXTRACTED_BY.format(worker=int(worker))}",
        "",
        agent_trailer(agent, vault.config.agents),
    ]
    return "\n".join(lines) + "\n"


def commit_proposal(
    repo: pygit2.Repository,
    parent: pygit2.Commit,
    branch: str,
    files: dict[str, str],
    message: str,
    *,
    prefix: str = "",
    expected: str | None = None,
) -> str:
    """Commit `files` (vault-relative) on top of `parent` and set `branch` to it (compare-and-swap)."""
    changes = {prefix + path: text.encode("utf-8") for path, text in files.items()}
    return propose(repo, branch, parent, changes, message, expected=expected)
