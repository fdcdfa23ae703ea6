"""Who Teleo's commits say made them, when the machine says nobody: one fallback identity.

A commit needs an author and a committer. Teleo uses the configured git identity
(`GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL`, else `user.name`/`user.email` of the repository's
config, which includes the global and system ones) and, where none is configured — a fresh CI
box, a container — `DEFAULT_IDENTITY`, so a commit never fails for want of a name. The agent a
commit speaks for is not this identity: it is the `Pentagon-Agent` trailer (`teleo.repo.agents`).

`signature(repo)` is the identity for commits written in process (pygit2); `identity_env(repo)`
the environment variables that give the git command line the same fallback.

The configured identity is read by git itself (`git config --get-regexp`), not by libgit2: libgit2
ignores `GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM` and `GIT_CONFIG_NOSYSTEM` and reads the home it saw
at start-up, so where a box empties the global config (`GIT_CONFIG_GLOBAL=/dev/null`) it would find
a name in `~/.gitconfig` that `git commit` does not see — and the commit would fail. One git call per
process and repository, asked again when the repository's config file or those variables change.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pygit2 is imported where a signature is made: `teleo --help` reaches this module
    import pygit2

DEFAULT_IDENTITY = ("Teleo", "teleo@localhost")
"""(name, email) of commits made where no git identity is configured."""
_FIELDS = (("NAME", "user.name", 0), ("EMAIL", "user.email", 1))


def configured(repo: pygit2.Repository | None, key: str) -> str | None:
    """`key` (`user.name`, `user.email`) as git reads it for the repository (global and system included), or None."""
    if repo is None:
        return None
    config = Path(repo.path) / "config"
    try:
        info = config.stat()
        # git rewrites the config through a lock file renamed into place: a new inode (and often a new
        # size) even when a coarse clock gives it the mtime of the file read just before
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
    except OSError:
        stamp = (0, 0, 0)
    environment = tuple(os.environ.get(variable) for variable in _CONFIG_VARIABLES)
    return _git_identity(repo.path, stamp, environment).get(key)


_CONFIG_VARIABLES = ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "HOME", "XDG_CONFIG_HOME")


@functools.lru_cache(maxsize=32)
def _git_identity(git_dir: str, _stamp: tuple[int, int, int], _environment: tuple[str | None, ...]) -> dict[str, str]:
    """`user.name`/`user.email` as `git config` reports them (the arguments after the first only key the cache)."""
    from teleo.repo.command import run_git

    result = run_git(None, f"--git-dir={git_dir}", "config", "--get-regexp", r"^user\.(name|email)$")
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        if value.strip():
            found[key] = value.strip()  # the last one wins, as in git
    return found


def signature(repo: pygit2.Repository | None) -> pygit2.Signature:
    """The author of a commit Teleo writes in process: the environment's, else the config's, else the default."""
    import pygit2

    name = os.environ.get("GIT_AUTHOR_NAME") or configured(repo, "user.name") or DEFAULT_IDENTITY[0]
    email = os.environ.get("GIT_AUTHOR_EMAIL") or configured(repo, "user.email") or DEFAULT_IDENTITY[1]
    return pygit2.Signature(name, email)


def identity_env(repo: pygit2.Repository | None) -> dict[str, str]:
    """`GIT_AUTHOR_*`/`GIT_COMMITTER_*` set to the default for each part of the identity that neither the
    environment nor the config gives (empty when everything is configured): pass it to `run_git(env=…)`."""
    env: dict[str, str] = {}
    for field, key, index in _FIELDS:
        if configured(repo, key):
            continue
        for role in ("AUTHOR", "COMMITTER"):
            variable = f"GIT_{role}_{field}"
            if not os.environ.get(variable):
                env[variable] = DEFAULT_IDENTITY[index]
    return env
