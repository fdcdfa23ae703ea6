"""The teleo-codex corpus through the notes API: read, rewrite, edit one field.

Every note read and written back (to a temporary copy) is byte-identical;
reading never writes to the corpus; `set_field` on every note whose
frontmatter parses changes exactly the lines of that field.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from teleo.gates import check
from teleo.notes import atomic_write, parse_document, read_note, set_field
from teleo.notes.document import split_lines
from teleo.vault import Vault

pytestmark = pytest.mark.corpus

NEW_DATE = "2026-11-26"


def _state(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every file under `root`, .git included."""
    state = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            info = os.lstat(os.path.join(folder, name))
            state[os.path.join(folder, name)] = (info.st_mtime_ns, info.st_size)
    return state


@pytest.fixture(scope="module")
def corpus_paths(corpus) -> list[str]:
    paths = Vault.open(corpus).markdown_paths()
    assert len(paths) > 1000, "the corpus snapshot looks incomplete"
    return paths


@pytest.fixture
def scratch():
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None  # atomic_write fsyncs: RAM is faster
    folder = Path(tempfile.mkdtemp(prefix="teleo-corpus-", dir=base))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_every_note_reads_and_rewrites_byte_for_byte(corpus, corpus_paths, scratch):
    before = _state(corpus)
    differences, unreadable = [], []
    for rel in corpus_paths:
        note = read_note(corpus, rel)
        if not note.readable:
            unreadable.append((rel, note.problems))
            continue
        assert note.doc.text == (corpus / rel).read_text(encoding="utf-8")
        target = scratch / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, note.doc.text)
        if target.read_bytes() != (corpus / rel).read_bytes():
            differences.append(rel)
    assert unreadable == []
    assert differences == []
    assert sorted(p.relative_to(scratch).as_posix() for p in scratch.rglob("*") if p.is_file()) == sorted(corpus_paths)
    assert _state(corpus) == before


def test_linting_the_corpus_never_writes(corpus):
    before = _state(corpus)
    vault = Vault.open(corpus)
    report = check(vault)
    assert report.summary.files == len(vault.markdown_paths())
    for finding in report.findings:
        assert finding.line >= 1 and finding.file
    assert _state(corpus) == before


def _check_edit(rel: str, doc, key: str, value, added: list[str]) -> str:
    """Set `key` and assert exactly its lines changed; return 'added' or 'replaced'."""
    out = set_field(doc, key, value)
    old, new = split_lines(doc.text), split_lines(out)
    if not doc.has_frontmatter:
        assert out == "---\n" + "".join(added) + "---\n" + doc.text, rel
        return "added"
    close = doc.fm_close_line - 1  # index of the closing delimiter
    starts = [k for k in doc.key_starts if k.key == key]
    if not starts:
        # appended just before the closer; nothing else moves
        assert new == old[:close] + added + old[close:], rel
        outcome = "added"
    else:
        index = doc.key_starts.index(starts[-1])  # the last one: the value YAML keeps
        begin = starts[-1].line - 1
        following = doc.key_starts[index + 1].line - 1 if index + 1 < len(doc.key_starts) else close
        # the field's lines run from its key to the next key, less blank or comment lines before that key
        end = following
        while end - 1 > begin and (not old[end - 1].strip() or old[end - 1].startswith("#")):
            end -= 1
        assert new == old[:begin] + added + old[end:], (rel, key)
        assert all(line.startswith((" ", "\t", "-")) or not line.strip() for line in old[begin + 1 : end]), (rel, key)
        outcome = "replaced"
    reparsed = parse_document(out)
    assert reparsed.frontmatter is not None, rel
    assert reparsed.data[key] == value, rel
    assert {k: v for k, v in reparsed.data.items() if k != key} == {k: v for k, v in doc.data.items() if k != key}, rel
    assert reparsed.body == doc.body, rel
    assert {p.code for p in reparsed.problems} == {p.code for p in doc.problems}, rel
    return outcome


def test_set_field_changes_exactly_the_expected_lines(corpus, corpus_paths):
    outcomes: dict[str, int] = {"added": 0, "replaced": 0, "refused": 0, "multiline": 0}
    for rel in corpus_paths:
        note = read_note(corpus, rel)
        doc = note.doc
        assert note.readable, rel
        if doc.has_frontmatter and doc.frontmatter is None:
            with pytest.raises(ValueError):
                set_field(doc, "last_evaluated", NEW_DATE)
            outcomes["refused"] += 1
            continue
        outcomes[_check_edit(rel, doc, "last_evaluated", NEW_DATE, [f"last_evaluated: {NEW_DATE}\n"])] += 1
        # and the field spanning the most lines (block lists, folded text), replaced by a flow list
        widest = max(doc.key_starts, key=lambda k: k.last_line - k.line, default=None)
        if widest is not None and widest.key is not None and widest.last_line > widest.line:
            outcomes["multiline"] += 1
            _check_edit(rel, doc, widest.key, ["a", "b"], [f"{widest.key}: [a, b]\n"])
    assert outcomes["added"] > 1000
    assert outcomes["replaced"] > 0
    assert outcomes["multiline"] > 100
    assert outcomes["refused"] <= 5  # the corpus has about one frontmatter YAML cannot read
