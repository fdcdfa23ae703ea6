"""The shipped word-readings table says what the live `lemminflect` lexicon says, and steps aside when it cannot."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from teleo.gates import lexicon


def test_the_table_answers_as_the_live_lexicon_for_every_word() -> None:
    table = lexicon._table()
    assert table is not None, "the shipped table does not match the installed lemminflect: python scripts/word_readings.py"
    words = [w for w in lexicon.lexicon_words() if w == w.lower()]
    assert len(words) > 10_000
    differ = [w for w in words if lexicon.readings(w) != lexicon.live_readings(w)]
    assert differ == []
    past = [w for w in words if lexicon.readings(w) & {"VBD", "VBN"}]
    assert [w for w in past if lexicon.verb_lemmas(w) != lexicon.live_verb_lemmas(w)] == []
    for unknown in ("blorfingly", "qzxv", ""):
        assert lexicon.readings(unknown) == lexicon.live_readings(unknown) == lexicon.UNKNOWN


def test_a_table_of_another_lemminflect_version_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "word-readings.txt.gz"
    stale.write_bytes(gzip.compress(b"# lemminflect 0.0.1\ndesign\tADJ\n"))
    monkeypatch.setattr(lexicon, "TABLE", stale)
    lexicon._table.cache_clear()
    lexicon.readings.cache_clear()
    try:
        assert lexicon._table() is None
        assert lexicon.readings("design") == lexicon.live_readings("design") != frozenset({"ADJ"})
    finally:
        lexicon._table.cache_clear()
        lexicon.readings.cache_clear()


def test_a_missing_table_falls_back_to_the_live_lexicon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexicon, "TABLE", tmp_path / "absent.txt.gz")
    lexicon._table.cache_clear()
    lexicon.readings.cache_clear()
    try:
        assert lexicon.readings("increased") == lexicon.live_readings("increased")
    finally:
        lexicon._table.cache_clear()
        lexicon.readings.cache_clear()


def test_judging_titles_does_not_load_lemminflect() -> None:
    """The point of the table: a process judging claims skips the lexicon's ~0.35 s load (and numpy)."""
    code = ("import sys; from teleo.gates.quality import judge_title; "
            "judge_title('Design a grants product'); judge_title('Prediction markets increased liquidity'); "
            "print('lemminflect' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
