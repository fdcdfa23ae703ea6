"""A source longer than the model's budget, split into overlapping chunks — never truncated.

`split_source(text, budget, overlap)` returns one `Chunk` when the text fits in `budget`
tokens, else the chunks `semantic-text-splitter`'s `MarkdownSplitter` makes: each within the
budget, split at the largest markdown unit that fits (section, paragraph, list, then
sentence, word), neighbours sharing up to `overlap` tokens so that a claim whose evidence
straddles a boundary is seen whole by at least one call. Every character of the text lies in
some chunk (whitespace at chunk edges aside); the chunks' spans are offsets into `text`.

Tokens are counted with OpenAI's `cl100k_base` encoding (`bpe-openai`: its tables ship in the
wheel, nothing is downloaded): exact for GPT-4-class models, an approximation for others, whose
tokenizers count the same text somewhat differently — the budget is a size to keep each call
well inside the context window, not a hard limit. A text whose UTF-8 size is within the budget
is never tokenized (a byte-level BPE token covers at least one byte), so short sources do not
load the encoding at all.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

TOKENIZER = "cl100k_base"
TOKENIZER_LABEL = "cl100k_base (bpe-openai, offline): exact for GPT-4-class models, approximate for other models"


@dataclass(frozen=True)
class Chunk:
    """One part of a source: `text == source[start:end]`."""

    number: int
    """1-based."""
    count: int
    start: int
    end: int
    text: str
    tokens: int | None = None
    """Its cl100k size when it was counted (None: the source fitted without counting)."""


@functools.lru_cache(maxsize=1)
def _encoding():
    import warnings

    with warnings.catch_warnings():  # bpe-openai 0.1.4 reads its tables with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai

        return bpe_openai.get_encoding(TOKENIZER)


def count_tokens(text: str) -> int:
    """`text`'s size in `cl100k_base` tokens."""
    return len(_encoding().encode(text)) if text else 0


def split_source(text: str, budget: int, overlap: int = 0) -> list[Chunk]:
    """`text` in chunks of at most `budget` tokens, sharing up to `overlap` tokens (see the module doc)."""
    if budget <= 0 or len(text.encode("utf-8")) <= budget:
        return [Chunk(1, 1, 0, len(text), text)]
    size = count_tokens(text)
    if size <= budget:
        return [Chunk(1, 1, 0, len(text), text, size)]
    from semantic_text_splitter import MarkdownSplitter

    overlap = max(0, min(overlap, budget // 2))
    splitter = MarkdownSplitter.from_callback(count_tokens, budget, overlap=overlap)
    pieces = [(start, piece) for start, piece in splitter.chunk_indices(text) if piece.strip()]
    return [Chunk(number, len(pieces), start, start + len(piece), piece, count_tokens(piece))
            for number, (start, piece) in enumerate(pieces, 1)]
