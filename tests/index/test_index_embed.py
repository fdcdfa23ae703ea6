"""`embed()`'s fast tokens and per-text mean equal the bundled model's own tokenizer and pooling;
the model read straight from the wordllama package folder is wordllama's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teleo.index.embed import EmbeddingUnavailable, embed, load_model, _pieces
from teleo.index.records import parse_record

try:
    MODEL = load_model()
except EmbeddingUnavailable:  # pragma: no cover - the wheel ships the model
    MODEL = None
pytestmark = pytest.mark.skipif(MODEL is None, reason="embedding model unavailable")


def _wordllama():
    """The model as wordllama itself loads it (offline, from its package folder): the reference."""
    import os

    import wordllama
    from wordllama import WordLlama

    return WordLlama.load(cache_dir=os.path.dirname(wordllama.__file__), disable_download=True)


REFERENCE = _wordllama() if MODEL is not None else None


def _reference_ids(texts: list[str]) -> list[list[int]]:
    """The model tokenizer's ids, one text at a time (no batch, no padding)."""
    return [MODEL.tokenizer.encode(text, add_special_tokens=False).ids for text in texts]


def _reference_vectors(texts: list[str]) -> np.ndarray:
    vectors = np.asarray(REFERENCE.embed(texts, norm=False), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_fast_path_is_on() -> None:
    assert _pieces(MODEL).usable


EDGES = ["a", " ", "  ", "a ", "a  b", " a", "x  ", "héllo wörld ✓ 🙂 中文", "<s> x", "</s>", "tab\tx", "▁x ▁▁y",
         "a\u2581", "\u2581", "", "line\nbreak  x", "a.b,c;d", "don't — “quoted” … end", "x" * 300, "a" + " " * 9 + "b"]


def test_edge_cases_tokenize_as_the_tokenizer_does() -> None:
    pieces = _pieces(MODEL)
    pieces.cache.clear()
    assert pieces.ids(EDGES) == _reference_ids(EDGES)
    assert pieces.ids(EDGES) == _reference_ids(EDGES)  # from the cache


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=st.one_of(st.sampled_from(list("ab ▁<>s/.é🙂\n\t-'")), st.characters(blacklist_categories=("Cs",))), max_size=40), min_size=1, max_size=8))
def test_generated_texts_tokenize_as_the_tokenizer_does(texts: list[str]) -> None:
    assert _pieces(MODEL).ids(texts) == _reference_ids(texts)


def test_the_pieces_remembered_are_bounded_and_the_ids_the_same_after_forgetting(monkeypatch) -> None:
    pieces = _pieces(MODEL)
    pieces.cache.clear()
    monkeypatch.setattr(pieces, "CACHE_LIMIT", 20)
    first = [" ".join(f"word{i}x{j}" for j in range(10)) for i in range(5)]
    assert pieces.ids(first) == _reference_ids(first) and len(pieces.cache) >= 50
    second = ["another few words, all of them new here"]
    assert pieces.ids(second) == _reference_ids(second)
    assert len(pieces.cache) < 20  # over the limit: forgotten, then this call's pieces learnt
    assert pieces.ids(first) == _reference_ids(first)


def test_vectors_equal_the_models(corpus: Path) -> None:
    paths = sorted(p for p in corpus.rglob("*.md") if ".teleo" not in p.parts)[:400]
    texts = [r.embed_text for r in (parse_record(str(p.relative_to(corpus)), p.read_bytes()) for p in paths) if r.embed_text]
    _pieces(MODEL).cache.clear()
    assert _pieces(MODEL).ids(texts) == _reference_ids(texts)
    got = embed(texts)
    assert np.allclose(got, _reference_vectors(texts), atol=1e-6)


def test_the_models_own_tokenizer_keeps_its_settings() -> None:
    padding, truncation = MODEL.tokenizer.padding, MODEL.tokenizer.truncation
    embed(["one text", "another, longer text"])
    assert (MODEL.tokenizer.padding, MODEL.tokenizer.truncation) == (padding, truncation)


def test_the_model_is_wordllamas_own() -> None:
    """The same table, bit for bit, and the same tokens as `WordLlama.load` gives."""
    assert MODEL.embedding.dtype == REFERENCE.embedding.dtype == np.float32
    assert np.array_equal(MODEL.embedding, REFERENCE.embedding)
    texts = EDGES + ["Futarchy is manipulation-resistant because attack attempts create profitable opportunities"]
    ours = [e.ids for e in MODEL.tokenizer.encode_batch(texts, add_special_tokens=False)]
    theirs = [[i for i, real in zip(e.ids, e.attention_mask) if real] for e in REFERENCE.tokenize(texts)]
    assert ours == theirs


def test_loading_the_model_does_not_import_wordllama() -> None:
    """Its import pulls requests and its clustering modules; the files are all the index needs."""
    code = "import sys; from teleo.index.embed import load_model; load_model(); print('wordllama' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
