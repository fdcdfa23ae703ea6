"""Property-based tests: generated notes through read → lint → write.

Thousands of generated frontmatters (random mappings of str/int/list/None/
nested values, `00` dates, keys with odd characters, random YAML-ish text)
and bodies ([[links]], fences, unicode, CRLF) must: read without raising;
keep their exact text; write back byte for byte; accept `set_field` changing
only that key's lines; and lint as a vault without raising.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from teleo.gates import check
from teleo.gates.fixes import safe_fixes
from teleo.notes import (
    atomic_write,
    note_from_bytes,
    parse_document,
    read_note,
    remove_field,
    set_field,
)
from teleo.notes.document import split_lines
from teleo.notes.yamlio import load_frontmatter
from teleo.vault import Vault

SETTINGS = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture, HealthCheck.large_base_example,
    ],
}

# -- strategies ---------------------------------------------------------------------------------------------

LINE_BREAKS = "\n\r\x85\u2028\u2029"
ODD = " .-_/:#'\"[]{}|>*&!%@`,?=~+()<$^\\"
UNICODE = "éßøЖ中文✓🙂\u00a0\u200b\ufeff\t\x0c\x0b\x1c"

key_text = st.one_of(
    st.sampled_from(["type", "domain", "description", "confidence", "source", "created", "status", "tags",
                     "depends_on", "challenged_by", "title", "url", "date", "format", "last_evaluated"]),
    st.text(alphabet=st.characters(blacklist_characters=LINE_BREAKS, blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
    st.text(alphabet="abcXYZ019" + ODD + "éЖ中🙂", min_size=1, max_size=12),
)

date_like = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    st.integers(1900, 2100), st.integers(0, 12), st.integers(0, 31),
)
link_text = st.builds(lambda t: f"[[{t}]]", st.text(alphabet="abc XYZ-_.#|/é", min_size=0, max_size=15))

scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    date_like,
    link_text,
    st.text(max_size=40),
    st.text(alphabet=ODD + "ab \n\r\t" + UNICODE + "\x85\u2028", max_size=30),
)

value = st.recursive(
    scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(key_text, children, max_size=3),
    ),
    max_leaves=8,
)


@st.composite
def yaml_block(draw, key: str, val) -> str:
    """`key: value` as YAML lines, in one of several styles."""
    flow = draw(st.sampled_from([False, None, True]))
    if flow is not False and not isinstance(val, (list, dict)):
        flow = False  # a scalar in flow style would make the whole frontmatter a `{key: value}` flow mapping
    width = draw(st.sampled_from([20, 80, 1_000_000]))
    allow_unicode = draw(st.booleans())
    if flow is True and isinstance(val, (list, dict)):
        inner = yaml.safe_dump(val, default_flow_style=True, width=width, allow_unicode=allow_unicode).strip()
        head = yaml.safe_dump({key: None}, width=1_000_000, allow_unicode=allow_unicode)
        assume(head.endswith(": null\n") and "\n" not in head[:-1])
        assume(inner and not inner.endswith("..."))
        text = head[: -len(" null\n")] + " " + inner.replace("\n", "\n  ") + "\n"
    else:
        text = yaml.safe_dump({key: val}, default_flow_style=flow, width=width, allow_unicode=allow_unicode, sort_keys=False)
    return text


FILLERS = ["", "# a comment", "#", "   ", "# [[link in a comment]]"]


@st.composite
def parseable_frontmatter(draw):
    """(pieces, mapping): pieces are ("key", name, text) or ("filler", None, text), joined they are the frontmatter."""
    keys = draw(st.lists(key_text, max_size=7, unique=True))
    mapping = {}
    pieces: list[tuple[str, str | None, str]] = []
    for key in keys:
        val = draw(value)
        block = draw(yaml_block(key, val))
        if draw(st.integers(0, 3)) == 0:
            pieces.append(("filler", None, draw(st.sampled_from(FILLERS)) + "\n"))
        pieces.append(("key", key, block))
        mapping[key] = val
    if draw(st.booleans()):
        pieces.append(("filler", None, draw(st.sampled_from(FILLERS)) + "\n"))
    text = "".join(p[2] for p in pieces)
    try:
        data, duplicates = load_frontmatter(text)
    except Exception:  # noqa: BLE001  (the generator, not the code under test)
        assume(False)
    assume(not duplicates)
    assume(isinstance(data, dict) or data is None)
    # keys that YAML reads as the same key (or as non-strings) are not what this test is about
    assume(set(map(str, (data or {}).keys())) == set(keys))
    assume(all(isinstance(k, str) for k in (data or {})))
    return pieces, data or {}


YAMLISH = [
    "type: claim", "domain: health", "created: 2026-01-00", "date: 2026-02-30", "tags: [a, b", "tags: [a, b]",
    "- item", "  - nested item", "  key: value", "key: 'unterminated", 'key: "unterminated', "key: |", "  literal",
    "key: >-", "&anchor value", "*alias", "ref: *nope", "!!binary abc", "!!python/object:os.system", "? complex",
    ": :", "\tkey: tab", "...", "--- ", "#comment", "key: value # comment", "{a: 1, b: [2, 3]}", "[1, 2]",
    "key:", "key: null", "key: ~", "key: yes", "key: 0o17", "key: 1e309", "<<: {a: 1}", "depends_on:",
    '  - "[[some claim]]"', "  - [[unquoted link]]", "description: a: b: c", "%YAML 1.1", "@reserved", "`tick",
    "key: \u2028value", "ключ: значение", "😀: emoji", "key: \x85nel",
]


@st.composite
def yamlish_text(draw):
    lines = draw(st.lists(st.one_of(st.sampled_from(YAMLISH), st.text(max_size=20)), max_size=10))
    return "\n".join(lines) + ("\n" if lines and draw(st.booleans()) else "")


BODY_LINES = [
    "# A heading", "## Section", "", "Some prose with [[a link]] and [[Another Note|alias]].",
    "[[domains/health/_map]]", "[[_map]]", "[[note#Heading]]", "[[#Self heading]]", "[[../../etc/passwd]]",
    "[[unclosed link", "]] stray", "[[]]", "[[ ]]", "```", "```python", "~~~", "````", "`inline [[code link]]`",
    "---", "...", "> quote [[quoted link]]", "- [[list link]]", "Ünïcödé ✓ 中文 🙂", "tab\tseparated",
    "Relevant Notes:", "Topics:", "[[model-level alignment is insufficient for]]", "\u2028", "\x0c",
]


@st.composite
def body_text(draw):
    lines = draw(st.lists(st.one_of(st.sampled_from(BODY_LINES), st.text(max_size=30)), max_size=15))
    return "\n".join(lines) + ("\n" if draw(st.booleans()) else "")


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


@st.composite
def note_text(draw):
    """A whole note: maybe frontmatter (parseable, YAML-ish or unclosed), a body, maybe CRLF or a BOM."""
    shape = draw(st.sampled_from(["parseable", "yamlish", "none", "unclosed", "empty-fm"]))
    body = draw(body_text())
    closer = draw(st.sampled_from(["---", "...", "---  "]))
    if shape == "parseable":
        pieces, _ = draw(parseable_frontmatter())
        text = "---\n" + "".join(p[2] for p in pieces) + closer + "\n" + body
    elif shape == "yamlish":
        text = "---\n" + draw(yamlish_text()) + ("" if draw(st.booleans()) else "\n") + closer + "\n" + body
    elif shape == "unclosed":
        text = "---\n" + draw(yamlish_text()) + body.replace("---", "--").replace("...", "..")
    elif shape == "empty-fm":
        text = "---\n" + closer + "\n" + body
    else:
        text = body
    ending = draw(st.sampled_from(["lf", "crlf", "mixed"]))
    if ending == "crlf":
        text = _crlf(text)
    elif ending == "mixed":
        text = "".join(line.replace("\n", "\r\n") if i % 2 else line for i, line in enumerate(split_lines(text)))
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return text


# -- reading --------------------------------------------------------------------------------------------------


@settings(max_examples=700, **SETTINGS)
@given(text=note_text())
def test_reading_never_raises_and_keeps_the_text(text):
    doc = parse_document(text)
    assert doc.text == text
    note = note_from_bytes("domains/health/generated note.md", text.encode("utf-8"))
    if note.readable or not text.strip():
        assert note.doc.text == text
    else:  # only NUL bytes make a UTF-8 text unreadable
        assert "\x00" in text and [p.code for p in note.problems] == ["binary"]
    for problem in note.all_problems:
        assert 1 <= problem.line <= text.count("\n") + 1, (problem, text)
    for line in doc.key_lines.values():
        assert 1 <= line <= text.count("\n") + 1
    if doc.has_frontmatter and doc.frontmatter is not None:
        head_len = len(text) - len(doc.body)
        assert text[head_len:] == doc.body
        assert doc.body_start_line == text.count("\n", 0, head_len) + 1
    heading = doc.h1()
    if heading is not None:
        assert split_lines(text)[heading[1] - 1].startswith("# ")


@settings(max_examples=300, **SETTINGS)
@given(raw=st.one_of(
    st.binary(max_size=300),
    st.builds(lambda t, b: t.encode("utf-8") + b, note_text(), st.binary(max_size=20)),
    st.builds(lambda t: t.encode("utf-16"), note_text()),
))
def test_reading_arbitrary_bytes_never_raises(raw):
    note = note_from_bytes("inbox/archive/x.md", raw)
    assert note.path == "inbox/archive/x.md"
    for problem in note.all_problems:
        assert problem.line >= 1


# -- writing ----------------------------------------------------------------------------------------------------


def _fast_tmp() -> str | None:
    """A RAM-backed folder when there is one: atomic_write fsyncs every file, which is slow on disks."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


