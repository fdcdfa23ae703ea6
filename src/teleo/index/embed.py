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


def model_loaded() -> bool:
    """Whether the model is already in memory (embedding is then nearly free)."""
    return load_model.cache_info().currsize > 0


def embed(texts: list[str]) -> "np.ndarray":
    """Unit-length float32 vectors, one row per text (a zero row for a text with no tokens)."""
    import numpy as np

    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = load_model()
    vectors = np.asarray(model.embed([t if t.strip() else " " for t in texts], norm=False), dtype=np.float32)
    vectors = np.nan_to_num(vectors, copy=False)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors
