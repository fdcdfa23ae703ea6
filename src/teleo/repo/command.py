"""The git command line, run one way.

Most of Teleo's git work is done in process (pygit2); the rest — `git log`, `git add`/`commit`,
`git status`, `git read-tree`, `git update-ref -d` — goes through `run_git` with the environment
`git_env` gives every git command: the caller's, less the variables that would point git at
another repository, work tree or index (`GIT_DIR`, `GIT_WORK_TREE`, `GIT_INDEX_FILE`, set for
instance inside a git hook). Teleo always names the repository itself (`-C <folder>` or
`--git-dir`), so a command means the same whoever runs it. A failure raises `GitError` carrying
git's own words when the caller asks for `check=True`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
"""Environment variables that would make a git command act on something else than the repository named."""


class GitError(Exception):
    """A git command failed; the message carries git's own words."""


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every git command Teleo runs (see the module doc), plus `extra`."""
    env = {key: value for key, value in os.environ.items() if key not in REPOSITORY_VARIABLES}
    env.update(extra or {})
    return env


def git_command(where: Path | str | None, *args: str) -> list[str]:
    """`git -C <where> <args>` (`where` None: the args name the repository, e.g. `--git-dir=…`)."""
    return ["git", *(["-C", str(where)] if where is not None else []), *args]


def run_git(
    where: Path | str | None, *args: str, check: bool = False, env: Mapping[str, str] | None = None, **options,
) -> subprocess.CompletedProcess:
    """Run `git -C <where> <args>` with `git_env(env)`, output captured (text unless `text=False` is given).

    `check=True` raises `GitError` with git's message on a non-zero exit; a missing `git` raises
    `GitError` in every case."""
    options.setdefault("capture_output", True)
    if "encoding" not in options and "errors" not in options:
        options.setdefault("text", True)
    try:
        result = subprocess.run(git_command(where, *args), env=git_env(env), check=False, **options)
    except FileNotFoundError:
        raise GitError("git is not installed (no `git` command on PATH)") from None
    if check and result.returncode != 0:
        raise GitError(f"git {_verb(args)}: {_text(result.stderr).strip() or _text(result.stdout).strip()}")
    return result


def _verb(args: tuple[str, ...]) -> str:
    """The git subcommand among `args` (after `-c key=value` and other global options)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-c", "-C"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return args[0] if args else ""


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
