"""What a review looks at: one proposal branch, read from git objects only.

`load_view(vault, branch)` returns a `ProposalView`:

- the branch head, its fork point with `main`, and the commits between them;
- `files`: the vault-relative paths the proposal changes and their text at
  the head (`None` for a deleted file) — except a file main changed too, in
  conflict, that the entity merge settles (`settled`: only append-only entity
  lines on both sides, `extract.entity_merge`), whose text is the merged one, so
  the gates judge what main will hold; `conflicts`: the paths still in conflict
  with main's tip; `outside`: repository paths it changes outside the vault's folder;
- `folded`: entities the proposal creates that a sibling created on main first (main gained them
  after the proposal's fork point, and they share a name, alias, handle or URL): each creation is
  re-derived as an update of main's entity (`extract.entity_merge.fold_creation`), the proposal's
  links to it renamed and its source's `entities_created` entry moved to `entities_updated` — in
  `files` (the created file left out) and in `overrides`, what the merge writes over git's result;
- `base`: `main`'s current tip as a `TreeVault` — shared by the views that follow
  while main's tip stays the same (`TreeVault.at`: its walk, resolver and
  parsed notes are made once per run, not once per proposal) — and `after`: the
  same tree with the proposal's files laid over it — what `main` would hold
  after a merge;
- `proposers`: every agent a commit of the branch speaks for (`teleo.repo.agents.commit_agent`:
  the `Pentagon-Agent:` trailer, else the `<agent>:` subject prefix). Auto-fix
  commits (`Pentagon-Agent: Auto-Fix …`) name no proposer.

Nothing is read from the working tree, so a review never sees someone's
uncommitted edits, and text in the proposal is only ever data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

import pygit2

from teleo.extract.entity_merge import fold, merge_entity, rename_links
from teleo.gates.entities import ENTITIES_FOLDER, EntityIndex, EntityRecord, as_list, record_of
from teleo.notes import Kind, Note, note_from_text, parse_document, remove_field, set_field
from teleo.repo.branches import BranchError, Proposal, base_ref, read_proposal, tip
from teleo.repo.mainline import Resolver, settle_conflicts
from teleo.vault.tree import TreeVault
from teleo.repo.discover import open_repository, vault_prefix
from teleo.repo.agents import AUTO_FIX, commit_agent
from teleo.vault import Vault

PROPOSAL_KINDS = (Kind.CLAIM,)


class ReviewError(Exception):
    """A proposal cannot be reviewed (no repository, no such branch)."""


class NoSuchBranch(ReviewError):
    """The branch does not exist (never did, or another run merged and deleted it meanwhile)."""


@dataclass
class ProposalView:
    vault: Vault
    repo: pygit2.Repository
    ref: str
    prefix: str
    proposal: Proposal
    main: pygit2.Commit
    head: pygit2.Commit
    commits: list[pygit2.Commit]
    """fork..head, oldest first."""
    files: dict[str, str | None]
    outside: list[str]
    base: TreeVault
    after: TreeVault
    proposers: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    """Vault-relative paths in conflict with main that the entity merge settles (their `files` text is the merged one)."""
    conflicts: list[str] = field(default_factory=list)
    """Vault-relative paths in conflict with main's tip that nothing settles."""
    folded: list[tuple[str, str]] = field(default_factory=list)
    """(created path, main's entity path) for each creation folded into an entity a sibling created first."""
    unfolded: list[tuple[str, str]] = field(default_factory=list)
    """(created path, why) for a creation of an entity a sibling created first that contradicts it (not folded)."""
    overrides: dict[str, bytes | None] = field(default_factory=dict)
    """Repository path → what the merge writes there instead of git's merge result (None: leave the file out)."""

    @property
    def branch(self) -> str:
        return self.proposal.branch

    @property
    def head_id(self) -> str:
        return str(self.head.id)

    @property
    def existing_claim_titles(self) -> list[str]:
        """Lower-cased titles of the claims on main (files of a domain folder, `_` maps left out);
        read once per tip of main, however many proposals, notes and reviewers ask."""
        return self.base.derived("claim-titles", lambda: _claim_titles(self.base))

    @cached_property
    def memo(self) -> dict[str, Any]:
        """Values derived from this view, made once (e.g. the review material its reviewers share)."""
        return {}

    def new_paths(self) -> list[str]:
        return sorted(p for p, text in self.files.items() if text is not None and not self.base.exists(p))

    def changed_notes(self, kinds: tuple[Kind, ...] = PROPOSAL_KINDS) -> list[Note]:
        """The proposal's markdown files (as they would be on main) of the given kinds."""
        notes = []
        for path, text in sorted(self.files.items()):
            if text is None or not path.endswith(".md"):
                continue
            note = self.after.note(path)
            if note.kind in kinds:
                notes.append(note)
        return notes

    def diff(self, limit: int = 60_000) -> str:
        """The unified diff fork..head of the vault's files (for reviewers), cut at `limit` characters."""
        fork = self.commits[0].parents[0] if self.commits and self.commits[0].parents else None
        if fork is None:
            return ""
        patch = self.repo.diff(fork.tree, self.head.tree).patch or ""
        return patch if len(patch) <= limit else patch[:limit] + "\n… (diff cut)\n"


