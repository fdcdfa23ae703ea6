"""Offline sentence embeddings from the model that ships inside the `wordllama` wheel.

`wordllama` 0.4.0.post1 downloads from a hub unless it is pointed at its own
package folder with `disable_download=True`; that is what `load_model` does,
so nothing here ever reaches the network. The model is a static token
embedding table averaged over the tokens (256-d, float32): about 0.5 s to
import and load, then thousands of texts per second. It is loaded once per
process, and only when something needs a vector.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from itertools import chain
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MODEL_ID = "wordllama-0.4.0.post1/l2_supercat_256"
"""Stored in the index; vectors from another model are recomputed."""
DIM = 256

_lock = threading.Lock()


class EmbeddingUnavailable(Exception):
    """The bundled model cannot be loaded (package missing or damaged)."""


@lru_cache(maxsize=1)
def load_model():  # -> wordllama WordLlamaInference
    """The bundled wordllama model, loaded offline once per process."""
    with _lock:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            import os

            with _deferred("requests"):  # wordllama's, for downloads, which an offline load never makes (~90 ms CPU)
                import wordllama
                from wordllama import WordLlama

            folder = os.path.dirname(wordllama.__file__)
            model = WordLlama.load(cache_dir=folder, disable_download=True)
        except Exception as exc:  # ImportError, missing weights, a download attempt refused
            raise EmbeddingUnavailable(f"the bundled embedding model could not be loaded: {exc}") from None
        finally:
            # wordllama calls logging.basicConfig(level=INFO) on import; undo it for our callers.
            root.handlers[:] = handlers
            root.setLevel(level)
    return model


class _Deferred:
    """Stands in `sys.modules` for a module while another is imported: the importer binds it, and
    the real module is loaded on the first attribute asked of it (if ever)."""

    def __init__(self, name: str) -> None:
        self.__name__ = name
        self.__spec__ = None  # what the import system asks of a module found in sys.modules

    def __getattr__(self, attr: str):
        import importlib
        import sys

        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)


@contextmanager
def _deferred(name: str):
    """While inside, `import name` (not yet imported) binds a `_Deferred` stand-in instead of loading it."""
    import sys

    if name in sys.modules:
        yield
        return
    stand_in = sys.modules[name] = _Deferred(name)
    try:
        yield
    finally:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]


def model_loaded() -> bool:
    """Whether the model is already in memory (embedding is then nearly free)."""
    return load_model.cache_info().currsize > 0


def embed(texts: list[str]) -> "np.ndarray":
    """Unit-length float32 vectors, one row per text (a zero row for a text with no tokens).

    The model's vector is the mean of its token embeddings. Tokens come from
    `_Pieces` (the same ids as the model's tokenizer, much faster); the mean is
    taken per text rather than over a zero-padded batch (the same values).
    """
    import numpy as np

    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = load_model()
    table = model.embedding
    pieces = _pieces(model)
    vectors = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    last = table.shape[0] - 1
    for row, ids in enumerate(pieces.ids([t if t.strip() else " " for t in texts])):
        if ids:
            index = np.array(ids, dtype=np.intp)
            np.clip(index, 0, last, out=index)
            vectors[row] = table[index].sum(axis=0, dtype=np.float32) / np.float32(len(ids))
    vectors = np.nan_to_num(vectors, copy=False)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors


# -- tokens, fast -------------------------------------------------------------------------------------


class _Pieces:
    """The model tokenizer's ids for many texts, each distinct piece tokenized once.

    The tokenizer (Llama-style BPE) has no pre-tokenizer: it prepends `▁`, turns
    spaces into `▁` and runs BPE over the whole text, which is slow on long
    texts. No vocabulary token has `▁` after another character, so no merge ever
    joins a symbol ending in another character with one starting with `▁`
    (checked when the model loads, with the normalizer and the absence of a
    pre-tokenizer and of truncation; otherwise, or when a text contains a special
    token's text, the tokenizer itself is used). So a text splits before every
    `▁` that follows another character into pieces tokenized independently —
    the same ids — and most pieces (words) repeat, so a cache answers them.
    The model's own tokenizer is used; its batch padding is dropped by the
    attention mask.
    """

    CACHE_LIMIT = 200_000
    NORMALIZER = {
        "type": "Sequence",
        "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        ],
    }

    def __init__(self, tokenizer) -> None:
        import json
        import re

        self.tokenizer = tokenizer
        self.cache: dict[str, list[int]] = {}
        self.specials = [token.content for token in tokenizer.get_added_tokens_decoder().values()]
        vocab = tokenizer.get_vocab()
        self.space_id = vocab.get("\u2581")
        self.usable = (
            type(tokenizer.model).__name__ == "BPE" and not getattr(tokenizer.model, "dropout", None)
            and tokenizer.pre_tokenizer is None and tokenizer.truncation is None
            and tokenizer.normalizer is not None
            and json.loads(tokenizer.normalizer.__getstate__()) == self.NORMALIZER
            and self.space_id is not None
            and not any(_joins_a_space(token) for token in vocab)
        )
        self.split = re.compile("\u2581+[^\u2581]*").findall

    def ids(self, texts: list[str]) -> list[list[int]]:
        if not self.usable:
            return self._plain(texts)
        found: list[list[int] | None] = [None] * len(texts)
        plain = [i for i, text in enumerate(texts) if not text or any(s in text for s in self.specials)]
        for i, ids in zip(plain, self._plain([texts[i] for i in plain])):
            found[i] = ids
        split = {i: self.split("\u2581" + text.replace(" ", "\u2581")) for i, text in enumerate(texts) if found[i] is None}
        cache = self.cache
        if len(cache) > self.CACHE_LIMIT:
            cache = self.cache = {}  # a new dict: a call running on another thread keeps its own
        missing = list({piece for pieces in split.values() for piece in pieces if piece not in cache})
        self._learn(missing, cache)
        lookup = cache.__getitem__
        for i, pieces in split.items():
            found[i] = list(chain.from_iterable(map(lookup, pieces)))
        return found  # type: ignore[return-value]

    def _learn(self, pieces: list[str], cache: dict[str, list[int]], group: int = 2000) -> None:
        """Tokenize `pieces` into the cache: a group of pieces is one text (the pieces are
        independent), and each token goes to the piece its start offset falls in."""
        import numpy as np

        spaces = [piece for piece in pieces if piece.endswith("\u2581")]  # all `▁`: would merge with a next piece
        for piece, ids in zip(spaces, self._plain([piece[1:] for piece in spaces])):
            cache[piece] = ids if ids else [self.space_id]  # "" tokenizes to nothing, a lone `▁` to itself
        pieces = [piece for piece in pieces if not piece.endswith("\u2581")]
        groups = [pieces[i : i + group] for i in range(0, len(pieces), group)]
        texts = ["".join(chunk)[1:] for chunk in groups]
        for chunk, encoding in zip(groups, self.tokenizer.encode_batch(texts, add_special_tokens=False)):
            real = np.array(encoding.attention_mask, dtype=bool)  # the batch's padding is not ours
            ids = np.array(encoding.ids, dtype=np.int64)[real].tolist()
            starts = np.cumsum([len(piece) for piece in chunk]) - 1  # raw offset where piece k+1 starts
            token_starts = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)[real, 0]
            owner = np.searchsorted(starts, token_starts, side="right")  # the piece each token belongs to
            ends = np.cumsum(np.bincount(owner, minlength=len(chunk))).tolist()
            begin = 0
            for piece, end in zip(chunk, ends):
                cache[piece] = ids[begin:end]
                begin = end

    def _plain(self, texts: list[str]) -> list[list[int]]:
        """The tokenizer's own ids, without the batch's padding."""
        if not texts:
            return []
        return [
            [token for token, real in zip(encoding.ids, encoding.attention_mask) if real]
            for encoding in self.tokenizer.encode_batch(texts, add_special_tokens=False)
        ]


def _joins_a_space(token: str) -> bool:
    """A token with `▁` after another character: a merge across a piece boundary."""
    index = token.find("\u2581", 1)
    while index > 0:
        if token[index - 1] != "\u2581":
            return True
        index = token.find("\u2581", index + 1)
    return False


_PIECES: dict[int, _Pieces] = {}


def _pieces(model) -> _Pieces:
    """One `_Pieces` per loaded model."""
    found = _PIECES.get(id(model))
    if found is None:
        with _lock:
            found = _PIECES[id(model)] = _Pieces(model.tokenizer)
    return found
