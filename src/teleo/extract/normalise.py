"""Light normalisation of source sentences into claim titles and descriptions — never invention.

The offline extractor proposes the source's own words. What it may do to a sentence, and
nothing else, is *remove*:

- **residue** that is not part of the statement: a trailing social-media or citation
  parenthesis (`(@user, 105 likes)`, `(Smith et al., 2021)`, `(p. 12)`, `(see Figure 2)`),
  trailing hashtags and `via @user`, a leading `RT @user:` or `@user:` handle, emoji;
- a **leading connective** (`However,`, `But`, `For example,`, `This means that` …) and a
  leading label (`Key finding:`);
- a **reporting frame** around a that-clause — `Raman argues that X`, `The audit team
  concluded that X`, `According to the report, X`, `The study's headline finding is that X`
  → `X`; when the frame announced several that-clauses (`…that X, and that Y`) only the
  first is kept;
- an **inference marker** inside the clause (`X is therefore Y` → `X is Y`): it points at
  an argument the title does not carry.

Everything else — word order, tense, the words themselves — stays as the source wrote it;
`clean_title` then makes the result safe as a file name (quotes, markup, path separators,
trailing punctuation) and lower-cases the first word unless it is a proper noun or an acronym.
Whether what is left is a claim is not decided here: the claim-quality rubric
(`teleo.gates.quality`) judges it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from teleo.notes.untrusted import defuse_tags, inert_line, one_line

MIN_WORDS = 6
"""Fewer words than this is not a sentence worth judging."""
TITLE_TARGET_CHARS = 180
"""Titles longer than this are cut at a clause boundary."""

# -- residue -------------------------------------------------------------------------

_METRIC = r"(?:likes?|retweets?|reposts?|replies|reply|views?|comments?|upvotes?|points|shares?|bookmarks?|quotes?|reactions?|claps?|stars?)"
_RESIDUE_PAREN = re.compile(
    r"\s*[(\[](?:"
    rf"[^()\[\]]{{0,80}}?\b\d[\d,.]*\s*[kKmM]?\s+{_METRIC}\b[^()\[\]]{{0,40}}"  # (…, 105 likes)
    r"|@\w[^()\[\]]{0,80}"  # (@user, 3 Mar)
    r"|[A-Z][\w'\u2019-]+(?:\s+(?:et al\.?|and|&)\s*(?:[A-Z][\w'\u2019-]+)?)?,?\s+(?:1[89]|20)\d\d[a-z]?(?:[;,][^()\[\]]{0,60})?"  # (Smith et al., 2021)
    r"|(?:pp?\.|page|pages|fig\.|figure|table|chart|exhibit|see|cf\.|source|via|h/t|hat tip)\s[^()\[\]]{0,60}"  # (p. 12), (see …)
    r"|\d{1,2}:\d{2}(?::\d{2})?"  # (12:34) timestamps
    r")[)\]]",
    re.IGNORECASE,
)
"""A parenthesis of metadata, not of argument: engagement counts, handles, citations, page refs, timestamps."""
_TRAILING_TAGS = re.compile(r"(?:\s+(?:#\w+|via\s+@\w+|h/t\s+@\w+|@\w+))+\s*[.!]?\s*$", re.IGNORECASE)
_LEADING_HANDLE = re.compile(r"^\s*(?:RT\s+)?@\w+\s*:\s*", re.IGNORECASE)
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\ufe0f\u200d\u2b50\u2b06\u2934\u2935\u3030]+"
)


def strip_residue(text: str) -> str:
    """`text` without metadata residue (see the module doc); whitespace collapsed."""
    text = _EMOJI.sub(" ", text)
    text = _LEADING_HANDLE.sub("", text)
    for _ in range(3):
        stripped = _RESIDUE_PAREN.sub("", text)
        stripped = _TRAILING_TAGS.sub("", stripped)
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"\s+([.,;:!?])(?=\s|$)", r"\1", text)  # "claim (@x, 5 likes)." -> "claim."
    return " ".join(text.split())


# -- connectives, labels and frames -----------------------------------------------------

_LEADING = re.compile(
    r"^(?:however|but|and|or|so|thus|therefore|hence|moreover|furthermore|additionally|also|indeed|in fact|"
    r"still|yet|ultimately|overall|in short|in other words|that said|importantly|crucially|notably|"
    r"basically|essentially|of course|as a result|consequently|instead|meanwhile|finally|first(?:ly)?|"
    r"second(?:ly)?|third(?:ly)?|then|now|again|plus|similarly|likewise|in contrast|by contrast|"
    r"on the other hand|at the same time|in particular|for example|for instance|in summary|to be sure|"
    r"clearly|obviously|interestingly|surprisingly|critically|put simply|simply put|in practice|"
    r"in turn|as such|even so|after all|above all|in addition|on balance|in the end|by extension|"
    r"this means(?: that)?|that means(?: that)?|which means(?: that)?|it follows that|the point is(?: that)?|"
    r"the result is(?: that)?|the upshot is(?: that)?|the bottom line is(?: that)?)\b[,:]?\s+",
    re.IGNORECASE,
)
"""A connective or discourse marker that ties the sentence to the one before it."""
_LABEL = re.compile(r"^([^\s:][^:]{0,40}):\s+")
"""A leading `Label: ` (`Key finding: …`, `Why this matters: …`)."""

_REPORTING_VERBS = (
    r"argues?|argued|notes?|noted|finds|found|concludes?|concluded|shows?|showed|shown|says|said|claims?|claimed|"
    r"contends?|contended|suggests?|suggested|reports?|reported|observes?|observed|writes?|wrote|believes?|"
    r"believed|holds?|held|maintains?|maintained|states?|stated|points? out|pointed out|estimates?|estimated|"
    r"warns?|warned|cautions?|cautioned|predicts?|predicted|demonstrates?|demonstrated|explains?|explained|"
    r"emphasi[sz]es|emphasi[sz]ed|stresses|stressed|insists?|insisted|proposes?|proposed|acknowledges?|"
    r"acknowledged|admits?|admitted|thinks?|thought|reckons?|reckoned|asserts?|asserted|posits?|posited|"
    r"recognises?|recognised|recognizes?|recognized|confirms?|confirmed|reveals?|revealed|establishes|established|"
    r"documents?|documented|infers?|inferred|expects?|expected|concedes?|conceded|hypothesi[sz]es|hypothesi[sz]ed"
)
_FRAME_SUBJECT = r"(?:[\w'\u2019.&-]+\s+){0,5}?[\w'\u2019.&-]+"
"""One to six words with no comma: the speaker of a reporting frame."""
_SETTING = r"(?:(?:on|in|for|as for|regarding|about|across|overall|at)\s+[^,]{1,40},\s+)?"
"""An optional short topic phrase before the frame (`On costs, Raman notes that …`)."""
_FRAME = re.compile(
    rf"^{_SETTING}{_FRAME_SUBJECT}\s+(?:(?:also|further|rightly|correctly|repeatedly|strongly|then|therefore|"
    rf"thus|now|still|even|convincingly|persuasively)\s+)?(?:{_REPORTING_VERBS})\s+"
    r"(?:(?:[^,]{1,30},\s+)?)that\s+",
    re.IGNORECASE,
)
"""`<speaker> argues that …`, `On costs, Raman notes that …`."""
_PASSIVE_FRAME = re.compile(
    rf"^(?:it|this)\s+(?:is|was|has been|had been)\s+(?:widely\s+|often\s+|commonly\s+|generally\s+)?"
    rf"(?:argued|noted|found|shown|claimed|suggested|reported|observed|estimated|believed|held|thought|"
    rf"established|documented|recognised|recognized|expected|assumed)\s+(?:[^,]{{1,30}},\s+)?that\s+",
    re.IGNORECASE,
)
"""`It has been argued that …`."""
_ACCORDING = re.compile(r"^(?:according to|as|per)\s+[^,]{1,60}?(?:\s+(?:argues?|notes?|puts? it|says?|shows?|found|finds|reports?))?,\s+", re.IGNORECASE)
"""`According to the report, …`, `As Raman notes, …`."""
_NOUN_FRAME = re.compile(
    r"^(?:[\w'\u2019.&-]+\s+){0,6}?(?:finding|findings|argument|claim|conclusion|thesis|point|insight|lesson|"
    r"message|takeaway|result|results|contention|premise|observation|position|view|hypothesis|prediction)"
    r"\s+(?:is|was|are|were)\s+that\s+",
    re.IGNORECASE,
)
"""`The study's headline finding is that …`."""
_SECOND_THAT = re.compile(r",?\s+(?:and|but|while|as well as)\s+(?:also\s+)?that\s+.*$|;\s+(?:and\s+)?that\s+.*$|,\s+that\s+.*$", re.IGNORECASE)
"""A second that-clause of the same frame (`…that X, and that Y`): only X is the title."""
_INFERENCE = re.compile(r",\s+(?:therefore|thus|hence|then|in turn|as a result|consequently),\s+|\s+(?:therefore|thus|hence)\s+", re.IGNORECASE)
"""An inference marker inside the clause: it points at an argument the title does not carry."""


def _proposition(text: str) -> bool:
    """Enough words and a main clause's finite verb (the rubric's test): what is left can still be judged as a claim."""
    from teleo.gates.quality import main_verb, words_of

    words = [w.lower() for w in words_of(text)]
    return len(words) >= MIN_WORDS - 1 and main_verb(words) is not None


def drop_frame(text: str) -> str:
    """`text` without a reporting frame or a leading connective or label; unchanged when nothing applies."""
    return split_frame(text)[0]


def split_frame(text: str) -> tuple[str, str]:
    """(`text` without its frame, the further that-clauses the frame announced — "" when none)."""
    rest = ""
    for _ in range(4):
        before = text
        label = _LABEL.match(text)
        if label and len(label.group(1).split()) <= 4 and _proposition(text[label.end():]):
            text = text[label.end():]
        text = _strip_leading(text)
        for frame in (_FRAME, _PASSIVE_FRAME, _NOUN_FRAME):
            match = frame.match(text)
            if match and _proposition(text[match.end():]):
                clause = text[match.end():]
                second = _SECOND_THAT.search(clause)
                if second and _proposition(clause[: second.start()]):
                    text, rest = clause[: second.start()], clause[second.start():]
                else:
                    text = clause
                break
        according = _ACCORDING.match(text)
        if according and _proposition(text[according.end():]):
            text = text[according.end():]
        if text == before:
            break
    return text, rest


def _strip_leading(text: str) -> str:
    stripped = _LEADING.sub("", text, count=1)
    return stripped if stripped != text and len(stripped.split()) >= 3 else text


def drop_inference_markers(text: str) -> str:
    """`X is therefore Y` → `X is Y`; `X, therefore, Y` → `X Y` (a marker, not part of the statement)."""
    return " ".join(_INFERENCE.sub(" ", text).split())


# -- safe titles ---------------------------------------------------------------------

_CLAUSE_BREAKS = ("; ", " \u2014 ", " \u2013 ", " - ", ": ", ", but ", ", while ", ", whereas ", ", although ",
                  ", because ", ", since ", ", so ", ", which ")
"""Where a long title may be cut: before a clause that depends on a complete one. Never at a bare
comma or `and`, which would as often cut a subject from its verb and leave a fragment."""
_FUNCTION_WORDS = frozenset(
    "a an the this that these those it its in on at to for from by with of as if when while where there here "
    "they their we our you your he she his her i what why how which who some many most more few all any each "
    "every no not one two three four five several both either neither such another other once after before "
    "since because although though despite unlike like over under between among without within into unless "
    "until instead rather only even just also still yet so but and or nor then thus".split()
)
_DOUBLE_QUOTES = dict.fromkeys(map(ord, "\"\u201c\u201d\u201e\u201f\u00ab\u00bb"), None)
_APOSTROPHES = dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032"), "'")


def _lower_first(text: str, source_text: str) -> str:
    """Lower-case the first word unless it is `I`, an acronym, mixed case, or a proper noun (`is_name`)."""
    match = re.match(r"[^\W\d_]+", text)
    if not match:
        return text
    word = match.group()
    if word == "I" or not word[0].isupper():
        return text
    if len(word) > 1 and any(ch.isupper() for ch in word[1:]):
        return text  # acronym (AI, DAO) or mixed case (MetaDAO)
    if is_name(word, source_text):
        return text
    return word.lower() + text[len(word):]


def is_name(word: str, source_text: str = "") -> bool:
    """`word`, capitalised, is a proper noun: the source also writes it capitalised in mid-sentence
    ("… by Putnam"), or English does not know it in lower case ("Lindqvist", "Raman")."""
    lower = word.lower()
    if not word[:1].isupper() or lower in _FUNCTION_WORDS:
        return False
    if re.search(rf"[a-z0-9,;(][ \t]+{re.escape(word)}\b", source_text):
        return True
    from teleo.gates.quality import readings

    return readings(lower) == frozenset({"UNK"})


def _cut(title: str, limit: int = TITLE_TARGET_CHARS) -> tuple[str, str]:
    """(`title` cut at the last clause boundary that keeps it under `limit`, the clause cut off)."""
    if len(title) <= limit:
        return title, ""
    head = title[: limit + 1]
    for mark in _CLAUSE_BREAKS:
        at = head.rfind(mark)
        if at >= 60 and _proposition(title[:at]):
            return title[:at], title[at:]
    return title, ""  # too long, and no clause to keep: `clean_title` refuses it


def _join_path(match: re.Match) -> str:
    """`a/b` → `a-b`; `../../etc/passwd` → `etc-passwd` (segments without a letter or digit go)."""
    parts = [part for part in re.split(r"[/\\]+", match.group()) if re.search(r"[^\W_]", part)]
    return "-".join(parts)


def _balance_parentheses(text: str) -> str:
    """Drop an aside that the cut left open: `x causes y (in mice, rats` → `x causes y`."""
    if text.count("(") > text.count(")"):
        text = text[: text.rfind("(")]
    return text


def _plain(text: str) -> str:
    """One line (`teleo.notes.untrusted.one_line`: controls a space, invisible characters gone), NFKC, quotes straight."""
    return one_line(unicodedata.normalize("NFKC", text).translate(_DOUBLE_QUOTES).translate(_APOSTROPHES))


@dataclass(frozen=True)
class TitleParts:
    """A title made of a source sentence, and what of the sentence it leaves out."""

    title: str | None
    """None when too little is left, or the sentence is too long and has no clause boundary to cut at."""
    rest: str
    """The clause cut off or the further that-clause the frame announced, as the source wrote it ("" when none)."""
    why: str = ""
    """Why there is no title."""


def make_title(text: str, source_text: str = "", max_chars: int = 200) -> TitleParts:
    """A safe claim title from a plain sentence (see `clean_title`), with the part it leaves out."""
    plain = strip_residue(_plain(text))
    framed, further = split_frame(plain)
    head, cut_off = _cut(drop_inference_markers(framed))
    title = _safe(head, source_text)
    if len(title) > max_chars:
        return TitleParts(None, "", f"longer than {max_chars} characters, with no clause boundary to cut it at")
    if len(title) < 10 or len(title.split()) < 4:
        return TitleParts(None, "", "too little is left once residue and framing are removed")
    return TitleParts(title, cut_off or further)


def clean_title(text: str, source_text: str = "", max_chars: int = 200) -> str | None:
    """A safe claim title from a plain sentence, or None when too little is left.

    Residue, leading connectives, labels and reporting frames go (`split_frame`); a title over
    180 characters is cut at a clause boundary; then double quotes, markdown and link
    brackets, path separators, control characters and trailing punctuation go, and the first
    letter is lower-cased unless the word is an acronym or a proper noun (capitalised wherever
    it occurs in the source).
    """
    return make_title(text, source_text, max_chars).title


def _safe(text: str, source_text: str) -> str:
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
    text = _balance_parentheses(text)
    text = re.sub(r"[\s.,;:!?\u2014\u2013-]+$", "", text)
    return " ".join(text.split())


_REST_LEAD = re.compile(
    r"^[\s,;:\u2014\u2013-]*(?:(?:and|but|while|whereas|although|though|because|since|so|as well as)\s+)?"
    r"(?:also\s+)?(?:that\s+)?",
    re.IGNORECASE,
)


def rest_as_sentence(rest: str) -> str | None:
    """The clause a title left out, as a sentence of its own, or None when it cannot stand alone.

    `, because it misses most of the benefit` → `It misses most of the benefit`;
    `, and that hospitals see only part of the savings` → `Hospitals see only part of the savings`;
    a relative clause (`, which …`) depends on the title and is refused.
    """
    text = _REST_LEAD.sub("", rest, count=1).strip()
    further = _SECOND_THAT.search(text)
    if further and _proposition(text[: further.start()]):
        text = text[: further.start()]
    if not text or re.match(r"(?:which|who|whom|whose|where|when)\b", text, re.IGNORECASE) or not _proposition(text):
        return None
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "\u201d", '"', ")")) else text + "."


def clean_description(text: str, limit: int = 400) -> str | None:
    """A source sentence as a description: residue, a leading connective and a reporting frame
    dropped, first letter capitalised, no wiki links or tags; None when it does not fit `limit`
    or too little is left."""
    text = strip_residue(_plain(text))
    text = drop_frame(text)
    text = defuse_tags(inert_line(text))  # as the writer writes it (`writer.one_line`)
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if len(text) > limit or len(text) < 20 or len(text.split()) < 4:
        return None
    return text
