"""Where flags are read: main's tip when the vault is in a git repository with a main branch (merges
land there without touching the files), else the files on disk.

`list_flags(vault, …)` is `teleo flags`: the flag notes read there (`read_flags`), filtered and
ordered (`select_flags`), with the short name `teleo flags resolve` takes for each (`short_ids`).
`teleo.review.flags.resolve_flags` resolves them in the same place (`flags_repository`).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pydantic import BaseModel, Field

from teleo.cascade.flags import read_flags, select_flags
from teleo.cascade.models import Flag
from teleo.cascade.resolve import short_ids
from teleo.repo.branches import DEFAULT_BASE
from teleo.vault.tree import TreeVault
from teleo.repo.discover import open_repository
from teleo.vault import Vault

MAIN = f"refs/heads/{DEFAULT_BASE}"
WORKTREE = "worktree"
"""`FlagListing.read_from` when the files on disk were read."""


class FlagListing(BaseModel):
    """The flags `teleo flags` lists, and where they were read."""

    read_from: str
    """The branch read (`main`), or `worktree` (the files on disk)."""
    flags: list[Flag]
    """The chosen flags: by agent, priority (highest first), newest first, id."""
    short_ids: dict[str, str]
    """Every flag's id → the shortest name `teleo flags resolve` takes for it (over all flags, not only the chosen)."""
    problems: list[str] = Field(default_factory=list)
    """Flag notes that are not valid flags, file and field named."""

    def counts(self) -> dict[str, dict[str, int]]:
        """Agent → priority → how many of the chosen flags."""
        counts: dict[str, Counter] = defaultdict(Counter)
        for flag in self.flags:
            counts[flag.agent][flag.priority] += 1
        return {agent: dict(by_priority) for agent, by_priority in sorted(counts.items())}


def flags_source(vault: Vault, *, worktree: bool = False) -> tuple[Vault, str]:
    """Where flags are read and resolved: main's tree when the vault is in a git repository with a
    main branch (merges may land there without touching the files), else (or with `worktree`) the
    files on disk; and its name (`main` or `worktree`). Raises `BranchError` when main cannot be read."""
    repo = flags_repository(vault, worktree=worktree)
    if repo is None:
        return vault, WORKTREE
    return TreeVault.at(vault, MAIN, repo=repo), DEFAULT_BASE


def flags_repository(vault: Vault, *, worktree: bool = False):
    """The repository whose main branch holds the flags (a `pygit2.Repository`), or None: the files
    on disk hold them (no repository, no main branch, or `worktree`)."""
    repo = None if worktree else open_repository(vault.root)
    return repo if repo is not None and MAIN in repo.references else None


def list_flags(
    vault: Vault, *, agent: str | None = None, priority: str | None = None, include_resolved: bool = False,
    worktree: bool = False,
) -> FlagListing:
    """The open flags (`include_resolved`: all), of one agent and one priority when given, in the order
    `teleo flags` lists them."""
    source, where = flags_source(vault, worktree=worktree)
    found, problems = read_flags(source)
    return FlagListing(read_from=where, flags=select_flags(found, agent=agent, priority=priority,
                                                           include_resolved=include_resolved),
                       short_ids=short_ids(found), problems=problems)
