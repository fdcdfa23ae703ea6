"""Offline sentence embeddings from the model that ships inside the `wordllama` wheel.

The model is a static token embedding table averaged over the tokens (256-d): the
table (`weights/l2_supercat_256.safetensors`, float16 on disk, float32 in memory) and
the Llama-2 tokenizer (`tokenizers/l2_supercat_tokenizer_config.json`) in the
`wordllama` package folder. They are read from there directly, as `WordLlama.load(...,
disable_download=True)` reads them, without importing `wordllama` itself (its import
pulls `requests` and its clustering and splitting modules: about half of its 0.4 s of
CPU to load, which every cold `teleo index` and hybrid search paid). Nothing here ever
reaches the network. Loaded once per process, and only when something needs a vector;
then thousands of texts per second.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MODEL_ID = "wordllama-0.4.0.post1/l2_supercat_256"
"""Stored in the index; vectors from another model are recomputed."""
DIM = 256
WEIGHTS = ("weights", "l2_supercat_256.safetensors")
TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
TENSOR = "embedding.weight"
"""Where the bundled model lies in the `wordllama` package folder (wordllama's own `l2_supercat`
config at dim 256), and the table's name in its safetensors file."""

_lock = threading.Lock()


class EmbeddingUnavailable(Exception):
    """The bundled model cannot be loaded (package missing or damaged)."""


@dataclass(frozen=True)
class Model:
    """The bundled model: its token table (vocabulary × `DIM`, float32) and its tokenizer."""

    embedding: "np.ndarray"
    tokenizer: Any
    """A `tokenizers.Tokenizer`, without truncation."""


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The bundled model, loaded offline once per process."""
    with _lock:
        try:
            model = _load()
        except Exception as exc:  # the package or a file missing or damaged
            raise EmbeddingUnavailable(f"the bundled embedding model could not be loaded: {exc}") from None
    _pieces(model)  # its checks of the vocabulary made once, before a build forks its workers
    return model


def _load() -> Model:
    import importlib.util
    import os

    import numpy as np
    from safetensors import safe_open
    from tokenizers import Tokenizer

    spec = importlib.util.find_spec("wordllama")  # its folder, without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the wordllama package is not installed")
    folder = list(spec.submodule_search_locations)[0]
    tokenizer = Tokenizer.from_file(os.path.join(folder, *TOKENIZER))
    tokenizer.no_truncation()
    with safe_open(os.path.join(folder, *WEIGHTS), framework="np", device="cpu") as weights:
        table = weights.get_tensor(TENSOR)
    if table.ndim != 2 or table.shape[1] != DIM:
        raise ValueError(f"unexpected embedding table of shape {table.shape}")
    return Model(np.ascontiguousarray(table.astype(np.float32)), tokenizer)


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
    dtype = pieces.dtype
    for row, ids in enumerate(pieces.id_bytes([t if t.strip() else " " for t in texts])):
        if ids:
            index = np.frombuffer(ids, dtype=dtype).astype(np.intp)
            np.clip(index, 0, last, out=index)
            vectors[row] = table[index].sum(axis=0, dtype=np.float32) / np.float32(len(index))
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
    The model's own tokenizer is used; any batch padding is dropped by the
    attention mask.
    """

    CACHE_LIMIT = 100_000
    """Pieces remembered (then forgotten all at once). A piece's ids are kept as bytes (2 per
    id), ~100 bytes a piece: the 20× vault's 2.1 million pieces are 21,555 distinct ones, 2 MiB."""
    NORMALIZER = {
        "type": "Sequence",
        "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        ],
    }

    def __init__(self, tokenizer) -> None:
        import json
        import re

        import numpy as np

        self.tokenizer = tokenizer
        self.cache: dict[str, bytes] = {}
        """Piece → its ids as bytes of `dtype`."""
        self.dtype = np.dtype(np.uint16 if tokenizer.get_vocab_size() <= 1 << 16 else np.int32)
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
        """Each text's token ids."""
        import numpy as np

        return [np.frombuffer(found, dtype=self.dtype).tolist() for found in self.id_bytes(texts)]

    def id_bytes(self, texts: list[str]) -> list[bytes]:
        """Each text's token ids as bytes of `dtype` (joined from the pieces' without a list of ints)."""
        if not self.usable:
            return self._plain(texts)
        found: list[bytes | None] = [None] * len(texts)
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
        join = b"".join
        for i, pieces in split.items():
            found[i] = join(map(lookup, pieces))
        return found  # type: ignore[return-value]

    def _learn(self, pieces: list[str], cache: dict[str, bytes], group: int = 2000) -> None:
        """Tokenize `pieces` into the cache: a group of pieces is one text (the pieces are
        independent), and each token goes to the piece its start offset falls in."""
        import numpy as np

        spaces = [piece for piece in pieces if piece.endswith("\u2581")]  # all `▁`: would merge with a next piece
        lone_space = np.array([self.space_id], dtype=self.dtype).tobytes()
        for piece, ids in zip(spaces, self._plain([piece[1:] for piece in spaces])):
            cache[piece] = ids or lone_space  # "" tokenizes to nothing, a lone `▁` to itself
        pieces = [piece for piece in pieces if not piece.endswith("\u2581")]
        groups = [pieces[i : i + group] for i in range(0, len(pieces), group)]
        texts = ["".join(chunk)[1:] for chunk in groups]
        width = self.dtype.itemsize
        for chunk, encoding in zip(groups, self.tokenizer.encode_batch(texts, add_special_tokens=False)):
            real = np.array(encoding.attention_mask, dtype=bool)  # the batch's padding is not ours
            ids = np.array(encoding.ids, dtype=self.dtype)[real].tobytes()
            starts = np.cumsum([len(piece) for piece in chunk]) - 1  # raw offset where piece k+1 starts
            token_starts = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)[real, 0]
            owner = np.searchsorted(starts, token_starts, side="right")  # the piece each token belongs to
            ends = (np.cumsum(np.bincount(owner, minlength=len(chunk))) * width).tolist()
            begin = 0
            for piece, end in zip(chunk, ends):
                cache[piece] = ids[begin:end]
                begin = end

    def _plain(self, texts: list[str]) -> list[bytes]:
        """The tokenizer's own ids (as bytes of `dtype`), without the batch's padding."""
        import numpy as np

        if not texts:
            return []
        return [
            np.array(encoding.ids, dtype=self.dtype)[np.array(encoding.attention_mask, dtype=bool)].tobytes()
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
