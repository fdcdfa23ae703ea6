"""The offline extractor: honest, verbatim, grounded candidates with no LLM.

`extract_offline(request)` returns an `ExtractionResult` through the same
contract as the LLM providers, so the whole pipeline runs anywhere. It cannot
rewrite a sentence into a crisp proposition; it selects the sentences of the
source most likely to carry one and hands them on, marked as machine
candidates, `confidence: speculative`.

1. **Sentences.** `teleo.extract.sentences.split_sentences` reads the
   markdown (headings, code, tables, metadata lines skipped) and maps each
   sentence to its verbatim span in the source.
2. **Score.** For each sentence:

   - *centrality* — cosine of its bundled-`wordllama` embedding to the
     document centroid (mean of the sentences' vectors), weight `W_CENTRAL`,
     plus its cosine to the source title, weight `W_TITLE`;
   - *claim cues* — a causal, comparative or consequential connective
     (because, than, leads to, drives, enables, reduces, requires, rather
     than, …), a contrast of the "X, not Y" / "not X but Y" shape, a label
     the source gives it ("Key finding:", "Core argument:"), a modal (will,
     should, can, must, …), an evaluative word (critical, largest,
     structural, …), a number, and a finite verb (the proposition test of
     the claim gates);
   - *penalties* — first- and second-person chatter, a pronoun start that
     needs the previous sentence, a trailing colon or exclamation, too short
     or too long; questions, boilerplate ("Published in", "Click here",
     "Subscribe", cookie, copyright and figure-caption lines), citation-only
     lines, mostly non-letters, fewer than `MIN_WORDS` or more than
     `MAX_WORDS` words are rejected outright.

   A sentence is *eligible* when it carries at least one cue and its score
   is at least `SCORE_FLOOR`. No eligible sentence → a null result whose
   notes say so.
3. **Group** near-duplicates: in score order, a sentence whose cosine to an
   already kept one exceeds `GROUP_THRESHOLD` joins that group and is dropped.
4. **Emit** up to `request.max_claims` items (claims and enrichments
   together). The title is the sentence cleaned (`clean_title`); the
   description names the source and adds the following sentence of the
   paragraph (else the list's lead-in, the next or previous sentence of the
   section, or the section's heading); the body quotes the paragraph and says
   it is a machine candidate; the evidence is the verbatim sentence. Existing
   claims at `dedupe.RELATED_THRESHOLD` or more become `related` links. A
   candidate whose similarity to one of `request.similar` reaches
   `dedupe.DUPLICATE_THRESHOLD` becomes an enrichment of that claim instead —
   `confirm`, or `challenge` when exactly one of the two carries a negation
   or refutation cue (not, never, fails, myth, contrary, …): a sentence that
   negates what the claim asserts, or asserts what it negates. One enrichment
   per existing claim; the paragraph is its evidence, the sentence its quote.

The weights are hand-set and were checked with `bench/extract_quality.py` on
the same corpus (there is no held-out split): they favour recall of what
people extracted over brevity, and they are heuristics, not a model.

Deterministic: the same request gives the same result (ties break on source order).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from teleo.extract.contract import (
    MAX_TITLE_CHARS,
    ClaimDraft,
    EnrichmentDraft,
    ExtractionResult,
    Quote,
    RelatedNote,
    SourceUpdate,
)
from teleo.extract.dedupe import DUPLICATE_THRESHOLD, RELATED_THRESHOLD, Matcher, embedding_text
from teleo.extract.request import ExtractionRequest
from teleo.extract.sentences import Segmented, Sentence, embed, split_sentences
from teleo.gates.rules.claims import title_words, verb_signal

# -- weights and thresholds --------------------------------------------------------

W_CENTRAL = 2.0
"""Weight of the cosine to the document centroid (typically 0.3–0.8)."""
W_TITLE = 1.0
"""Weight of the cosine to the source's title."""
SCORE_FLOOR = 1.4
"""Minimum score of an eligible sentence: a central sentence with a verb and one cue clears it; chatter does not."""
GROUP_THRESHOLD = 0.85
"""Cosine above which two sentences are near-duplicates; only the better of a group is kept."""
MIN_WORDS = 6
MAX_WORDS = 80
TITLE_TARGET_CHARS = 180
"""Titles longer than this are cut at a clause boundary."""
MAX_SOURCE_CHARS = 400_000
"""Only this much of a very long source is read (sentence splitting costs ~1 s per 100 kB)."""
PARAGRAPH_CHARS = 1_200
"""The paragraph quoted in a body or enrichment is cut to a window of this size around the sentence."""
MACHINE_NOTE = "*Machine candidate (offline extractor): verbatim from the source; needs review before it is trusted.*"
EXTRACTOR_ID = "teleo-offline"

