"""Gates 2–6 and 12 of reference §5 for claims (and convictions, which are claim-shaped).

- `title-h1`: filename stem = H1 = frontmatter `title:` (normalised comparison);
- `claim-title-proposition`: the title is long enough to state a proposition (the rest of the
  §7.4 test — finite verb, no anaphor, not a question or fragment — is `claim-quality`);
- `claim-title-universal`: no unwarranted universals (all/always/never/the only/…);
- `claim-description`: one sentence of text, long enough (whether it adds to the title: `claim-quality`);
- `claim-evidence`: the argument cites at least one evidence item;
- `claim-counter-evidence`: likely/proven claims acknowledge counter-evidence.

All of them are heuristics over text; none raises on odd frontmatter values.
"""

from __future__ import annotations

import re

from teleo.gates.findings import Severity
from teleo.gates.rules.values import non_empty
from teleo.gates.registry import note_rule
from teleo.notes import Kind
from teleo.vault import normalise_title

_CLAIMISH = (Kind.CLAIM, Kind.CONVICTION)

# -- shared text helpers ---------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2018\u2019`]")


def title_words(text: str) -> list[str]:
    """Lower-case words of a title: hyphens and underscores are spaces, apostrophes dropped."""
    text = _APOSTROPHES.sub("", text.lower()).replace("-", " ").replace("_", " ")
    return _WORD.findall(text)


def _text(value) -> str | None:
    """A frontmatter value as text, or None when it is not a scalar."""
    if value is None or isinstance(value, (list, dict, tuple, bool)):
        return None
    text = str(value).strip()
    return text or None


# -- title-h1 --------------------------------------------------------------------


@note_rule("title-h1", Severity.WARNING, "the H1 and any frontmatter title repeat the filename (the title)", _CLAIMISH)
def title_h1(ctx, note):
    stem = note.title
    want = normalise_title(stem)
    heading = note.doc.h1()
    if heading is None:
        yield ctx.finding(
            "title-h1", note, note.doc.body_start_line, "no '# ' H1 heading repeating the title",
            severity=Severity.INFO, suggestion=f"add the heading '# {stem}' at the top of the body",
        )
    else:
        text, line = heading
        if normalise_title(text) != want:
            yield ctx.finding(
                "title-h1", note, line, f"H1 '{_clip(text)}' differs from the filename '{_clip(stem)}'",
                suggestion=f"set the H1 to '# {stem}', or rename the file if the H1 is the better title",
            )
    declared = note.data.get("title")
    if declared is not None:
        text = _text(declared)
        if text is None or normalise_title(text) != want:
            shown = _clip(text) if text is not None else type(declared).__name__
            yield ctx.finding(
                "title-h1", note, note.doc.line_of("title"),
                f"frontmatter title '{shown}' differs from the filename '{_clip(stem)}'", field="title",
                suggestion="remove the title field (the filename is the title) or make it match",
            )


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- claim-title-proposition -----------------------------------------------------

from teleo.gates.quality import AUXILIARIES  # noqa: E402,F401 - re-exported for older imports
from teleo.gates.quality import finite_verb as verb_signal  # noqa: E402 - one verb test, in the rubric


@note_rule(
    "claim-title-proposition", Severity.WARNING,
    "the title is long enough to state a proposition (the rest of the proposition test is claim-quality)",
    _CLAIMISH,
)
def title_proposition(ctx, note):
    """Short titles only weaken a claim; a title with no finite verb is a `claim-quality` error."""
    words = title_words(note.title)
    minimum = ctx.config.thresholds.title_min_words
    if len(words) < minimum:
        yield ctx.finding(
            "claim-title-proposition", note, _title_line(note),
            f"title '{_clip(note.title)}' has {len(words)} words; a claim title states a proposition "
            f"of at least {minimum} words",
            suggestion="state the claim as a sentence someone could disagree with: what happens, to what, and why",
        )


def _title_line(note) -> int:
    heading = note.doc.h1()
    return heading[1] if heading else 1


# -- claim-title-universal -------------------------------------------------------

_UNIVERSAL = re.compile(
    r"(?<!\bnot )(?<!\balmost )(?<!\bnearly )(?<!\bat )(?<!\bafter )(?<!\babove )"
    r"\b(all(?! (?:but|in|of (?:the )?(?:two|three|four|five))\b)(?! (?:two|three|four|five|six|\d+)\b)"
    r"|always|never|the only|the fundamental|everyone|everything|everybody|no one|nobody|impossible)\b"
)

