"""Unit tests for teleo.notes: the document splitter, YAML loading, kinds, links and edits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from teleo.notes import (
    Kind,
    atomic_write,
    find_links,
    note_from_bytes,
    note_from_text,
    parse_document,
    read_note,
    remove_field,
    set_field,
    split_link,
)
from teleo.notes.document import dump_value, split_lines
from teleo.notes.note import detect_kind

# -- the document splitter ---------------------------------------------------------------------------


def test_frontmatter_and_body_are_split_with_lines():
    text = "---\ntype: claim\ndomain: health\n---\n\n# Title\n\nBody.\n"
    doc = parse_document(text)
    assert doc.has_frontmatter
    assert doc.frontmatter == {"type": "claim", "domain": "health"}
    assert doc.frontmatter_text == "type: claim\ndomain: health\n"
    assert doc.fm_first_line == 2
    assert doc.body_start_line == 5
    assert doc.body == "\n# Title\n\nBody.\n"
    assert doc.h1() == ("Title", 6)
    assert doc.problems == []
    assert doc.text == text


def test_dot_dot_dot_closes_the_frontmatter():
    doc = parse_document("---\ntype: source\n...\n# Body\n")
    assert doc.frontmatter == {"type": "source"}
    assert doc.body == "# Body\n"
    assert doc.body_start_line == 4
    assert doc.problems == []


def test_closer_with_trailing_spaces_still_closes():
    doc = parse_document("---\ntype: claim\n---   \nbody\n")
    assert doc.frontmatter == {"type": "claim"}
    assert doc.body == "body\n"


def test_no_frontmatter_is_all_body():
    for text in ("# Just a heading\n\nText.\n", "", "\n\n", "----\nnot: fm\n---\n", " ---\na: 1\n---\n", "text\n---\na: 1\n---\n"):
        doc = parse_document(text)
        assert not doc.has_frontmatter, text
        assert doc.frontmatter is None
        assert doc.data == {}
        assert doc.body == text
        assert doc.body_start_line == 1
        assert doc.problems == []
        assert doc.text == text


def test_crlf_document():
    text = "---\r\ntype: claim\r\ndomain: health\r\n---\r\n\r\n# Title\r\n\r\nSee [[other note]].\r\n"
    doc = parse_document(text)
    assert doc.frontmatter == {"type": "claim", "domain": "health"}
    assert doc.key_lines == {"type": 2, "domain": 3}
    assert doc.body_start_line == 5
    assert doc.h1() == ("Title", 6)
    assert [(link.target, link.line) for link in find_links(doc)] == [("other note", 8)]
    assert doc.text == text


def test_empty_frontmatter_is_an_empty_mapping():
    doc = parse_document("---\n---\nbody\n")
    assert doc.has_frontmatter
    assert doc.frontmatter == {}
    assert doc.problems == []
    doc = parse_document("---\n# only a comment\n---\nbody\n")
    assert doc.frontmatter == {}


def test_frontmatter_at_end_of_file_without_newline():
    doc = parse_document("---\na: 1\n---")
    assert doc.frontmatter == {"a": 1}
    assert doc.body == ""


def test_unclosed_frontmatter_is_a_problem_on_line_1():
    doc = parse_document("---\ntype: claim\n\n# Body without closer\n")
    assert doc.has_frontmatter
    assert doc.frontmatter is None
    assert [(p.code, p.line) for p in doc.problems] == [("frontmatter-unclosed", 1)]
    assert doc.body == doc.text


def test_utf8_bom_before_the_opener_still_opens_the_frontmatter():
    text = "\ufeff---\ntype: claim\n---\n# T\n"
    doc = parse_document(text)
    assert doc.frontmatter == {"type": "claim"}
    assert doc.text == text


def test_lines_are_counted_in_newlines_only():
    # U+2028, NEL, form feed and lone CR are not line ends for Teleo (nor for git or grep).
    text = "---\ntype: claim\u2028still line 2\x85\x0c\rx\ndomain: health\n---\n# T\u2028more\n\n[[a]]\n"
    doc = parse_document(text)
    assert doc.key_lines == {"type": 2, "domain": 3}
    assert doc.body_start_line == 5
    assert doc.h1() is not None and doc.h1()[1] == 5
    assert [(link.target, link.line) for link in find_links(doc)] == [("a", 7)]
    assert split_lines(text) == [line + "\n" for line in text.split("\n")[:-1]]


# -- key lines, duplicate keys, YAML problems ------------------------------------------------------------


def test_key_lines_point_at_each_top_level_key():
    text = (
        "---\n"
        "type: claim\n"
        "description: >\n"
        "  folded text\n"
        "tags:\n"
        "  - one\n"
        "  - two\n"
        "'quoted key': 1\n"
        "odd key.with/dots: 2\n"
        "nested:\n"
        "  inner: 3\n"
        "---\n"
    )
    doc = parse_document(text)
    assert doc.key_lines == {
        "type": 2, "description": 3, "tags": 5, "quoted key": 8, "odd key.with/dots": 9, "nested": 10,
    }
    assert "inner" not in doc.key_lines
    assert doc.line_of("tags") == 5
    assert doc.line_of("absent") == 1


def test_continuation_line_at_column_0_is_not_a_key():
    doc = parse_document('---\ndescription: "a long\ncontinued: here"\ntype: claim\n---\n')
    assert doc.frontmatter == {"description": "a long continued: here", "type": "claim"}
    assert doc.key_lines == {"description": 2, "type": 4}


def test_duplicate_keys_are_reported_with_their_line():
    doc = parse_document("---\ntype: claim\ndomain: health\ntype: source\n---\nbody\n")
    assert [(p.code, p.line, p.field) for p in doc.problems] == [("duplicate-key", 4, "type")]
    assert doc.frontmatter["type"] == "source"  # YAML keeps the last one
    assert doc.key_lines["type"] == 2


def test_nested_duplicate_keys_are_reported_too():
    doc = parse_document("---\nouter:\n  a: 1\n  a: 2\n---\n")
    assert [(p.code, p.line, p.field) for p in doc.problems] == [("duplicate-key", 4, "a")]


@pytest.mark.parametrize(
    ("fm", "kind"),
    [("- a\n- b\n", "list"), ("just a scalar\n", "str"), ("42\n", "int")],
)
def test_frontmatter_that_is_not_a_mapping(fm, kind):
    doc = parse_document(f"---\n{fm}---\nbody\n")
    assert doc.frontmatter is None
    assert doc.data == {}
    assert [(p.code, p.line) for p in doc.problems] == [("not-mapping", 2)]
    assert kind in doc.problems[0].message


@pytest.mark.parametrize("fm", ["NULL\n", "null\n", "~\n", "# a comment\nNull\n"])
def test_frontmatter_that_is_an_explicit_null_is_not_a_mapping(fm):
    """A written null ("NULL", "~") is a YAML null, not an empty mapping: a key appended to it is invalid YAML."""
    doc = parse_document(f"\ufeff---\n{fm}---\n")
    assert doc.frontmatter is None
    assert [p.code for p in doc.problems] == ["not-mapping"] and "null" in doc.problems[0].message.lower()
    with pytest.raises(ValueError):
        set_field(doc, "type", [])  # hypothesis found it: 'type: []' after 'NULL' made a note YAML cannot read


@pytest.mark.parametrize("fm", ["", "\n", "# only a comment\n", "  \n# two\n"])
def test_empty_frontmatter_is_an_empty_mapping_a_field_can_be_added_to(fm):
    doc = parse_document(f"---\n{fm}---\nbody\n")
    assert doc.frontmatter == {} and doc.problems == []
    out = set_field(doc, "type", [])
    assert parse_document(out).data == {"type": []} and parse_document(out).problems == []


def test_invalid_yaml_is_a_problem_with_its_line():
    doc = parse_document("---\ntype: claim\ntags: [one, two\ndomain: health\n---\nbody\n")
    assert doc.frontmatter is None
    assert len(doc.problems) == 1
    problem = doc.problems[0]
    assert problem.code == "yaml"
    assert 3 <= problem.line <= 5
    assert doc.key_lines["type"] == 2  # keys still located, by pattern


@pytest.mark.parametrize(
    ("fm", "line", "noticed"),
    [
        ('type: claim\ndescription: "never closed\nconfidence: likely\nsource: x\n', 3, 6),  # the quote opens on 3
        ("type: claim\ntags: [one, two\ndomain: health\n", 3, 4),  # the bracket opens on 3
        ("type: claim\ndomain: health\n  bad: indent\nconfidence: likely\n", 4, None),  # the bad line itself
        ("type: claim\nnot a key at all\nconfidence: likely\n", 3, 4),  # a key without its colon
        ("type: claim\ndescription: it says: a colon\n", 3, None),
    ],
)
def test_invalid_yaml_is_reported_where_the_problem_starts(fm, line, noticed):
    """Issue 12.5: an unclosed quote was reported at the closing `---` (where PyYAML ran out of
    text), not on the line that opened it; the line is the file's, not the frontmatter's."""
    doc = parse_document(f"---\n{fm}---\n\n# body\n")
    [problem] = doc.problems
    assert (problem.code, problem.line) == ("yaml", line), problem
    if noticed is None:
        assert "noticed" not in problem.message
    else:
        assert f"noticed on line {noticed}" in problem.message, problem.message


def test_yaml_tags_and_aliases_do_not_crash():
    for fm in ("a: !!python/object:os.system x\n", "a: &x [1]\nb: *x\n", "a: *undefined\n", "a: !!binary '%%%'\n"):
        doc = parse_document(f"---\n{fm}---\n")
        assert doc.text.startswith("---")


def test_dates_are_kept_as_strings():
    doc = parse_document(
        "---\ncreated: 2026-01-00\nupdated: 2026-02-15\nwhen: 2026-02-15T10:00:00Z\nyear: 2026\n---\n"
    )
    assert doc.frontmatter == {
        "created": "2026-01-00", "updated": "2026-02-15", "when": "2026-02-15T10:00:00Z", "year": 2026,
    }


# -- kinds ---------------------------------------------------------------------------------------------


def _kind(path: str, text: str) -> Kind:
    return note_from_text(path, text).kind


@pytest.mark.parametrize(
    ("path", "text", "kind"),
    [
        ("domains/health/x.md", "---\ntype: claim\n---\n", Kind.CLAIM),
        ("domains/health/x.md", "---\ntype: Claim \n---\n", Kind.CLAIM),
        ("inbox/archive/x.md", "---\ntype: source\n---\n", Kind.SOURCE),
        ("inbox/archive/x.md", "---\ntype: evidence\n---\n", Kind.SOURCE),
        ("inbox/x.md", "---\ntype: archive\n---\n", Kind.SOURCE),
        ("domains/health/x.md", "---\ntype: analysis\n---\n", Kind.CLAIM),
        ("domains/health/x.md", "---\ntype: framework\n---\n", Kind.CLAIM),
        ("domains/health/_map.md", "# Health\n", Kind.MAP),
        ("maps/overview.md", "# Overview\n", Kind.MAP),
        ("maps/x.md", "---\ntype: moc\n---\n", Kind.MAP),
        ("agents/theseus/beliefs.md", "# Beliefs\n", Kind.BELIEFS_DOC),
        ("agents/theseus/research-journal.md", "# Journal\n", Kind.JOURNAL),
        ("agents/theseus/nested/beliefs.md", "# Beliefs\n", Kind.DOCUMENT),
        ("inbox/archive/2026-01-00-someone-thing.md", "---\ntitle: A thing\nurl: https://x\n---\n", Kind.SOURCE),
        ("inbox/archive/2026-01-00-someone-thing.md", "# no frontmatter\n", Kind.DOCUMENT),
        ("inbox/archive/x.md", "---\ntype: newsletter\n---\n", Kind.SOURCE),
        ("entities/health/x.md", "---\ntype: company\n---\n", Kind.ENTITY),
        ("domains/health/x.md", "---\ntype: company\n---\n", Kind.UNKNOWN),
        ("domains/health/x.md", "---\ntype: made-up\n---\n", Kind.UNKNOWN),
        ("agents/leo/identity.md", "# Leo\n", Kind.DOCUMENT),
        ("domains/health/x.md", "---\ntype: [claim]\n---\n", Kind.DOCUMENT),
        ("domains/health/x.md", "---\n- not a mapping\n---\n", Kind.DOCUMENT),
    ],
)
def test_kind_detection(path, text, kind):
    assert _kind(path, text) is kind


def test_detect_kind_on_a_bare_document():
    assert detect_kind("domains/ai/_map.md", parse_document("")) is Kind.MAP


def test_note_title_and_folder():
    note = note_from_text("domains/health/GLP-1 adherence falls.md", "# x\n")
    assert note.title == "GLP-1 adherence falls"
    assert note.folder == "domains/health"
    assert note_from_text("README.md", "").folder == ""


# -- reading bytes ----------------------------------------------------------------------------------------


def test_bad_bytes_become_problems():
    latin = note_from_bytes("a.md", "---\ntype: claim\n---\ncaf\xe9\n".encode("latin-1"))
    assert [(p.code, p.line) for p in latin.problems] == [("encoding", 4)]
    assert not latin.readable
    binary = note_from_bytes("b.md", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert [p.code for p in binary.problems] == ["binary"]
    empty = note_from_bytes("c.md", b"")
    assert [p.code for p in empty.problems] == ["empty"]
    blank = note_from_bytes("d.md", b"  \n\n")
    assert [p.code for p in blank.problems] == ["empty"]
    assert note_from_bytes("e.md", "# Ünïcödé ✓\n".encode()).problems == []


def test_read_note_reports_size_and_missing_files(tmp_path):
    (tmp_path / "big.md").write_bytes(b"a" * (6 * 1024 * 1024))
    big = read_note(tmp_path, "big.md")
    assert [p.code for p in big.problems] == ["too-large"]
    missing = read_note(tmp_path, "missing.md")
    assert [p.code for p in missing.problems] == ["unreadable"]


# -- links ------------------------------------------------------------------------------------------------


def test_links_in_body_and_frontmatter_with_lines_and_fields():
    text = (
        "---\n"
        "type: claim\n"
        'depends_on: ["[[first claim]]", "[[second claim|alias]]"]\n'
        "challenged_by:\n"
        '  - "[[third claim#Heading]]"\n'
        "---\n"
        "\n"
        "# Title\n"
        "\n"
        "See [[body link]] and [[Other Note|shown text]].\n"
        "`[[inline code]]` is not a link.\n"
        "```\n"
        "[[fenced]]\n"
        "```\n"
        "~~~markdown\n"
        "[[tilde fenced]]\n"
        "~~~\n"
        "After the fence: [[after fence]]\n"
    )
    links = find_links(parse_document(text))
    got = [(link.target, link.alias, link.line, link.in_frontmatter, link.field) for link in links]
    assert got == [
        ("first claim", None, 3, True, "depends_on"),
        ("second claim", "alias", 3, True, "depends_on"),
        ("third claim", None, 5, True, "challenged_by"),
        ("body link", None, 10, False, None),
        ("Other Note", "shown text", 10, False, None),
        ("after fence", None, 18, False, None),
    ]


def test_unclosed_fence_hides_the_rest():
    links = find_links(parse_document("[[before]]\n```\n[[inside]]\n"))
    assert [link.target for link in links] == ["before"]


def test_split_link():
    assert split_link("title") == ("title", None)
    assert split_link(" title | alias ") == ("title", "alias")
    assert split_link("title#Heading") == ("title", None)
    assert split_link("title#Heading|alias") == ("title", "alias")
    assert split_link("#Heading") == ("#Heading", None)
    assert split_link("domains/x/_map") == ("domains/x/_map", None)


# -- edits --------------------------------------------------------------------------------------------------


def test_set_field_replaces_only_its_lines():
    text = "---\ntype: claim\n# a comment\ndomain: health\n\ntags:\n  - a\n  - b\n\nconfidence: likely\n---\nbody\n"
    doc = parse_document(text)
    assert set_field(doc, "domain", "ai-alignment") == text.replace("domain: health", "domain: ai-alignment")
    assert set_field(doc, "tags", ["x", "y z"]) == text.replace("tags:\n  - a\n  - b\n", "tags: [x, y z]\n")
    assert set_field(doc, "type", "source") == text.replace("type: claim", "type: source")


def test_set_field_appends_a_new_key_before_the_closer():
    doc = parse_document("---\ntype: claim\n---\nbody\n")
    assert set_field(doc, "last_evaluated", "2026-11-26") == "---\ntype: claim\nlast_evaluated: 2026-11-26\n---\nbody\n"
    reparsed = parse_document(set_field(doc, "last_evaluated", "2026-11-26"))
    assert reparsed.frontmatter["last_evaluated"] == "2026-11-26"


def test_set_field_adds_frontmatter_when_absent():
    doc = parse_document("# Title\n")
    assert set_field(doc, "type", "claim") == "---\ntype: claim\n---\n# Title\n"


def test_set_field_keeps_crlf_line_endings():
    text = "---\r\ntype: claim\r\ndomain: health\r\n---\r\nbody\r\n"
    doc = parse_document(text)
    assert set_field(doc, "domain", "ai-alignment") == text.replace("health", "ai-alignment")
    added = set_field(doc, "status", "active")
    assert added == "---\r\ntype: claim\r\ndomain: health\r\nstatus: active\r\n---\r\nbody\r\n"


def test_set_field_on_odd_and_quoted_keys():
    text = "---\n'my key': 1\nkey.with/odd chars: [a]\ntype: claim\n---\n"
    doc = parse_document(text)
    out = set_field(doc, "my key", 2)
    assert out == "---\nmy key: 2\nkey.with/odd chars: [a]\ntype: claim\n---\n"
    out = set_field(doc, "key.with/odd chars", ["b", "c"])
    assert parse_document(out).frontmatter == {"my key": 1, "key.with/odd chars": ["b", "c"], "type": "claim"}
    out = set_field(doc, "colon: key", ["x"])
    assert parse_document(out).frontmatter["colon: key"] == ["x"]


def test_set_field_handles_multiline_values_and_comments():
    text = '---\ndescription: "long\n  text"\n\n# about type\ntype: claim\nbody: |\n  a\n\n  b\n---\n'
    doc = parse_document(text)
    out = set_field(doc, "description", "short")
    assert out == '---\ndescription: short\n\n# about type\ntype: claim\nbody: |\n  a\n\n  b\n---\n'
    out = set_field(doc, "body", "x")
    assert out == '---\ndescription: "long\n  text"\n\n# about type\ntype: claim\nbody: x\n---\n'


def test_set_field_on_duplicate_keys_edits_the_effective_one():
    doc = parse_document("---\nt: 1\nt: 2\n---\n")
    out = set_field(doc, "t", 3)
    assert out == "---\nt: 1\nt: 3\n---\n"
    assert parse_document(out).frontmatter == {"t": 3}


@pytest.mark.parametrize(
    "text",
    [
        "---\ntype: claim\n",  # unclosed
        "---\n- a\n---\n",  # not a mapping
        "---\na: [b\n---\n",  # invalid YAML
        "---\n{a: 1, b: 2}\n---\n",  # flow mapping: keys share a line
        "---\n  a: 1\n  b: 2\n---\n",  # indented mapping
    ],
)
def test_set_field_refuses_frontmatter_it_cannot_edit_line_by_line(text):
    doc = parse_document(text)
    with pytest.raises(ValueError):
        set_field(doc, "a", 2)
    with pytest.raises(ValueError):
        remove_field(doc, "a")


def test_remove_field():
    text = "---\ntype: claim\ntags:\n  - a\n# keep me\ndomain: x\n---\nbody\n"
    doc = parse_document(text)
    assert remove_field(doc, "tags") == "---\ntype: claim\n# keep me\ndomain: x\n---\nbody\n"
    assert remove_field(doc, "absent") == text
    assert remove_field(parse_document("no frontmatter\n"), "a") == "no frontmatter\n"


def test_dump_value_keeps_dates_bare_and_lists_in_flow_style():
    assert dump_value("created", "2026-01-00") == "created: 2026-01-00\n"
    assert dump_value("created", "2026-01-15") == "created: 2026-01-15\n"
    assert dump_value("n", "12") == "n: '12'\n"
    assert dump_value("tags", ["a", "[[b]]"]) == "tags: [a, '[[b]]']\n"
    assert dump_value("tags", ["a"], flow_lists=False) == "tags:\n- a\n"
    assert dump_value("x", None) == "x: null\n"


def test_atomic_write_roundtrip_and_mode(tmp_path):
    path = tmp_path / "n.md"
    text = "---\r\na: 1\r\n---\r\nünïcode ✓\n"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o640)
    atomic_write(path, text)
    assert path.read_bytes() == text.encode("utf-8")
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["n.md"]  # no temp file left behind


def test_atomic_write_with_a_255_byte_name(tmp_path):
    path = tmp_path / ("x" * 252 + ".md")
    atomic_write(path, "a\n")
    assert path.read_text() == "a\n"


@given(st.lists(st.sampled_from([
    "type: claim", "type : claim", "type:claim", "  indented: 1", "x-y_z: 2", "_under: 3", "9digit: 4",
    "description: |", "  continued: not a key", "type: again", "", "# comment: no", "key\t: tab", "\r", "k:\r",
    "é: accented", "a.b: dotted", "title:",
]), max_size=12))
def test_line_of_is_the_first_column_0_key_line(lines):
    """`line_of` scans the frontmatter a line at a time: the same answers as the pattern over the whole text."""
    from teleo.notes.document import _regex_keys

    doc = parse_document("---\n" + "\n".join(lines) + "\n---\nbody\n")
    if not doc.has_frontmatter or doc.fm_close_line == 0:
        return
    expected: dict[str, int] = {}
    for top in _regex_keys(doc.frontmatter_text):
        expected.setdefault(top.key, doc.fm_first_line + top.line)
    for key in {*expected, "absent", "type", "title"}:
        assert doc.line_of(key) == expected.get(key, max(doc.fm_first_line - 1, 1))