def _claim_titles(base: TreeVault) -> list[str]:
    titles = []
    domain_of_folder = base.config.domain_of_folder
    for path in base.markdown_paths():
        folder, _, name = path.rpartition("/")
        if name.startswith("_") or domain_of_folder(folder) is None:
            continue
        titles.append(name[:-3].lower())
    return titles


def load_view(vault: Vault, branch: str, *, base: str | None = None) -> ProposalView:
    """The proposal on `branch` as a review sees it (see the module doc)."""
    repo = open_repository(vault.root)
    if repo is None:
        raise ReviewError(f"{vault.root} is not inside a git repository with a working tree")
    branch = branch.removeprefix("refs/heads/")
    try:
        ref = base_ref(repo, base)
        main = tip(repo, ref)
    except BranchError as exc:
        raise ReviewError(str(exc)) from None
    proposal = read_proposal(repo, branch, main, agents=vault.config.agents)
    if proposal is None:
        raise NoSuchBranch(f"no proposal branch '{branch}'")
    head = repo[proposal.head]
    commits = _commits_since_fork(repo, head, main)
    prefix = vault_prefix(repo, vault.root)
    files: dict[str, str | None] = {}
    outside: list[str] = []
    for path in proposal.files:
        if prefix and not path.startswith(prefix):
            outside.append(path)
            continue
        rel = path[len(prefix):]
        files[rel] = _text_at(repo, head.tree, path)
    settled, conflicts = _trial_merge(repo, main, head, prefix)
    files.update({path: text for path, text in settled.items() if path in files})
    base_vault = TreeVault.at(vault, main, repo=repo)
    folded, overrides, unfolded = _fold_duplicates(repo, main, head, prefix, files, base_vault, proposal.source)
    base_vault.markdown_paths()  # walked and resolved once per tip: every overlay below extends them
    base_vault.resolver  # noqa: B018
    overlay = {p: t for p, t in files.items() if t is not None}
    after = base_vault.with_overlay(overlay)
    for path, text in files.items():
        if text is None:
            after.overlay.pop(path, None)
    view = ProposalView(vault=vault, repo=repo, ref=ref, prefix=prefix, proposal=proposal, main=main, head=head,
                        commits=commits, files=files, outside=outside, base=base_vault, after=after,
                        settled=sorted(settled), conflicts=conflicts, folded=folded, overrides=overrides,
                        unfolded=unfolded)
    view.proposers = proposers_of(vault, commits)
    return view


def entity_resolver(prefix: str) -> Resolver:
    """The merge's resolver: a vault entity file both sides changed is settled by `merge_entity`
    when the proposal only appended entity lines (see `teleo.extract.entity_merge`); nothing else is."""

    def resolve(path: str, ancestor: bytes | None, ours: bytes | None, theirs: bytes | None) -> bytes | None:
        if not path.startswith(prefix) or not path.endswith(".md"):
            return None
        try:
            texts = [b.decode("utf-8") if b is not None else None for b in (ancestor, ours, theirs)]
        except UnicodeDecodeError:
            return None
        merged = merge_entity(path[len(prefix):], *texts)
        return merged.encode("utf-8") if merged is not None else None

    return resolve


def _trial_merge(repo: pygit2.Repository, main: pygit2.Commit, head: pygit2.Commit,
                 prefix: str) -> tuple[dict[str, str], list[str]]:
    """({vault path: merged text} the entity merge settles, vault paths still in conflict) of
    merging `head` into `main` now; nothing for a head on main or built on its tip (a fast-forward)."""
    if head.id == main.id or repo.descendant_of(main.id, head.id) or repo.descendant_of(head.id, main.id):
        return {}, []
    settled, left = settle_conflicts(repo, repo.merge_commits(main, head), entity_resolver(prefix), write=False)
    return ({p[len(prefix):]: data.decode("utf-8") for p, data in settled.items()},
            [p[len(prefix):] if p.startswith(prefix) else p for p in left])


