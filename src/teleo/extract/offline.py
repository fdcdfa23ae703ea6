"""The offline extractor: grounded candidates with no LLM, proposed only when they pass the claim-quality rubric.

`extract_offline(request)` returns an `ExtractionResult` through the same
contract as the LLM providers, so the whole pipeline runs anywhere. It cannot
rewrite a sentence into a crisp proposition; it selects the sentences of the
source most likely to carry one, normalises them lightly, and proposes those
that the rubric (`teleo.gates.quality`) would merge, `confidence: speculative`.
`extract_offline_detailed(request)` also returns every candidate it dropped, with why.

1. **Sentences.** `teleo.extract.sentences.split_sentences` reads the
   markdown (headings, code, tables, metadata lines skipped) and maps each
   sentence to its verbatim span in the source. None → a null result: the
   source is empty after cleaning.
2. **Score.** For each sentence:

   - *centrality* — cosine of its bundled-`wordllama` embedding to the
     document centroid (mean of the sentences' vectors), weight `W_CENTRAL`,
     plus its cosine to the source title, weight `W_TITLE`;
   - *claim cues* — a causal, comparative or consequential connective
     (because, than, leads to, drives, enables, reduces, requires, rather
     than, …), a contrast of the "X, not Y" / "not X but Y" shape, a label
     the source gives it ("Key finding:", "Core argument:"), a modal (will,
     should, can, must, …), an evaluative word (critical, largest,
     structural, …), a number, and a finite verb;
   - *penalties* — first- and second-person chatter, a pronoun start that
     needs the previous sentence, a trailing colon or exclamation, too short
     or too long; questions, boilerplate ("Published in", "Click here",
     "Subscribe", cookie, copyright and figure-caption lines), citation-only
     lines, mostly non-letters, fewer than `MIN_WORDS` or more than
     `MAX_WORDS` words are rejected outright.

   A sentence is a *candidate* when it carries at least one cue and its score
   is at least `SCORE_FLOOR`. None → a null result whose notes say so.
3. **Judge** the candidates best first, until `request.max_claims` items
   (claims and enrichments together) are kept or `MAX_CONSIDERED` were dropped:

   - a near-duplicate (cosine above `GROUP_THRESHOLD`) of a kept candidate is dropped;
   - a candidate whose similarity to one of `request.similar` reaches
     `dedupe.DUPLICATE_THRESHOLD` becomes an enrichment of that claim —
     `confirm`, or `challenge` when exactly one of the two carries a negation
     or refutation cue (not, never, fails, myth, contrary, …). One enrichment
     per existing claim; the paragraph is its evidence, the sentence its quote;
   - otherwise the title is the sentence normalised (`teleo.extract.normalise.make_title`:
     residue, a leading connective or label, a reporting frame and inference markers
     removed; cut only at a clause boundary; nothing added). It must pass
     `judge_title`, not point at text it lacks (`needs_context`) and not tell
     what the source's author did (`reports_the_source`);
   - the description is source text that supports the title (`_judge`): the
     clause the title left out, else a sentence around it — the first that
     makes `judge_claim` find no error. None → the candidate is dropped;
   - the body quotes the paragraph; the evidence is the verbatim sentence;
     existing claims at `dedupe.RELATED_THRESHOLD` or more become `related` links.

   Nothing kept → a null result whose notes list each candidate and why it was
   dropped (`_null_notes`).

The weights are hand-set and were checked with `bench/extract_quality.py` on
the same corpus (there is no held-out split): they favour recall of what
people extracted over brevity, and they are heuristics, not a model.

A `format: data` source (a futardio launch or proposal page) is no prose to mine: its fields
become entity updates and creations (`teleo.extract.data.entities_from_data`), and no claim.

Deterministic: the same request gives the same result (ties break on source order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from teleo.contract.extraction import (
    ClaimDraft,
    EnrichmentDraft,
    ExtractionResult,
    Quote,
    RelatedNote,
    SourceUpdate,
)
from teleo.extract.dedupe import DUPLICATE_THRESHOLD, RELATED_THRESHOLD, Matcher, embedding_text
from teleo.extract.normalise import (
    _DOUBLE_QUOTES,
    MIN_WORDS,
    TitleParts,
    clean_description,
    clean_title,
    is_name,
    make_title,
    rest_as_sentence,
)
from teleo.contract.request import ExtractionRequest
from teleo.extract.sentences import Segmented, Sentence, embed, split_sentences
from teleo.gates.quality import finite_verb, words_of
from teleo.gates.rules.claims import content_words
from teleo.notes.untrusted import inert, inert_line

__all__ = [
    "Considered", "OfflineExtraction", "clean_title", "enrichment_type", "extract_offline", "extract_offline_detailed",
]

# -- weights and thresholds --------------------------------------------------------

W_CENTRAL = 2.0
"""Weight of the cosine to the document centroid (typically 0.3–0.8)."""
W_TITLE = 1.0
"""Weight of the cosine to the source's title."""
SCORE_FLOOR = 1.4
"""Minimum score of an eligible sentence: a central sentence with a verb and one cue clears it; chatter does not."""
GROUP_THRESHOLD = 0.85
"""Cosine above which two sentences are near-duplicates; only the better of a group is kept."""
MAX_WORDS = 80
MAX_SOURCE_CHARS = 400_000
"""Only this much of a very long source is read (sentence splitting costs ~1 s per 100 kB)."""
PARAGRAPH_CHARS = 1_200
"""The paragraph quoted in a body or enrichment is cut to a window of this size around the sentence."""
MACHINE_NOTE = (
    "*Offline extractor: the title and the description are the source's own sentences, lightly normalised "
    "(nothing added); speculative until a reviewer agrees.*"
)
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
    if finite_verb([w.lower() for w in words_of(text)]) is not None:
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


