"""The claim-quality rubric: is this a claim worth merging? One module, three users.

`judge_title(title)` and `judge_claim(title, description, body, source_text=…)`
return `QualityIssue`s; `is_mergeable(issues)` is True when none is an
error. The lint rule `claim-quality` (`teleo.gates.rules.quality`), the
offline reviewer (`teleo.review.reviewer`) and the offline extractor's
filter all call these functions, so a claim is judged the same way wherever
it is met. Errors make a claim unmergeable; warnings only weaken it.

The rules are general linguistic tests of a *standalone declarative
proposition*, not a model of any one corpus:

- **a finite verb** — a proposition asserts something; a noun phrase, a
  heading or a participle fragment ("prices being manipulated by traders")
  asserts nothing;
- **no anaphor or connective at the start** — "they", "this", "the
  authors", "however", "for example" point at a text the reader of a claim
  does not have;
- **no reference to an unnamed work or participant** — "the study", "the
  paper", "the authors" anywhere in the title;
- **not a question, heading, label, list item, imperative or fragment**;
- **speaker and addressee deixis** — "I", "you", an opening "we"/"our" (errors);
  "we" inside a title and time words like "today" only weaken a claim;
- **not a quotation** — a title in quotation marks is someone's words;
- **a length band** — at least three words; very long titles are flagged;
- **the description adds something** — not a copy or restatement of the
  title, not a sentence that itself leans on its neighbour ("This means
  …"), not a heading or a note about the note ("Machine candidate from …");
- **evidence** — the body has an argument; with `source_text`, every quoted
  passage of the body is found again in the source (`teleo.gates.grounding`).

Everything here is pure text processing: no vault, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from teleo.gates.lexicon import readings, verb_lemmas

Severity = Literal["error", "warning"]
Field = Literal["title", "description", "evidence", "body"]


class QualityIssue(BaseModel):
    """One thing the rubric finds wrong with a claim."""

    model_config = ConfigDict(frozen=True)

    code: str
    """Stable identifier, e.g. `title-no-finite-verb`, `title-anaphor`, `description-copies-neighbour`."""
    severity: Severity
    """error = unmergeable; warning = weakens the claim."""
    field: Field
    message: str
    """A human sentence naming what is wrong and why."""
    suggestion: str | None = None


def is_mergeable(issues: Iterable[QualityIssue]) -> bool:
    """True when no issue is an error."""
    return not any(issue.severity == "error" for issue in issues)


# -- words -----------------------------------------------------------------------

MIN_TITLE_WORDS = 3
"""Fewer words cannot state a subject, a verb and what is asserted of it."""
LONG_TITLE_WORDS = 50
"""More words than this is usually several claims in one title (a warning)."""
MIN_DESCRIPTION_WORDS = 4

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\u2019]*(?:[-.][A-Za-z0-9']+)*|[$\u20ac\u00a3%]")


def words_of(text: str) -> list[str]:
    """Words of `text` as written (case kept); a slug title ("a-b-c") is read with spaces."""
    if " " not in text.strip() and text.count("-") >= 2:
        text = text.replace("-", " ")
    return [w for w in _TOKEN.findall(text.replace("_", " ")) if w[0].isalnum()]


def _lower(words: list[str]) -> list[str]:
    """Lower-cased words, a typographic apostrophe read as a plain one."""
    if any("\u2019" in w for w in words):
        return [w.replace("\u2019", "'").lower() for w in words]
    return [w.lower() for w in words]


# -- finite verbs ----------------------------------------------------------------

AUXILIARIES = frozenset(
    "is are was were am can could will would shall should must may might has have had does do did "
    "cannot isnt arent wasnt werent cant couldnt wont wouldnt shouldnt doesnt dont didnt hasnt havent hadnt "
    "mustnt neednt isn't aren't wasn't weren't can't couldn't won't wouldn't shouldn't doesn't don't didn't "
    "hasn't haven't hadn't mustn't needn't it's that's there's what's who's he's she's "
    "i'm i've i'll i'd we're we've we'll we'd you're you've you'll you'd they're they've they'll they'd "
    "he'll he'd she'll she'd it'll that'll there'll who'll".split()
)
"""Finite auxiliaries and modals (and contractions that contain one)."""

_DETERMINERS_AND_PREPOSITIONS = frozenset(
    "the a an of in on at to for from by with into onto over under between among about through without "
    "within across against toward towards per via its their his her our your my these those this "
    "some many most few fewer several any each every no both two three four five six seven eight nine ten "
    "whose".split()
)
"""Words after which an inflected form reads as a noun or an adjective ("the proposed rule", "of markets")."""
_BEFORE_PLURALS = _DETERMINERS_AND_PREPOSITIONS - {"a", "an", "each", "every", "this", "its", "his", "her"}
"""Determiners and prepositions a plural noun can follow (not "each": "each maintains" is a verb)."""
_PARTICIPLE_AFTER = frozenset(
    "be been being is are was were am has have had get gets got getting having isn't aren't wasn't weren't "
    "hasn't haven't hadn't".split()
)
_NON_FINITE_AFTER = frozenset(
    "to can could will would shall should must may might do does did cannot can't won't wouldn't shouldn't "
    "couldn't don't doesn't didn't mustn't not never".split()
)
"""After these a verb is an infinitive or completes a verb group whose finite part came earlier."""
_FREQUENCY_ADVERBS = frozenset("now often always never also still already rarely seldom sometimes".split())
"""Adverbs that stand between a subject and its verb ("people often meet", "tirzepatide now meet")."""
_SUBJECT_PRONOUNS = frozenset("i we you they who that which these those".split())
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for from by with and or nor but as than that which who whom whose this these those "
    "it its they them their we our you your he she his her i me my not no so if because while when where how "
    "why what also only even just very more most less least".split()
)
_VERB_FOLLOWERS = frozenset("with to that the a an by in on into from for than".split())
_SUFFIX_VERB = re.compile(r"^[a-z][a-z-]{3,}(?:[^s']s|ed)$")
"""An unknown word that looks inflected (-s, -ed): the fallback for words the lexicon lacks."""


_SINGULAR_SUBJECTS = frozenset("it he she this that which who what one".split())
_CLAUSE_FOLLOWERS = frozenset("because that when while if unless although though whereas the a an".split())


def _past_without_object(after: str, then: str) -> bool:
    """Is `after` a past form with nothing noun-like after it ("fell by", "increased in", "served by")?

    Then the -s word before it is a plural subject, not a verb: a verb is not followed by a bare past
    form, though it can be by a participle that modifies its object ("shows limited trading volume").
    """
    return bool(readings(after) & {"VBD", "VBN"}) and not readings(then) & {"NOUN", "PROPN", "ADJ", "UNK", "VBG"}


def _verb_not_plural(prev: str, after: str, then: str = "") -> bool:
    """Is a word that is both a plural noun and an -s verb ("stalls", "drives") the verb here?

    Only after something that can be its singular subject (not a plural, not "and"/"or"), before a
    continuation (sentence-final, it reads as the plural noun), and not right before a base-form verb
    or an auxiliary — then it is the plural subject itself ("markets aggregate", "markets can"), nor
    right before a past form that no noun follows (`then`, the word after it): "grain prices fell by",
    "bridge tolls increased in" — a verb is not followed by a bare past form, a plural subject is.
    """
    if not after or prev in ("and", "or", "nor"):
        return False
    if _past_without_object(after, then):
        return False
    if after in _CLAUSE_FOLLOWERS:
        return True  # "action on trajectories compounds because …": nothing but a verb stands there
    if prev not in _SINGULAR_SUBJECTS and (
            prev.endswith("s") or not readings(prev) & {"NOUN", "UNK", "PROPN", "ADJ", "VBG"}):
        return False
    following = readings(after)
    return not (after in AUXILIARIES or ("VB" in following and "VBZ" not in following))


_APPROXIMATORS = frozenset(
    "about around roughly nearly almost approximately some over under only just up to at least most more less "
    "fewer than as much many well close an estimated another further".split()
)
"""Words that can stand between "by" and an amount ("by more than half", "by up to 30 percent")."""
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions trillion dozen dozens".split()
)
_FRACTIONS = frozenset("half halves third thirds quarter quarters fifth fifths tenth tenths".split())
_UNITS = frozenset(
    "percent per cent pct percentage percentages point points pp bp bps basis x times fold "
    "dollar dollars cent cents euro euros pound pounds yen yuan rupees usd eur gbp "
    "second seconds minute minutes hour hours day days week weeks month months year years decade decades "
    "degree degrees kg kilogram kilograms gram grams tonne tonnes ton tons metre metres meter meters km "
    "kilometres kilometers mile miles litre litres liter liters gallon gallons barrel barrels "
    "watt watts kw mw gw kwh mwh gwh twh gb tb k m bn mn".split()
)
"""Measure words that can follow a number in an amount ("by 40 percent", "by 3 points", "by 2 years")."""
_NUMBER = re.compile(r"^\d[\d.,]*(?:[kmbx%]|bn|pp|bps)?$")


def _amount_follows(words: list[str], start: int) -> bool:
    """Do `words[start:]` open with an amount — the measure of a change, not an agent?

    An amount is a number (with a unit, a scale word or nothing noun-like after it: "by 40 percent",
    "by 12 in 2023", "by two hundred dollars", but not "by 3 firms"), a fraction ("by half", "by a
    third"), or a ratio ("by a factor of", "by an order of magnitude", "by a wide margin", "by tenfold"),
    after optional approximators ("by more than", "by about", "by up to").
    """
    index = start
    while index < len(words) and words[index] in _APPROXIMATORS:
        index += 1
    rest = words[index:index + 4]
    if not rest:
        return False
    head, *tail = rest
    if head in ("a", "an", "two", "three") and tail and tail[0] in _FRACTIONS:
        return True
    if head in _FRACTIONS or head.endswith("fold") or head == "double-digit":
        return True
    if head in ("a", "an") and tail and (tail[0] in ("factor", "order", "margin") or
                                         (len(tail) > 1 and tail[1] == "margin")):
        return True
    if head == "orders" and tail[:2] == ["of", "magnitude"]:
        return True
    if not (_NUMBER.match(head) or head in _NUMBER_WORDS):
        return False
    for word in tail:  # past the number's own words ("two hundred", "3.5 million") to what it counts
        if _NUMBER.match(word) or word in _NUMBER_WORDS:
            continue
        return word in _UNITS or not readings(word) & {"NOUN", "PROPN", "UNK", "ADJ"}
    return True


def finite_verbs(words: list[str]) -> list[int]:
    """Positions of the words of lower-cased `words` that read as finite verbs (a lexicon and local context).

    A finite auxiliary or modal always counts. Otherwise the word must be a verb form the lexicon
    knows (or, unknown to it, look inflected) and its neighbours must allow a finite reading: not
    the first word; not after a determiner or preposition (a noun or adjective there); not after
    "to", a modal or an auxiliary (an infinitive or participle); a form that can be a past participle
    not followed by "by" and its agent (a passive participle: "prices manipulated by traders") — a
    form that is only a past tense ("fell", "rose", "grew") is never a participle, and "by" before an
    amount ("by 90 percent", "by a third") measures a change, it names no agent; an -s form that
    is also a plural noun not followed by a verb or by a bare past form (then it is the subject:
    "markets aggregate", "grain prices fell"); a base form only after a plural or pronoun subject,
    or after any noun when it cannot be a noun itself ("the clinics that share one pharmacist lose").
    When the only candidates are regular -ed forms with no object after them, they are participles
    of a headline ("investment required for the new plant"), so there is none (`_participle_only`).
    """
    found = []
    last = len(words) - 1
    for index, word in enumerate(words):
        if word in AUXILIARIES:
            found.append(index)
            continue
        if index == 0 or word in _FUNCTION_WORDS:
            continue
        prev = words[index - 1]
        after = words[index + 1] if index < last else ""
        if prev in _DETERMINERS_AND_PREPOSITIONS or prev in _NON_FINITE_AFTER or prev in _PARTICIPLE_AFTER:
            continue
        tags = readings(word)
        if "UNK" in tags:
            then = words[index + 2] if index + 2 <= last else ""
            if word.endswith("s") and _past_without_object(after, then):
                continue  # "enrollees served by …": the plural subject of what follows
            if _SUFFIX_VERB.match(word) and after not in ("of", "and", "or", ""):
                found.append(index)
            elif prev.endswith("s") and readings(prev) & {"NOUN", "UNK"} and after in _VERB_FOLLOWERS:
                found.append(index)  # an unknown base form after a plural: "apps correlate with"
            continue
        if "VBZ" in tags:
            subject = prev
            if readings(prev) <= {"ADV"} and index >= 2:  # "sycophancy always increases"
                subject = words[index - 2]
            then = words[index + 2] if index + 2 <= last else ""
            if "NOUN" in tags and not _verb_not_plural(subject, after, then):
                continue
            found.append(index)
        elif "VBD" in tags:
            adjective = prev in ("and", "or", "nor") or (
                "ADV" in readings(prev) and prev.endswith("ly") and bool(after) and "NOUN" in readings(after))
            passive = after == "by" and "VBN" in tags and not _amount_follows(words, index + 2)
            if not passive and not adjective:
                found.append(index)
        elif "VB" in tags:
            prev_tags = readings(prev)
            after_determiner = index >= 2 and words[index - 2] in _BEFORE_PLURALS  # "the bars indicate"
            plural = prev.endswith("s") and (bool(prev_tags & {"NOUN", "UNK", "PROPN"}) or after_determiner)
            before = words[index - 2] if index >= 2 else ""
            adverb = (prev.endswith("ly") and "ADV" in prev_tags and before.endswith("s")) or (
                prev in _FREQUENCY_ADVERBS and bool(before) and (
                    before.endswith("s") or bool(readings(before) & {"NOUN", "UNK", "PROPN"})))
            nounish = bool(prev_tags & {"NOUN", "UNK", "PROPN"}) and not tags & {"NOUN", "ADJ"}
            if prev in _SUBJECT_PRONOUNS or plural or adverb or nounish:
                found.append(index)
    if _participle_only(words, found):
        found = []
    return found or _verb_after_plural_subject(words)


_AFTER_BASE_VERB = frozenset("more less most least much far twice the a an their its".split())


def _verb_after_plural_subject(words: list[str]) -> list[int]:
    """A base form that is also a noun, after a plural subject and its modifiers: "visits in the first week
    after discharge matter more than …". Read only when nothing else reads as a finite verb.

    The sentence must open with a plural noun (its subject) that a preposition modifies ("visits in
    …", not "makes futarchy …"); the word must follow a noun (the end of that modifier) and come
    before a word that cannot continue a compound noun (a determiner, a comparative adverb).
    """
    start = 1 if words and words[0] in _DETERMINERS_AND_PREPOSITIONS else 0
    if len(words) < start + 4:
        return []
    head = words[start]
    if not (head.endswith("s") and "'" not in head and readings(head) & {"NOUN", "UNK"}
            and words[start + 1] in _DETERMINERS_AND_PREPOSITIONS):
        return []
    for index in range(start + 2, len(words) - 1):
        word, prev, after = words[index], words[index - 1], words[index + 1]
        if "VB" in readings(word) and prev not in _FUNCTION_WORDS and readings(prev) & {"NOUN", "UNK", "PROPN"} \
                and after in _AFTER_BASE_VERB:
            return [index]
    return []


_INTRANSITIVE_PAST = frozenset(
    # calibratable changes of state (Levin 45.6) and other changes of state used without an object
    "increase decrease decline double triple quadruple halve rise fall drop grow shrink climb jump surge soar "
    "plunge plummet slump dip sink rebound recover fluctuate stagnate stall slow accelerate expand contract "
    "improve worsen deteriorate widen narrow peak bottom level tumble spike balloon collapse crash rally "
    "soften harden strengthen weaken stabilize stabilise change shift evolve transform converge diverge mature "
    # appearance, existence, occurrence, disappearance (Levin 47–48)
    "happen occur emerge appear disappear vanish arise exist persist survive remain last stay endure "
    "fail succeed end begin start finish close open launch "
    # motion and position without an object (Levin 51)
    "move migrate arrive depart flow spread travel return retreat advance cluster concentrate roll slide "
    "walk float drift bounce pivot switch turn settle "
    # activities without an object, and verbs whose complement is a prepositional phrase (account for,
    # rely on, result in, participate in …)
    "work act behave operate function perform outperform underperform compete cooperate collaborate partner participate engage "
    "interact join enroll enrol register debut live die talk speak respond react adapt account rely depend "
    "result consist focus specialize specialise invest insist bet capitalize capitalise subscribe belong "
    "refer lead resort commit apply call argue object benefit suffer trade default "
    # subject-control verbs before a to-infinitive ("the fund aimed to …")
    "aim try attempt manage want plan agree decide refuse continue tend hope struggle learn offer promise "
    "threaten vote opt rush hesitate cease prefer pledge vow".split()
)
"""Verbs whose -ed form after a subject is commonly its past tense with no object ("revenue doubled in
2023", "users migrated to the new chain", "the fund aimed to …"). Any other verb's -ed form followed
directly by a preposition, "to" or nothing reads as a passive participle (below)."""
_AFTER_PARTICIPLE = frozenset(
    "for to in on at from with as under into onto within across through over after before during per via "
    "without among between against toward towards upon throughout alongside until since behind beyond near "
    "off out up down back".split()
)


_PARTICLES = frozenset("off out up down back".split())
_OBJECT_OPENERS = frozenset("the a an its their his her our your my this these those that all some every".split())


def _participle_only(words: list[str], found: list[int]) -> bool:
    """Are the only finite-verb candidates -ed forms that read as passive participles?

    "large initial investment required for the new plant", "tokens reserved for early holders",
    "basic version deployed to the test network": a regular -ed form is a past tense or a past
    participle. With no object after it (a preposition, "to" or the end follows) and no other finite
    verb, it is the participle of a reduced clause — a headline, not a sentence — unless its verb is
    one commonly used without an object (`_INTRANSITIVE_PAST`).
    """
    if not found:
        return False
    for index in found:
        word = words[index]
        after = words[index + 1] if index + 1 < len(words) else ""
        if word in AUXILIARIES or not {"VBD", "VBN"} <= readings(word):
            return False
        if after and after not in _AFTER_PARTICIPLE:
            return False
        if after in _PARTICLES and index + 2 < len(words) and words[index + 2] in _OBJECT_OPENERS:
            return False  # a phrasal verb and its object: "the lab rolled back its policy"
        lemmas = verb_lemmas(word)
        if any(lemma in _INTRANSITIVE_PAST for lemma in lemmas):
            return False
    return True


def finite_verb(words: list[str]) -> str | None:
    """The first word of lower-cased `words` that reads as a finite verb, or None (see `finite_verbs`)."""
    found = finite_verbs(words)
    return words[found[0]] if found else None


_SUBORDINATING = frozenset(
    "that which who whom whose where whereby whether because although though while when if unless".split()
)


def main_verb(words: list[str]) -> str | None:
    """A finite verb of the main clause, or None.

    A finite verb before the first subordinating word (that, which, who, where, because, when …) is
    the main clause's. When every finite verb stands after it, one alone belongs to the subordinate
    clause ("programmes in which workers can act …", "a paper showing that ties serve as bridges"):
    there is no main verb; two or more are taken to include the main one ("clinics that share one
    pharmacist lose fewer prescriptions").
    """
    found = finite_verbs(words)
    if not found:
        return None
    first = next((i for i, w in enumerate(words) if w in _SUBORDINATING and i > 0), None)
    if first is not None and found[0] > first and len(found) == 1:
        return None
    return words[found[0]]


# -- what a title may not start with ---------------------------------------------

_ANAPHORS = frozenset(
    "it its it's they them their theirs he she him his her hers this that these those such here "
    "former latter said aforementioned".split()
)
"""Openers that point back at something the reader of a standalone claim has not seen."""
_ANAPHOR_PHRASES = re.compile(
    r"^(?:the|these|those|this|that) (?:former|latter|above|following|aforementioned|rest|others?|"
    r"authors?|researchers?|paper|study|article|report|post|thread|piece|essay|book|chapter|survey|"
    r"speaker|writer|interviewee)\b"
    r"|^(?:both|each|all|some|many|most|none|one|neither|either|several) of (?:them|these|those|us|it)\b"
    r"|^(?:another|other|others)\b",
)
_CONNECTIVES = re.compile(
    r"^(?:however|but|and|or|nor|so|yet|also|thus|therefore|hence|moreover|furthermore|additionally|besides|"
    r"instead|meanwhile|nevertheless|nonetheless|still|then|otherwise|accordingly|consequently|likewise|"
    r"similarly|conversely|alternatively|finally|lastly|firstly|secondly|thirdly|next|again|indeed|anyway|"
    r"plus|notably|importantly|specifically|namely|rather|too|admittedly|ultimately|overall|"
    r"(?:first|second|third)(?= ?,)|in fact|of course|after all|in addition|in contrast|by contrast|"
    r"on the other hand|on the one hand|in other words|that is|i\.?e|e\.?g|for example|for instance|"
    r"in particular|in short|in sum|in summary|to summarize|to summarise|as a result|as such|even so|"
    r"that said|in this case|in that case|in this way|to this end|for this reason|at this point|by then|"
    r"since then|on top of that|as well|as noted|as mentioned|as discussed|as shown|as described)\b"
)
_SUBORDINATORS = frozenset("because although though whereas unless whether".split())
"""Openers of a subordinate clause: without a comma there is no main clause to assert anything."""
_QUESTION_OPENERS = frozenset("what why how who whom whose which where".split())
_AUX_QUESTION = frozenset("is are was were do does did can could will would should has have had may might must".split())
_UNNAMED_WORK = re.compile(
    r"\bthe (?:authors?|researchers?|paper|study|article|report|post|thread|essay|survey|interviewee|"
    r"speaker|writer|present (?:study|paper|work)|current (?:study|paper|work)|above|following)\b"
    r"(?! (?:of|by|on|from|titled|called|named)\b)"
)
_IMPERATIVE_NEXT = frozenset(
    "the a an this that these those your our my their its it them us me how what why whether".split()
)
_DANGLING_END = frozenset(
    "a an the and or nor but than that which whose because including e.g i.e versus vs".split()
)
"""Words a finished sentence cannot end on (a stranded preposition can: "what it depends on")."""
_FIRST_SINGULAR = frozenset("i me my mine myself i'm i've i'd i'll".split())
_FIRST_PLURAL = frozenset("we our ours ourselves we're we've we'd we'll".split())
_SECOND = frozenset("you your yours yourself yourselves you're you've you'd you'll".split())
_DEICTIC = re.compile(
    r"\b(?:today|yesterday|tomorrow|tonight|recently|currently|nowadays|right now|"
    r"(?:this|last|next|coming|past) (?:week|month|quarter|year|season|spring|summer|autumn|fall|winter)|"
    r"(?:last|next) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"so far|to date|as of now|(?:\w+ )?(?:days?|weeks?|months?|years?|decades?) ago)\b"
)
_LABEL = re.compile(r"^([^:\u2014\u2013]{1,60}?)\s*(?::|\s[\u2014\u2013-]\s)\s*\S")
_DEICTIC_CUES = ("day", "tomorrow", "tonight", "recently", "currently", "nowadays", "right now", "week", "month",
                 "quarter", "year", "season", "spring", "summer", "autumn", "fall", "winter", "so far", "to date",
                 "as of now", "ago")
"""A piece of every phrase `_DEICTIC` matches ("day" of today, yesterday and the weekdays): a title with none
of them is not searched."""
_LIST_MARKER = re.compile(r"^\s*(?:[-*+\u2022\u25aa\u25cf]|\(?\d{1,3}[.)]|\(?[a-z][.)]|step \d+\b)", re.IGNORECASE)
_URLISH = re.compile(r"https?://|www\.|@\w{2,}|#\w{3,}")
_FUNCTION = frozenset(
    "a an the of in on at to for from by with and or nor but as vs via per into onto over under is are".split()
)


def _issue(code: str, severity: Severity, field: Field, message: str, suggestion: str | None = None) -> QualityIssue:
    return QualityIssue(code=code, severity=severity, field=field, message=message, suggestion=suggestion)


def _clip(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


REWRITE = "state the claim as one sentence that stands alone: who or what does what, and why"


def judge_title(title: str) -> list[QualityIssue]:
    """What keeps `title` from being one standalone declarative proposition (module doc)."""
    text = " ".join((title or "").split())
    raw = words_of(text)
    words = _lower(raw)
    shown = _clip(text)
    if not words:
        return [_issue("title-empty", "error", "title", "the title has no words", REWRITE)]
    out: list[QualityIssue] = []
    letters = sum(map(str.isalpha, text))
    visible = len(text) - text.count(" ")  # `text` has no whitespace but single spaces
    if _URLISH.search(text) or (visible and letters / visible < 0.6):
        out.append(_issue("title-not-prose", "error", "title",
                          f"'{shown}' is not prose (a link, handle, hashtag or mostly symbols and figures)", REWRITE))
    if len(words) < MIN_TITLE_WORDS:
        out.append(_issue("title-too-short", "error", "title",
                          f"'{shown}' has {len(words)} word(s): too few to assert anything", REWRITE))
        return out + [i for i in _shape_issues(text, raw, words, shown) if i.code == "title-heading"]
    if len(words) > LONG_TITLE_WORDS:
        out.append(_issue("title-too-long", "warning", "title",
                          f"the title has {len(words)} words: probably several claims in one",
                          "split it into claims of one proposition each, or move the detail into the body"))
    out += _shape_issues(text, raw, words, shown)
    out += _opening_issues(text, words, shown)
    out += _reference_issues(text, words, shown)
    if not any(i.code in ("title-question", "title-heading", "title-list-item") for i in out) \
            and main_verb(_outside_brackets(text, words) or words) is None:
        out.append(_issue("title-no-finite-verb", "error", "title",
                          f"'{shown}' has no finite verb: it names a topic or a fragment, it asserts nothing",
                          "rewrite as a claim: 'This note argues that <title>' must read as a sentence"))
    return out


_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def _outside_brackets(text: str, words: list[str]) -> list[str]:
    """Lower-cased words of `text` without its bracketed asides: "(lost only 600 holders)" holds no main verb.
    (`words` are those of the whole text: what is left when it has no bracket.)"""
    if "(" not in text and "[" not in text:
        return words
    return _lower(words_of(_BRACKETED.sub(" ", text)))


def _shape_issues(text: str, raw: list[str], words: list[str], shown: str) -> list[QualityIssue]:
    out = []
    stripped = text.rstrip(" \"'\u201d)")
    if stripped.endswith("?") or (words[0] in _QUESTION_OPENERS and not _pseudo_cleft(words)) or \
            (words[0] in _AUX_QUESTION and raw[0][:1].isupper() and len(words) > 2 and "?" in text):
        out.append(_issue("title-question", "error", "title",
                          f"'{shown}' is a question or an indirect question, not an assertion",
                          "answer the question: the claim is the answer the source argues for"))
    if stripped.endswith(":"):
        out.append(_issue("title-heading", "error", "title",
                          f"'{shown}' ends with a colon: it introduces something, it asserts nothing", REWRITE))
    else:
        label = _label(text)
        if label and len(words_of(label.group(1))) <= 5 and finite_verb(_lower(words_of(label.group(1)))) is None:
            out.append(_issue("title-heading", "error", "title",
                              f"'{shown}' opens with the label '{_clip(label.group(1), 40)}': a note's heading, "
                              "not a proposition", "drop the label and state the claim it introduces"))
        else:
            content = [w for w in raw if w.lower() not in _FUNCTION and w[:1].isalpha()]
            capitals = sum(1 for w in content if w[:1].isupper())
            if len(content) >= 3 and capitals / len(content) >= 0.8 and finite_verb(words) is None:
                out.append(_issue("title-heading", "error", "title",
                                  f"'{shown}' is written as a heading (Title Case, no verb)", REWRITE))
    if _LIST_MARKER.match(text) or _bare_list_number(raw):
        out.append(_issue("title-list-item", "error", "title",
                          f"'{shown}' is a list item: it depends on the list and its lead-in", REWRITE))
    if words[-1] in _DANGLING_END or text.rstrip().endswith(("\u2026", "...", ",", ";")) \
            or text.count("(") != text.count(")") or text.count("\u201c") != text.count("\u201d") \
            or text.count('"') % 2:
        out.append(_issue("title-fragment", "error", "title",
                          f"'{shown}' is cut off (it ends mid-phrase or leaves a bracket or quote open)",
                          "finish the sentence, or drop the unfinished aside"))
    if stripped.endswith("!"):
        out.append(_issue("title-exclamation", "warning", "title",
                          f"'{shown}' is an exclamation: a claim states, it does not exclaim",
                          "state it flatly and let the evidence carry the weight"))
    return out


_COPULAS = frozenset("is are was were remains remain becomes become".split())


def _label(text: str) -> re.Match | None:
    """`_LABEL.match(text)` for a title whose whitespace is single spaces: without a colon, an em or en
    dash or a spaced hyphen it cannot match."""
    if ":" in text or "\u2014" in text or "\u2013" in text or " - " in text:
        return _LABEL.match(text)
    return None


def _bare_list_number(raw: list[str]) -> bool:
    """"2 Expand supply for growth", "5 Sometimes ideas …": a number that lost its list punctuation.

    A small number followed by a capitalised word that it cannot count — a verb's base form, an
    adverb, a function word — numbers an item; "12 Democrats voted …" counts a noun and is a claim.
    """
    if len(raw) < 3 or not raw[0].isdigit() or len(raw[0]) > 2 or not raw[1][:1].isupper():
        return False
    follower = raw[1].lower()
    tags = readings(follower)
    return follower in _FUNCTION_WORDS or follower == "not" or not tags & {"NOUN", "PROPN", "ADJ", "UNK"}


def _pseudo_cleft(words: list[str]) -> bool:
    """"what matters is the slope": a wh-clause as the subject of a copula, i.e. an assertion."""
    verbs = finite_verbs(words)
    return len(verbs) >= 2 and any(words[i] in _COPULAS for i in verbs[1:])


def _opener(words: list[str]) -> str:
    """The first word without a contracted auxiliary ("they're" → "they", "it'll" → "it")."""
    return re.sub(r"'(?:re|ve|ll|d|s|m)$", "", words[0])


def _opening_issues(text: str, words: list[str], shown: str) -> list[QualityIssue]:
    out = []
    lowered = " ".join(words)
    connective = _CONNECTIVES.match(lowered)
    if connective:
        out.append(_issue("title-connective", "error", "title",
                          f"'{shown}' opens with '{connective.group()}', which continues a text the reader "
                          "of a standalone claim does not have", "drop the connective and check the claim still holds alone"))
    elif _opener(words) in _ANAPHORS or _ANAPHOR_PHRASES.match(lowered):
        opener = _ANAPHOR_PHRASES.match(lowered)
        said = opener.group() if opener else words[0]
        out.append(_issue("title-anaphor", "error", "title",
                          f"'{shown}' opens with '{said}', which points back at something the claim does not name",
                          "name what it refers to"))
    elif words[0] in _SUBORDINATORS and "," not in text:
        out.append(_issue("title-fragment", "error", "title",
                          f"'{shown}' is a subordinate clause ('{words[0]} …') with no main clause",
                          "state the main clause: what follows from it"))
    elif words[0] in _FIRST_PLURAL_OPENERS:
        out.append(_issue("title-first-person", "error", "title",
                          f"'{shown}' opens with '{words[0]}': the writer speaking, not a claim that stands alone",
                          "name who is meant and state the claim in the third person"))
    elif _imperative(words):
        out.append(_issue("title-imperative", "error", "title",
                          f"'{shown}' is an instruction ('{words[0]} …'), not a proposition that could be true or false",
                          REWRITE))
    elif _subjectless(words, text):
        out.append(_issue("title-fragment", "error", "title",
                          f"'{shown}' has no subject: it opens with the verb '{words[0]}'",
                          "say who or what does it"))
    rest = " ".join(words[1:])
    demonstrative = _DEMONSTRATIVE.search(rest) if "this " in rest or "these " in rest else None
    if demonstrative and not any(i.code == "title-anaphor" for i in out):
        out.append(_issue("title-anaphor", "error", "title",
                          f"'{shown}' says '{demonstrative.group()}', which points at something the claim does not name",
                          "name what it refers to"))
    stripped = text.strip()
    if len(stripped) > 2 and stripped[0] in _OPEN_QUOTES and stripped.rstrip(".")[-1] in _CLOSE_QUOTES:
        out.append(_issue("title-quotation", "error", "title",
                          f"'{shown}' is a quotation: someone's words, not a claim the note argues",
                          "state the claim the quotation supports, and quote it in the body as evidence"))
    return out


_FIRST_PLURAL_OPENERS = frozenset("we our ours we're we've we'll".split())
"""("us" cannot open a sentence as its subject: an opening "us" is the country in a lower-cased title.)"""
_DEMONSTRATIVE = re.compile(r"\b(?:this|these) (?!is\b|are\b|was\b|were\b|means?\b|year\b|week\b|month\b)[a-z][\w-]*")
"""A demonstrative determiner ("this approach", "these results") inside a title: it points back."""
_OPEN_QUOTES = "\"'\u201c\u2018"
_CLOSE_QUOTES = "\"'\u201d\u2019"
_IMPERATIVE_NEXT_WORDS = frozenset(
    "the a an this that these those your our my their its it them us me how what why whether some all any "
    "more less every each".split()
)


def _imperative(words: list[str]) -> bool:
    """A sentence-initial base-form verb ("Accept higher fees", "Design a grants product", "Note that …").

    A word that can only be a verb's base form cannot start a declarative sentence; one that can also
    be a noun or adjective ("Trust matters", "Design matters") is taken as an instruction only when a
    determiner or pronoun follows it.
    """
    if len(words) < 2:
        return False
    tags = readings(words[0])
    if "VB" not in tags:
        return False
    if not tags & {"NOUN", "ADJ", "PROPN", "ADV"}:
        return True
    return words[1] in _IMPERATIVE_NEXT_WORDS


_MODAL_OPENERS = frozenset(
    "can could will would shall should must may might cannot can't won't wouldn't couldn't shouldn't".split()
)


def _subjectless(words: list[str], text: str) -> bool:
    """A title that opens with an inflected verb or a modal ("Proposes …", "Designed to …", "Could not …")."""
    first = words[0]
    if first in _MODAL_OPENERS and "?" not in text:
        return True
    tags = readings(first)
    if not tags & {"VBZ", "VBD", "VBN"} or tags & {"NOUN", "ADJ", "PROPN", "VB", "UNK", "ADV"}:
        return False
    if "VBZ" in tags:
        return True
    # a past participle can also modify the subject ("established creators generate …"): subjectless only
    # when what follows cannot be its noun ("Designed to …", "Positioned as …", "Published in …")
    after = words[1] if len(words) > 1 else ""
    return after in _DETERMINERS_AND_PREPOSITIONS or after in ("as", "to", "by", "that") or \
        readings(after) <= {"ADV", "OTHER"}


def _reference_issues(text: str, words: list[str], shown: str) -> list[QualityIssue]:
    out = []
    lowered = " ".join(words)
    unnamed = _UNNAMED_WORK.search(lowered)
    if unnamed and not _ANAPHOR_PHRASES.match(lowered):
        out.append(_issue("title-unnamed-reference", "error", "title",
                          f"'{shown}' mentions '{unnamed.group()}' without naming it: a reader of the claim cannot tell which",
                          "name the work or the people (author, year, title), or state the finding without them"))
    found = set(words)
    if found & _FIRST_SINGULAR:
        out.append(_issue("title-first-person", "error", "title",
                          f"'{shown}' speaks as 'I': it reports someone's experience, not a claim anyone can check",
                          "say who holds the view or what shows it, in the third person"))
    elif found & _FIRST_PLURAL:
        out.append(_issue("title-first-person", "warning", "title",
                          f"'{shown}' says 'we'/'our': who is meant depends on who is writing",
                          "name the group meant"))
    if found & _SECOND:
        out.append(_issue("title-second-person", "error", "title",
                          f"'{shown}' addresses the reader ('you'): a claim states, it does not address",
                          "state it in the third person"))
    deictic = _DEICTIC.search(lowered) if any(cue in lowered for cue in _DEICTIC_CUES) else None
    if deictic:
        out.append(_issue("title-deictic", "warning", "title",
                          f"'{shown}' says '{deictic.group()}', which is true only relative to when it was written",
                          "give the date or period"))
    return out


# -- description -----------------------------------------------------------------

_META_DESCRIPTION = re.compile(
    r"^\W*(?:machine candidate|candidate (?:claim )?from|extracted from|quoted (?:verbatim )?from|"
    r"sentence \d+ of|a claim (?:from|about)|this (?:note|claim)\b|the (?:note|claim) (?:argues|says|states)|"
    r"see (?:the )?(?:source|body)|todo|tbd)\b",
    re.IGNORECASE,
)
_STOPWORDS = frozenset(
    "a an the of in on at to for from by with into onto and or nor but so as than that which who whom whose "
    "this these those it its is are was were be been being am do does did has have had can could will would "
    "should may might must not no very more most less least such then there their they them we our you "
    "your he she his her i me my about over under between through while when where why how what if because "
    "since via per each every all any some both either neither also just only even".split()
)


def _content(words: list[str]) -> list[str]:
    """The content words of lower-cased `words`, a plural's final s dropped."""
    return [w.rstrip("s") if len(w) > 3 else w for w in words if w not in _STOPWORDS]


def judge_description(title: str, description: str | None) -> list[QualityIssue]:
    """Does the description add something the title does not say, standing on its own?"""
    if description is None or not str(description).strip():
        return [_issue("description-missing", "error", "description", "the claim has no description",
                       "add one sentence saying what the title does not: the mechanism, the evidence or the scope")]
    text = " ".join(str(description).split())
    shown = _clip(text)
    words = _lower(words_of(text))
    out = []
    if _META_DESCRIPTION.match(text):
        return [_issue("description-meta", "error", "description",
                       f"the description '{shown}' talks about the note, not about the claim",
                       "say what the title does not: the mechanism, the evidence or the scope")]
    if text.rstrip(" \"'\u201d)").endswith(":") or len(words) < MIN_DESCRIPTION_WORDS:
        out.append(_issue("description-fragment", "error", "description",
                          f"the description '{shown}' is a heading or a fragment, not a sentence",
                          "write one sentence that adds the mechanism, the evidence or the scope"))
        return out
    if not finite_verbs(words):  # any clause will do: "A strategy that starts with …" describes well enough
        out.append(_issue("description-fragment", "error", "description",
                          f"the description '{shown}' has no finite verb: a label or a fragment, not a sentence",
                          "write one sentence that adds the mechanism, the evidence or the scope"))
    lowered = " ".join(words)
    connective = _CONNECTIVES.match(lowered)
    if connective or _opener(words) in _ANAPHORS or _ANAPHOR_PHRASES.match(lowered):
        said = connective.group() if connective else words[0]
        out.append(_issue("description-copies-neighbour", "error", "description",
                          f"the description opens with '{said}': it is a sentence that leans on the one before it, "
                          "so it does not stand under this title", "write a sentence that stands on its own"))
    added = _content(words)
    title_words = _lower(words_of(title))
    title_set = set(_content(title_words))
    new = [w for w in added if w not in title_set]
    if " ".join(title_words) == lowered or not new:
        out.append(_issue("description-copies-title", "error", "description",
                          "the description repeats the title and adds nothing",
                          "add the mechanism, the evidence or the scope instead of restating the title"))
    elif added and (len(added) - len(new)) / len(added) >= 0.8:
        out.append(_issue("description-restates-title", "warning", "description",
                          f"the description adds little beyond the title ({len(added) - len(new)} of its "
                          f"{len(added)} content words are in the title)",
                          "add the mechanism, the evidence or the scope instead of restating the title"))
    return out


# -- evidence --------------------------------------------------------------------

_ARGUMENT_END = re.compile(
    r"^(?:-{3,}\s*$|\*{0,2}(?:Relevant Notes|Related Notes|Topics)\*{0,2}\s*:"
    r"|#{1,6}\s*(?:Relevant Notes|Related Notes|Related Claims|Topics)\b)",
    re.IGNORECASE,
)
_ARGUMENT_END_FIRST = frozenset("-*#RrTt")
"""The characters a line that `_ARGUMENT_END` matches can start with (no other character case-folds to r or t)."""
_QUOTE_THEN_SOURCE = re.compile(r"((?:^>[^\n]*\n?)+)\s*\n?\(from \[\[([^\]\n]+)\]\](?:, line \d+)?\)", re.MULTILINE)
_BLOCKQUOTE = re.compile(r"(?:^>[^\n]*(?:\n|$))+", re.MULTILINE)
MIN_ARGUMENT_CHARS = 40


def argument(body: str) -> str:
    """The body's argument: after the H1, before the `---` / Relevant Notes / Topics tail."""
    lines = body.splitlines()
    start = 0
    for index, line in enumerate(lines):
        if line.startswith("# "):
            start = index + 1
            break
        if line.strip():
            break
    end = len(lines)
    for index in range(start, end):
        line = lines[index]
        if line[:1] in _ARGUMENT_END_FIRST and _ARGUMENT_END.match(line):
            end = index
            break
    return "\n".join(lines[start:end]).strip()


def evidence_quotes(body: str) -> list[str]:
    """The quoted passages of a body: `> …` blocks cited `(from [[source]], line N)`, else every `> …` block."""
    cited = [m.group(1) for m in _QUOTE_THEN_SOURCE.finditer(body)]
    blocks = cited or [m.group() for m in _BLOCKQUOTE.finditer(body)]
    out = []
    for block in blocks:
        text = " ".join(line.lstrip(">").strip() for line in block.splitlines())
        text = text.replace("&lt;", "<").replace("&gt;", ">").strip()
        if text:
            out.append(text)
    return out


def _has_chars(text: str, count: int) -> bool:
    """Are `text`'s words, joined by single spaces, at least `count` characters long?

    Judged on a head of the text first: the words of a prefix never join into more characters than
    the words of the whole, so a long body is settled without joining all of it.
    """
    head = text[: 4 * count]
    if len(" ".join(head.split())) >= count:
        return True
    return len(head) < len(text) and len(" ".join(text.split())) >= count


def judge_evidence(body: str, *, source_text: str | None = None) -> list[QualityIssue]:
    """The body argues; with `source_text`, every quoted passage is found in the source."""
    text = argument(body or "")
    if not _has_chars(text, MIN_ARGUMENT_CHARS):
        return [_issue("body-empty", "error", "body", "the body has no argument: nothing says why the claim holds",
                       "explain the mechanism and cite the evidence (a quote from the source, figures, a link)")]
    if source_text is None:
        return []
    from teleo.gates.grounding import ground

    out = []
    for quote in evidence_quotes(body):
        if not ground(quote, source_text).found:
            out.append(_issue("evidence-ungrounded", "error", "evidence",
                              f"the quoted passage \u201c{_clip(quote, 60)}\u201d is not in the source",
                              "quote the source verbatim, or drop the quotation"))
    return out


def judge_claim(
    title: str, description: str | None, body: str, *, source_text: str | None = None
) -> list[QualityIssue]:
    """Every issue of a claim: its title, its description, its body and evidence (module doc)."""
    return [*judge_title(title), *judge_description(title, description), *judge_evidence(body, source_text=source_text)]


__all__ = [
    "QualityIssue",
    "argument",
    "evidence_quotes",
    "finite_verb",
    "finite_verbs",
    "main_verb",
    "is_mergeable",
    "judge_claim",
    "judge_description",
    "judge_evidence",
    "judge_title",
    "words_of",
]