# -- cues --------------------------------------------------------------------------

_CONNECTIVES = re.compile(
    r"\b(?:because|since|therefore|thus|hence|so that|leads? to|led to|leading to|results? in|resulting in|"
    r"due to|driven by|drives?|driving|enables?|enabling|allows?|reduces?|reducing|increases?|increasing|"
    r"decreases?|requires?|requiring|causes?|caused by|creates?|produces?|prevents?|depends? on|determines?|"
    r"explains?|means? that|implies|suggests?|shows? that|demonstrates?|proves?|predicts?|outperforms?|"
    r"undermines?|accelerates?|compounds?|erodes?|captures?|fails? to|succeeds?|becomes?|rather than|"
    r"instead of|than|whereas|unless|only if|in order to|makes? it|turns? into|converts?|shifts?|replaces?|"
    r"transforms?|correlates? with|contributes? to|is driven|are driven|as a result)\b",
    re.IGNORECASE,
)
_MODALS = re.compile(r"\b(?:will|would|can|could|should|must|may|might|cannot|can't|won't|need to|needs to)\b", re.IGNORECASE)
_EVALUATIVE = re.compile(
    r"\b(?:key|critical|crucial|essential|fundamental|important|significant|significantly|best|worst|better|"
    r"worse|largest|biggest|smallest|most|least|primary|main|central|structural|structurally|dominant|"
    r"necessary|sufficient|effective|ineffective|efficient|inefficient|superior|inferior|unique|novel|"
    r"first|stronger|weaker|faster|slower|cheaper)\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(
    r"(?:,|\u2014|\u2013| -) not (?!only\b|just\b|yet\b|all\b|always\b|necessarily\b)|\bnot (?:\w+ ){1,6}but\b|"
    r"\brather than\b|\binstead of\b|\bmore than\b|\bless than\b|\b\w+er than\b|[<>]",
    re.IGNORECASE,
)
"""A claim's favourite shape: "X, not Y", "not X but Y", "X rather than Y", comparisons."""
_CLAIM_LABEL = re.compile(
    r"^\W*(?:(?:new|key|core|main|central|candidate|proposed)\s+)?(?:claim|argument|thesis|finding|insight|"
    r"interpretation|implication|takeaway|conclusion|lesson|mechanism|prediction|hypothesis)s?\W*(?::|\u2014|-)\s",
    re.IGNORECASE,
)
"""The source itself labels the sentence as a claim ("Key finding: …", "Core argument: …")."""
_NUMBER = re.compile(r"\d|\b(?:percent|million|billion|trillion|half|double|triple|twice)\b", re.IGNORECASE)

