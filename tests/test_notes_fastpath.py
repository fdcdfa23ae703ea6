"""The parse fast paths give exactly what the slow, obvious code gives.

* `yamlio.load_simple` (flat `key: value` / `- item` / `[a, b]` frontmatter without
  PyYAML) against `yamlio.load_yaml` (PyYAML): same data, same duplicate keys, and
  None whenever PyYAML raises — on generated near-simple frontmatter and on every
  corpus note;
* `parse_document`'s closer search against splitting the whole text into lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teleo.notes import parse_document
from teleo.notes.document import _CLOSERS, _is_delimiter, split_lines
from teleo.notes.yamlio import YamlProblem, load_frontmatter, load_simple, load_yaml

SETTINGS = {"deadline": None, "max_examples": 600, "suppress_health_check": [HealthCheck.too_slow]}

# -- generated frontmatter: mostly the simple shape, with every near miss we can think of -------------

KEYS = ["type", "domain", "tags", "a", "A_b-c", "on", "yes", "null", "x1", "_", "key ", "k:", "2024", "é", "<<"]
WORDS = [
    "claim", "likely", "2026-01-00", "2026-01-01", "12", "-3", "0.5", "1e3", ".inf", "~", "null", "true", "No", "on",
    "0x1F", "1:30", "=", "<<", "http://x.org/a?b=c", "a: b", "a:b", "a #b", "a#b", "#c", "&a", "*a", "!t", "|", ">",
    "%", "@", "`x`", "-x", "- x", "?x", ":x", "x:", "[[Link]]", "[[a|b]]", "it's", 'say "hi"', "a, b", "{a}", "[a]",
    "é中🙂", "\u00a0", "\u2028", "\x85", "\ufeff", "\t", "\x7f", "\\", "''", '""', "'q'", '"q"', "..", "---", "...",
]
scalar = st.one_of(
    st.sampled_from(WORDS),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
    st.text(alphabet="ab -:#'\"[],\\é", max_size=8),
)


def _quoted(text: str, quote: str) -> str:
    return quote + text + quote


value_text = st.one_of(
    scalar,
    scalar.map(lambda s: _quoted(s, '"')),
    scalar.map(lambda s: _quoted(s, "'")),
    scalar.map(lambda s: _quoted(s.replace("'", "''"), "'")),
    st.lists(st.one_of(scalar, scalar.map(lambda s: _quoted(s, '"'))), max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.sampled_from(["[]", "[ ]", "[a,]", "[a, [b]]", "[ a , b ]", "[\"a, b\", c]", "[[x]]", "|", ">-", "&anchor x"]),
    st.just(""),
)
spaces = st.sampled_from(["", " ", "  ", "   "])


@st.composite
def frontmatter_lines(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 7))):
        shape = draw(st.sampled_from(["pair", "pair", "pair", "list", "blank", "odd"]))
        key = draw(st.sampled_from(KEYS))
        if shape == "pair":
            lines.append(f"{key}:{draw(spaces) or ' '}{draw(value_text)}{draw(spaces)}")
        elif shape == "list":
            lines.append(f"{key}:{draw(st.sampled_from(['', ' ']))}")
            indent = draw(spaces)
            for _ in range(draw(st.integers(0, 3))):
                lines.append(f"{draw(st.sampled_from([indent, indent, ' ']))}-{draw(st.sampled_from([' ', '  ', '']))}{draw(value_text)}")
        elif shape == "blank":
            lines.append(draw(spaces))
        else:
            lines.append(draw(st.sampled_from([
                "# comment", "  continued", "key: value # note", "---", "...", "- stray", "nested:\n  a: b",
                "text: |\n  block", "\tkey: tab", "key:value", "? complex", "key: 'a\n  b'", "key: \"a\n  b\"",
            ])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


def _reference(text: str):
    try:
        return load_yaml(text)
    except YamlProblem:
        return "error"


@settings(**SETTINGS)
@given(frontmatter_lines())
def test_fast_path_equals_pyyaml(text: str) -> None:
    fast = load_simple(text)
    if fast is None:
        return
    expected = _reference(text)
    assert expected != "error", f"fast path read YAML that PyYAML rejects: {text!r}"
    assert fast == expected
    assert [type(v) for v in (fast[0] or {}).values()] == [type(v) for v in (expected[0] or {}).values()]


def test_fast_path_takes_the_simple_shape() -> None:
    text = 'type: claim\ndomain: health\ndescription: "A, b: c"\ntags: [x, "y z"]\ndepends_on:\n  - "[[A note]]"\n  - plain\n'
    assert load_simple(text) == (
        {"type": "claim", "domain": "health", "description": "A, b: c", "tags": ["x", "y z"],
         "depends_on": ["[[A note]]", "plain"]},
        [],
    )
    assert load_simple("a: b\na: c\n") == ({"a": "c"}, [("a", 1)])


@pytest.mark.parametrize("text", ["a: x # c", "a: |\n  x", "a:\n  b: c", "a: [[x]]", "a: 'x\n  y'", "on: x", "a: 012",
                                  "a: 0x1F", "a: 1_000", "a: 1:30", "a: 0.5", "a: [1, b]", "a: -3"])
def test_fast_path_declines_the_rest(text: str) -> None:
    assert load_simple(text) is None


def test_fast_path_reads_booleans_integers_and_nulls_as_pyyaml_does() -> None:
    text = "a: 1\nb: true\nc: ~\nd: +3\ne: No\nf: null\ng: +0\nh:\n  - 2025\n  - off\n"
    fast = load_simple(text)
    assert fast == load_yaml(text) == ({"a": 1, "b": True, "c": None, "d": 3, "e": False, "f": None, "g": 0,
                                        "h": [2025, False]}, [])
    assert [type(v) for v in fast[0].values()] == [int, bool, type(None), int, bool, type(None), int, list]


def test_fast_path_on_every_corpus_note(corpus: Path) -> None:
    checked = fast = 0
    for path in sorted(corpus.rglob("*.md")):
        if any(part.startswith(".") for part in path.relative_to(corpus).parts):
            continue
        doc = parse_document(path.read_text(encoding="utf-8", errors="replace"))
        if not doc.has_frontmatter:
            continue
        checked += 1
        expected = _reference(doc.frontmatter_text)
        simple = load_simple(doc.frontmatter_text)
        if simple is not None:
            fast += 1
            assert simple == expected, path
        try:
            got = load_frontmatter(doc.frontmatter_text)
        except YamlProblem:
            got = "error"
        assert got == expected, path
    assert checked > 1000 and fast > checked * 0.8  # the fast path is the common case


# -- the closer search --------------------------------------------------------------------------------


def _closer_by_lines(text: str) -> tuple | None:
    """The original implementation: split every line, scan for the closer."""
    start = 1 if text.startswith("\ufeff") else 0
    if not _is_delimiter(text, start, "---"):
        return None
    lines = split_lines(text)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n").rstrip() in _CLOSERS:
            body_line = index + 2 if lines[index].endswith("\n") else index + 1
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), body_line, index + 1
    return "unclosed"


@settings(**SETTINGS)
@given(st.lists(st.sampled_from(["---", "...", "--- ", "---\r", " ---", "a: b", "", "x", "...\t", "\ufeff---", "----"]), max_size=8),
       st.sampled_from(["", "\n"]))
def test_closer_search_equals_line_split(lines: list[str], end: str) -> None:
    text = "\n".join(lines) + end
    doc = parse_document(text)
    expected = _closer_by_lines(text)
    if expected is None:
        assert not doc.has_frontmatter
    elif expected == "unclosed":
        assert doc.has_frontmatter and doc.problems[0].code == "frontmatter-unclosed"
    else:
        assert (doc.frontmatter_text, doc.body, doc.body_start_line, doc.fm_close_line) == expected


# -- link targets without positions, path parts without pathlib -----------------------------------------

from pathlib import PurePosixPath  # noqa: E402

from teleo.notes import find_links  # noqa: E402
from teleo.notes.links import body_link_targets, field_link_targets  # noqa: E402
from teleo.notes.note import _parts  # noqa: E402

body_text = st.lists(
    st.sampled_from(["[[a]]", "[[b|alias]]", "[[c#h]]", "[[ ]]", "`[[code]]`", "```\n[[fenced]]\n```", "~~~\n[[t]]\n~~~",
                     "[[x", "]]", "`", "\n", "text ", "[[a]b]]", "challenged_by: [[z]]", "- [[y]]"]),
    max_size=12,
).map("".join)


@settings(**SETTINGS)
@given(body_text, body_text)
def test_link_targets_equal_find_links(frontmatter: str, body: str) -> None:
    doc = parse_document(f"---\nchallenged_by: {frontmatter}\nother: {frontmatter}\n---\n{body}")
    links = find_links(doc)
    assert body_link_targets(doc) == [link.target for link in links if not link.in_frontmatter]
    assert field_link_targets(doc, "challenged_by") == [link.target for link in links if link.field == "challenged_by"]


def test_link_targets_on_every_corpus_note(corpus: Path) -> None:
    for path in sorted(corpus.rglob("*.md")):
        doc = parse_document(path.read_text(encoding="utf-8", errors="replace"))
        links = find_links(doc)
        assert body_link_targets(doc) == [link.target for link in links if not link.in_frontmatter], path
        assert field_link_targets(doc, "challenged_by") == [l.target for l in links if l.field == "challenged_by"], path


@settings(**SETTINGS)
@given(st.lists(st.sampled_from(["a", "b.md", ".", "..", "", "x y"]), max_size=5).map("/".join), st.sampled_from(["", "/", "./"]))
def test_path_parts_equal_pathlib(path: str, prefix: str) -> None:
    assert _parts(prefix + path) == PurePosixPath(prefix + path).parts