@pytest.fixture(scope="module")
def scratch():
    folder = Path(tempfile.mkdtemp(prefix="teleo-prop-", dir=_fast_tmp()))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=400, **SETTINGS)
@given(text=note_text())
def test_writing_an_unchanged_note_is_byte_identical(scratch, text):
    raw = text.encode("utf-8")
    source = scratch / "source.md"
    source.write_bytes(raw)
    note = read_note(scratch, "source.md")
    if not note.readable:  # empty, or NUL bytes (binary): reported, never rewritten
        assert {p.code for p in note.problems} <= {"empty", "binary"}
        return
    target = scratch / "copy.md"
    atomic_write(target, note.doc.text)
    assert target.read_bytes() == raw
    assert source.read_bytes() == raw


# -- set_field -------------------------------------------------------------------------------------------------

new_values = st.one_of(value, date_like, st.just("2026-11-26"))


def _expected(val):
    """What YAML gives back for `val` written by set_field (tuples become lists)."""
    if isinstance(val, tuple):
        return [_expected(v) for v in val]
    if isinstance(val, list):
        return [_expected(v) for v in val]
    if isinstance(val, dict):
        return {k: _expected(v) for k, v in val.items()}
    return val


@settings(max_examples=600, **SETTINGS)
@given(
    fm=parseable_frontmatter(),
    body=body_text(),
    pick=st.integers(min_value=0),
    new_key=key_text,
    use_existing=st.booleans(),
    new_value=new_values,
    crlf=st.booleans(),
    closer=st.sampled_from(["---", "..."]),
)
def test_set_field_changes_only_that_keys_lines(fm, body, pick, new_key, use_existing, new_value, crlf, closer):
    pieces, data = fm
    keyed = [i for i, p in enumerate(pieces) if p[0] == "key"]
    convert = _crlf if crlf else (lambda s: s)
    opener, close_line = convert("---\n"), convert(closer + "\n")
    body = convert(body)
    if use_existing and keyed:
        index = keyed[pick % len(keyed)]
        key = pieces[index][1]
        # the key's lines are its block plus any filler lines after it that are not blank or comments
        prefix = opener + convert("".join(p[2] for p in pieces[:index]))
        suffix = convert("".join(p[2] for p in pieces[index + 1 :])) + close_line + body
    else:
        key = new_key
        assume(key not in data)
        prefix = opener + convert("".join(p[2] for p in pieces))
        suffix = close_line + body
    text = opener + convert("".join(p[2] for p in pieces)) + close_line + body
    doc = parse_document(text)
    assert doc.problems == []
    assert doc.data == data

    out = set_field(doc, key, new_value)

    assert out.startswith(prefix), (text, out)
    assert out.endswith(suffix), (text, out)
    middle = out[len(prefix) : len(out) - len(suffix)]
    assert middle.endswith("\r\n" if crlf else "\n")
    if crlf:
        assert "\n" not in middle.replace("\r\n", "")
    reparsed = parse_document(out)
    assert reparsed.problems == []
    expected = dict(data)
    expected[key] = _expected(new_value)
    assert reparsed.data == expected
    assert list(reparsed.data) == list(data) + ([] if key in data else [key])

    # removing it again leaves every other line as it was
    removed = remove_field(reparsed, key)
    assert removed == prefix + suffix
    assert parse_document(removed).data == {k: v for k, v in data.items() if k != key}