_BOILERPLATE = re.compile(
    r"\b(?:published (?:in|on|by)|click here|subscribe|sign up|sign in|log in|newsletter|all rights reserved|"
    r"cookies?|privacy policy|terms of (?:service|use)|follow us|share this|read more|read the full|"
    r"download the|listen to|watch the|originally (?:published|appeared)|copyright|\u00a9|photo by|image by|"
    r"image credit|courtesy of|advertisement|sponsored|min read|open in app|retrieved from|accessed on|"
    r"doi\.org|this article was|this post was|thanks for reading|leave a comment|get the app|"
    r"click to view|view image|full size|the (?:image|chart|graph|figure|diagram|table) (?:is|shows|above|below)|"
    r"(?:chart|graph|figure|image) titled|the [xy]-axis|(?:figure|fig\.|exhibit|chart|table) \d+ shows)\b",
    re.IGNORECASE,
)
_CITATION = re.compile(
    r"^\W*(?:[A-Z][\w'\-]+,\s+(?:[A-Z]\.\s*)+|[A-Z][\w'\-]+\s+et al\.?|[A-Z][\w'\-]+ and [A-Z][\w'\-]+)"
    r"[^.]{0,40}\(?\b(?:1[89]|20)\d\d\b"
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|mine|we|we're|we've|we'll|our|ours|us)\b|\bI\u2019", re.IGNORECASE)
_FIRST_PERSON_STRICT = re.compile(r"(?:^|\W)(?:I|I'm|I've|I'd|I'll|I\u2019m|I\u2019ve)(?:\W|$)")
_SECOND_PERSON = re.compile(r"\b(?:you|your|you're|yours)\b", re.IGNORECASE)
_PRONOUN_START = re.compile(r"^(?:this|that|these|those|it|they|he|she|his|her|their|its|such)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_][\w'\u2019\-]*")

# -- titles ------------------------------------------------------------------------

_LEADING = re.compile(
    r"^(?:however|but|and|or|so|thus|therefore|hence|moreover|furthermore|additionally|also|indeed|in fact|"
    r"still|yet|ultimately|overall|in short|in other words|that said|importantly|crucially|notably|"
    r"basically|essentially|of course|as a result|consequently|instead|meanwhile|finally|first(?:ly)?|"
    r"second(?:ly)?|third(?:ly)?|then|now|again|plus|similarly|likewise|in contrast|by contrast|"
    r"on the other hand|at the same time|in particular|for example|for instance|in summary|to be sure|"
    r"clearly|obviously|interestingly|surprisingly|critically|put simply|simply put|in practice|"
    r"this means(?: that)?|that means(?: that)?|which means(?: that)?|it follows that|the point is(?: that)?|"
    r"the result is(?: that)?|the upshot is(?: that)?|the bottom line is(?: that)?|"
    r"the (?:key|main|core|central) (?:point|insight|finding|argument|claim) is(?: that)?)\b[,:]?\s+",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^([^\s:][^:]{0,40}):\s+")
"""A leading `Label: ` (`Key finding: …`, `Why this matters: …`)."""
_CLAUSE_BREAKS = ("; ", " \u2014 ", " \u2013 ", " - ", ": ", ", because ", ", which ", ", while ", ", but ",
                  ", and ", ", so ", ", as ", ", ")
_FUNCTION_WORDS = frozenset(
    "a an the this that these those it its in on at to for from by with of as if when while where there here "
    "they their we our you your he she his her i what why how which who some many most more few all any each "
    "every no not one two three four five several both either neither such another other once after before "
    "since because although though despite unlike like over under between among without within into unless "
    "until instead rather only even just also still yet so but and or nor then thus".split()
)
_DOUBLE_QUOTES = dict.fromkeys(map(ord, "\"\u201c\u201d\u201e\u201f\u00ab\u00bb"), None)
_APOSTROPHES = dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032"), "'")

# -- enrichment type ---------------------------------------------------------------

_NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|cannot|can't|won't|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|"
    r"fails?|failed|failing|unlikely|myth|overstated|overrated|wrong|false|contrary|refutes?|refuted|"
    r"contradicts?|disproves?|debunks?)\b|n['\u2019]t\b",
    re.IGNORECASE,
)


def enrichment_type(sentence: str, target_title: str) -> str:
    """`challenge` when exactly one of the two carries a negation or refutation cue, else `confirm`.

    Deliberately simple: "X does not cause Y" against the claim "X causes Y" is
    a challenge; "X does not cause Y" against "X does not cause Y" confirms it.
    Contrast inside one sentence ("however", "unlike") is not counted: it
    usually contrasts with the previous sentence of the source, not with the claim.
    """
    return "challenge" if bool(_NEGATION.search(sentence)) != bool(_NEGATION.search(target_title)) else "confirm"


# -- scoring -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    score: float
    cues: float
    central: float
    rejected: str = ""
    """Why the sentence can never be a candidate ("" when it can)."""


def _cue_score(text: str) -> float:
    score = 0.0
    connectives = len(_CONNECTIVES.findall(text))
    if connectives:
        score += 1.0 + 0.5 * (connectives > 1)
    if _CONTRAST.search(text):
        score += 0.5
    if _CLAIM_LABEL.search(text):
        score += 0.8
    if _MODALS.search(text):
        score += 0.4
    if _EVALUATIVE.search(text):
        score += 0.3
    if _NUMBER.search(text):
        score += 0.3
    if verb_signal(title_words(text)) is not None:
        score += 0.5
    return score


def _reject_reason(sentence: Sentence, words: list[str]) -> str:
    text = sentence.text
    if len(words) < MIN_WORDS:
        return "too short"
    if len(words) > MAX_WORDS or len(sentence.verbatim) > 2000:
        return "too long"
    if text.rstrip(" \"'\u201d)").endswith("?"):
        return "question"
    if _BOILERPLATE.search(text):
        return "boilerplate"
    if _CITATION.search(text) and len(words) < 40:
        return "citation"
    letters = sum(ch.isalpha() for ch in text)
    visible = sum(not ch.isspace() for ch in text)
    if visible == 0 or letters / visible < 0.6:
        return "not prose"
    return ""


def _penalty(text: str, words: list[str]) -> float:
    penalty = 0.0
    if _FIRST_PERSON_STRICT.search(text):
        penalty += 0.8
    elif _FIRST_PERSON.search(text):
        penalty += 0.4
    if _SECOND_PERSON.search(text):
        penalty += 0.3
    if _PRONOUN_START.match(text):
        penalty += 0.3
    stripped = text.rstrip()
    if stripped.endswith(":"):
        penalty += 0.8
    if stripped.endswith("!"):
        penalty += 0.3
    if len(words) < 9:
        penalty += 0.3
    if len(words) > 45:
        penalty += 0.4
    return penalty


def score_sentences(segmented: Segmented, source_title: str):
    """(scored sentences in source order, their unit vectors)."""
    import numpy as np

    sentences = segmented.sentences
    vectors = embed([s.text for s in sentences])
    words = [_WORD.findall(s.text) for s in sentences]
    usable = [i for i, w in enumerate(words) if len(w) >= 4]
    if usable:
        centroid = vectors[usable].mean(axis=0)
        norm = float(np.linalg.norm(centroid))
        centroid = centroid / norm if norm > 0 else centroid
    else:
        centroid = np.zeros(vectors.shape[1] if vectors.ndim == 2 else 1, dtype=np.float32)
    central = vectors @ centroid if len(sentences) else np.zeros(0)
    title_vec = embed([embedding_text(source_title)])[0] if source_title.strip() else None
    to_title = vectors @ title_vec if title_vec is not None and len(sentences) else np.zeros(len(sentences))
    scored = []
    for i, sentence in enumerate(sentences):
        reason = _reject_reason(sentence, words[i])
        cues = _cue_score(sentence.text)
        score = (
            W_CENTRAL * float(central[i]) + W_TITLE * float(to_title[i]) + cues - _penalty(sentence.text, words[i])
        )
        scored.append(Scored(sentence, round(score, 6), cues, float(central[i]), reason))
    return scored, vectors


# -- titles ------------------------------------------------------------------------


def _lower_first(text: str, source_text: str) -> str:
    """Lower-case the first word unless it is `I`, an acronym, mixed case, or a proper noun.

    A capitalised word counts as a proper noun when the source also has it
    capitalised in mid-sentence ("… by Putnam", "… on Ethereum").
    """
    match = re.match(r"[^\W\d_]+", text)
    if not match:
        return text
    word = match.group()
    if word == "I" or not word[0].isupper():
        return text
    if len(word) > 1 and any(ch.isupper() for ch in word[1:]):
        return text  # acronym (AI, DAO) or mixed case (MetaDAO)
    lower = word.lower()
    if lower not in _FUNCTION_WORDS and re.search(rf"[a-z0-9,;][ \t]+{re.escape(word)}\b", source_text):
        return text
    return lower + text[len(word):]


def _cut(title: str, limit: int = TITLE_TARGET_CHARS) -> str:
    if len(title) <= limit:
        return title
    head = title[: limit + 1]
    for mark in _CLAUSE_BREAKS:
        at = head.rfind(mark)
        if at >= 60:
            return title[:at]
    at = head.rfind(" ")
    return title[: at if at >= 60 else limit]


def _join_path(match: re.Match) -> str:
    """`a/b` → `a-b`; `../../etc/passwd` → `etc-passwd` (segments without a letter or digit go)."""
    parts = [part for part in re.split(r"[/\\]+", match.group()) if re.search(r"[^\W_]", part)]
    return "-".join(parts)


def clean_title(text: str, source_text: str = "") -> str | None:
    """A safe claim title from a plain sentence, or None when too little is left.

    Leading connectives and labels go, as do double quotes, markdown and link
    brackets, path separators, control characters and trailing punctuation;
    the first letter is lower-cased unless the word is an acronym or a proper
    noun (capitalised wherever it occurs in the source); a title over 180
    characters is cut at a clause boundary.
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    text = " ".join(text.translate(_DOUBLE_QUOTES).translate(_APOSTROPHES).split())
    for _ in range(4):
        stripped = text
        label = _LABEL.match(stripped)
        if label and len(label.group(1).split()) <= 4:
            rest = stripped[label.end():]
            if len(rest.split()) >= MIN_WORDS and verb_signal(title_words(rest)) is not None:
                stripped = rest
        stripped = _LEADING.sub("", stripped, count=1)
        if stripped == text or len(stripped.split()) < 3:
            break
        text = stripped
    text = re.sub(r"</?[A-Za-z][^<>]{0,200}>", " ", text)
    text = re.sub(r"\[\[|\]\]|[\[\]{}<>|*?`#^~]", " ", text)
    text = re.sub(r"\S*[/\\]\S*", _join_path, text)
    text = re.sub(r"\.{2,}|\u2026", " ", text)
    text = re.sub(r"\s*:\s+", " \u2014 ", text)
    text = text.replace(":", " ")
    text = " ".join(text.split())
    text = re.sub(r"^[^\w$\u20ac\u00a3]+", "", text)
    text = re.sub(r"[\s.,;:!?\u2014\u2013-]+$", "", text)
    text = _lower_first(text, source_text)
    text = _balance_parentheses(_cut(text))
    text = re.sub(r"[\s.,;:!?\u2014\u2013-]+$", "", text)
    text = " ".join(text.split())
    if len(text) < 10 or len(text.split()) < 4 or len(text) > MAX_TITLE_CHARS:
        return None
    return text


def _balance_parentheses(text: str) -> str:
    """Drop an aside that the cut left open: `x causes y (in mice, rats` → `x causes y`."""
    if text.count("(") > text.count(")"):
        text = text[: text.rfind("(")]
    return text


# -- text around a sentence ---------------------------------------------------------


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.replace("[[", "[").replace("]]", "]").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "\u2026"


def _paragraph(segmented: Segmented, sentence: Sentence) -> str:
    """The plain paragraph around `sentence`, cut to a window of PARAGRAPH_CHARS around it."""
    block = segmented.block_of(sentence).text
    if len(block) <= PARAGRAPH_CHARS:
        return block
    at = block.find(sentence.text)
    at = max(at, 0)
    start = max(0, min(at - (PARAGRAPH_CHARS - len(sentence.text)) // 2, len(block) - PARAGRAPH_CHARS))
    window = block[start:start + PARAGRAPH_CHARS]
    return ("\u2026" if start else "") + window + ("\u2026" if start + PARAGRAPH_CHARS < len(block) else "")


def _safe_markdown(text: str) -> str:
    return text.replace("[[", "[").replace("]]", "]").replace("<", "&lt;").replace(">", "&gt;")


def _lead_in(segmented: Segmented, sentence: Sentence) -> Sentence | None:
    """For a list item: the last sentence of the paragraph introducing its list (same section)."""
    block = segmented.block_of(sentence)
    index = block.index - 1
    while index >= 0 and segmented.blocks[index].kind == "item" and block.index - index <= 30:
        index -= 1
    if index < 0 or segmented.blocks[index].kind == "item" or segmented.blocks[index].heading != block.heading:
        return None
    inside = [s for s in segmented.sentences[: sentence.index] if s.block == index]
    return inside[-1] if inside else None


def _context(segmented: Segmented, sentence: Sentence) -> str:
    """What the description adds: the following sentence, or the sentence's context."""
    block = segmented.block_of(sentence)
    sentences = segmented.sentences

    def usable(other: Sentence | None) -> bool:
        return (
            other is not None
            and len(other.text.split()) >= 4
            and segmented.block_of(other).heading == block.heading
            and not _BOILERPLATE.search(other.text)
            and not _FIRST_PERSON_STRICT.search(other.text)
        )

    before, after = segmented.neighbours(sentence)
    if usable(after):
        return after.text  # type: ignore[union-attr]
    if block.kind == "item":
        lead = _lead_in(segmented, sentence)
        if usable(lead):
            return f"listed under \u201c{lead.text}\u201d"  # type: ignore[union-attr]
    following = sentences[sentence.index + 1] if sentence.index + 1 < len(sentences) else None
    if usable(following):
        return f"followed by \u201c{following.text}\u201d"  # type: ignore[union-attr]
    preceding = before or (sentences[sentence.index - 1] if sentence.index else None)
    if usable(preceding):
        return f"following \u201c{preceding.text}\u201d"  # type: ignore[union-attr]
    if block.heading:
        return f"section \u201c{block.heading}\u201d"
    return f"sentence {sentence.index + 1} of {len(sentences)}, quoted verbatim"


def _description(segmented: Segmented, sentence: Sentence, source_name: str) -> str:
    head = f"Machine candidate from \u201c{source_name}\u201d: "
    return head + _one_line(_context(segmented, sentence), 400 - len(head))


def _body(paragraph: str) -> str:
    quoted = "> " + _safe_markdown(paragraph)
    return f"{quoted}\n\n{MACHINE_NOTE}\n"


# -- the extractor -----------------------------------------------------------------


def extract_offline(request: ExtractionRequest) -> ExtractionResult:
    """Candidate claims and enrichments for `request.source_text` (see the module doc)."""
    import numpy as np

    text = request.source_text[:MAX_SOURCE_CHARS]
    truncated = len(request.source_text) > MAX_SOURCE_CHARS
    source_name = _one_line(request.source_title or request.source_path.rsplit("/", 1)[-1], 100) or "the source"
    source_name = source_name.translate(_DOUBLE_QUOTES)
    segmented = split_sentences(text)
    if not segmented.sentences:
        return _null(f"the source has no prose sentences to extract from ({len(text)} characters read)")
    scored, vectors = score_sentences(segmented, request.source_title)
    eligible = [s for s in scored if not s.rejected and s.cues > 0 and s.score >= SCORE_FLOOR]
    if not eligible:
        rejected: dict[str, int] = {}
        for s in scored:
            if s.rejected:
                rejected[s.rejected] = rejected.get(s.rejected, 0) + 1
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(rejected.items())) or "none rejected outright"
        best = max((s.score for s in scored if not s.rejected), default=None)
        best_text = f"; best score {best:.2f}" if best is not None else ""
        return _null(
            f"offline extractor: no sentence carried a claim cue above the floor {SCORE_FLOOR} "
            f"({len(scored)} sentences read; rejected: {why}{best_text})"
        )

    eligible.sort(key=lambda s: (-s.score, s.sentence.index))
    matcher = Matcher(request.similar) if request.similar else None
    kept: list[int] = []
    grouped = 0
    claims: list[ClaimDraft] = []
    enrichments: list[EnrichmentDraft] = []
    titles: set[str] = set()
    targets: set[str] = set()
    limit = max(0, min(request.max_claims, 25))  # the contract holds at most 25 of each
    for item in eligible:
        if len(claims) + len(enrichments) >= limit:
            break
        sentence = item.sentence
        vector = vectors[sentence.index]
        if kept and float(np.max(vectors[kept] @ vector)) > GROUP_THRESHOLD:
            grouped += 1
            continue
        title = clean_title(sentence.text, text)
        if title is None or title.casefold() in titles:
            continue
        paragraph = _paragraph(segmented, sentence)
        quote = Quote(text=sentence.verbatim)
        related: list[RelatedNote] = []
        if matcher is not None:
            row = matcher.scores(vector[None, :])[0]
            best = int(row.argmax())
            target = matcher.candidates[best]
            if row[best] >= DUPLICATE_THRESHOLD and len(target.title) <= 300:
                kept.append(sentence.index)
                if target.title in targets:
                    continue
                targets.add(target.title)
                evidence = _safe_markdown(paragraph)
                if len(evidence) < 20:
                    evidence = f"{evidence} (from {source_name})"
                enrichments.append(EnrichmentDraft(
                    target=target.title, type=enrichment_type(sentence.text, target.title),  # type: ignore[arg-type]
                    evidence=evidence[:4000], quote=quote,
                ))
                continue
            for index in np.argsort(-row, kind="stable")[:3]:
                claim = matcher.candidates[int(index)]
                if row[index] >= RELATED_THRESHOLD and len(claim.title) <= 300:
                    related.append(RelatedNote(title=claim.title, relation="related"))
        kept.append(sentence.index)
        titles.add(title.casefold())
        claims.append(ClaimDraft(
            title=title,
            description=_description(segmented, sentence, source_name),
            confidence="speculative",
            body=_body(paragraph),
            evidence=[quote],
            related=related,
        ))
    if not claims and not enrichments:
        return _null(
            f"offline extractor: {len(eligible)} sentences cleared the floor {SCORE_FLOOR} but none made a usable "
            "title (too short once cleaned, or duplicates)"
        )
    facts = [
        _one_line(s.sentence.text, 300)
        for s in eligible
        if re.search(r"\d", s.sentence.text)
    ][:5]
    notes = (
        f"offline extractor ({EXTRACTOR_ID}): {len(scored)} sentences, {len(eligible)} above the floor {SCORE_FLOOR}; "
        f"{grouped} near-duplicates grouped (cosine > {GROUP_THRESHOLD}); {len(claims)} candidate claims, "
        f"{len(enrichments)} enrichments (similarity \u2265 {DUPLICATE_THRESHOLD} to an existing claim). "
        "Titles are source sentences, not rewritten propositions: review before trusting."
    )
    if truncated:
        notes += f" Only the first {MAX_SOURCE_CHARS} characters of the source were read."
    return ExtractionResult(
        claims=claims, enrichments=enrichments, source_update=SourceUpdate(key_facts=facts, notes=notes),
    )


def _null(notes: str) -> ExtractionResult:
    return ExtractionResult(source_update=SourceUpdate(notes=notes[:2000]))
