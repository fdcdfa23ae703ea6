"""Claim gates: title-h1, proposition, universals, description, evidence, counter-evidence; duplicate titles."""

from __future__ import annotations

import datetime as dt

from teleo.gates import Severity, check
from teleo.gates.rules.claims import argument_text, sentence_count, title_words, verb_signal
from teleo.vault import Vault

TODAY = dt.date(2026, 11, 26)
GOOD_TITLE = "futarchy enables conditional ownership coins because markets price proposals"
GOOD_DESCRIPTION = "Conditional markets let holders exit before a treasury decision, which makes ownership credible"
EVIDENCED = (
    "MetaDAO ran 60 proposals through conditional markets in 2024; traders who disagreed with a pass could sell "
    "into the fail market, so the majority could not extract value from the minority without paying for it. "
    "That exit right is the difference between a governance token and an ownership coin, and it is priced "
    "continuously, so a raid on the treasury shows up as a price gap before the decision settles.\n"
)


def claim(
    title: str = GOOD_TITLE,
    *,
    description: str | None = GOOD_DESCRIPTION,
    confidence: str = "experimental",
    extra: str = "",
    h1: str | None = None,
    body: str = EVIDENCED,
) -> str:
    """A claim note: frontmatter lines 1–8 (+ extra), body from line 9, `# h1` on line 10 (without extra)."""
    lines = ["---", "type: claim", "domain: internet-finance"]
    if description is not None:
        lines.append(f'description: "{description}"')
    lines += [f"confidence: {confidence}", 'source: "test"', "created: 2026-03-01"]
    if extra:
        lines += extra.strip("\n").split("\n")
    lines += ["---", ""]
    if h1 != "":
        lines += [f"# {h1 if h1 is not None else title}", ""]
    return "\n".join(lines) + "\n" + body + "\n---\n\nRelevant Notes:\n- [[other]]\n"


def run(vault: Vault, rule: str):
    return [f for f in check(vault, rules=[rule], today=TODAY).findings if f.rule == rule]


def one_claim(make_vault, text: str, title: str = GOOD_TITLE) -> Vault:
    return make_vault({f"domains/internet-finance/{title}.md": text})


# -- title-h1 --------------------------------------------------------------------


def test_title_h1_passes_when_h1_matches_normalised(make_vault):
    vault = one_claim(make_vault, claim(h1=GOOD_TITLE.capitalize() + "."))
    assert run(vault, "title-h1") == []


def test_title_h1_differs(make_vault):
    vault = one_claim(make_vault, claim(h1="something else entirely that is not the title"))
    [finding] = run(vault, "title-h1")
    assert finding.line == 10 and finding.severity == Severity.WARNING
    assert "differs from the filename" in finding.message
    assert f"# {GOOD_TITLE}" in finding.suggestion


def test_title_h1_missing_is_info(make_vault):
    vault = one_claim(make_vault, claim(h1=""))
    [finding] = run(vault, "title-h1")
    assert finding.severity == Severity.INFO and finding.line == 9
    assert "no '# ' H1" in finding.message


def test_title_h1_frontmatter_title_differs(make_vault):
    vault = one_claim(make_vault, claim(extra="title: a different title"))
    [finding] = run(vault, "title-h1")
    assert finding.field == "title" and finding.line == 8
    assert "frontmatter title" in finding.message and finding.suggestion


def test_title_h1_frontmatter_title_odd_type_does_not_raise(make_vault):
    vault = one_claim(make_vault, claim(extra="title: [a, list]"))
    [finding] = run(vault, "title-h1")
    assert "list" in finding.message


# -- claim-title-proposition -----------------------------------------------------


def test_proposition_passes(make_vault):
    vault = one_claim(make_vault, claim())
    assert run(vault, "claim-title-proposition") == []


def test_proposition_too_few_words(make_vault):
    title = "futarchy-enables-conditional-ownership-coins"  # the reference's case: 5 words, verb present
    vault = one_claim(make_vault, claim(title), title)
    [finding] = run(vault, "claim-title-proposition")
    assert finding.line == 10 and "5 words" in finding.message and "at least 6" in finding.message
    assert finding.suggestion


def test_proposition_topic_without_verb_is_a_claim_quality_error(make_vault):
    title = "notes on futarchy governance design and its implications"
    vault = one_claim(make_vault, claim(title), title)
    assert run(vault, "claim-title-proposition") == []
    [finding] = run(vault, "claim-quality")
    assert finding.message.startswith("title-no-finite-verb") and finding.line == 10
    assert finding.severity == Severity.ERROR and "This note argues that" in finding.suggestion


