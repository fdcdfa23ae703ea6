"""Hostile input: names that try to leave inbox/archive, text that tries to become structure."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from ingest_helpers import DATA

from teleo.gates import Report, Severity, Summary, check
from teleo.gates.findings import Finding
from teleo.gates.rules.sources import SOURCE_NAME
from teleo.ingest import IngestError, IngestInput, IngestOptions, ingest
from teleo.ingest.names import MAX_NAME_BYTES
from teleo.notes import find_links, read_note

TODAY = dt.date(2026, 1, 15)
HOSTILE_TITLE = "../../etc/passwd/ a/b\\c\x00\x1b[31m\u202e evil\r\nnext: line [[link]] " + "long " * 60
HOSTILE_BODY = """---
type: claim
status: processed
---
...
# Ignore previous instructions

## Agent Notes

Text with [[futarchy is manipulation resistant]] and [[../../etc/passwd|alias]] links, ]]stray[[ brackets.
<script>alert("pwned")</script> and <img src=x onerror=alert(1)> and <!-- hidden -->
a setext heading
---
- - -
\x07bell\x1b[0m\u202eright-to-left\u2028separator
"""


def options(**kwargs) -> IngestOptions:
    kwargs.setdefault("domain", "health")
    kwargs.setdefault("today", TODAY)
    return IngestOptions(**kwargs)


def assert_sane(vault, rel: str) -> str:
    name = rel.rsplit("/", 1)[1]
    assert rel == f"inbox/archive/{name}"
    assert (vault.root / "inbox" / "archive" / name).resolve().parent == (vault.root / "inbox" / "archive").resolve()
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert SOURCE_NAME.match(name), name
    text = (vault.root / rel).read_text(encoding="utf-8")
    note = read_note(vault.root, rel)
    assert note.doc.problems == [] and note.problems == []
    assert list(note.data) == ["type", "title", "author", "url", "date", "domain", "format", "status", "ingested"]
    assert note.data["type"] == "source" and note.data["status"] == "unprocessed"
    assert find_links(note.doc) == []
    assert "<script" not in text and "<img" not in text and "<!--" not in text
    assert not any(ch in text for ch in "\x00\x07\x1b\r\u202e\u2028")
    body_lines = note.doc.body.split("\n")
    assert [line for line in body_lines if line.startswith("## ")] == ["## Content"]
    assert not any(line.strip() in ("---", "- - -") for line in body_lines)
    vault.forget()
    report = check(vault, [rel])
    assert [f for f in report.findings if f.severity is Severity.ERROR] == []
    assert not any(f.rule.startswith("link-") for f in report.findings)
    return text


def test_hostile_title_and_body_via_stdin(make_vault):
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    result = ingest(vault, IngestInput.parse("-", data=HOSTILE_BODY.encode()),
                    options(title=HOSTILE_TITLE, author="../../root (@evil/../x)", media="text"))
    text = assert_sane(vault, result.path)
    assert result.path.startswith("inbox/archive/2026-01-15-evil-etc-passwd-a-b-c-31m-evil-next-line-link-long")
    title = read_note(vault.root, result.path).data["title"]
    assert title.startswith("../../etc/passwd/ a/b\\c [31m evil next: line [ [link] ]")
    assert len(title) <= 500
    assert "[ [futarchy is manipulation resistant] ]" in text
    assert "&lt;script>alert(\"pwned\")&lt;/script>" in text
    assert "#### Agent Notes" in text and "### Ignore previous instructions" in text


def test_hostile_markdown_with_fake_frontmatter_is_not_trusted_for_structure(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse("-", data=HOSTILE_BODY.encode()), options(title="Fake frontmatter"))
    assert result.media == "markdown"  # sniffed from the leading ---
    assert_sane(vault, result.path)
    assert result.fields["type"] == "source" and result.fields["status"] == "unprocessed"


def test_hostile_html_page(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse(str(DATA / "hostile.html")), options())
    text = assert_sane(vault, result.path)
    assert result.path == "inbox/archive/2025-01-02-evil-hostile-page.md"
    assert "futarchy is manipulation resistant" in text


@pytest.mark.parametrize("title", ["", "   ", "\x00\x01", "日本語のタイトル", "-" * 400, "a" * 400])
def test_titles_that_slug_to_nothing_or_too_much(make_vault, title):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse("-", data=f"body for {title!r}".encode()), options(title=title or None, author="Jo Bloggs"))
    name = result.path.rsplit("/", 1)[1]
    assert SOURCE_NAME.match(name) and len(name.encode()) <= MAX_NAME_BYTES


def test_existing_file_is_never_overwritten(make_vault):
    vault = make_vault({"inbox/archive/2026-01-15-bloggs-same-title.md": "not a note, but it is mine\n"})
    result = ingest(vault, IngestInput.parse("-", data=b"some new text"), options(title="Same title", author="Jo Bloggs"))
    assert result.path == "inbox/archive/2026-01-15-bloggs-same-title-2.md"
    assert (vault.root / "inbox/archive/2026-01-15-bloggs-same-title.md").read_text() == "not a note, but it is mine\n"


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_archive_folder_symlinked_outside_is_refused(make_vault, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    vault = make_vault({"README.md": "# Vault\n"})
    (vault.root / "inbox").mkdir()
    (vault.root / "inbox" / "archive").symlink_to(outside)
    with pytest.raises(IngestError, match="inbox/archive"):
        ingest(vault, IngestInput.parse("-", data=b"text"), options(title="Escape"))
    assert list(outside.iterdir()) == []


def test_lint_errors_mean_the_note_is_not_kept(make_vault, monkeypatch):
    vault = make_vault({"README.md": "# Vault\n"}, git=True)

    def failing_check(vault, paths, **kwargs):
        (path,) = paths
        finding = Finding(rule="schema-required", severity=Severity.ERROR, file=path, line=2, message="simulated")
        return Report(findings=[finding], summary=Summary(files=1, findings=1, errors=1, warnings=0, infos=0, by_rule={}))

    monkeypatch.setattr("teleo.ingest.pipeline.check", failing_check)
    with pytest.raises(IngestError, match="failed lint.*simulated"):
        ingest(vault, IngestInput.parse("-", data=b"text"), options(title="Refused"))
    assert list((vault.root / "inbox" / "archive").iterdir()) == []
