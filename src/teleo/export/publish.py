"""Publishing the graph export into another git repository (reference §4.12): regenerate the
export into that repository's working tree and commit it only when a file changed.

The commit goes through `Repo.commit` (the repo layer's one way to commit on the command line),
naming exactly the export's files: one commit, nothing else of the working tree in it."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel

from teleo.export.export import ExportOptions, ExportSummary, export_graph
from teleo.repo.command import GitError
from teleo.repo.git import Repo
from teleo.vault import Vault


class PublishError(ValueError):
    """The target is not a repository Teleo may publish into (the message names it)."""


class PublishResult(BaseModel):
    """What a publish did: the export's summary, and the commit when one was made."""

    summary: ExportSummary
    repository: str
    changed: list[str]
    commit: str | None
    message: str | None


def publish_message(vault: Vault, summary: ExportSummary) -> str:
    """The reference's subject: `sync: graph data from <vault> (<nodes> nodes, <edges> edges)`."""
    return f"sync: graph data from {Path(vault.root).name} ({summary.nodes} nodes, {summary.edges_total} edges)"


def open_target(target: Path, vault: Vault) -> Repo:
    """The repository at `target`, which must be a git working tree other than the vault's own."""
    if not target.is_dir():
        raise PublishError(f"{target}: not a folder (--publish needs a git repository)")
    repo = Repo.open(target)
    if repo is None:
        raise PublishError(f"{target}: not a git repository (run `git init` there, or clone the site's repository)")
    own = Repo.open(Path(vault.root))
    if own is not None and os.path.realpath(own.root) == os.path.realpath(repo.root):
        raise PublishError(f"{target}: is the vault's own repository; --publish writes into another one")
    return repo


def publish_graph(vault: Vault, target: Path, subfolder: Path, options: ExportOptions) -> PublishResult:
    """Export into `target/subfolder` and commit the export's files when any changed."""
    repo = open_target(target, vault)
    out = (target / subfolder).resolve()
    if not out.is_relative_to(Path(os.path.realpath(repo.root))):
        raise PublishError(f"{subfolder}: the export folder must be inside {target}")
    summary = export_graph(vault, out, options)
    paths = [os.path.relpath(out / item.name, repo.root) for item in summary.files]
    changed = sorted(repo.dirty(paths))
    if not changed:
        return PublishResult(summary=summary, repository=str(repo.root), changed=[], commit=None, message=None)
    message = publish_message(vault, summary)
    try:
        commit = repo.commit(paths, message + "\n")
    except GitError as exc:
        raise PublishError(f"{repo.root}: git refused the commit: {exc}") from exc
    return PublishResult(summary=summary, repository=str(repo.root), changed=changed, commit=commit, message=message)