@settings(max_examples=300, **SETTINGS)
@given(text=note_text(), key=key_text, new_value=new_values)
def test_set_field_on_any_note_is_safe(text, key, new_value):
    """On any note, set_field either refuses (ValueError) or gives a note with the new value and every other key."""
    doc = parse_document(text)
    try:
        out = set_field(doc, key, new_value)
    except ValueError:
        assert doc.has_frontmatter
        return
    reparsed = parse_document(out)
    if not doc.problems:
        assert reparsed.data.get(key) == _expected(new_value)
        assert {k: v for k, v in reparsed.data.items() if k != key} == {k: v for k, v in doc.data.items() if k != key}
    old_lines, new_lines = split_lines(text), split_lines(out)
    if doc.has_frontmatter:
        close = doc.body_start_line - 1
        assert new_lines[len(new_lines) - (len(old_lines) - close) + 0 :] == old_lines[close:]  # body untouched
        assert new_lines[0] == old_lines[0]


# -- linting a generated vault --------------------------------------------------------------------------------------

FOLDERS = [
    "domains/health", "domains/ai-alignment", "core/grand-strategy", "foundations/collective-intelligence",
    "inbox/archive", "entities/health", "agents/theseus", "agents/theseus/positions", "agents/theseus/musings",
    "agents/theseus/beliefs", "maps", "schemas", "",
]
TYPES = ["claim", "source", "entity", "belief", "position", "musing", "conviction", "sector", "journal",
         "evidence", "analysis", "made-up", ""]


