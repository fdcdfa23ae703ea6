"""The one wiki-link resolver every stage uses.

Resolution order (first hit wins):

1. path form — the target contains `/`: the vault-relative path, with or
   without `.md`, case-insensitive (`[[domains/ai-alignment/_map]]`);
   failing that, its last segment is tried as a title;
2. exact title (filename stem), then `title.md`;
3. case-insensitive title;
4. normalised title: Unicode NFKC, case-folded, apostrophes and quotes
   dropped, other punctuation (hyphens and underscores included) turned into
   spaces, whitespace collapsed — so `[[futarchy-enables-x]]`, `[[Futarchy
   enables X]]` and `[[futarchy enables x.]]` meet the same note.

`[[title|alias]]` and `[[title#heading]]` resolve by their title part. A
target containing `..` never resolves (it is reported as unsafe).

**Ambiguity rule.** When several files carry the title, the one sharing the
most leading folders with the linking note wins (so `[[_map]]` is the map of
the note's own folder, and a `domains/` note's link prefers the `domains/`
copy); then the top-level folder order domains, foundations, core, maps,
entities, agents, inbox, others; then the path in byte order. A choice not
settled by "same folder" is reported as ambiguous.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Iterable, Literal


Method = Literal["self", "path", "exact", "md-suffix", "case", "normalised", "basename"]

SIMILAR = 82
"""The least `rapidfuzz.fuzz.ratio` (0–100) between an unresolved target and a title it suggests."""
MEMO_MAX = 20_000
"""Memoised resolutions kept per resolver (cleared when full): most repeats are a folder's notes
naming the same few targets, which come back at once."""
TOP_FOLDER_ORDER = ("domains", "foundations", "core", "maps", "entities", "agents", "inbox")
_QUOTES = re.compile(r"['\u2018\u2019\u201c\u201d\"`]")
_PUNCT = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=200_000)
def normalise_title(text: str) -> str:
    """The comparison form of a title (see the module doc, step 4)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _QUOTES.sub("", text)
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def path_stem(path: str) -> str:
    """`PurePosixPath(path).stem`, without making a path object for a plain vault-relative path
    (building a resolver over the 20× vault spent 1 s of its 1.6 s there, before any worker starts)."""
    if "//" in path or "/." in path or path.startswith(".") or path.endswith("/"):
        return PurePosixPath(path).stem
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


@dataclass(frozen=True)
class Resolution:
    """Where a link target leads, and how it got there."""

    target: str
    path: str | None
    method: Method | None = None
    candidates: tuple[str, ...] = ()
    ambiguous: bool = False
    unsafe: bool = False

    @property
    def resolved(self) -> bool:
        return self.path is not None


@dataclass(frozen=True)
class Suggestion:
    """The nearest existing title for an unresolved target."""

    title: str
    path: str
    reason: Literal["prefix", "similar"]
    score: float