def _commits_since_fork(repo: pygit2.Repository, head: pygit2.Commit, main: pygit2.Commit) -> list[pygit2.Commit]:
    walker = repo.walk(head.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    fork = repo.merge_base(head.id, main.id)
    if fork is not None:
        walker.hide(fork)
    return list(walker)


def _text_at(repo: pygit2.Repository, tree: pygit2.Tree, path: str) -> str | None:
    try:
        entry = tree[path]
    except (KeyError, ValueError):
        return None
    obj = repo[entry.id]
    return obj.data.decode("utf-8", errors="replace") if isinstance(obj, pygit2.Blob) else None


def proposers_of(vault: Vault, commits: list[pygit2.Commit]) -> list[str]:
    names: list[str] = []
    for commit in commits:
        agent = commit_agent(commit.message or "", vault.config.agents)
        if agent and agent != AUTO_FIX and agent not in names:
            names.append(agent)
    return names


def _fold_duplicates(repo: pygit2.Repository, main: pygit2.Commit, head: pygit2.Commit, prefix: str,
                     files: dict[str, str | None], base: TreeVault,
                     source: str | None):
    """Fold the proposal's creations of entities a sibling created on main first (see the module doc);
    `files` is edited in place. Returns (folded pairs, overrides, refusals). All or nothing: when one
    creation contradicts its twin, none is folded (the refusal says why; `entity-duplicate` still fires)."""
    if head.id == main.id or repo.descendant_of(head.id, main.id) or repo.descendant_of(main.id, head.id):
        return [], {}, []
    created = [p for p, t in files.items() if t is not None and p.startswith(ENTITIES_FOLDER + "/")
               and p.endswith(".md") and not base.exists(p)]
    if not created:
        return [], {}, []
    fork = repo.merge_base(main.id, head.id)
    index: EntityIndex = base.derived("entity-index", lambda: EntityIndex.of(base))
    twins: dict[str, EntityRecord] = {}
    for path in created:
        note = note_from_text(path, files[path] or "")
        if note.kind is not Kind.ENTITY:
            continue
        mine = record_of(note)
        found = {r.path: r for key in mine.keys() for r in index.by_key.get(key, ())}
        newer = [r for r in found.values() if fork is None or _text_at(repo, repo[fork].tree, prefix + r.path) is None]
        if len(newer) == 1 and newer[0].path not in files:
            twins[path] = newer[0]
    if not twins:
        return [], {}, []
    renames = {PurePosixPath(p).stem: r.title for p, r in twins.items()}
    texts: dict[str, str] = {}
    refused: list[tuple[str, str]] = []
    for path, twin in twins.items():
        try:
            texts[twin.path] = fold(twin.path, base.read_bytes(twin.path).decode("utf-8", errors="replace"),
                                    rename_links(files[path] or "", renames), matched=True)
        except ValueError as exc:
            refused.append((path, f"the same entity as {twin.path}, which a sibling created first, but {exc}"))
    if refused:
        return [], {}, refused
    for path, text in list(files.items()):
        if path in twins or text is None:
            continue
        new = rename_links(text, renames)
        if path == source:
            new = _moved_to_updated(new, renames)
        if new != text:
            texts[path] = new
    overrides: dict[str, bytes | None] = {prefix + p: None for p in twins}
    for path in twins:
        del files[path]
    for path, text in texts.items():
        files[path] = text
        overrides[prefix + path] = text.encode("utf-8")
    return sorted((p, r.path) for p, r in twins.items()), overrides, []


def _moved_to_updated(text: str, renames: dict[str, str]) -> str:
    """The source's `entities_created` entries of folded creations moved to `entities_updated` (as their twins)."""
    data = parse_document(text).data or {}
    created = as_list(data.get("entities_created"))
    keep = [c for c in created if c.removeprefix("[[").removesuffix("]]") not in renames]
    if keep == created:
        return text
    updated = as_list(data.get("entities_updated"))
    updated += [renames[c.removeprefix("[[").removesuffix("]]")] for c in created if c not in keep]
    updated = list(dict.fromkeys(updated))
    try:
        text = set_field(parse_document(text), "entities_updated", updated)
        if keep:
            return set_field(parse_document(text), "entities_created", keep)
        return remove_field(parse_document(text), "entities_created")
    except ValueError:
        return text
