"""Git: the commits that record every change to a vault.

Entry point: `Repo.open(path)`. This first version shells out to `git`; the
extraction stage moves branch work to worktree-free plumbing.
"""

from teleo.repo.git import GitError, Repo

__all__ = ["GitError", "Repo"]
