"""Light normalisation of source sentences: residue, connectives and frames go; nothing is invented."""

from __future__ import annotations

import re

import pytest

from teleo.extract.normalise import (
    clean_description,
    clean_title,
    make_title,
    rest_as_sentence,
    strip_residue,
)


@pytest.mark.parametrize(
    ("sentence", "plain"),
    [
        ("Fee rebates deepen order books (@marketdesigner, 105 likes)", "Fee rebates deepen order books"),
        ("Fee rebates deepen order books (Jan 3, 1.2k views).", "Fee rebates deepen order books."),
        ("Fee rebates deepen order books (Okafor et al., 2024).", "Fee rebates deepen order books."),
        ("Fee rebates deepen order books (p. 12) in every venue", "Fee rebates deepen order books in every venue"),
        ("Fee rebates deepen order books (see Figure 2).", "Fee rebates deepen order books."),
        ("RT @trader: fee rebates deepen order books #defi #markets", "fee rebates deepen order books"),
        ("Fee rebates deepen order books 🚀🚀 via @newsbot", "Fee rebates deepen order books"),
        ("Fee rebates deepen order books (because makers stay)", "Fee rebates deepen order books (because makers stay)"),
        ("See ../../etc/passwd for the path", "See ../../etc/passwd for the path"),
    ],
)
def test_residue_goes_and_arguments_stay(sentence, plain):
    assert strip_residue(sentence) == plain


@pytest.mark.parametrize(
    ("sentence", "title"),
    [
        # a leading connective or label
        ("However, markets price risk better than committees.", "markets price risk better than committees"),
        ("For example, fee rebates deepen thin order books.", "fee rebates deepen thin order books"),
        ("Key finding: weak ties bridge otherwise separate clusters.", "weak ties bridge otherwise separate clusters"),
        # a reporting frame around a that-clause
        ("Okoye argues that thirty-day readmission metrics reward cheap outreach over home visits.",
         "thirty-day readmission metrics reward cheap outreach over home visits"),
        ("The audit team concluded that review time matters more than model accuracy for scribe safety.",
         "review time matters more than model accuracy for scribe safety"),
        ("According to the survey, solar module prices have dropped ninefold over the decade.",
         "solar module prices have dropped ninefold over the decade"),
        ("It has been argued that markets outperform experts on forecasting questions.",
         "markets outperform experts on forecasting questions"),
        ("The study's headline finding is that fee design deters manipulation more cheaply than surveillance.",
         "fee design deters manipulation more cheaply than surveillance"),
        # an inference marker inside the clause
        ("The thirty-day metric is therefore the wrong yardstick for home-visiting programmes.",
         "the thirty-day metric is the wrong yardstick for home-visiting programmes"),
        # residue
        ("Liquidity mining attracts mercenary capital that leaves when rewards end (@defi_dan, 2,304 likes)",
         "liquidity mining attracts mercenary capital that leaves when rewards end"),
        # a frame whose clause is not a proposition stays as it is (the rubric judges it)
        ("Okoye argues that.", None),
    ],
)
def test_titles_are_normalised_lightly(sentence, title):
    assert clean_title(sentence) == title


def test_a_second_that_clause_is_left_out_of_the_title_and_offered_as_its_description():
    parts = make_title("Okoye notes that maker rebates cost the exchange very little money, and that makers quote "
                       "tighter spreads in return.")
    assert parts.title == "maker rebates cost the exchange very little money"
    assert rest_as_sentence(parts.rest) == "Makers quote tighter spreads in return."


def test_a_long_sentence_is_cut_only_where_a_clause_ends():
    subject = "Programmes in which community health workers can act directly, for example by arranging transport " \
              "or submitting benefit applications, or by calling the pharmacy on a patient's behalf after discharge"
    fragment = make_title(subject + ", report more resolved needs than programmes in which they only refer.")
    assert fragment.title is None  # no clause boundary: refused, never cut into a subject without its verb
    assert "no clause boundary" in fragment.why
    long = ("Home-visiting programmes resolve more of their patients' social needs than call-based programmes do "
            "in the first ninety days after discharge from a general hospital ward, because the visitors see the "
            "home conditions that a telephone call never reveals to anyone")
    parts = make_title(long)
    assert parts.title is not None and parts.title.endswith("general hospital ward")
    assert rest_as_sentence(parts.rest) == ("The visitors see the home conditions that a telephone call never "
                                            "reveals to anyone.")


def test_a_relative_clause_cannot_stand_as_a_description():
    assert rest_as_sentence(", which widens manipulation windows") is None
    assert rest_as_sentence("") is None


def test_words_are_never_added():
    sentence = ("Moreover, Okoye argues that maker rebates deepen the order books of thin markets (@x, 12 likes), "
                "and that spreads narrow.")
    title = clean_title(sentence)
    assert title == "maker rebates deepen the order books of thin markets"
    words = lambda text: set(re.findall(r"[\w'-]+", text.lower()))  # noqa: E731
    assert words(title) <= words(sentence)


@pytest.mark.parametrize(
    ("sentence", "description"),
    [
        ("however, the calls duplicate what discharge teams already do (p. 4).",
         "The calls duplicate what discharge teams already do."),
        ("The paper argues that thin value representations are lossy in ways that matter.",
         "Thin value representations are lossy in ways that matter."),
        ("Links like [[a note]] and <b>tags</b> stay inert in a description here.",
         "Links like [ [a note] ] and &lt;b>tags&lt;/b> stay inert in a description here."),  # notes.untrusted
        ("Too short.", None),
        ("word " * 120, None),
    ],
)
def test_descriptions_are_source_sentences_cleaned(sentence, description):
    assert clean_description(sentence) == description