_UNIVERSAL_KEYS = ("all", "always", "never", "only", "fundamental", "every", "one", "body", "impossible")


@note_rule(
    "claim-title-universal", Severity.WARNING,
    "the title avoids unwarranted universals (all, always, never, the only, the fundamental, …)", [Kind.CLAIM],
)
def title_universal(ctx, note):
    lowered = note.title.lower()
    if not any(key in lowered for key in _UNIVERSAL_KEYS):
        return
    text = " ".join(title_words(note.title))
    found = []
    for match in _UNIVERSAL.finditer(text):
        if match.group(1) not in found:
            found.append(match.group(1))
    if found:
        listed = ", ".join(f"'{w}'" for w in found)
        yield ctx.finding(
            "claim-title-universal", note, _title_line(note),
            f"title uses the universal {listed}; universals make scoped claims look contradictory",
            suggestion="scope it (which cases, where, when, 'most'…) or argue in the body why the universal holds",
        )


# -- claim-description -----------------------------------------------------------

_SENTENCE_END = re.compile(r"([.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z])")
_ABBREVIATIONS = frozenset("e.g i.e vs etc dr mr mrs ms st no al fig cf inc ltd co corp jr sr approx est".split())
_STOPWORDS = frozenset(
    "a an the of in on at to for from by with into onto and or nor but so as than that which who whom whose "
    "this these those it its is are was were be been being am do does did has have had can could will would "
    "should may might must not no yes very more most less least such then there their they them we our you "
    "your he she his her i me my about over under between through while when where why how what if because "
    "since via per each every all any some both either neither also just only even".split()
)


def sentence_count(text: str) -> int:
    """Sentences in `text`, not splitting after abbreviations, initials or decimals."""
    count = 1
    for match in _SENTENCE_END.finditer(text):
        before = text[max(0, match.start(1) - 40) : match.start(1)].rsplit(None, 1)
        token = before[-1] if before else ""
        bare = token.lower().strip("(\"'")
        if match.group(1) == "." and (bare in _ABBREVIATIONS or (len(bare) == 1 and bare.isalpha()) or "." in bare):
            continue
        if match.end() < len(text):
            count += 1
    return count




def content_words(text: str) -> list[str]:
    return [w for w in title_words(text) if w not in _STOPWORDS]


@note_rule(
    "claim-description", Severity.WARNING,
    "the description is one sentence of text and long enough", [Kind.CLAIM],
)
def description_quality(ctx, note):
    raw = note.data.get("description")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return  # missing: schema-required reports it
    line = note.doc.line_of("description")
    text = _text(raw)
    if text is None:
        yield ctx.finding(
            "claim-description", note, line, f"description is a YAML {type(raw).__name__}, not one sentence of text",
            field="description", suggestion="write the description as a single quoted string",
        )
        return
    minimum = ctx.config.thresholds.description_min_chars
    if len(text) < minimum:
        yield ctx.finding(
            "claim-description", note, line,
            f"description is {len(text)} characters; at least {minimum} are expected",
            field="description", suggestion="say what the title does not: the mechanism, the evidence or the scope",
        )
    # whether it adds to the title is judged by claim-quality (teleo.gates.quality)
    sentences = sentence_count(text)
    if sentences > 1:
        yield ctx.finding(
            "claim-description", note, line, f"description has {sentences} sentences; it should be one",
            field="description", severity=Severity.INFO,
            suggestion="keep one sentence in the description; move the rest into the body",
        )


# -- claim-evidence --------------------------------------------------------------

