"""Sentence splitting of markdown sources, with spans back into the original text; the embedder."""

from __future__ import annotations

import numpy as np

from teleo.extract.dedupe import Matcher, embedding_text, nearest
from teleo.contract.request import SimilarClaim
from teleo.extract.sentences import embed, embedder, split_sentences

MARKDOWN = """\
---
type: source
title: "ignored"
---

# The heading is context, not a sentence

author: someone
URL: https://example.org/a

First **bold** claim links [a report](https://example.org/r) and [[a wiki note|an alias]].
It continues on a second line. Dr. Smith agrees with e.g. the 3.5% figure.

- A list item stands alone https://example.org/x.
* Another item with `code` and <em>html</em> &amp; an entity[^1].

> A quoted paragraph is prose too.

```
code blocks are skipped. Entirely.
```

| tables | are skipped |
|---|---|
"""


def test_sentences_map_back_to_the_original():
    segmented = split_sentences(MARKDOWN)
    texts = [s.text for s in segmented.sentences]
    assert texts == [
        "First bold claim links a report and an alias.",
        "It continues on a second line.",
        "Dr. Smith agrees with e.g. the 3.5% figure.",
        "A list item stands alone.",
        "Another item with code and html & an entity.",
        "A quoted paragraph is prose too.",
    ]
    for sentence in segmented.sentences:
        assert MARKDOWN[sentence.start:sentence.end] == sentence.verbatim
    first = segmented.sentences[0]
    assert first.verbatim == "First **bold** claim links [a report](https://example.org/r) and [[a wiki note|an alias]]."
    assert segmented.block_of(first).heading == "The heading is context, not a sentence"
    assert [b.kind for b in segmented.blocks] == ["paragraph", "item", "item", "quote"]
    before, after = segmented.neighbours(segmented.sentences[1])
    assert before is first and after is segmented.sentences[2]
    assert segmented.neighbours(segmented.sentences[3]) == (None, None)


def test_empty_and_markup_only_text():
    assert split_sentences("").sentences == []
    assert split_sentences("# Title\n\n---\n\n| a | b |\n").sentences == []


def test_repeated_sentences_get_their_own_spans():
    text = "Markets clear. Markets clear. Markets clear."
    spans = [(s.start, s.end) for s in split_sentences(text).sentences]
    assert spans == [(0, 14), (15, 29), (30, 44)]


def test_embedder_is_cached_and_offline():
    assert embedder() is embedder()
    vectors = embed(["futarchy lets markets decide", "", "prediction markets govern DAOs"])
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-5)


def test_nearest_and_slugs():
    assert embedding_text("house-mode-betting-addresses-cold-start") == "house mode betting addresses cold start"
    assert embedding_text("already  spaced-out title") == "already spaced-out title"
    claims = [
        SimilarClaim(title="solar-panels-get-cheaper-every-year", path="a.md"),
        SimilarClaim(title="futarchy lets prediction markets decide governance", path="b.md"),
    ]
    best, score = nearest("Futarchy lets prediction markets decide governance.", claims)
    assert best is claims[1] and score > 0.9
    assert nearest("anything", []) is None
    assert Matcher([]).scores(embed(["x y z"])).shape == (1, 0)
