"""A derived cache of each note's findings, so an unchanged vault lints at file-listing speed.

Like every cache in Teleo it is rebuildable and never the truth: it lives in
`.teleo/lint-cache.pickle`, and deleting it only costs time. A note's cached
findings are reused when

* the note's size and modification time are unchanged (a note modified within
  `RACY_WINDOW_NS` of the lint that read it is read again next time), and
* the run's key is unchanged: the code that decides findings (a hash of the
  source of `teleo.gates`, `teleo.notes` and `teleo.vault`, so editing a rule
  within one version drops the old findings), Teleo's version, the selected
  rules, the config and today's date (staleness depends on it), and
* the *world* is unchanged: the set of (path, kind) of every note. Note rules
  look at other notes only through link resolution (paths) and their kinds,
  so this is exactly what a note's findings can depend on besides itself.

Vault rules (duplicate titles, position counts) are never cached.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from teleo import __version__
from teleo.gates.findings import Finding

CACHE_FILE = "lint-cache.pickle"
PACKAGE = Path(__file__).resolve().parents[1]
"""The installed `teleo` package (its sources are hashed into the run's key)."""
FINGERPRINTED = ("gates", "notes", "vault")
"""Subpackages whose code decides a note's findings: the rules (and the rubric), the note parser, the resolver.
(A dependency's upgrade — the rubric's lexicon, say — is not seen: `teleo lint --no-cache` after one.)"""
_FORMAT = 2  # 2: findings kept as rows (`Finding.as_row`), not models


@dataclass
class Entry:
    size: int
    mtime_ns: int
    kind: str
    rows: list[tuple]
    """The note's findings as `Finding.as_row` tuples."""

    @property
    def findings(self) -> list[Finding]:
        return [Finding.from_row(row) for row in self.rows]


@dataclass
class LintCache:
    key: str
    world: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path, key: str) -> "LintCache":
        """The cache in `folder` if it was written for `key`, else an empty one."""
        try:
            with open(folder / CACHE_FILE, "rb") as handle:
                stored = pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, ValueError, TypeError):
            return cls(key)
        if not isinstance(stored, dict) or stored.get("format") != _FORMAT or stored.get("key") != key:
            return cls(key)
        return cls(key, stored.get("world", ""), stored.get("entries", {}))

    def save(self, folder: Path) -> None:
        """Write atomically; a cache that cannot be written is simply not written."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            ignore = folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            payload = {"format": _FORMAT, "key": self.key, "world": self.world, "entries": self.entries}
            _atomic_pickle(folder / CACHE_FILE, payload)
        except OSError:
            pass


def _atomic_pickle(path: Path, payload: object) -> None:
    """`payload` pickled straight into a temp file beside `path`, fsynced and renamed over it (as
    `atomic_write_bytes`, without the whole pickle in memory first)."""
    fd, tmp = tempfile.mkstemp(prefix=".teleo-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.cache
def code_fingerprint(package: Path = PACKAGE) -> str:
    """A hash of the source of the subpackages in `FINGERPRINTED` under `package` (~1 ms once the
    files are in the page cache): any edit of a rule, the parser or the resolver changes it, where
    the package version stays the same until a release."""
    digest = hashlib.blake2b(digest_size=16)
    for name in FINGERPRINTED:
        for path in sorted((package / name).rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(b"\1unreadable")
    return digest.hexdigest()


def run_key(rule_ids: list[str], config_json: str, today: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in (code_fingerprint(), __version__, ",".join(sorted(rule_ids)), config_json, today):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def world_key(kinds: dict[str, str]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(kinds):
        digest.update(f"{path}\0{kinds[path]}\n".encode("utf-8"))
    return digest.hexdigest()


RACY_WINDOW_NS = 100_000_000
"""A note modified this close to the start of the lint that read it (or after) may change again within the
same mtime tick and keep its size: its entry is stored with an mtime no file has, so the next lint reads it
again — git's "racily clean" files, as the index's sync treats them (`teleo.index.sync.RACY_WINDOW_NS`)."""


def trusted_mtime(mtime_ns: int, started_ns: int) -> int:
    """The mtime to store for a note read by a lint started at `started_ns`: -1 when it is too recent to trust
    (a whole-second mtime — a filesystem counting seconds — gets a 2 s window)."""
    window = 2_000_000_000 if mtime_ns % 1_000_000_000 == 0 else RACY_WINDOW_NS
    return -1 if mtime_ns >= started_ns - window else mtime_ns


def file_stamp(root: Path, path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(root / path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns
