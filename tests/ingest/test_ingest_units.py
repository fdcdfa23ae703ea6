"""The small pieces: dates, handles, slugs, filenames, neutralising text, option checks."""

from __future__ import annotations

import datetime as dt

import pytest

from teleo.ingest import IngestInput, IngestOptions, IngestUsageError, ingest
from teleo.ingest.clean import clean_field, content_hash, neutralise_body
from teleo.ingest.extract import detect_media
from teleo.ingest.names import (
    MAX_NAME_BYTES,
    author_handle,
    cut_slug,
    normalise_date,
    source_filename,
)

TODAY = dt.date(2026, 1, 15)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-15", "2024-03-15"),
        ("2024-3-5", "2024-03-05"),
        ("2024/03/15", "2024-03-15"),
        ("2024-03", "2024-03-00"),
        ("2024", "2024-00-00"),
        ("2026-01-00", "2026-01-00"),
        ("2024-03-15T10:00:00Z", "2024-03-15"),
        ("2024-03-15 10:00", "2024-03-15"),
        (dt.date(2020, 1, 2), "2020-01-02"),
        (dt.datetime(2020, 1, 2, 3, 4), "2020-01-02"),
        ("2024-02-30", None),
        ("2024-13-01", None),
        ("2024-00-05", None),
        ("0000-00-00", None),
        ("20240315", None),
        ("March 2024", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_date(value, expected):
    assert normalise_date(value) == expected


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("Pine Analytics (@PineAnalytics)", "pineanalytics"),
        ("Jane Q. Doe", "doe"),
        ("Doe, Jane", "doe"),
        ("Leo Gao; John Schulman", "gao"),
        ("Ada Lovelace and Charles Babbage", "lovelace"),
        ("Martin Luther King Jr.", "king"),
        ("José Núñez", "nunez"),
        ("ASPE (Office of the Assistant Secretary)", "aspe"),
        ("futard.io", "futardio"),
        ("../../root", "root"),
        ("日本語", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
        ("Someone " + "x" * 100, "x" * 24),
    ],
)
def test_author_handle(author, expected):
    assert author_handle(author) == expected


def test_source_filename_is_cut_at_a_word_boundary():
    title = "The quick brown fox jumps over the lazy dog " * 10
    name = source_filename("2024-03-15", "doe", title)
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert name.startswith("2024-03-15-doe-the-quick-brown-fox")
    assert name.endswith(".md") and not name.endswith("-.md")
    stem = name[len("2024-03-15-doe-"):-3]
    assert all(word in {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog"} for word in stem.split("-"))
    with_suffix = source_filename("2024-03-15", "doe", title, "-12")
    assert len(with_suffix.encode()) <= MAX_NAME_BYTES and with_suffix.endswith("-12.md")
    assert source_filename("2024-03-15", "doe", "") == "2024-03-15-doe-untitled.md"
    assert cut_slug("a" * 200, 10) == "a" * 10


def test_neutralise_body():
    text = "---\ntitle: x\n---\n# H1\n## H2\n###### H6\n#hashtag\n[[a]] [[[b]]]\n<script>x</script> 3 < 4\n\r\n\n\n\nend\u202e"
    out = neutralise_body(text)
    assert out.split("\n") == [
        "* * *", "title: x", "* * *", "### H1", "#### H2", "###### H6", "#hashtag",
        "[ [a] ] [ [ [b] ] ]", "&lt;script>x&lt;/script> 3 < 4", "", "end",
    ]
    assert content_hash(neutralise_body(out)) == content_hash(text)  # stable under re-archiving


def test_clean_field():
    assert clean_field("  a\n\tb\x00c  [[x]] ") == "a b c [ [x] ]"
    assert clean_field("y" * 600) == "y" * 499 + "…"


def test_content_hash_ignores_layout_not_words():
    assert content_hash("Hello   world\n\nagain") == content_hash("hello world again\n")
    assert content_hash("## Heading\ntext") == content_hash("#### Heading\ntext")
    assert content_hash("[[x]] <b>") == content_hash("[ [x] ] &lt;b>")
    assert content_hash("hello world") != content_hash("hello there")


@pytest.mark.parametrize(
    ("data", "kwargs", "expected"),
    [
        (b"%PDF-1.7\n...", {}, "pdf"),
        (b"<!DOCTYPE html><html>", {}, "html"),
        (b"<html lang=en><body>x", {"content_type": "text/plain"}, "html"),
        (b"plain", {"content_type": "text/html; charset=utf-8"}, "html"),
        (b"# Title", {"name": "notes.md"}, "markdown"),
        (b"# Title", {"name": "https://example.org/notes.markdown?x=1"}, "markdown"),
        (b"---\ntitle: x\n---\nbody", {}, "markdown"),
        (b"just words", {}, "text"),
        (b"just words", {"name": "notes.txt"}, "text"),
    ],
)
def test_detect_media(data, kwargs, expected):
    assert detect_media(data, **kwargs) == expected


def test_domain_and_option_checks(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    source = IngestInput.parse("-", data=b"text")
    with pytest.raises(IngestUsageError, match="domain 'nope' is not configured.*health"):
        ingest(vault, source, IngestOptions(domain="nope"))
    with pytest.raises(IngestUsageError, match="--domain.*ai-alignment"):
        ingest(vault, source, IngestOptions(today=TODAY))
    with pytest.raises(IngestUsageError, match="format 'podcast'"):
        ingest(vault, source, IngestOptions(domain="health", format="podcast"))
    with pytest.raises(IngestUsageError, match="date 'yesterday'"):
        ingest(vault, source, IngestOptions(domain="health", date="yesterday"))
    for url in ("javascript:alert(1)", "file:///etc/passwd", "http://[bad", "example.org/x"):
        with pytest.raises(IngestUsageError, match="--url"):
            ingest(vault, source, IngestOptions(domain="health", url=url))
    assert not (vault.root / "inbox").exists()


def test_single_domain_vault_needs_no_domain(make_vault):
    vault = make_vault({"README.md": "# Vault\n"}, config="""
        [domains.health]
        folder = "domains/health"
        agent = "vida"
    """)
    result = ingest(vault, IngestInput.parse("-", data=b"Title line\nbody"), IngestOptions(today=TODAY))
    assert result.fields["domain"] == "health"


def test_markdown_domain_is_used_when_configured(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    data = b"---\ntitle: T\ndomain: space-development\nformat: pdf\n---\nOrbital debris text."
    result = ingest(vault, IngestInput.parse("-", data=data), IngestOptions(today=TODAY))
    assert result.fields["domain"] == "space-development"
    assert result.fields["format"] == "paper"  # legacy value from the file's own frontmatter, coerced


def test_metadata_urls_that_are_not_web_urls_are_ignored(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    data = b"---\ntitle: T\nurl: javascript:alert(1)\n---\nBody text."
    result = ingest(vault, IngestInput.parse("-", data=data), IngestOptions(domain="health", today=TODAY))
    assert result.fields["url"] == "local:stdin"