# -- text around a sentence ---------------------------------------------------------


def _one_line(text: str, limit: int) -> str:
    return inert_line(text, limit)


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
    return inert(text)


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


def description_options(segmented: Segmented, sentence: Sentence) -> list[Sentence]:
    """The source sentences that may support `sentence` as its description, nearest first.

    The next sentence of its paragraph (it usually gives the reason or the evidence), the
    previous one, the lead-in of its list, then the sentences just after and before it in the
    same section. Boilerplate, first-person chatter and questions are never descriptions.
    """
    block = segmented.block_of(sentence)
    sentences = segmented.sentences
    before, after = segmented.neighbours(sentence)
    following = sentences[sentence.index + 1] if sentence.index + 1 < len(sentences) else None
    preceding = sentences[sentence.index - 1] if sentence.index else None
    lead = _lead_in(segmented, sentence) if block.kind == "item" else None
    options: list[Sentence] = []
    for other in (after, before, lead, following, preceding):
        if other is None or other.index == sentence.index or other in options:
            continue
        if segmented.block_of(other).heading != block.heading:
            continue
        text = other.text
        if (len(text.split()) < 5 or _BOILERPLATE.search(text) or _FIRST_PERSON_STRICT.search(text)
                or text.rstrip(" \"'\u201d)").endswith("?")):
            continue
        options.append(other)
    return options


SUPPORT_COSINE = 0.15
"""A description that shares no content word with its title must be at least this close to it
(neighbouring sentences of the corpus: median cosine 0.20, random pairs of a source 0.10)."""


def supports(vectors, sentence: Sentence, option: Sentence, title: str) -> bool:
    """`option` is about what `title` says: a shared content word (by its first five letters), or close in meaning."""
    stems = {w[:5] for w in content_words(title) if len(w) > 2}
    if any(w[:5] in stems for w in content_words(option.text) if len(w) > 2):
        return True
    return float(vectors[sentence.index] @ vectors[option.index]) >= SUPPORT_COSINE


def _body(paragraph: str) -> str:
    quoted = "> " + _safe_markdown(paragraph)
    return f"{quoted}\n\n{MACHINE_NOTE}\n"


def _judged_body(title: str, body: str, sentence: Sentence) -> str:
    """The body as the writer renders it (H1, argument, the evidence quote and its citation), for the rubric."""
    quote = "\n".join(f"> {line}".rstrip() for line in sentence.verbatim.splitlines())
    return f"# {title}\n\n{body}\n## Evidence\n\n{quote}\n\n(from [[source]], line 1)\n"


# -- the rubric ----------------------------------------------------------------------


@dataclass(frozen=True)
class Considered:
    """A candidate the offline extractor considered and did not propose."""

    subject: str
    """Its title (or the sentence, when no title could be made of it)."""
    code: str
    """Why, as a key to group by: a `claim-quality` issue code or one of the `DROP_*` codes below."""
    reason: str
    """Why, for people."""


