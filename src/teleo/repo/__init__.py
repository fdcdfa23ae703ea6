"""Git, and nothing of vaults: one module for each thing every caller needs.

`discover` opens a repository, `command` runs git with one environment, `identity`
is the fallback author, `trailers` reads and writes commit trailers, and `agents`
names the agent a commit speaks for. Above them: `git.Repo` (commits through the
command line), `history` (one `git log` read), `kinds` (the registry of proposal
kinds: branch names, commit forms, reviewers, cascade), `branches` (worktree-free proposal
branches built from git objects), `verdicts` (the verdict refs), `mainline`
(compare-and-swap writes to main, owed cascades), `worktree` (a checked-out
main's working tree catching up) and `remote` (a git remote shared by several hosts'
clones: leased atomic pushes, fetch, following main). Entry point: `Repo.open(path)`; the rest is
imported from its module (pygit2 loads only when a repository is opened).
"""

from teleo.repo.command import GitError
from teleo.repo.git import Repo

__all__ = ["GitError", "Repo"]
