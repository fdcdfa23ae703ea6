"""`teleo.notes.untrusted`: the one definition of foreign text made safe to keep in a note."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from teleo.notes import find_links, parse_document
from teleo.notes.untrusted import clip, defuse_links, defuse_tags, inert, one_line, strip_controls

JOINERS = {"\u200c", "\u200d"}
brackety = st.text(alphabet=st.sampled_from("[]x |\n\u200b\u202e\x00\t<a/"), max_size=60)


def hidden(text: str, keep: str = "") -> list[str]:
    return [ch for ch in text if ch not in keep and ch not in JOINERS
            and unicodedata.category(ch) in ("Cc", "Cf", "Cs")]


def test_links_are_defused_however_many_brackets_and_nothing_is_lost():
    assert defuse_links("see [[a note]] and [[[b]]] or [x]") == "see [ [a note] ] and [ [ [b] ] ] or [x]"
    assert inert("[\u200b[hidden]\u200b]") == "[ [hidden] ]"  # an invisible character cannot hide a link


@given(brackety)
def test_defused_text_has_no_link_and_only_spaces_added(text):
    out = defuse_links(text)
    assert "[[" not in out and "]]" not in out
    assert out.replace(" ", "") == text.replace(" ", "")
    assert find_links(parse_document(inert(text))) == []


@given(st.text(max_size=80))
def test_no_control_or_invisible_character_survives(text):
    assert hidden(strip_controls(text), keep="\n\t") == []
    assert hidden(one_line(text)) == [] and "\n" not in one_line(text)


def test_what_is_removed_and_what_is_kept():
    text = "a\u202eb\u200bc\u200dd\u200ce\tf\r\ng\x00h\x1b[31mi\u00adj\U000E0041k\ue000l\u2028m\u2029n\ufeff"
    assert strip_controls(text) == "abc\u200dd\u200ce\tf\ngh[31mijk\ue000l\nm\n\nn"
    assert one_line("  a\n\tb\x00c  [[x]] ") == "a b c [[x]]"  # a control separates; links are the caller's
    assert one_line("foo\u200bbar") == "foobar"  # an invisible character never did


def test_tags_are_defused_for_markdown_and_comparisons_left_alone():
    assert defuse_tags("<script>x</script> 3 < 4 <!-- c --> <?php") == "&lt;script>x&lt;/script> 3 < 4 &lt;!-- c --> &lt;?php"


def test_clip_cuts_at_a_word_within_the_limit():
    assert clip("short", 10) == "short"
    assert clip("one two three four", 12) == "one two\u2026"
    assert clip("y" * 600, 500) == "y" * 499 + "\u2026"
    assert all(len(clip("word " * 50, n)) <= n for n in range(2, 60))


def test_a_quote_of_the_cleaned_source_is_grounded_in_the_raw_one():
    """The model reads the source without its invisible characters (`extract.prompt.clean_source`);
    its quotes are found in the source as written, invisible characters and all."""
    from teleo.gates.grounding import ground

    raw = "Intro.\nWeekly nurse calls cut read\u200bmissions by 18\u00a0percent in\u202e 2024.\n"
    found = ground("Weekly nurse calls cut readmissions by 18 percent in 2024", raw)
    assert found.found and found.method == "normalised"
    assert found.matched(raw).startswith("Weekly") and found.matched(raw).endswith("2024")
