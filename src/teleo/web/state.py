"""What the web app holds between requests: the vault, its index kept fresh, git reads cached.

Freshness: the index is brought up to date (`Index.sync`, incremental) only when
something may have changed. A file watcher (`watchfiles`, inotify where the OS
has it) marks the index dirty on any change under the vault; the next request
syncs. Without a watcher (or with `watch=False`) a request syncs when the last
sync is older than `sync_interval` seconds. So an unchanged 15k-note vault
costs nothing per request, and an edit shows up on the next page load.

Git state (recent merges, per-note history, proposals) is cached per
*git signature*: HEAD's commit and every branch tip, read with pygit2 (a few
file reads). A new commit or branch invalidates it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, TypeVar

from teleo.index import Index
from teleo.repo.history import Commit, HistoryError, mainline_ids, merged_agent, read_log
from teleo.repo.discover import is_repository
from teleo.vault import Vault

log = logging.getLogger("teleo.web")
T = TypeVar("T")

DEFAULT_SYNC_INTERVAL = 1.0
"""Seconds between syncs when no file watcher runs."""
WATCH_DEBOUNCE_MS = 50


@dataclass
class GitCache:
    """Values derived from git, valid while the signature is unchanged."""

    signature: tuple = ()
    values: dict[str, Any] = field(default_factory=dict)


class WebState:
    """The vault, a fresh index, and caches keyed on what they derive from."""

    def __init__(
        self, vault: Vault, *, write_token: str | None = None, watch: bool = True,
        sync_interval: float = DEFAULT_SYNC_INTERVAL,
    ) -> None:
        self.vault = vault
        self.root = vault.root
        self.write_token = write_token
        self.index = Index.open(vault)
        self.sync_interval = sync_interval
        self._sync_lock = threading.Lock()
        self._last_sync = 0.0
        self._dirty = threading.Event()
        self._dirty.set()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._git = GitCache()
        self._git_lock = threading.Lock()
        self._cache: dict[str, tuple[Any, Any]] = {}
        self._cache_lock = threading.Lock()
        self._name_locks: dict[str, threading.Lock] = {}
        self._local = threading.local()
        self.is_git = is_repository(self.root)
        if watch:
            self._start_watcher()

    # -- freshness -------------------------------------------------------------

    def _start_watcher(self) -> None:
        try:
            import watchfiles  # noqa: F401
        except ImportError:  # pragma: no cover - a dependency, but keep serving without it
            return
        self._watcher = threading.Thread(target=self._watch, name="teleo-web-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        import watchfiles

        def relevant(change: Any, path: str) -> bool:
            parts = Path(path).relative_to(self.root).parts if path.startswith(str(self.root)) else ()
            return not parts or parts[0] not in (".teleo", ".git")  # derived state and git objects

        try:
            for _ in watchfiles.watch(
                self.root, watch_filter=relevant, debounce=WATCH_DEBOUNCE_MS, step=20,
                stop_event=self._stop, raise_interrupt=False, yield_on_timeout=False,
            ):
                self._dirty.set()
        except Exception as exc:  # no inotify, too many watches…: fall back to polling
            log.warning("file watcher stopped (%s); polling every %.1fs", exc, self.sync_interval)
        self._watcher = None

    @property
    def watching(self) -> bool:
        return self._watcher is not None and self._watcher.is_alive()

    def fresh_index(self) -> Index:
        """The index, synced first if files may have changed since the last sync."""
        due = self._dirty.is_set() if self.watching else time.monotonic() - self._last_sync >= self.sync_interval
        if due:
            with self._sync_lock:
                if self._dirty.is_set() or not self.watching:
                    self._sync()
        return self.index

    def sync_now(self):
        """Sync the index at once, whatever the watcher says (the forced re-index); its SyncStats."""
        with self._sync_lock:
            return self._sync()

    def _sync(self):
        self._dirty.clear()
        stats = self.index.sync()
        self.vault.forget()
        self._last_sync = time.monotonic()
        return stats

    def stop(self) -> None:
        self._stop.set()

    # -- read-only SQL on the index (its own connection per thread: WAL readers never wait) --

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.index.location}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db.execute(query, params).fetchall()

    def note_rows(self, where: str = "", params: tuple = (), order: str = "path") -> list[dict[str, Any]]:
        rows = self.sql(
            "SELECT path, title, kind, type, domain, confidence, status, agent, description, created, label, data "
            f"FROM notes {where} ORDER BY {order}", params,
        )
        keys = ("path", "title", "kind", "type", "domain", "confidence", "status", "agent", "description", "created", "label")
        out = []
        for row in rows:
            item = dict(zip(keys, row[:11]))
            item["data"] = json.loads(row[11])
            out.append(item)
        return out

    # -- caches ------------------------------------------------------------------

    def cached(self, name: str, key: Any, compute: Callable[[], T]) -> T:
        """`compute()` once per `key` (e.g. the index generation) for `name`; a request that
        arrives while another computes the same value waits for it instead of repeating it."""
        with self._cache_lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] == key:
                return hit[1]
            lock = self._name_locks.setdefault(name, threading.Lock())
        with lock:
            with self._cache_lock:
                hit = self._cache.get(name)
                if hit is not None and hit[0] == key:
                    return hit[1]
            value = compute()
            with self._cache_lock:
                self._cache[name] = (key, value)
            return value

    def peek(self, name: str) -> Any:
        """The value last cached under `name`, whatever its key (None if none)."""
        with self._cache_lock:
            hit = self._cache.get(name)
        return hit[1] if hit is not None else None

    def git_signature(self) -> tuple:
        """HEAD and every local branch tip: cheap, and changes with any commit or branch."""
        if not self.is_git:
            return ()
        repo = self.repository()
        if repo is None:
            return ()
        try:
            head = str(repo.head.target) if not repo.head_is_unborn else ""
        except Exception:
            head = ""
        tips = []
        for ref in repo.references.iterator():  # branches and the verdict store
            name = ref.name
            if name.startswith(("refs/heads/", "refs/teleo/")):
                try:
                    tips.append((name, str(ref.target)))
                except Exception:
                    continue
        return (head, tuple(sorted(tips)))

    def repository(self):
        """A pygit2 repository of the vault (one per thread), or None."""
        repo = getattr(self._local, "repo", None)
        if repo is None:
            from teleo.repo.discover import open_repository

            repo = open_repository(self.root)
            self._local.repo = repo
        return repo

    def git_cached(self, name: str, compute: Callable[[], T]) -> T:
        signature = self.git_signature()
        with self._git_lock:
            if self._git.signature != signature:
                self._git = GitCache(signature)
            if name in self._git.values:
                return self._git.values[name]
        value = compute()
        with self._git_lock:
            if self._git.signature == signature:
                self._git.values[name] = value
        return value

    def history(self) -> "History":
        """The whole log of HEAD, with a path → commits map (read once per git signature)."""
        return self.git_cached("history", self._read_history)

    def _read_history(self) -> "History":
        if not self.is_git:
            return History([], {}, "not a git repository")
        try:
            commits = read_log(self.root)
        except (HistoryError, OSError) as exc:
            return History([], {}, f"git history unavailable: {str(exc).splitlines()[0] if str(exc) else exc}")
        by_path: dict[str, list[Commit]] = {}
        for commit in commits:
            for change in commit.changes:
                by_path.setdefault(change.path, []).append(commit)
        return History(commits, by_path, None)

    def known_agents(self) -> set[str]:
        config = self.vault.config
        return {a.lower() for a in config.agents} | {config.vault.evaluator.lower()} | {
            d.agent.lower() for d in config.domains.values()
        }


@dataclass
class History:
    commits: list[Commit]
    by_path: dict[str, list[Commit]]
    note: str | None

    @cached_property
    def by_id(self) -> dict[str, Commit]:
        return {c.id: c for c in self.commits}

    @cached_property
    def mainline(self) -> frozenset[str]:
        return mainline_ids(self.commits[0], self.by_id) if self.commits else frozenset()

    def merged_agent(self, merge: Commit, known: set[str]) -> str | None:
        """The agent whose proposal `merge` brought in (`repo.history.merged_agent`)."""
        return merged_agent(merge, self.by_id, self.mainline, known)
