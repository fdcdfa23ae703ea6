"""Git: the commits that record every change to a vault.

Entry point: `Repo.open(path)`. This first version shells out to `git`; the
extraction stage moves branch work to worktree-free plumbing.
"""

from teleo.repo.command import GitError
from teleo.repo.git import Repo

__all__ = ["GitError", "Repo"]
