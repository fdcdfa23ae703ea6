"""A source archived already (same URL, or the same text) is reported and nothing is written."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from ingest_helpers import DATA, Route, serve

from teleo.ingest import IngestInput, IngestOptions, ingest
from teleo.ingest.dedupe import normalise_url

TODAY = dt.date(2026, 1, 15)
EXISTING = """\
---
type: source
title: "Futarchy in practice"
author: "Jane Doe"
url: https://example.org/posts/futarchy-in-practice
date: 2024-03-15
domain: internet-finance
status: processed
---

## Content

An earlier, hand-made archive of the essay.
"""
LEGACY = """\
---
type: archive
source: "https://x.com/someone/status/12345"
date: 2025-01-01
domain: internet-finance
status: unprocessed
---

Thread text.
"""


def options(**kwargs) -> IngestOptions:
    kwargs.setdefault("domain", "internet-finance")
    kwargs.setdefault("today", TODAY)
    return IngestOptions(**kwargs)


def archive_files(vault) -> list[str]:
    return sorted(p.name for p in (vault.root / "inbox" / "archive").glob("*.md"))


def test_same_url_as_an_existing_source(make_vault):
    vault = make_vault({"inbox/archive/2024-03-15-doe-futarchy-in-practice.md": EXISTING}, git=True)
    before = archive_files(vault)
    result = ingest(vault, IngestInput.parse(str(DATA / "page.html")), options())
    assert result.duplicate_of == "inbox/archive/2024-03-15-doe-futarchy-in-practice.md"
    assert result.duplicate_reason == "url"
    assert result.path is None and not result.written and result.status == "duplicate"
    assert archive_files(vault) == before
    status = subprocess.run(["git", "-C", str(vault.root), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""


def test_legacy_source_field_and_twitter_host(make_vault):
    vault = make_vault({"inbox/archive/2025-01-01-someone-thread.md": LEGACY})
    result = ingest(vault, IngestInput.parse("-", data=b"Thread text, pasted"),
                    options(url="https://twitter.com/someone/status/12345?s=20"))
    assert result.duplicate_of == "inbox/archive/2025-01-01-someone-thread.md"


def test_url_duplicate_is_found_before_fetching(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    with serve({"/essay": Route((DATA / "page.html").read_bytes())}) as site:
        first = ingest(vault, IngestInput.parse(site.url("/essay")), options())
        assert first.written
        again = ingest(vault, IngestInput.parse(site.url("/essay/?utm_campaign=x#top")), options())
        assert again.duplicate_of == first.path and again.duplicate_reason == "url"
        assert site.hits["/essay"] == 1  # the second request never left


def test_same_content_under_another_name(make_vault):
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    text = b"Prediction markets aggregate dispersed information.\n\nThey do so only when liquid.\n"
    first = ingest(vault, IngestInput.parse("-", data=text), options(title="Markets note", author="A B"))
    head = subprocess.run(["git", "-C", str(vault.root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    # the same text with other flags, other line breaks and spacing
    again = ingest(vault, IngestInput.parse("-", data=text.replace(b"\n\n", b"\n   \n") + b"\n\n"),
                   options(title="Another title", author="C D", url="https://example.org/other"))
    assert again.duplicate_of == first.path
    assert again.duplicate_reason == "content"
    assert len(archive_files(vault)) == 1
    assert subprocess.run(["git", "-C", str(vault.root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout == head


def test_content_of_a_hand_written_source_matches(make_vault):
    vault = make_vault({"inbox/archive/2024-03-15-doe-futarchy-in-practice.md": EXISTING})
    result = ingest(vault, IngestInput.parse("-", data=b"An earlier, hand-made archive of the essay.\n"), options())
    assert result.duplicate_reason == "content"


def test_content_check_survives_agent_notes_appended(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    body = (DATA / "article.md").read_text(encoding="utf-8").split("---\n", 2)[2].encode()  # headings included
    first = ingest(vault, IngestInput.parse("-", data=body), options(media="markdown", title="Reward hacking"))
    path = vault.root / first.path
    path.write_text(path.read_text(encoding="utf-8") + "\n## Agent Notes\n\n**Why this matters:** examples.\n", encoding="utf-8")
    vault.forget()
    again = ingest(vault, IngestInput.parse("-", data=body), options(media="markdown", url="https://elsewhere.example/x"))
    assert again.duplicate_of == first.path and again.duplicate_reason == "content"


def test_different_text_same_name_gets_a_suffix(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    flags = dict(title="Weekly market notes", author="Jane Doe", date="2025-02-03")
    first = ingest(vault, IngestInput.parse("-", data=b"Week one: volumes rose."), options(**flags))
    second = ingest(vault, IngestInput.parse("-", data=b"Week two: volumes fell."), options(**flags))
    third = ingest(vault, IngestInput.parse("-", data=b"Week three: volumes flat."), options(**flags))
    assert first.path == "inbox/archive/2025-02-03-doe-weekly-market-notes.md"
    assert second.path == "inbox/archive/2025-02-03-doe-weekly-market-notes-2.md"
    assert third.path == "inbox/archive/2025-02-03-doe-weekly-market-notes-3.md"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.example.org/a/", "http://example.org/a"),
        ("https://example.org/a?utm_source=x&b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("https://example.org/a#section", "https://EXAMPLE.org/a"),
        ("https://mobile.twitter.com/u/status/1?s=20", "https://x.com/u/status/1"),
        ("www.example.org/a", "https://example.org/a"),
    ],
)
def test_normalise_url_equal(a, b):
    assert normalise_url(a) == normalise_url(b) is not None


def test_normalise_url_different_and_invalid():
    assert normalise_url("https://example.org/a?id=1") != normalise_url("https://example.org/a?id=2")
    assert normalise_url("https://example.org/a") != normalise_url("https://example.org/b")
    for value in (None, "", "local:notes.md", "Pine Analytics (@PineAnalytics)", "ftp://x.org/a", "http://[bad"):
        assert normalise_url(value) is None