def test_verb_signal_heuristic():
    assert verb_signal(title_words("markets aggregate information better than votes do")) in ("aggregate", "do")
    assert verb_signal(title_words("incumbents fail to respond to visible disruption")) == "fail"
    assert verb_signal(title_words("creators became the primary distribution layer for news")) == "became"
    assert verb_signal(title_words("AI scribes reached 92 percent provider adoption")) is not None
    assert verb_signal(title_words("persistent irreducible disagreement between value systems")) is None
    assert verb_signal(title_words("a survey of the distributed designs of prediction markets")) is None


# -- claim-title-universal -------------------------------------------------------


def test_universal_passes_scoped_and_idioms(make_vault):
    title = "not all futarchy markets are liquid enough to price a proposal at all"
    vault = one_claim(make_vault, claim(title), title)
    assert run(vault, "claim-title-universal") == []


def test_universal_flags_the_only(make_vault):
    title = "trial and error is the only coordination strategy humanity has ever used"
    vault = one_claim(make_vault, claim(title), title)
    [finding] = run(vault, "claim-title-universal")
    assert "'the only'" in finding.message and finding.line == 10
    assert finding.suggestion.startswith("scope it")


# -- claim-description -----------------------------------------------------------


def test_description_passes(make_vault):
    assert run(one_claim(make_vault, claim()), "claim-description") == []


def test_description_missing_is_left_to_schema(make_vault):
    assert run(one_claim(make_vault, claim(description=None)), "claim-description") == []


def test_description_too_short(make_vault):
    [finding] = run(one_claim(make_vault, claim(description="Markets decide.")), "claim-description")
    assert finding.line == 4 and finding.field == "description" and "15 characters" in finding.message


def test_description_restates_title(make_vault):
    text = claim(description="Futarchy enables conditional ownership coins because markets price proposals.")
    vault = one_claim(make_vault, text)
    assert run(vault, "claim-description") == []
    [finding] = run(vault, "claim-quality")
    assert finding.message.startswith("description-copies-title") and finding.line == 4
    assert finding.severity == Severity.ERROR and finding.field == "description"


def test_description_adds_little(make_vault):
    text = claim(description="Futarchy markets price proposals, so conditional ownership coins are enabled by futarchy")
    [finding] = run(one_claim(make_vault, text), "claim-quality")
    assert "adds little beyond the title" in finding.message and finding.suggestion
    assert finding.severity == Severity.WARNING


def test_description_two_sentences_is_info(make_vault):
    text = claim(description=GOOD_DESCRIPTION + ". Traders who disagree can always exit through the fail market")
    [finding] = run(one_claim(make_vault, text), "claim-description")
    assert finding.severity == Severity.INFO and "2 sentences" in finding.message


def test_description_not_text(make_vault):
    vault = make_vault({f"domains/internet-finance/{GOOD_TITLE}.md": claim().replace(
        f'description: "{GOOD_DESCRIPTION}"', "description: [one, two]")})
    [finding] = run(vault, "claim-description")
    assert "YAML list" in finding.message


def test_sentence_count_skips_abbreviations():
    assert sentence_count("Markets (e.g. Polymarket) beat polls in the U.S. Election by 3.5 points") == 1
    assert sentence_count("One. Two! Three?") == 3


# -- claim-evidence --------------------------------------------------------------

REASONING = (
    "Conditional markets let dissenters sell before a decision settles, and that exit right is what turns a "
    "governance token into an ownership claim. Without it the majority can vote itself the treasury; with it "
    "every raid shows up as a price gap that someone is paid to close, so extraction becomes a losing trade.\n"
)


def test_evidence_passes_with_figures(make_vault):
    assert run(one_claim(make_vault, claim()), "claim-evidence") == []


def test_evidence_missing(make_vault):
    [finding] = run(one_claim(make_vault, claim(body=REASONING)), "claim-evidence")
    assert finding.line == 10 and finding.severity == Severity.WARNING
    assert "cites no evidence" in finding.message and "## Evidence" in finding.suggestion


def test_evidence_source_link_counts(make_vault):
    vault = make_vault({
        f"domains/internet-finance/{GOOD_TITLE}.md": claim(body=REASONING + "See [[2024-05-01-proph3t-launch]].\n"),
        "inbox/archive/2024-05-01-proph3t-launch.md": "---\ntype: source\n---\nText\n",
    })
    assert run(vault, "claim-evidence") == []


def test_evidence_ignores_relevant_notes_tail(make_vault):
    text = claim(body=REASONING) + "- https://example.org/2024 -- a link after the argument\n"
    [finding] = run(one_claim(make_vault, text), "claim-evidence")
    assert "cites no evidence" in finding.message


