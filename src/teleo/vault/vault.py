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
TOOL_DIRS = frozenset({"node_modules", "__pycache__"})
"""Folders of tools, not of notes: the markdown files in them are named by lint and stats, never read."""
OWN_DIRS = frozenset({".git", ".teleo"})
"""git's and Teleo's own folders: the walk never enters them and names nothing in them."""
RAW_DIR = "inbox-raw"
"""The raw research dumps at the vault's root (`inbox-raw/<agent>/`, read by `teleo research`; reference
§4.1: dropped on the research host, never committed): raw material, not notes. Like `OWN_DIRS`, every
walk of the vault — on disk, the index's scan, a git tree's — leaves it out and names nothing in it;
a folder of that name deeper in the vault is an ordinary folder."""


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
            rel_folder = os.path.relpath(folder, self.root)
            dirs[:] = sorted(d for d in dirs if d not in OWN_DIRS and not (rel_folder == "." and d == RAW_DIR))
            set_aside = _set_aside_reason(rel_folder)
            for name in dirs:
                full = os.path.join(folder, name)
                if os.path.islink(full) and not self._inside(full):
                    problems.append(_outward_link(_join(rel_folder, name), full))
            for name in files:
                if not name.endswith(".md"):
                    continue
                full = os.path.join(folder, name)
                rel = _join(rel_folder, name)
                if os.path.islink(full) and not self._inside(full):
                    problems.append(_outward_link(rel, full))
                elif set_aside is not None or name.startswith("."):
                    problems.append(_set_aside(rel, set_aside or "hidden"))
                else:
                    paths.append(rel)
        paths.sort()
        problems.sort(key=lambda p: p.path)
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
        """Markdown files the walk met but did not take into the vault, and why, by path.

        Codes: `symlink-outside` (a link leaving the vault; not read), `hidden` (its name or
        a folder starts with `.`; checked on its own by lint, see `hidden_paths`) and
        `tool-folder` (under `node_modules/` or `__pycache__/`; not read). Nothing under
        `.git/` or `.teleo/` is named: those are git's and Teleo's own; nor under the root's
        `inbox-raw/` (`RAW_DIR`): raw research dumps, not notes.
        """
        return self._walk[1]

    def hidden_paths(self) -> list[str]:
        """Hidden markdown files (`.draft.md`, `.drafts/x.md`): not notes of the vault — not
        indexed, not link targets, never extracted or exported — but linted on their own,
        so a hidden note's errors are not lost."""
        return [p.path for p in self._walk[1] if p.problem.code == "hidden"]

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

    def holds(self, relative: str) -> bool:
        """Whether the note at `relative` is already read and kept (`note` will not read it again)."""
        return relative in self._notes

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


def _set_aside_reason(rel_folder: str) -> str | None:
    """Why every markdown file of this folder stays out of the vault, if it does."""
    if rel_folder == ".":
        return None
    parts = rel_folder.replace(os.sep, "/").split("/")
    if any(part in TOOL_DIRS for part in parts):
        return "tool-folder"
    if any(part.startswith(".") for part in parts):
        return "hidden"
    return None


def _set_aside(rel: str, code: str) -> PathProblem:
    if code == "tool-folder":
        tool = next(part for part in rel.split("/") if part in TOOL_DIRS)
        message = f"in a tool folder ({tool}/): not a note of the vault, not read"
    else:
        message = (
            "hidden: its name or a folder starts with '.', so it is not a note of the vault "
            "(not indexed, not a link target, never extracted or exported); linted on its own"
        )
    return PathProblem(rel, Problem(code, 1, message))


def _outward_link(rel: str, full: str) -> PathProblem:
    target = os.path.realpath(full)
    return PathProblem(rel, Problem("symlink-outside", 1, f"symbolic link points outside the vault (to {target}); not read"))