DROP_NO_TITLE = "no-usable-title"
DROP_SAME_TITLE = "same-title"
DROP_NEAR_DUPLICATE = "near-duplicate"
DROP_NEEDS_CONTEXT = "needs-context"
DROP_NO_DESCRIPTION = "no-supporting-description"

DROP_REPORTS_SOURCE = "reports-the-source"

_TIME_NOUNS = r"(?:time|times|half|quarter|year|years|day|days|week|weeks|month|months|decade|decades|century|step|steps|place|instance|stage|phase|wave|round|generation|mover|movers)"
_CONTEXT = re.compile(
    r"\b(?:this|these|those|such(?! as\b)|the former|the latter|the above|the following|aforementioned)\b"
    rf"|\bthe (?:second|third|fourth|fifth|last|other)\b(?!\s+{_TIME_NOUNS}\b)(?!-)"
    r"|\bthe first\b(?=\s*,|\s+(?:group|one|kind|type|category|set|approach|option|case)s?\b)",
    re.IGNORECASE,
)
"""A reference to text outside the title: `these programmes`, `such systems`, `the second group`, `the latter`."""
_GENDERED = re.compile(r"\b(?:he|she|him|her|his|hers|himself|herself)\b", re.IGNORECASE)
_SPEAKER = (
    r"^(?:(?P<name>[A-Z][\w'\u2019.-]*)(?:\s+[A-Z][\w'\u2019.-]*){0,2}"
    r"(?P<group>(?:'s?|\u2019s?)\s+(?:team|group|lab|colleagues|co-?authors|study|paper|report|analysis|review|survey))?"
    r"|(?i:the|our|this|that)\s+(?i:authors?|researchers?|team|speaker|writer|paper|study|report|article|essay|post|book|"
    r"survey|review|analysis|talk|thread|piece|chapter|section|audit))"
    r"(?:,[^,]{1,60},)?\s+(?:also\s+|then\s+|first\s+|finally\s+)?"
)
_SOURCE_VERB = re.compile(
    _SPEAKER + r"(?:reviews?|reviewed|discuss(?:es|ed)?|describes?|described|examines?|examined|surveys?|surveyed|"
    r"compares?|compared|stud(?:y|ies|ied)|follow(?:s|ed)|interview(?:s|ed)|analy[sz]es|analy[sz]ed|gives?|gave|"
    r"divides?|divided|turns?|turned|closes?|closed|opens?|opened|begins?|began|ends?|ended|summari[sz]es|"
    r"summari[sz]ed|outlines?|outlined|explores?|explored|looks?|looked|points? to|pointed to|asks?|asked|"
    r"considers?|considered|presents?|presented|introduces?|introduced|focus(?:es|ed)?|traces?|traced|lists?|"
    r"listed|recounts?|recounted|walks?|walked|covers?|covered|illustrates?|illustrated|revisits?|revisited|"
    r"measures?|measured|tracks?|tracked|collects?|collected|audits?|audited|tests?|tested|ran|runs?|"
    r"draws? on|drew on|relies on|relied on|cites?|cited|quotes?|quoted|mentions?|mentioned|shares?|shared)\b"
)
"""`Raman reviews …`, `Moreau's team followed …`, `The authors traced …`: a sentence about what the
source's author did, not about the world."""


def needs_context(title: str) -> str | None:
    """Why `title` cannot stand alone because it points at text around it, or None.

    Stricter than the rubric on purpose: a sentence lifted from a source often leans on the
    one before it ("these programmes", "such systems", "the second group"), and a personal
    pronoun with no name before it in the title refers to someone the title never names.
    """
    found = _CONTEXT.search(title)
    while found and found.group().lower() == "the other" and re.search(r"\bone\b", title[: found.start()], re.IGNORECASE):
        found = _CONTEXT.search(title, found.end())  # "one layer … the other": the title names both
    if found:
        return f"refers to text outside the title (\u201c{found.group()}\u201d)"
    gendered = _GENDERED.search(title)
    if gendered and not re.search(r"(?:^|\s)[A-Z][a-z]", title[: gendered.start()]):
        return f"\u201c{gendered.group()}\u201d refers to someone the title does not name"
    return None


