"""Dedupe: a candidate too similar to an existing claim becomes an enrichment of it.

`nearest(text, candidates)` embeds `text` and each existing claim (its title,
and its title followed by its description) with the bundled `wordllama` model
and returns the closest claim with its cosine similarity — the larger of the
two cosines, so a claim whose short title hides its substance is still
matched through its description. `Matcher` does the same for many texts
against one list of claims, embedding the claims once.

**Thresholds** (cosine of unit-length wordllama vectors; calibrated on the
teleo-codex corpus: 452 claims, 58 processed sources whose `claims_extracted` resolve — reproduce with
`python bench/extract_quality.py --calibrate`):

- `DUPLICATE_THRESHOLD = 0.65`. Scored against the most similar claim of
  its domain that was *not* extracted from it, a source sentence reaches
  0.65 for 0.14 % of sentences (about 8 of 5 601; p99 0.565, p99.9 0.658),
  and those few are true restatements (e.g. "Unnatural narratives damage
  audience trust" against the claim
  `unnatural-brand-creator-narratives-damage-audience-trust-…`, 0.81). The
  best sentence of a source against a claim that *was* extracted from it
  reaches 0.65 for 43 % of those claims (median 0.62): the sentence the claim
  was written from. Between claim titles (427 distinct; nearest-neighbour
  p95 0.63, p99 0.74), the pairs at ≥ 0.70 read as the same proposition
  worded twice, the pairs at 0.60–0.64 as related claims, not copies.
  Verbatim sentences carry more words than a title, so their cosine to the
  same proposition runs lower; 0.65 sits just under the title-to-title line.
- `RELATED_THRESHOLD = 0.55`: above it (and below the duplicate line) the
  claim is proposed as a `related` link. 1.3 % of sentences reach it against
  unrelated claims of their domain; 70 % of extracted claims reach it from
  their own source's best sentence.

Slug-style titles (`words-joined-by-hyphens`) are embedded with spaces: the
cosine of a slug to its own spaced form is only 0.68–0.73 (two corpus titles
tried), about the duplicate line itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from teleo.contract.request import SimilarClaim
from teleo.extract.sentences import embed

if TYPE_CHECKING:
    import numpy as np

DUPLICATE_THRESHOLD = 0.65
"""At or above: the candidate restates the existing claim → an enrichment, not a new file."""
RELATED_THRESHOLD = 0.55
"""At or above (and below DUPLICATE_THRESHOLD): the existing claim is proposed as a related link."""


def embedding_text(text: str) -> str:
    """What is embedded for `text`: slugs de-hyphenated, whitespace collapsed."""
    text = " ".join(text.split())
    if " " not in text and ("-" in text or "_" in text):
        text = text.replace("-", " ").replace("_", " ")
    return text


def claim_texts(claim: SimilarClaim) -> tuple[str, str]:
    """(title, title + description) of an existing claim, as embedded."""
    title = embedding_text(claim.title)
    description = " ".join(claim.description.split())
    return title, f"{title}. {description}" if description else title


class Matcher:
    """Existing claims, embedded once; `scores` and `nearest` for any number of texts."""

    def __init__(self, candidates: list[SimilarClaim]) -> None:
        self.candidates = list(candidates)
        texts = [t for claim in self.candidates for t in claim_texts(claim)]
        vectors = embed(texts)
        self._titles = vectors[0::2]
        self._full = vectors[1::2]

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Similarity of each row of `vectors` (unit length) to each claim: rows × claims."""
        import numpy as np

        if not self.candidates or len(vectors) == 0:
            return np.zeros((len(vectors), len(self.candidates)), dtype=np.float32)
        return np.maximum(vectors @ self._titles.T, vectors @ self._full.T)

    def nearest(self, text: str) -> tuple[SimilarClaim, float] | None:
        if not self.candidates:
            return None
        row = self.scores(embed([embedding_text(text)]))[0]
        best = int(row.argmax())  # first of equals: deterministic
        return self.candidates[best], float(row[best])


def nearest(text: str, candidates: list[SimilarClaim]) -> tuple[SimilarClaim, float] | None:
    """The existing claim closest to `text` and its similarity (None when there are no candidates)."""
    return Matcher(candidates).nearest(text)


def is_duplicate(score: float) -> bool:
    return score >= DUPLICATE_THRESHOLD


def earlier_duplicates(titles: list[str]) -> list[int | None]:
    """For each title, the index of an earlier title it restates (cosine ≥ DUPLICATE_THRESHOLD, or
    the same words), else None. Without the embedding model, only the same words count."""
    keys = [" ".join(embedding_text(t).casefold().split()).rstrip(".") for t in titles]
    found: list[int | None] = []
    for index, key in enumerate(keys):
        found.append(keys.index(key) if keys.index(key) < index else None)
    try:
        vectors = embed([embedding_text(t) for t in titles])
    except Exception:  # noqa: BLE001 - no embedding model: exact titles only
        return found
    scores = vectors @ vectors.T
    for index in range(len(titles)):
        if found[index] is None and index:
            best = int(scores[index, :index].argmax())
            if scores[index, best] >= DUPLICATE_THRESHOLD:
                found[index] = best
    return found