@st.composite
def vault_files(draw):
    count = draw(st.integers(1, 6))
    files: dict[str, str] = {}
    for _ in range(count):
        folder = draw(st.sampled_from(FOLDERS))
        name = draw(st.one_of(
            st.sampled_from(["_map", "beliefs", "research-journal", "a note", "A Note", "note", "a-note"]),
            st.text(alphabet="abc XYZ-_.é'", min_size=1, max_size=30).filter(lambda s: s.strip(". ") == s and s),
        ))
        path = f"{folder}/{name}.md" if folder else f"{name}.md"
        text = draw(note_text())
        if draw(st.booleans()):
            type_ = draw(st.sampled_from(TYPES))
            text = f"---\ntype: {type_}\ndomain: {draw(st.sampled_from(['health', 'ai-alignment', 'nowhere']))}\n" \
                   f"created: {draw(date_like)}\nconfidence: {draw(st.sampled_from(['likely', 'plausible', 'x']))}\n" \
                   f"format: {draw(st.sampled_from(['article', 'paper', 'zzz']))}\n---\n" + draw(body_text())
        files[path] = text
    return files


@pytest.fixture(scope="module")
def vault_area():
    folder = Path(tempfile.mkdtemp(prefix="teleo-prop-vault-", dir=_fast_tmp()))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


_counter = iter(range(10**9))


@settings(max_examples=200, **SETTINGS)
@given(files=vault_files())
def test_check_on_a_generated_vault_never_raises(vault_area, files):
    root = vault_area / f"v{next(_counter)}"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    (root / "inbox").mkdir(exist_ok=True)
    before = {rel: (root / rel).read_bytes() for rel in files}
    try:
        vault = Vault.open(root)
        report = check(vault)
        for finding in report.findings:
            assert finding.file in files, finding
            assert 1 <= finding.line <= files[finding.file].count("\n") + 1, (finding, files[finding.file])
        assert report.summary.findings == len(report.findings)
        fixes = safe_fixes(vault)
        for fix in fixes:
            assert fix.before == files[fix.path]
        assert {rel: (root / rel).read_bytes() for rel in files} == before  # linting never writes
    finally:
        shutil.rmtree(root, ignore_errors=True)
