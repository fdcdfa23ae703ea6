"""Which git repository holds a folder: the one way Teleo opens a repository.

`open_repository(path)` is the non-bare repository whose working tree contains `path`
(discovered upwards, as git does), else None; `is_repository(path)` asks the same question;
`vault_prefix(repo, vault_root)` is the vault's folder inside it. Everything else — the command
line wrapper `Repo.open`, the history reader, the branch and merge code — starts here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pygit2


class NotARepository(Exception):
    """The folder is in no git repository with a working tree."""


def open_repository(path: Path | str) -> pygit2.Repository | None:
    """The non-bare repository containing `path`, or None."""
    import pygit2  # imported by the first caller, not by every command that may open a repository

    try:
        found = pygit2.discover_repository(str(path))
    except pygit2.GitError:
        return None
    if not found:
        return None
    try:
        repo = pygit2.Repository(found)
    except pygit2.GitError:
        return None
    if repo.is_bare or not repo.workdir:
        return None
    return repo


def require_repository(path: Path | str) -> pygit2.Repository:
    """`open_repository(path)`, or `NotARepository` saying so."""
    repo = open_repository(path)
    if repo is None:
        raise NotARepository(f"{path} is not inside a git repository with a working tree")
    return repo


def is_repository(path: Path | str) -> bool:
    """`path` lies in the working tree of a git repository."""
    return open_repository(path) is not None


def top_level(repo: pygit2.Repository) -> Path:
    """The repository's working-tree folder (what `git rev-parse --show-toplevel` prints)."""
    return Path(os.path.realpath(repo.workdir))


def vault_prefix(repo: pygit2.Repository, vault_root: Path) -> str:
    """The vault's folder inside the repository (`""` when the vault is the repository), with `/`."""
    root = Path(os.path.realpath(vault_root))
    rel = root.relative_to(top_level(repo)).as_posix()
    return "" if rel in ("", ".") else rel.rstrip("/") + "/"
