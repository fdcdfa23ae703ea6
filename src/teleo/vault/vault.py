"""A knowledge base on disk: where it is, what it holds, how to reach a note."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from teleo.notes import Note, Problem, read_note
from teleo.vault.config import CONFIG_FILE, Config, load_config
from teleo.vault.resolver import LinkResolver

LAYOUT_MARKERS = ("domains", "inbox", "core", "foundations", "schemas")
_SKIPPED_DIRS = {"node_modules", "__pycache__"}


class VaultNotFound(Exception):
    """No vault at or above the given folder."""


class UnsafePath(Exception):
    """A path that leaves the vault (`..`, absolute elsewhere, outward symlink)."""


@dataclass(frozen=True)
class PathProblem:
    """A file the walk met but did not read, and why."""

    path: str
    problem: Problem


class Vault:
    """A vault rooted at `root`, configured by its `teleo.toml` (or the defaults)."""

    def __init__(self, root: Path, config: Config | None = None) -> None:
        self.root = root.resolve()
        self.config = config if config is not None else load_config(self.root)
        self._notes: dict[str, Note] = {}

    @classmethod
    def open(cls, path: Path | str) -> "Vault":
        """Open the vault at `path` exactly (no search upwards)."""
        root = Path(path)
        if not root.is_dir():
            raise VaultNotFound(f"{root}: not a folder")
        return cls(root)

    @classmethod
    def discover(cls, start: Path | str | None = None) -> "Vault":
        """Find the vault containing `start` (default: the current folder), like git."""
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                return cls(folder)
            if sum((folder / m).is_dir() for m in LAYOUT_MARKERS) >= 2:
                return cls(folder)
        raise VaultNotFound(
            f"no vault at or above {here} (looked for {CONFIG_FILE}, or a folder with two of "
            + ", ".join(f"{m}/" for m in LAYOUT_MARKERS) + "); pass --vault PATH or run teleo init"
        )

    # -- paths -----------------------------------------------------------------

    def relative(self, path: Path | str) -> str:
        """The vault-relative POSIX path of `path`; raises UnsafePath outside the vault."""
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = Path.cwd() / candidate
        resolved = Path(os.path.realpath(candidate))  # never raises, even on a symlink loop
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            raise UnsafePath(f"{path}: outside the vault {self.root}") from None

    def absolute(self, relative: str) -> Path:
        """The file for vault-relative `relative`; raises UnsafePath if it escapes."""
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise UnsafePath(f"{relative}: path leaves the vault")
        full = Path(os.path.realpath(self.root / relative))
        if full != self.root and self.root not in full.parents:
            raise UnsafePath(f"{relative}: resolves outside the vault")
        return self.root / relative

    @cached_property
    def _walk(self) -> tuple[list[str], list[PathProblem]]:
        paths: list[str] = []
        problems: list[PathProblem] = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
            rel_folder = os.path.relpath(folder, self.root)
            for name in dirs:
                full = os.path.join(folder, name)
                if os.path.islink(full) and not self._inside(full):
                    problems.append(_outward_link(_join(rel_folder, name), full))
            for name in files:
                if not name.endswith(".md") or name.startswith("."):
                    continue
                full = os.path.join(folder, name)
                rel = _join(rel_folder, name)
                if os.path.islink(full) and not self._inside(full):
                    problems.append(_outward_link(rel, full))
                    continue
                paths.append(rel)
        paths.sort()
        return paths, problems

    def _inside(self, full: str) -> bool:
        target = Path(os.path.realpath(full))
        return target == self.root or self.root in target.parents

    def markdown_paths(self) -> list[str]:
        """Every readable markdown file, vault-relative, sorted."""
        return self._walk[0]

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(self.markdown_paths())

    def walk_problems(self) -> list[PathProblem]:
        """Files skipped by the walk: symlinks pointing outside the vault."""
        return self._walk[1]

    # -- notes -----------------------------------------------------------------

    def note(self, relative: str) -> Note:
        """The note at vault-relative `relative` (read once, then cached)."""
        note = self._notes.get(relative)
        if note is None:
            if relative not in self._known:
                self.absolute(relative)  # paths from the walk were checked there
            note = read_note(self.root, relative)
            self._notes[relative] = note
        return note

    def notes(self) -> list[Note]:
        """Every note of the vault, in path order."""
        return [self.note(path) for path in self.markdown_paths()]

    @cached_property
    def resolver(self) -> LinkResolver:
        return LinkResolver(self.markdown_paths())

    def forget(self, relative: str | None = None) -> None:
        """Drop cached notes (all, or one) after files changed on disk."""
        if relative is None:
            self._notes.clear()
            for cached in ("_walk", "_known", "resolver"):
                self.__dict__.pop(cached, None)
        else:
            self._notes.pop(relative, None)


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}".replace(os.sep, "/")


def _outward_link(rel: str, full: str) -> PathProblem:
    target = os.path.realpath(full)
    return PathProblem(rel, Problem("symlink-outside", 1, f"symbolic link points outside the vault (to {target}); not read"))
