"""Who Teleo's commits say made them, when the machine says nobody: one fallback identity.

A commit needs an author and a committer. Teleo uses the configured git identity
(`GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL`, else `user.name`/`user.email` of the repository's
config, which includes the global and system ones) and, where none is configured — a fresh CI
box, a container — `DEFAULT_IDENTITY`, so a commit never fails for want of a name. The agent a
commit speaks for is not this identity: it is the `Pentagon-Agent` trailer (`teleo.repo.agents`).

`signature(repo)` is the identity for commits written in process (pygit2); `identity_env(repo)`
the environment variables that give the git command line the same fallback.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pygit2 is imported where a signature is made: `teleo --help` reaches this module
    import pygit2

DEFAULT_IDENTITY = ("Teleo", "teleo@localhost")
"""(name, email) of commits made where no git identity is configured."""
_FIELDS = (("NAME", "user.name", 0), ("EMAIL", "user.email", 1))


def configured(repo: pygit2.Repository | None, key: str) -> str | None:
    """`key` (`user.name`, `user.email`) from the repository's config (global and system included), or None."""
    if repo is None:
        return None
    import pygit2

    try:
        config = repo.config
        value = config[key] if key in config else None  # noqa: SIM401 - pygit2's Config has no .get()
    except (pygit2.GitError, KeyError, ValueError):
        return None
    return value or None


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
