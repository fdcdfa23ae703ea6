"""Each English word's possible parts of speech, from the `lemminflect` lexicon, read fast.

The claim-quality rubric asks of a few words per title what they can be (`readings`): a verb's base
form, an inflection (VBZ, VBD, VBN, VBG), a noun, an adjective… `lemminflect` answers from its lemma
and inflection tables, but loading them (and the numpy its import pulls in) costs ~0.35 s in every
process that judges a claim — a cold `teleo lint` pays it before its parallel pass can start.

So the answers for every word the lexicon knows are computed once, by `python scripts/word_readings.py`
(maintainers, when the pinned `lemminflect` changes), and shipped as `data/word-readings.txt.gz`:
one line per word, `word<TAB>tags[<TAB>verb lemmas]` (verb lemmas only for past forms, which the
participle rule needs). The table names the `lemminflect` version it was made from; when the installed
one differs — or the table is missing — the live lexicon answers, so a table can be stale only in
speed, never in what the rubric says. A test checks the table against the live lexicon word by word.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "word-readings.txt.gz"
UNKNOWN = frozenset({"UNK"})
_HEADER = "# lemminflect "


@functools.cache
def _lemminflect():
    """The `lemminflect` module (its tables load on first use; ~0.35 s with numpy)."""
    import lemminflect

    return lemminflect


def live_readings(word: str) -> frozenset[str]:
    """What lower-case `word` can be, asked of `lemminflect` itself (see `readings`)."""
    lexicon = _lemminflect()
    lemmas = lexicon.getAllLemmas(word)
    if not lemmas:
        return UNKNOWN
    out = {pos for pos in ("NOUN", "ADJ", "ADV", "PROPN") if pos in lemmas}
    for lemma in (*lemmas.get("VERB", ()), *lemmas.get("AUX", ())):
        if word == lemma:
            out.add("VB")
        elif word.endswith("ing"):
            out.add("VBG")
        elif word in lexicon.getInflection(lemma, "VBZ"):
            out.add("VBZ")
        else:
            if word in lexicon.getInflection(lemma, "VBD"):
                out.add("VBD")
            if word in lexicon.getInflection(lemma, "VBN"):
                out.add("VBN")
    return frozenset(out or {"OTHER"})


def live_verb_lemmas(word: str) -> tuple[str, ...]:
    return tuple(_lemminflect().getAllLemmas(word).get("VERB", ()))


def installed_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lemminflect")
    except PackageNotFoundError:
        return None


@functools.cache
def _table() -> tuple[dict[str, frozenset[str]], dict[str, tuple[str, ...]]] | None:
    """(readings, past forms' verb lemmas) from the shipped table, or None when it cannot stand in."""
    try:
        with gzip.open(TABLE, "rt", encoding="utf-8") as handle:
            header = handle.readline().rstrip("\n")
            if not header.startswith(_HEADER) or header[len(_HEADER):] != installed_version():
                return None
            text = handle.read()
    except OSError:
        return None
    tag_sets: dict[str, frozenset[str]] = {}
    readings: dict[str, frozenset[str]] = {}
    lemmas: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        word, tags, *verbs = line.split("\t")
        found = tag_sets.get(tags)
        if found is None:
            found = tag_sets[tags] = frozenset(tags.split(","))
        readings[word] = found
        if verbs:
            lemmas[word] = tuple(verbs[0].split(","))
    return readings, lemmas


@functools.lru_cache(maxsize=1 << 16)
def readings(word: str) -> frozenset[str]:
    """What lower-case `word` can be: Penn verb tags (VB base, VBZ, VBD, VBN, VBG), NOUN, ADJ, ADV, or UNK.

    From the `lemminflect` lexicon: the word's possible lemmas by part of speech, and for each verb
    lemma which inflection the word is. A word the lexicon does not know reads as `UNK`.
    """
    table = _table()
    if table is None:
        return live_readings(word)
    return table[0].get(word, UNKNOWN)


def verb_lemmas(word: str) -> tuple[str, ...]:
    """The verb lemmas of a past form (`readings` has VBD or VBN); () for any other word."""
    table = _table()
    if table is None:
        return live_verb_lemmas(word)
    return table[1].get(word, ())


def lexicon_words() -> list[str]:
    """Every word `lemminflect` gives lemmas for (its lookup table and its overrides), sorted."""
    lemmatizer = _lemminflect().Lemmatizer()
    return sorted(set(lemmatizer._getLemmaDict()) | set(lemmatizer._getOverridesDict()))


def write_table(path: Path = TABLE) -> int:
    """Write the table from the live lexicon (atomically); the number of words written."""
    from teleo.notes.edit import atomic_write_bytes

    lines = [f"{_HEADER}{installed_version()}"]
    for word in lexicon_words():
        if word != word.lower() or "\t" in word or "\n" in word:
            continue  # `readings` is asked of lower-case words only
        tags = live_readings(word)
        line = f"{word}\t{','.join(sorted(tags))}"
        if tags & {"VBD", "VBN"} and (verbs := live_verb_lemmas(word)):
            line += "\t" + ",".join(verbs)
        lines.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))
    return len(lines) - 1