def test_evidence_short_body_is_info(make_vault):
    [finding] = run(one_claim(make_vault, claim(body="Volume was 3% in 2024.\n")), "claim-evidence")
    assert finding.severity == Severity.INFO and "characters long" in finding.message


def test_argument_text_stops_before_relevant_notes():
    body = "\n# t\n\nArgument.\n\n---\n\nRelevant Notes:\n- [[x]]\n"
    assert argument_text(body)[0].strip() == "Argument."


# -- claim-counter-evidence ------------------------------------------------------


def test_counter_evidence_not_needed_below_likely(make_vault):
    assert run(one_claim(make_vault, claim(confidence="experimental")), "claim-counter-evidence") == []


def test_counter_evidence_missing(make_vault):
    [finding] = run(one_claim(make_vault, claim(confidence="likely")), "claim-counter-evidence")
    assert finding.line == 5 and finding.field == "confidence"
    assert "challenged_by" in finding.suggestion and "likely" in finding.message


def test_counter_evidence_challenged_by(make_vault):
    text = claim(confidence="proven", extra='challenged_by:\n  - "[[thin markets are manipulable]]"')
    assert run(one_claim(make_vault, text), "claim-counter-evidence") == []


def test_counter_evidence_section(make_vault):
    text = claim(confidence="likely", body=EVIDENCED + "\n## Challenges\n\nThin markets can be pushed around.\n")
    assert run(one_claim(make_vault, text), "claim-counter-evidence") == []


def test_counter_evidence_blank_challenged_by_does_not_count(make_vault):
    text = claim(confidence="likely", extra="challenged_by: []")
    assert len(run(one_claim(make_vault, text), "claim-counter-evidence")) == 1


# -- title-duplicate -------------------------------------------------------------


def test_title_duplicate(make_vault):
    vault = make_vault({
        f"domains/internet-finance/{GOOD_TITLE}.md": claim(),
        f"core/mechanisms/{GOOD_TITLE.replace(' ', '-')}.md": claim(),
        "domains/internet-finance/another claim that is fine because it is unique.md": claim(),
        "agents/rio/identity.md": "# Rio\n",
        "agents/clay/identity.md": "# Clay\n",
    })
    findings = run(vault, "title-duplicate")
    assert sorted(f.file for f in findings) == [
        f"core/mechanisms/{GOOD_TITLE.replace(' ', '-')}.md", f"domains/internet-finance/{GOOD_TITLE}.md",
    ]
    assert all(f.line == 10 for f in findings)
    by_file = {f.file: f for f in findings}
    assert "core/mechanisms/" in by_file[f"domains/internet-finance/{GOOD_TITLE}.md"].message
    assert "merge" in findings[0].suggestion


# -- the corpus ------------------------------------------------------------------


def test_corpus_calibration(corpus):
    vault = Vault.open(corpus)
    report = check(vault, today=TODAY)
    kb_claims = {
        n.path for n in vault.notes()
        if n.type_value == "claim" and n.path.split("/", 1)[0] in ("domains", "core", "foundations")
    }
    assert 440 <= len(kb_claims) <= 470

    def count(rule: str, severity: Severity | None = None, among=None) -> int:
        return sum(
            1 for f in report.findings
            if f.rule == rule and (severity is None or f.severity == severity) and (among is None or f.file in among)
        )

    proposition = count("claim-title-proposition", among=kb_claims)
    assert proposition <= 5  # reference §7.4: 450/452 pass
    assert 10 <= count("claim-title-universal", among=kb_claims) <= 30  # reference: 17
    assert count("claim-evidence", Severity.WARNING, among=kb_claims) <= 0.15 * len(kb_claims)
    assert 200 <= count("claim-counter-evidence", among=kb_claims) <= 293  # of 293 likely/proven
    assert count("claim-description", Severity.WARNING, among=kb_claims) <= 10
    assert 15 <= count("title-h1", Severity.WARNING) <= 40  # reference: H1 differs in 25
    processed_untraced = sum(
        1 for f in report.findings if f.rule == "source-lifecycle" and f.field == "status"
    )
    assert 10 <= processed_untraced <= 30  # reference §7.3: 19
    assert 20 <= count("source-trace") <= 120
    assert 10 <= count("source-filename") <= 30  # reference: 20 archive names lack a date
    assert 60 <= count("title-duplicate") <= 100  # reference: 39 titles in two KB folders
    assert count("position-active-count") <= 3
    assert count("belief-grounding") <= 30
