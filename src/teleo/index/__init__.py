"""The index: derived state of a vault — notes, fields, links, full text, embeddings.

Entry point: `Index.open(vault).sync()`; then `search`, `similar`, `note_row`,
`backlinks`, `links_from`. It lives in `<vault>/.teleo/index.sqlite` (git-ignored)
and can be deleted at any time: the next sync rebuilds it from the files.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Sequence

from teleo.index.embed import EmbeddingUnavailable
from teleo.index.index import Index, IndexUnavailable, Progress
from teleo.index.models import Filters, Hit, Link, NoteRow, SearchMode, SyncStats
from teleo.vault import Vault

__all__ = [
    "EmbeddingUnavailable", "Filters", "Hit", "Index", "IndexUnavailable", "Link", "NoteRow", "Progress",
    "SearchMode", "SyncStats", "open_index", "similar",
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
