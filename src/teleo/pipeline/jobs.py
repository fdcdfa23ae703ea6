"""Which sources need extracting: parsed frontmatter on the base tip, never a grep of the text.

A source is a job when, in the tree of `main`'s tip (what `extract_source`
reads — never the working tree, which may hold uncommitted edits), its note
parses as `Kind.SOURCE` under `inbox/` with `status` unprocessed (or absent).
A source with an open `extract/<slug>` proposal is already done (the branch
is the commit point). The source hash is the git blob id of the source on the
base tip: a source edited on main since its job finished is a new job.
"""

from __future__ import annotations

from dataclasses import dataclass

from teleo.notes.lifecycle import DROP_PREFIX, EXTRACTABLE, is_source_path
from teleo.pipeline.job import source_status  # one definition of "ready for extraction"
from teleo.notes import Kind
from teleo.repo.branches import base_ref, open_proposals, tip
from teleo.vault.tree import TreeVault
from teleo.repo.discover import require_repository, vault_prefix
from teleo.vault import Vault

__all__ = ["DROP_PREFIX", "Candidate", "find_sources"]


@dataclass(frozen=True)
class Candidate:
    source: str
    source_hash: str
    open_branch: str | None = None
    """An open proposal already made for this source (the job is done)."""


def find_sources(vault: Vault, only: list[str] | None = None, *, base: str | None = None) -> list[Candidate]:
    """Unprocessed sources on the base tip (all, or those in `only`), with their blob hash and open proposal."""
    repo = require_repository(vault.root)
    prefix = vault_prefix(repo, vault.root)
    ref = base_ref(repo, base)
    commit = tip(repo, ref)
    tree = TreeVault.at(vault, commit, repo=repo)
    opened = {p.source: p.branch for p in open_proposals(repo, base=ref) if p.source}
    paths = only if only is not None else [p for p in tree.markdown_paths() if is_source_path(p)]
    found = []
    for rel in sorted(set(paths)):
        if not tree.exists(rel):
            continue
        note = tree.note(rel)
        if note.kind is not Kind.SOURCE:
            continue
        if source_status(note) not in EXTRACTABLE and rel not in opened:
            continue
        entry = commit.tree[prefix + rel] if prefix else commit.tree[rel]
        found.append(Candidate(rel, str(entry.id), opened.get(rel)))
    return found
