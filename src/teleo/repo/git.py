"""A thin wrapper over the git command line for the few working-tree operations Teleo needs
(`teleo fix`'s and ingest's commits, `teleo init`'s repository): opened through
`teleo.repo.discover`, run through `teleo.repo.command`."""

from __future__ import annotations

import os
from pathlib import Path

from teleo.repo.command import GitError, run_git
from teleo.repo.discover import open_repository, top_level
from teleo.repo.identity import identity_env


class Repo:
    """The git repository that holds a vault."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls, path: Path) -> "Repo | None":
        """The repository whose working tree contains `path` (at its top level), or None when there is none."""
        repo = open_repository(path)
        return None if repo is None else cls(top_level(repo))

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> "Repo":
        """The repository whose top level is `path`, made with `git init` (first branch `branch`) unless it is one."""
        found = cls.open(path)
        if found is not None and found.root == Path(os.path.realpath(path)):
            return found
        run_git(None, "init", "-q", "-b", branch, str(path), check=True)
        made = cls.open(path)
        if made is None:
            raise GitError(f"git init made no repository at {path}")
        return made

    def _git(self, *args: str, env: dict[str, str] | None = None) -> str:
        return run_git(self.root, *args, check=True, env=env).stdout

    def dirty(self, paths: list[str]) -> set[str]:
        """Which of `paths` (relative to the repo) have uncommitted changes."""
        if not paths:
            return set()
        out = self._git("status", "--porcelain", "-z", "--", *paths)
        entries = [e for e in out.split("\0") if e]
        return {e[3:] for e in entries}

    def commit(self, paths: list[str] | None, message: str, author: str | None = None) -> str:
        """Commit exactly `paths` (None: every change in the working tree) with `message`; return the new commit id."""
        self._git("add", "--", *paths) if paths is not None else self._git("add", "-A")
        args = ["commit", "-q", "-m", message]
        if author:
            args += ["--author", author]
        env = identity_env(open_repository(self.root))
        self._git(*args, *(["--", *paths] if paths is not None else []), env=env)
        return self._git("rev-parse", "HEAD").strip()
