"""The index: derived state of a vault — notes, fields, links, full text, embeddings.

Entry point: `Index.open(vault).sync()`; then `search`, `similar`, `similar_to`,
`note_row`, `backlinks`, `links_from`, `resolve`. It lives in
`<vault>/.teleo/index.sqlite` (git-ignored; a per-user cache file when the vault
is read-only) and can be deleted at any time: the next sync rebuilds it.

How it stays cheap (details in `sync.py`, `parse_pool.py`, `search.py`, `store.py`):

- a sync walks the files with their stat, hashes only changed stats, parses only
  changed bytes, and commits everything in one transaction (a killed sync leaves
  the previous index); an index built by another schema or Teleo version is rebuilt;
- links are resolved by the vault's `LinkResolver`, built over just the files whose
  normalised title can answer them, so an edit costs a few lookups, and a file that
  appears or disappears re-resolves only the links naming its title;
- full text is two FTS5 tables (titles/descriptions, bodies) with the facets coded
  in, so filters are doclist intersections and common words don't cost a join;
- embeddings (bundled wordllama model, offline) are computed lazily, for changed
  text only, and queried from an in-memory matrix patched after each sync.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Sequence

from teleo.index.embed import EmbeddingUnavailable
from teleo.index.index import Index, IndexUnavailable
from teleo.index.models import Filters, Hit, Link, NoteRow, Progress, SearchMode, SyncStats
from teleo.vault import Vault

__all__ = [
    "EmbeddingUnavailable", "Filters", "Hit", "Index", "IndexUnavailable", "Link", "NoteRow", "Progress",
    "SearchMode", "SyncStats", "close_shared", "open_index", "similar",
]

_shared: dict[Path, Index] = {}
_shared_lock = threading.Lock()


def open_index(vault: Vault | Path | str) -> Index:
    """An index of `vault` shared within this process (one connection, one vector matrix)."""
    if not isinstance(vault, Vault):
        vault = Vault.open(vault)
    with _shared_lock:
        index = _shared.get(vault.root)
        if index is None:
            index = _shared[vault.root] = Index.open(vault)
        return index


def close_shared(root: Path | None = None) -> None:
    """Close the shared index of the vault at `root` (every one when None); the next `open_index`
    opens it again. A process about to fork workers that open the index calls it: a SQLite
    connection must not cross a fork."""
    with _shared_lock:
        for key in [k for k in _shared if root is None or k == Path(root).resolve()]:
            _shared.pop(key).close()


def similar(
    vault: Vault | Path | str, text: str, k: int = 10, kinds: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
) -> list[Hit]:
    """The `k` notes of `vault` most similar to `text` (the index is synced first).

    For many calls in a row, hold an `Index` and call `sync()` when the files changed.
    """
    index = open_index(vault)
    index.sync()
    return index.similar(text, k, kinds=kinds, exclude=exclude)