class LinkResolver:
    """Resolves `[[targets]]` against the titles of a set of vault paths."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._by_stem: dict[str, list[str]] = defaultdict(list)
        self._by_fold: dict[str, list[str]] = defaultdict(list)
        self._by_norm: dict[str, list[str]] = defaultdict(list)
        self._by_path: dict[str, str] = {}
        for path in sorted(paths):
            stem = path_stem(path)
            self._by_stem[stem].append(path)
            self._by_fold[stem.casefold()].append(path)
            self._by_norm[normalise_title(stem)].append(path)
            self._by_path[path[:-3].casefold() if path.endswith(".md") else path.casefold()] = path
        self._sorted_norms = sorted(self._by_norm)
        self._suggest_cache: dict[str, Suggestion | None] = {}
        self._resolve_cache: dict[tuple[str, str], Resolution] = {}
        self._words: dict[str, tuple[list[int], list[str]]] | None = None
        """Word → (lengths, titles holding it, by length): the blocking index of the suggestions."""

    def extended(self, paths: Iterable[str]) -> "LinkResolver":
        """A resolver over this one's paths plus `paths`, as if built from all of them.

        Cheaper than building anew when a few files join a large vault (a proposal's new
        notes over the base tree): the tables are copied shallowly and only the lists the new
        paths go into are copied (copy on write), so this resolver is never changed.
        """
        other = LinkResolver(())
        other._by_stem = defaultdict(list, self._by_stem)
        other._by_fold = defaultdict(list, self._by_fold)
        other._by_norm = defaultdict(list, self._by_norm)
        other._by_path = dict(self._by_path)
        other._sorted_norms = self._sorted_norms
        norms_copied = False
        for path in sorted(set(paths)):
            stem = path_stem(path)
            if path in other._by_stem.get(stem, ()):
                continue  # known already
            norm = normalise_title(stem)
            for table, key in ((other._by_stem, stem), (other._by_fold, stem.casefold()), (other._by_norm, norm)):
                entries = list(table.get(key, ()))
                bisect.insort(entries, path)
                table[key] = entries
            if len(other._by_norm[norm]) == 1:  # a new normalised title
                if not norms_copied:
                    other._sorted_norms, norms_copied = list(other._sorted_norms), True
                bisect.insort(other._sorted_norms, norm)
            key = path[:-3].casefold() if path.endswith(".md") else path.casefold()
            if key not in other._by_path or other._by_path[key] < path:
                other._by_path[key] = path  # the later path in sorted order wins, as in __init__
        return other

    def titles(self) -> dict[str, list[str]]:
        """Title → every path carrying it."""
        return self._by_stem

    def duplicates(self) -> dict[str, list[str]]:
        """Titles carried by more than one file."""
        return {stem: paths for stem, paths in self._by_stem.items() if len(paths) > 1}

    def forget_memo(self) -> None:
        """Drop the memoised resolutions (a process done with a batch of notes keeps its memory flat)."""
        self._resolve_cache.clear()

    def resolve(self, target: str, from_path: str = "") -> Resolution:
        """Resolve `target` as linked from the note at `from_path` (memoised per folder, at most
        `MEMO_MAX` answers: a pass over a large vault keeps a flat memory)."""
        key = (target, _parent(from_path))
        found = self._resolve_cache.get(key)
        if found is None:
            found = self._resolve(target, from_path)
            if len(self._resolve_cache) >= MEMO_MAX:
                self._resolve_cache.clear()
            self._resolve_cache[key] = found
        return found

    def _resolve(self, target: str, from_path: str) -> Resolution:
        target = target.strip()
        if not target:
            return Resolution(target, None)
        if target.startswith("#"):  # [[#Heading]]: a section of the linking note itself
            return Resolution(target, from_path or None, "self", (from_path,) if from_path else ())
        if _unsafe(target):
            return Resolution(target, None, unsafe=True)
        if "/" in target:
            key = target.removeprefix("./").casefold()
            key = key[:-3] if key.endswith(".md") else key
            if key in self._by_path:
                return Resolution(target, self._by_path[key], "path", (self._by_path[key],))
            found = self._by_title(PurePosixPath(target).name, from_path)
            if found.resolved:
                return Resolution(target, found.path, "basename", found.candidates, found.ambiguous)
            return Resolution(target, None)
        return self._by_title(target, from_path)

    def _by_title(self, title: str, from_path: str) -> Resolution:
        candidates = self._by_stem.get(title)
        if candidates:
            return _chosen(title, candidates, "exact", from_path)
        stem = title[:-3] if title.lower().endswith(".md") else title
        for method, table, key in (("md-suffix", self._by_stem, stem), ("case", self._by_fold, stem.casefold())):
            candidates = table.get(key)
            if candidates:
                return _chosen(title, candidates, method, from_path)
        candidates = self._by_norm.get(normalise_title(stem))  # worked out only for a title no table above has
        if candidates:
            return _chosen(title, candidates, "normalised", from_path)
        return Resolution(title, None)

    def suggest(self, target: str) -> Suggestion | None:
        """The title an unresolved `target` most likely meant, if any."""
        if target not in self._suggest_cache:
            self._suggest_cache[target] = self._suggest(target)
        return self._suggest_cache[target]

    def _suggest(self, target: str) -> Suggestion | None:
        norm = normalise_title(PurePosixPath(target).name if "/" in target else target)
        if not norm:
            return None
        completions = self.completions(norm)
        if len(completions) == 1:
            path = self._by_norm[completions[0]][0]
            return Suggestion(PurePosixPath(path).stem, path, "prefix", 100.0)
        from rapidfuzz import fuzz, process  # only a broken link asks: kept off every command's start-up

        match = process.extractOne(norm, self._fuzzy_candidates(norm), scorer=fuzz.ratio, score_cutoff=SIMILAR)
        if match is None:
            return None
        path = self._by_norm[match[0]][0]
        return Suggestion(PurePosixPath(path).stem, path, "similar", round(match[1], 1))

    def _fuzzy_candidates(self, norm: str) -> list[str]:
        """Titles sharing one of the target's rarest words (blocking), in title order, of a length that can
        reach `SIMILAR` with the target's.

        A title within ratio 82 of the target shares most of its words, so the blocking loses next to
        nothing and keeps suggestions fast at 25k titles. The length window loses nothing at all
        (`_lengths_within`), and leaves a quarter of the titles to score at 20×.
        """
        if len(self._sorted_norms) <= 2_000:
            return self._sorted_norms
        if self._words is None:
            words: dict[str, list[str]] = defaultdict(list)
            for title in self._sorted_norms:
                for word in set(title.split(" ")):
                    words[word].append(title)
            self._words = {word: _by_length(titles) for word, titles in words.items()}
        by_word = self._words
        ranked = sorted(set(norm.split(" ")), key=lambda w: len(by_word[w][0]) if w in by_word else 0)
        shortest, longest = _lengths_within(len(norm))
        found: dict[str, None] = {}
        for word in [w for w in ranked if w in by_word][:3]:
            lengths, titles = by_word[word]
            found.update(dict.fromkeys(sorted(titles[bisect.bisect_left(lengths, shortest):
                                                     bisect.bisect_right(lengths, longest)])))
        return list(found)

    def completions(self, norm: str) -> list[str]:
        """Normalised titles that start with `norm` (a truncated link), for targets of 4+ words."""
        if len(norm.split(" ")) < 4:
            return []
        norms = self._sorted_norms
        found = []
        for index in range(bisect.bisect_left(norms, norm), len(norms)):
            candidate = norms[index]
            if not candidate.startswith(norm):
                break
            if candidate != norm:
                found.append(candidate)
        return found


def _by_length(titles: list[str]) -> tuple[list[int], list[str]]:
    """`titles` ordered by length (then as they were), with their lengths: a window of lengths is a slice."""
    ordered = sorted(titles, key=len)
    return [len(title) for title in ordered], ordered


def _lengths_within(length: int, cutoff: int = SIMILAR) -> tuple[int, int]:
    """The lengths a title needs for `fuzz.ratio` with a target of `length` characters to reach `cutoff`.

    The ratio is 200 × LCS / (sum of the lengths), and the longest common subsequence is at most the
    shorter length: a title of n characters reaches `cutoff` only if 200 × min(n, length) ≥ cutoff ×
    (n + length), that is between ⌈cutoff × length / (200 − cutoff)⌉ and ⌊(200 − cutoff) × length / cutoff⌋
    (bounds in integers, so rounding cannot drop a title that reaches it)."""
    return -(-cutoff * length // (200 - cutoff)), (200 - cutoff) * length // cutoff


def _chosen(title: str, candidates: list[str], method: Method, from_path: str) -> Resolution:
    path, ambiguous = choose(candidates, from_path)
    return Resolution(title, path, method, tuple(candidates), ambiguous)


def _unsafe(target: str) -> bool:
    """A `..` segment or an absolute path: never followed."""
    if ".." not in target and not target.startswith(("/", "\\")) and target[1:2] != ":":
        return False  # none of the three can hold (the patterns below are the definition)
    return ".." in re.split(r"[\\/]", target) or target.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:[\\/]", target))


def choose(candidates: list[str], from_path: str) -> tuple[str, bool]:
    """Apply the ambiguity rule; return the chosen path and whether it was ambiguous."""
    if len(candidates) == 1:
        return candidates[0], False
    folder = _parent(from_path)
    same_folder = [c for c in candidates if _parent(c) == folder]
    if len(same_folder) == 1:
        return same_folder[0], False
    ranked = sorted(candidates, key=lambda c: _rank(c, from_path))
    return ranked[0], True


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _rank(candidate: str, from_path: str) -> tuple[int, int, str]:
    shared = 0
    for a, b in zip(_parent(candidate).split("/"), _parent(from_path).split("/")):
        if a != b:
            break
        shared += 1
    top = candidate.split("/", 1)[0]
    order = TOP_FOLDER_ORDER.index(top) if top in TOP_FOLDER_ORDER else len(TOP_FOLDER_ORDER)
    return (-shared, order, candidate)