def reports_the_source(sentence: str, source_text: str = "") -> str | None:
    """Why `sentence` tells what the source's author did rather than what is so, or None.

    The speaker is a person or a work: `the authors`, `the paper`, `Moreau's team`, or a
    proper noun (`is_name`: not just the capitalised first word of the sentence).
    """
    found = _SOURCE_VERB.match(sentence.strip())
    if not found:
        return None
    name = found.group("name")
    if name and not found.group("group") and not is_name(re.sub(r"(?:'s?|\u2019s?)$", "", name), source_text):
        return None
    return f"says what the source does (\u201c{_one_line(found.group(), 60)}\u201d), not what is so"


class Rubric:
    """The claim-quality rubric (`teleo.gates.quality`) as the extractor's filter, or a pass-through."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        if enabled:
            from teleo.gates import quality

            self._quality = quality

    def title_errors(self, title: str) -> list:
        if not self.enabled:
            return []
        return [i for i in self._quality.judge_title(title) if i.severity == "error"]

    def claim_errors(self, title: str, description: str, body: str, source_text: str) -> list:
        if not self.enabled:
            return []
        issues = self._quality.judge_claim(title, description, body, source_text=source_text)
        return [i for i in issues if i.severity == "error"]


def _issue_summary(issue) -> str:
    return f"{issue.code}: {issue.message}"


@dataclass
class _Candidate:
    title: str
    description: str


def _judge(
    rubric: Rubric, segmented: Segmented, vectors, sentence: Sentence, parts: TitleParts, body: str,
) -> _Candidate | Considered:
    """The candidate with the first source text that passes as its description, or why none does.

    Description options, in order: the clause of the same sentence the title left out (`…, and
    that Y`, `…, because Y`), then the sentences around it (`description_options`) — those of
    the same paragraph (the unit of an argument), those of other paragraphs only when they are
    about what the title says (`supports`) — that neither report the source nor lean on text
    the reader does not have.
    """
    title = parts.title
    assert title is not None
    errors = rubric.title_errors(title)
    if errors:
        return Considered(title, errors[0].code, _issue_summary(errors[0]))
    if rubric.enabled:
        context = needs_context(title)
        if context:
            return Considered(title, DROP_NEEDS_CONTEXT, context)
        about = reports_the_source(sentence.text, segmented.text)
        if about:
            return Considered(title, DROP_REPORTS_SOURCE, about)
    judged_body = _judged_body(title, body, sentence)
    failures: list[str] = []
    for description in _descriptions(rubric, segmented, vectors, sentence, parts):
        errors = rubric.claim_errors(title, description, judged_body, segmented.text)
        if not errors:
            return _Candidate(title, description)
        others = [e for e in errors if e.field != "description"]
        if others:
            return Considered(title, others[0].code, _issue_summary(others[0]))
        failures.append(errors[0].code)
    if failures:
        shown = ", ".join(sorted(set(failures)))
        why = f"no source text around it passes the description checks ({len(failures)} tried: {shown})"
    else:
        why = "no sentence around it supports the title on its own"
    return Considered(title, DROP_NO_DESCRIPTION, why)


def _descriptions(rubric: Rubric, segmented: Segmented, vectors, sentence: Sentence, parts: TitleParts):
    """The description options of a candidate, cleaned, best first (see `_judge`)."""
    seen: set[str] = set()
    rest = rest_as_sentence(parts.rest) if parts.rest else None
    texts = [rest] if rest else []
    for option in description_options(segmented, sentence):
        same_paragraph = option.block == sentence.block
        if rubric.enabled and not same_paragraph and not supports(vectors, sentence, option, parts.title or ""):
            continue
        texts.append(option.text)
    for text in texts:
        description = clean_description(text)
        if description is None or description.casefold() in seen:
            continue
        if rubric.enabled and (reports_the_source(description, segmented.text) or _leans_on_context(description)):
            continue
        seen.add(description.casefold())
        yield description


def _leans_on_context(description: str) -> bool:
    """A description naming "the second group" or a "she" it never names leaves the reader without the source."""
    reason = needs_context(description)
    return reason is not None and not re.match(r"refers to text outside the title \(\u201c(?:this|these|those|such)", reason, re.IGNORECASE)


# -- the extractor -----------------------------------------------------------------


@dataclass
class OfflineExtraction:
    """What the offline extractor proposes, and what it considered and dropped."""

    result: ExtractionResult
    dropped: list[Considered]


def extract_offline(request: ExtractionRequest, *, quality_filter: bool = True) -> ExtractionResult:
    """Candidate claims and enrichments for `request.source_text` (see the module doc)."""
    return extract_offline_detailed(request, quality_filter=quality_filter).result


def extract_offline_detailed(request: ExtractionRequest, *, quality_filter: bool = True) -> OfflineExtraction:
    """`extract_offline`, with every candidate considered and dropped and why.

    `quality_filter=False` proposes the best-scoring sentences without judging them (the
    extractor before the rubric existed): for measurements only.
    """
    if request.source_format.strip().casefold() == "data":  # a data page: its fields, mapped onto entities
        from teleo.extract.data import entities_from_data

        return OfflineExtraction(entities_from_data(request), [])
    text = request.source_text[:MAX_SOURCE_CHARS]
    segmented = split_sentences(text)
    if not segmented.sentences:
        shown = "empty" if not text.strip() else f"{len(text.strip())} characters of headings, tables, code or markup"
        return _null(f"offline extractor: the source is empty after cleaning ({shown}; no prose sentence to extract from)")
    scored, vectors = score_sentences(segmented, request.source_title)
    eligible = [s for s in scored if not s.rejected and s.cues > 0 and s.score >= SCORE_FLOOR]
    read = _reading(scored, len(eligible))
    if not eligible:
        return _null(f"offline extractor: no sentence carried a claim cue above the floor {SCORE_FLOOR} ({read})")
    eligible.sort(key=lambda s: (-s.score, s.sentence.index))
    run = _Run(request, segmented, vectors, Rubric(quality_filter))
    for item in eligible:
        if run.full() or len(run.dropped) >= MAX_CONSIDERED:
            break
        run.consider(item.sentence)
    if run.is_null:
        return OfflineExtraction(_null(_null_notes(run, read)).result, run.dropped)
    facts = [_one_line(s.sentence.text, 300) for s in eligible if re.search(r"\d", s.sentence.text)][:5]
    notes = (
        f"offline extractor ({EXTRACTOR_ID}): {read}; {_count(len(run.claims), 'claim')}, "
        f"{_count(len(run.enrichments), 'enrichment')} "
        f"(similarity \u2265 {DUPLICATE_THRESHOLD} to an existing claim)"
    )
    if run.dropped:
        notes += f"; {len(run.dropped)} candidates dropped ({_grouped(run.dropped)})"
    notes += ". Titles and descriptions are the source's sentences, lightly normalised: review before trusting."
    if len(request.source_text) > MAX_SOURCE_CHARS:
        notes += f" Only the first {MAX_SOURCE_CHARS} characters of the source were read."
    result = ExtractionResult(
        claims=run.claims, enrichments=run.enrichments,
        source_update=SourceUpdate(key_facts=facts, notes=notes[:2000]),
    )
    return OfflineExtraction(result, run.dropped)


MAX_CONSIDERED = 60
"""At most this many candidates are judged and dropped per source before the extractor gives up."""


class _Run:
    """One source's candidates, judged in score order."""

    def __init__(self, request: ExtractionRequest, segmented: Segmented, vectors, rubric: Rubric) -> None:
        self.request = request
        self.segmented = segmented
        self.vectors = vectors
        self.rubric = rubric
        self.source_name = (
            _one_line(request.source_title or request.source_path.rsplit("/", 1)[-1], 100) or "the source"
        ).translate(_DOUBLE_QUOTES)
        self.matcher = Matcher(request.similar) if request.similar else None
        self.limit = max(0, min(request.max_claims, 25))  # the contract holds at most 25 of each
        self.kept: list[int] = []
        self.titles: set[str] = set()
        self.targets: set[str] = set()
        self.claims: list[ClaimDraft] = []
        self.enrichments: list[EnrichmentDraft] = []
        self.dropped: list[Considered] = []

    @property
    def is_null(self) -> bool:
        return not self.claims and not self.enrichments

    def full(self) -> bool:
        return len(self.claims) + len(self.enrichments) >= self.limit

    def consider(self, sentence: Sentence) -> None:
        import numpy as np

        vector = self.vectors[sentence.index]
        if self.kept and float(np.max(self.vectors[self.kept] @ vector)) > GROUP_THRESHOLD:
            self._drop(sentence.text, DROP_NEAR_DUPLICATE, f"restates a candidate already kept (cosine > {GROUP_THRESHOLD})")
            return
        related: list[RelatedNote] = []
        if self.matcher is not None:
            row = self.matcher.scores(vector[None, :])[0]
            if self._enrich(sentence, row):
                return
            for index in np.argsort(-row, kind="stable")[:3]:
                claim = self.matcher.candidates[int(index)]
                if row[index] >= RELATED_THRESHOLD and len(claim.title) <= 300:
                    related.append(RelatedNote(title=claim.title, relation="related"))
        parts = make_title(sentence.text, self.segmented.text)
        if parts.title is None:
            self._drop(sentence.text, DROP_NO_TITLE, parts.why)
            return
        title = parts.title
        if title.casefold() in self.titles:
            self._drop(title, DROP_SAME_TITLE, "another candidate has the same title")
            return
        body = _body(_paragraph(self.segmented, sentence))
        judged = _judge(self.rubric, self.segmented, self.vectors, sentence, parts, body)
        if isinstance(judged, Considered):
            self.dropped.append(judged)
            return
        self.kept.append(sentence.index)
        self.titles.add(title.casefold())
        self.claims.append(ClaimDraft(
            title=title, description=judged.description, confidence="speculative", body=body,
            evidence=[Quote(text=sentence.verbatim)], related=related,
        ))

    def _enrich(self, sentence: Sentence, row) -> bool:
        """Make `sentence` an enrichment of the existing claim it restates; True when it was one."""
        best = int(row.argmax())
        target = self.matcher.candidates[best]  # type: ignore[union-attr]
        if row[best] < DUPLICATE_THRESHOLD or len(target.title) > 300:
            return False
        self.kept.append(sentence.index)
        if target.title in self.targets:
            self._drop(sentence.text, DROP_NEAR_DUPLICATE, "another sentence already enriches the same claim")
            return True
        self.targets.add(target.title)
        evidence = _safe_markdown(_paragraph(self.segmented, sentence))
        if len(evidence) < 20:
            evidence = f"{evidence} (from {self.source_name})"
        self.enrichments.append(EnrichmentDraft(
            target=target.title, type=enrichment_type(sentence.text, target.title),  # type: ignore[arg-type]
            evidence=evidence[:4000], quote=Quote(text=sentence.verbatim),
        ))
        return True

    def _drop(self, subject: str, code: str, reason: str) -> None:
        self.dropped.append(Considered(_one_line(subject, 200), code, reason))