_ARGUMENT_END = re.compile(
    r"(?:-{3,}\s*$|\*{0,2}(?:Relevant Notes|Related Notes|Topics)\*{0,2}\s*:"
    r"|#{1,6}\s*(?:Relevant Notes|Related Notes|Related Claims|Topics)\b)",
    re.IGNORECASE,
)
"""Where the argument ends: a horizontal rule or the Relevant Notes / Topics lists (matched per line)."""
_END_FIRST_CHARS = frozenset("-*#RrTt")
_EVIDENCE_SIGNALS = (
    # figures, years, percents, money: "2024", "30 percent", "5%", "$3B" (the leading class keeps the scan fast)
    re.compile(r"[0-9$\u20ac\u00a3](?:[0-9]|(?<=[0-9])\s*(?:%|percent\b)|(?<=[$\u20ac\u00a3])\s?[0-9])"),
    # quotations of 12+ characters and block quotes (the text is searched with a leading newline)
    re.compile(r"[\"\u201c\n](?:(?<=\")[^\"\n]{12,}\"|(?<=\u201c)[^\u201d\n]{12,}\u201d|(?<=\n)>[ \t]*\S)"),
    re.compile(r"https?://|\[[^\]\n]+\]\([^)\s]+\)"),  # URLs, markdown links
    # an Evidence section or an enrichment's provenance line
    re.compile(r"\n(?:#{2,6}[ \t]*(?:[Aa]dditional[ \t]+)?(?:Evidence|EVIDENCE|evidence)\b|\*Source:)"),
    # a named attribution: "Heylighen identified", "Arrow (1951) proved"
    re.compile(
        r"\b[A-Z][\w\-]+(?:'s|\u2019s)?\s+(?:\([^)\n]{0,40}\)\s+)?(?:identified|found|finds|showed|shows|argued|"
        r"argues|demonstrated|demonstrates|documented|documents|observed|observes|reported|reports|estimated|"
        r"estimates|measured|measures|proved|proves|described|describes|wrote|writes|coined|formalized|"
        r"formalised|modeled|modelled|studied|analyzed|analysed)\b"
    ),
)
EVIDENCE_MIN_CHARS = 300


def argument_text(body: str) -> tuple[str, int]:
    """(text, offset) of the argument: after the H1, before the `---` / Relevant Notes / Topics tail."""
    start = 0
    if body.startswith("# "):
        start = body.find("\n") + 1 or len(body)
    else:
        found = body.find("\n# ")
        if found >= 0:
            start = body.find("\n", found + 1) + 1 or len(body)
    position = start
    end = len(body)
    for line in body[start:].splitlines(keepends=True):
        if line[:1] in _END_FIRST_CHARS and _ARGUMENT_END.match(line):
            end = position
            break
        position += len(line)
    return body[start:end], start


@note_rule(
    "claim-evidence", Severity.WARNING, "the argument cites evidence (a quote, a figure, a source, a link)",
    [Kind.CLAIM],
)
def evidence(ctx, note):
    text, _ = argument_text(note.doc.body)
    text = "\n" + text
    size = len(text.strip())
    if any(signal.search(text) for signal in _EVIDENCE_SIGNALS) or _cites_source(ctx, note):
        if size < EVIDENCE_MIN_CHARS:
            yield ctx.finding(
                "claim-evidence", note, _title_line(note), f"the argument is only {size} characters long",
                severity=Severity.INFO, suggestion="explain the mechanism and the evidence in the body",
            )
        return
    yield ctx.finding(
        "claim-evidence", note, _title_line(note),
        "the argument cites no evidence: no quote, figure, year, URL, source link or Evidence section",
        suggestion="add the evidence inline (data, a quotation, a [[source]] link) or an '## Evidence' section",
    )


def _cites_source(ctx, note) -> bool:
    """A body link that resolves to a source note (an archived article, paper, thread)."""
    for link, resolution in ctx.resolved_links(note):
        if link.in_frontmatter:
            continue
        path = resolution.path
        if path is not None and (path.startswith("inbox/") or ctx.kind_of(path) == Kind.SOURCE):
            return True
    return False


# -- claim-counter-evidence ------------------------------------------------------


_COUNTER_SECTION = re.compile(
    r"\n(?:#{2,6}[ \t]*(?:Challenges?|Counter[- ]?(?:evidence|arguments?|points?)|Limitations|Objections|"
    r"Caveats|Risks|What Would Change|Disconfirm|Additional Evidence \(challenge\))"
    r"|\*\*[ \t]*(?:Challenges?|Limitations|Objections|Caveats))",
    re.IGNORECASE,
)
"""A counter-evidence section: searched in the body with a leading newline (line starts, fast)."""


@note_rule(
    "claim-counter-evidence", Severity.WARNING,
    "likely/proven claims acknowledge counter-evidence (challenged_by or a Challenges section)", [Kind.CLAIM],
)
def counter_evidence(ctx, note):
    confidence = _text(note.data.get("confidence"))
    if confidence is None or confidence.lower() not in ("likely", "proven"):
        return
    if non_empty(note.data.get("challenged_by")):
        return
    body = note.doc.body
    if "**Counter" in body or "**counter" in body or _COUNTER_SECTION.search("\n" + body):
        return
    yield ctx.finding(
        "claim-counter-evidence", note, note.doc.line_of("confidence"),
        f"confidence is {confidence} but there is no challenged_by and no Challenges / Counter-evidence / "
        "Limitations section",
        field="confidence",
        suggestion="add challenged_by: [[opposing claim]] or a '## Challenges' section, or lower the confidence",
    )
