"""A thin wrapper over the git command line for the few operations Teleo needs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from teleo.repo.command import run_git


class Repo:
    """The git repository that holds a vault."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls, path: Path) -> "Repo | None":
        """The repository whose top level is `path`, or None when it is not one."""
        try:
            top = subprocess.run(
                ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()
        except (subprocess.CalledProcessError, FileNotFoundError):
            return None
        return cls(Path(top))

    def _git(self, *args: str, env: dict[str, str] | None = None) -> str:
        return run_git(self.root, *args, check=True, env=env).stdout

    def dirty(self, paths: list[str]) -> set[str]:
        """Which of `paths` (relative to the repo) have uncommitted changes."""
        if not paths:
            return set()
        out = self._git("status", "--porcelain", "-z", "--", *paths)
        entries = [e for e in out.split("\0") if e]
        return {e[3:] for e in entries}

    def commit(self, paths: list[str], message: str, author: str | None = None) -> str:
        """Commit exactly `paths` with `message`; return the new commit id."""
        self._git("add", "--", *paths)
        args = ["commit", "-q", "-m", message]
        if author:
            args += ["--author", author]
        env = _identity_fallback()
        self._git(*args, "--", *paths, env=env)
        return self._git("rev-parse", "HEAD").strip()


def _identity_fallback() -> dict[str, str]:
    """Let commits work on machines with no git identity configured."""
    env: dict[str, str] = {}
    for var, key, default in (
        ("GIT_COMMITTER_NAME", "user.name", "Teleo"),
        ("GIT_COMMITTER_EMAIL", "user.email", "teleo@localhost"),
    ):
        if var in os.environ:
            continue
        probe = subprocess.run(["git", "config", key], capture_output=True, text=True)
        if not probe.stdout.strip():
            env[var] = default
            env[var.replace("COMMITTER", "AUTHOR")] = default
    return env
