"""The claim-quality rubric (teleo.gates.quality): good claims pass, each kind of junk fails with its code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from teleo.gates import Severity, check
from teleo.gates.quality import QualityIssue, is_mergeable, judge_claim, judge_evidence, judge_title

GOOD_TITLES = [
    "prediction markets aggregate dispersed information better than expert panels",
    "rural clinics that share one pharmacist lose fewer prescriptions to transcription errors",
    "open-source compilers outlived their commercial rivals because maintenance costs were shared",
    "what matters in a supply shock is how long inventories last, not how large the shock is",
    "heat pumps cut household heating emissions by half in cold climates when the grid is clean",
    "Ostrom showed that communities can govern common pool resources without a central authority",
    "tidal energy remains niche because turbines corrode faster than investors expected",
    "a four-day week kept output steady in the trial firms while sick days fell",
    "established creators earn more from owned subscriptions than from platform advertising",
    "early action on civilizational trajectories compounds because reality has inertia",
    "sycophancy always increases with model scale under preference fine-tuning",
]


# "X fell/rose/increased by N": a change by an amount. A form that is only a past tense (fell, rose, grew)
# cannot be a passive participle, and "by" before a measure ("by 90 percent", "by a third", "by more than
# half", "by orders of magnitude") names the size of a change, not an agent.
CHANGE_BY_AMOUNT = [
    "wind turbine prices fell by 40 percent over the last decade",
    "household debt rose by a third after the rate cut",
    "ferry ridership grew by 12 percent once fares were capped",
    "clinic waiting times increased by more than half during the nurses' strike",
    "retail deposits declined by roughly 8% in the quarter after the bank run",
    "battery energy density improved by orders of magnitude since 1991",
    "median rents dropped by about two hundred dollars when the new towers opened",
    "the cooperative's output doubled by 2019 without new members",
    "crop yields shrank by a factor of three in the drought years",
]


@pytest.mark.parametrize("title", CHANGE_BY_AMOUNT)
def test_a_change_by_an_amount_has_a_finite_verb(title):
    assert [i for i in judge_title(title) if i.severity == "error"] == []


# A past form with no object after it is the verb when its verb is commonly used without one (a change of
# state, a motion, a prepositional verb, a to-infinitive after a control verb); a plural subject stays a
# noun before a past form; a phrasal verb keeps its object.
PAST_TENSE_CLAIMS = [
    "household spending doubled in the decade after the reform",
    "users migrated to the rival exchange within a week",
    "the regulator rolled back its disclosure rule after the lawsuit",
    "the largest banks accounted for most of the new lending",
    "the charity aimed to halve child malnutrition within five years",
    "the audit shows reduced trading activity after the fee change",
    "the new tariffs raise prices for small importers",
    "the quarterly bars indicate the share of the budget allocated to each ward",
    "gender-balanced juries outperformed on complex cases (in the 2019 mock-trial study)",
    "older people often distrust automated triage at hospital front desks",
    "40 Democrats voted against the farm bill in committee",
    # a base form that is also a noun, after a plural subject and its prepositional modifier
    "doses in the first hour after admission matter more than the total number of doses given",
]


@pytest.mark.parametrize("title", PAST_TENSE_CLAIMS)
def test_a_past_tense_without_an_object_is_still_a_verb(title):
    assert [i for i in judge_title(title) if i.severity == "error"] == []


# A regular -ed form with no object and no other verb is the participle of a headline, not a sentence.
PARTICIPLE_FRAGMENTS = [
    "large upfront investment required for every new depot",
    "two million tickets sold to overseas visitors",
    "basic version of the app deployed to the test network",
    "nearly half of all adoptees served by the largest agencies",  # an -s word the lexicon lacks
    "grain prices manipulated by a handful of exporters",
    # a bracketed aside holds no main verb
    "hospital occupancy during the winter surge (it peaked at 97 percent in January)",
]


@pytest.mark.parametrize("title", PARTICIPLE_FRAGMENTS)
def test_a_participle_headline_has_no_finite_verb(title):
    assert "title-no-finite-verb" in {i.code for i in judge_title(title) if i.severity == "error"}


@pytest.mark.parametrize("title", ["they're paid less than the national median wage",
                                   "they'll co-produce an animated series for the streaming market"])
def test_a_contracted_anaphor_still_opens_with_an_anaphor(title):
    assert "title-anaphor" in {i.code for i in judge_title(title) if i.severity == "error"}


@pytest.mark.parametrize("title", GOOD_TITLES)
def test_good_titles_pass(title):
    assert [i for i in judge_title(title) if i.severity == "error"] == []


JUNK = [
    ("hello from stdin about markets and prices being manipulated by traders", "title-no-finite-verb"),
    ("persistent disagreement between regional water boards", "title-no-finite-verb"),
    ("programmes in which community health workers can act directly", "title-no-finite-verb"),
    ("They doubled the budget within two years of the launch", "title-anaphor"),
    ("This explains why the pilot failed in the northern districts", "title-anaphor"),
    ("the authors traced most of the difference to choices made after licensing", "title-anaphor"),
    ("However, the second cohort recovered faster than the first", "title-connective"),
    ("for example by arranging transport or submitting benefit applications", "title-connective"),
    ("Why do cooperatives outlast their founders?", "title-question"),
    ("How the protocol settles disputes", "title-question"),
    ("Key findings:", "title-heading"),
    ("Current state: single-digit productivity gains in some teams", "title-heading"),
    ("Regional Grid Storage Outlook", "title-heading"),
    ("1. Hospitals bill the insurer before discharge", "title-list-item"),
    ("Consider the case of a farmer who sells forward contracts", "title-imperative"),
    ("Because the reservoir was nearly empty by August", "title-fragment"),
    ("grid operators pay the highest prices when the", "title-fragment"),
    ("Results were replicated by the study in three countries", "title-unnamed-reference"),
    ("I think the new tariff will hurt small exporters", "title-first-person"),
    ("ok", "title-too-short"),
    ("Proposes a levy on every transfer above the threshold", "title-fragment"),
    ("Designed to catch descending boosters with cables and nets", "title-fragment"),
    ("Accept higher fees in exchange for faster settlement", "title-imperative"),
    ("We will publish the audited accounts after the vote", "title-first-person"),
    ("You should be able to claim the rewards next week", "title-second-person"),
    ("the committee rejected this approach after the second hearing", "title-anaphor"),
    ("\u201cPlatforms shape what creators make more than audiences do\u201d", "title-quotation"),
    ("https://example.org/report-2024", "title-not-prose"),
    # a passive participle before its agent is still no finite verb (the "by" rule above is for amounts)
    ("grain prices manipulated by a handful of exporters", "title-no-finite-verb"),
    ("vaccine uptake driven by employer mandates", "title-no-finite-verb"),
    ("bridge tolls increased by the regional authority", "title-no-finite-verb"),
]


@pytest.mark.parametrize(("title", "code"), JUNK)
def test_junk_titles_fail_with_their_code(title, code):
    issues = judge_title(title)
    assert code in {i.code for i in issues if i.severity == "error"}, issues
    assert not is_mergeable(issues)
    issue = next(i for i in issues if i.code == code)
    assert issue.field == "title" and issue.message and issue.suggestion


@pytest.mark.parametrize("title", ["2 Expand the grant pool before the next round",
                                   "5 Sometimes members propose the best ideas themselves",
                                   "3 The results are shown in the appendix"])
def test_a_number_that_lost_its_list_punctuation_is_a_list_item(title):
    assert "title-list-item" in {i.code for i in judge_title(title) if i.severity == "error"}


def test_a_time_relative_to_writing_only_weakens():
    issues = judge_title("the exchange delisted the token three weeks ago after the audit")
    assert "title-deictic" in {i.code for i in issues} and is_mergeable(issues)


def test_warnings_only_weaken():
    issues = judge_title("rents rose fastest in the cities where we restricted new building today")
    assert {i.code for i in issues} >= {"title-first-person", "title-deictic"}
    assert all(i.severity == "warning" for i in issues) and is_mergeable(issues)


BODY = (
    "# t\n\nIn the 2019 drought, farms on the shared canal cut water use by 30 percent while farms that pumped "
    "privately cut nothing, because the canal board could see and price every withdrawal.\n\n"
    "> the canal board priced every withdrawal\n(from [[2019-canal-report]], line 12)\n"
)
SOURCE = "In 2019 the canal board priced every withdrawal and published the ledger weekly."
TITLE = "shared canals ration water better than private pumps because withdrawals are visible"
DESCRIPTION = "In a drought year farms on a priced, shared canal cut use by a third and private pumpers cut none"


def test_a_good_claim_is_mergeable():
    issues = judge_claim(TITLE, DESCRIPTION, BODY, source_text=SOURCE)
    assert is_mergeable(issues), issues
    assert all(isinstance(i, QualityIssue) for i in issues)


@pytest.mark.parametrize(("description", "code"), [
    (None, "description-missing"),
    (TITLE, "description-copies-title"),
    ("This is why the board published the ledger every week", "description-copies-neighbour"),
    ("However, the pumpers later joined the canal scheme in large numbers", "description-copies-neighbour"),
    ("Key figures:", "description-fragment"),
    ("Direct sales alongside retail partnerships in three regions", "description-fragment"),
    ("Machine candidate from \u201ccanal report\u201d: followed by \u201cthe board met\u201d", "description-meta"),
])
def test_bad_descriptions(description, code):
    issues = judge_claim(TITLE, description, BODY)
    assert code in {i.code for i in issues if i.severity == "error"}, issues


def test_evidence_must_be_in_the_source():
    body = BODY.replace("the canal board priced every withdrawal", "the board invented a price for rain")
    issues = judge_claim(TITLE, DESCRIPTION, body, source_text=SOURCE)
    assert "evidence-ungrounded" in {i.code for i in issues}
    assert judge_claim(TITLE, DESCRIPTION, body) == []  # without the source, grounding is not judged


def test_empty_body_is_an_error():
    issues = judge_claim(TITLE, DESCRIPTION, "# t\n\n---\n\nRelevant Notes:\n- [[x]]\n")
    assert "body-empty" in {i.code for i in issues if i.severity == "error"}


@pytest.mark.parametrize(("argument", "empty"), [
    ("x" * 39, True),
    ("x" * 40, False),
    (" \n\t ".join("word") + "\n" * 300 + "y" * 32, False),  # "w o r d" + " " + 32 = 40 characters
    (" \n\t ".join("word") + "\n" * 300 + "y" * 31, True),  # 39
    ("a" + "\u3000 \n" * 200 + "b " * 20, False),  # Unicode spaces collapse too: "a" + 20 × " b" = 41
    ("a" + "\u3000 \n" * 200 + "b " * 19, True),  # 39
])
def test_an_argument_is_counted_with_its_spaces_collapsed(argument, empty):
    """The body's argument needs 40 characters with every run of whitespace read as one space, however
    much whitespace stands between its words (a long run must not hide the words after it)."""
    issues = judge_evidence(f"# t\n\n{argument}\n")
    assert ("body-empty" in {i.code for i in issues}) is empty


def test_issue_is_frozen():
    issue = judge_title("ok")[0]
    with pytest.raises(Exception):
        issue.code = "other"  # type: ignore[misc]


# -- the lint rule -----------------------------------------------------------------

STDIN_TITLE = "hello from stdin about markets and prices being manipulated by traders"


def _note(title: str, description: str) -> str:
    return (
        "---\ntype: claim\ndomain: internet-finance\n"
        f'description: "{description}"\n'
        "confidence: speculative\nsource: \"stdin\"\ncreated: 2026-03-01\n---\n\n"
        f"# {title}\n\n{BODY.split(chr(10), 2)[2]}"
    )


def test_lint_reports_claim_quality_errors_with_lines(make_vault):
    vault = make_vault({
        f"domains/internet-finance/{STDIN_TITLE}.md": _note(STDIN_TITLE, "This is what the traders said next"),
        f"domains/internet-finance/{TITLE}.md": _note(TITLE, DESCRIPTION),
    })
    findings = [f for f in check(vault, rules=["claim-quality"]).findings]
    bad = {f.message.split(":")[0]: f for f in findings if STDIN_TITLE in f.file}
    assert bad["title-no-finite-verb"].severity == Severity.ERROR and bad["title-no-finite-verb"].line == 10
    assert bad["description-copies-neighbour"].line == 4 and bad["description-copies-neighbour"].field == "description"
    assert all(f.suggestion for f in bad.values())
    assert not [f for f in findings if TITLE in f.file]


_PIECES = ["the", "this", "these", "year", "days", "ago", "so", "far", "today", "monday", "next", "week", "label",
           ":", "\u2014", "\u2013", "-", "a-b", "x:", "now", "right", "to", "date", "as", "of", "Growth", "fell"]


@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=14), st.sampled_from(["", " "]))
def test_the_prefilters_skip_only_texts_their_pattern_cannot_match(pieces, joiner):
    """The title checks skip a pattern when a text lacks every piece of text the pattern needs: the
    label (colon or dash), the deictic phrases (their cues) and the demonstratives ("this "/"these ")."""
    from teleo.gates import quality

    text = " ".join((joiner.join(pieces)).split())
    fast, full = quality._label(text), quality._LABEL.match(text)
    assert (fast and (fast.span(), fast.groups())) == (full and (full.span(), full.groups()))
    lowered = text.lower()
    if quality._DEICTIC.search(lowered):
        assert any(cue in lowered for cue in quality._DEICTIC_CUES)
    if quality._DEMONSTRATIVE.search(lowered):
        assert "this " in lowered or "these " in lowered