def _reading(scored: list[Scored], eligible: int) -> str:
    """`N sentences read: E candidates, B below the floor, R rejected outright (…)`."""
    rejected: dict[str, int] = {}
    for s in scored:
        if s.rejected:
            rejected[s.rejected] = rejected.get(s.rejected, 0) + 1
    below = len(scored) - eligible - sum(rejected.values())
    parts = [f"{len(scored)} sentences read", f"{eligible} candidates", f"{below} without a claim cue or below the floor"]
    if rejected:
        parts.append("rejected outright: " + ", ".join(f"{n} {reason}" for reason, n in sorted(rejected.items())))
    return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _grouped(dropped: list[Considered]) -> str:
    """`title-anaphor \u00d73, needs-context \u00d71`: the codes by count, most frequent first."""
    counts: dict[str, int] = {}
    for item in dropped:
        counts[item.code] = counts.get(item.code, 0) + 1
    return ", ".join(f"{code} \u00d7{n}" for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _null_notes(run: _Run, read: str) -> str:
    """Why nothing was proposed: what was read, then each candidate considered and why it was dropped."""
    head = (
        f"offline extractor: no candidate passed the claim-quality rubric ({read}); "
        f"{len(run.dropped)} considered ({_grouped(run.dropped)}): "
    )
    budget = 2000 - len(head) - 40
    shown: list[str] = []
    for item in run.dropped:
        entry = f"\u201c{_one_line(item.subject, 70)}\u201d \u2014 {_one_line(item.reason, 110)}"
        if sum(len(s) + 2 for s in shown) + len(entry) > budget:
            break
        shown.append(entry)
    rest = len(run.dropped) - len(shown)
    return head + "; ".join(shown) + (f"; and {rest} more" if rest else "")


def _null(notes: str) -> OfflineExtraction:
    return OfflineExtraction(ExtractionResult(source_update=SourceUpdate(notes=notes[:2000])), [])
