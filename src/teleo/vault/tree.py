"""A vault read from a git tree: `TreeVault`.

`TreeVault.at(vault, ref)` is the vault as it is at `ref` — a branch (by default the base branch,
`main`, else the one `HEAD` names), a commit id or a commit — plus, through `with_overlay`, new
texts laid over it. Extraction reads a source and the notes it touches from main's tip through
it and lints the proposal's files in the tree they will live in; review judges a proposal
against main's tip with the proposal laid over it; the cascade reads main after a merge and
before it; `teleo flags` reads flags where merges land. Nothing is read from the working tree,
so someone's uncommitted edits or another checked-out branch never leak in.

A git tree never changes, so what is derived from one stays true: `at` returns the vault shared
by every caller in the process while the tree is the same (its walk, its resolver, the notes
parsed from its blobs — a review run or an extraction worker reads main's tip once, not once per
proposal or job), and notes are kept per (path, blob) across trees, so successive tips of main
re-parse only what changed. The shared vault must not be changed: `with_overlay` makes another.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import pygit2

from teleo.notes import Kind, Note, note_from_bytes, note_from_text
from teleo.notes.document import MAX_NOTE_BYTES, Document, Problem
from teleo.repo.branches import BLOB_MODES, BranchError, base_ref, tip
from teleo.repo.discover import require_repository, vault_prefix
from teleo.vault.vault import RAW_DIR, TOOL_DIRS, PathProblem, Vault

class TreeVault(Vault):
    """The vault as it is in a git tree (e.g. `main`'s tip), plus an overlay of new texts.

    Paths are vault-relative, like everywhere else; `prefix` is the vault's
    folder inside the repository. The config is the disk vault's. Notes are
    parsed from blobs on first use; nothing is read from the working tree.
    """

    def __init__(
        self,
        disk: Vault,
        repo: pygit2.Repository,
        tree: pygit2.Tree,
        *,
        prefix: str = "",
        overlay: dict[str, str] | None = None,
    ) -> None:
        super().__init__(disk.root, disk.config)
        self.disk_vault = disk
        self.repo = repo
        self.tree = tree
        self.prefix = prefix
        self.overlay = dict(overlay or {})
        self._tree_notes: dict[str, Note] = {}
        """Notes parsed from the tree's blobs — shared with every overlay of the same tree (`with_overlay`),
        since a git tree never changes; `_notes` holds the overlay's own."""
        self._tree_entries: dict[str, pygit2.Oid | None] = {}
        """Blob ids by path in the tree (None: no such file), shared with the overlays like `_tree_notes`."""
        self._derived: dict[str, Any] = {}

    @classmethod
    def at(
        cls, vault: Vault, ref: str | pygit2.Commit | None = None, *, repo: pygit2.Repository | None = None,
    ) -> TreeVault:
        """The vault as it is at `ref` (see the module doc): `None` — the base branch's tip (`main`, else
        `HEAD`'s branch); a branch name or `refs/…` name; a commit id; a `pygit2.Commit`. `vault` is the
        disk vault (its config and folder), or a `TreeVault`, whose repository and disk vault are used.

        Raises `NotARepository` when the vault is in no git repository, `BranchError` when `ref` names
        no commit."""
        if isinstance(vault, TreeVault):
            repo, vault = repo or vault.repo, vault.disk_vault
        repo = repo or require_repository(vault.root)
        commit = ref if isinstance(ref, pygit2.Commit) else _commit(repo, ref)
        return shared_tree_vault(vault, repo, commit.tree, prefix=vault_prefix(repo, vault.root))

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()`, made once per vault and kept under `key` — for values derived from a tree
        that many readers ask for (a shared base's claim titles)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def with_overlay(self, files: dict[str, str]) -> TreeVault:
        """The same tree with `files` (vault-relative path → text) added or replaced.

        The new vault shares this one's notes parsed from the tree (and its walk and resolver,
        extended): overlays of one base — the proposals of one review run — parse each note of
        the tree once between them."""
        other = TreeVault(self.disk_vault, self.repo, self.tree, prefix=self.prefix, overlay={**self.overlay, **files})
        other._tree_notes = self._tree_notes
        other._tree_entries = self._tree_entries
        other._notes = {p: n for p, n in self._notes.items() if p not in files}
        added = [p for p in files if p.endswith(".md")]
        if "_walk" in self.__dict__:  # the tree was walked already: add the new paths only
            paths = set(self._walk[0]) | set(added)
            other.__dict__["_walk"] = (sorted(paths), [])
        if "resolver" in self.__dict__:  # likewise the resolver: extended, not rebuilt
            other.__dict__["resolver"] = self.resolver.extended(added)
        return other

    @cached_property
    def _walk(self) -> tuple[list[str], list[PathProblem]]:
        paths: set[str] = set()
        root = self._subtree()
        if root is not None:
            self._collect(root, "", paths)
        paths.update(p for p in self.overlay if p.endswith(".md"))
        _PARSED.fit(len(paths))
        return sorted(paths), []

    def _subtree(self) -> pygit2.Tree | None:
        if not self.prefix:
            return self.tree
        try:
            obj = self.repo[self.tree[self.prefix.rstrip("/")].id]
        except (KeyError, ValueError):
            return None
        return obj if isinstance(obj, pygit2.Tree) else None

    def _collect(self, tree: pygit2.Tree, folder: str, out: set[str]) -> None:
        """The walk; it also keeps each note's blob id, which a lookup by path would find only by
        loading every tree on the way (libgit2 caches no tree over 4 KiB): reading every note of a
        folder of thousands was quadratic."""
        for entry in tree:
            name = entry.name
            if entry.type_str == "tree":
                if name.startswith(".") or name in TOOL_DIRS or (not folder and name == RAW_DIR):
                    continue
                self._collect(self.repo[entry.id], folder + name + "/", out)
            elif (
                entry.type_str == "blob" and entry.filemode in BLOB_MODES
                and name.endswith(".md") and not name.startswith(".")
            ):
                out.add(folder + name)
                self._tree_entries.setdefault(folder + name, entry.id)

    def exists(self, relative: str) -> bool:
        return relative in self.overlay or self._blob_id(relative) is not None

    def _blob(self, relative: str) -> pygit2.Blob | None:
        found = self._blob_id(relative)
        return None if found is None else self.repo[found]

    def _blob_id(self, relative: str) -> pygit2.Oid | None:
        """The id of the file's blob in the tree, or None — looked up once per tree and path (a lookup
        by path parses every tree on the way, and a review asks about the same paths many times)."""
        if relative in self._tree_entries:
            return self._tree_entries[relative]
        try:
            entry = self.tree[self.prefix + relative]
        except (KeyError, ValueError):
            entry = None
        found = entry.id if entry is not None and entry.type_str == "blob" and entry.filemode in BLOB_MODES else None
        self._tree_entries[relative] = found
        return found

    def read_bytes(self, relative: str) -> bytes | None:
        """The file's bytes in the tree (overlay first), or None."""
        if relative in self.overlay:
            return self.overlay[relative].encode("utf-8")
        blob = self._blob(relative)
        return None if blob is None else blob.data

    def note(self, relative: str) -> Note:
        if relative in self.overlay:
            note = self._notes.get(relative)
            if note is None:
                note = self._notes[relative] = note_from_text(relative, self.overlay[relative])
            return note
        note = self._tree_notes.get(relative)
        if note is None:
            note = self._tree_notes[relative] = _blob_note(self.repo, relative, self._blob_id(relative))
        return note

    def absolute(self, relative: str) -> Path:  # the tree has no files on disk
        raise NotImplementedError("a TreeVault has no files on disk")

    def forget(self, relative: str | None = None) -> None:
        """Drop the overlay's parsed notes (the tree's stay true: a git tree never changes)."""
        if relative is None:
            self._notes.clear()
        else:
            self._notes.pop(relative, None)


class ParsedNotes:
    """Notes parsed from blobs by (path, blob id), kept across trees; the least recently used go first.

    The bound is the larger of `floor` and `per_tree` × the notes of the largest tree walked in the
    process (`fit`, called by each walk): a pass over every note of a tip then never evicts a note of
    that tip it has not reached yet — the memo holds the tip, plus up to half a tip of older versions
    (notes a newer tip changed, which no pass touches again and so go first). A fixed bound smaller
    than the vault would make every pass over a new tip parse the whole vault again, whether the memo
    is cleared when full or evicts in order (docs/scale.md: 120k notes, a bound of 100,000)."""

    def __init__(self, floor: int = 20_000, per_tree: float = 1.5) -> None:
        self.capacity = floor
        self.per_tree = per_tree
        self._notes: OrderedDict[tuple[str, str], Note] = OrderedDict()

    def __len__(self) -> int:
        return len(self._notes)

    def get(self, key: tuple[str, str]) -> Note | None:
        note = self._notes.get(key)
        if note is not None:
            self._notes.move_to_end(key)
        return note

    def put(self, key: tuple[str, str], note: Note) -> None:
        self._notes[key] = note
        self._notes.move_to_end(key)
        while len(self._notes) > self.capacity:
            self._notes.popitem(last=False)

    def fit(self, notes_in_tree: int) -> None:
        """Make room for a tree of `notes_in_tree` notes (never shrinks: a larger tree may be read again)."""
        self.capacity = max(self.capacity, math.ceil(self.per_tree * notes_in_tree))

    def clear(self) -> None:
        self._notes.clear()


_PARSED = ParsedNotes()


def _blob_note(repo: pygit2.Repository, relative: str, blob_id: pygit2.Oid | None) -> Note:
    """The note at `relative` whose bytes are the blob `blob_id`, parsed once per process and (path, blob).

    A note is a function of its path and its bytes, and a blob id names the bytes: the trees of
    successive tips of main (a merge run judges each proposal on a new tip) share almost every
    blob, so each is parsed once, not once per tip.
    """
    if blob_id is None:
        return _unreadable(relative, "unreadable", f"{relative}: not in the tree")
    key = (relative, str(blob_id))
    note = _PARSED.get(key)
    if note is None:
        blob = repo[blob_id]
        if blob.size > MAX_NOTE_BYTES:
            note = _unreadable(relative, "too-large", f"file is {blob.size / 1e6:.1f} MB; not read")
        else:
            note = note_from_bytes(relative, blob.data)
        _PARSED.put(key, note)
    return note


def _unreadable(path: str, code: str, message: str) -> Note:
    return Note(path=path, doc=Document(text=""), kind=Kind.DOCUMENT, problems=[Problem(code, 1, message)])


_SHARED: dict[str, tuple[tuple, Vault, TreeVault]] = {}


def shared_tree_vault(disk: Vault, repo: pygit2.Repository, tree: pygit2.Tree, *, prefix: str = "") -> TreeVault:
    """A `TreeVault` of `tree`, reused by the calls that follow in this process while the tree is the same.

    A git tree never changes, so its walk, its resolver and the notes parsed from it stay
    true: a worker extracting source after source from one base tip reads and parses each
    note once. The last tree asked for is kept (one entry; a new base tip replaces it). The
    returned vault must not be changed by the caller — `with_overlay` makes a separate one.
    """
    key = (repo.path, str(tree.id), prefix, id(disk))
    kept = _SHARED.get("last")
    if kept is not None and kept[0] == key and kept[1] is disk:
        return kept[2]
    fresh = TreeVault(disk, repo, tree, prefix=prefix)
    _SHARED["last"] = (key, disk, fresh)
    return fresh


def _commit(repo: pygit2.Repository, ref: str | None) -> pygit2.Commit:
    """The commit `ref` names: the base branch when None, a branch or full ref name, else a commit id."""
    if ref is None or ref.startswith("refs/") or f"refs/heads/{ref}" in repo.references:
        return tip(repo, base_ref(repo, ref))
    try:
        return repo.revparse_single(ref).peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError):
        raise BranchError(f"{ref} names no commit") from None
