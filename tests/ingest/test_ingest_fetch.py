"""Fetching URLs, against a server on 127.0.0.1 only (the tests never leave loopback)."""

from __future__ import annotations

import datetime as dt

import pytest
from ingest_helpers import DATA, Route, make_pdf, serve

from teleo.ingest import (
    IngestError,
    IngestInput,
    IngestOptions,
    IngestUsageError,
    ingest,
)

TODAY = dt.date(2026, 1, 15)


def options(**kwargs) -> IngestOptions:
    kwargs.setdefault("domain", "internet-finance")
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("timeout", 5.0)
    return IngestOptions(**kwargs)


@pytest.fixture
def site():
    page = (DATA / "page.html").read_bytes()
    pdf = make_pdf(["Conditional markets", "A study of conditional token markets."],
                   {"Title": "Conditional Token Markets", "Author": "Robin Hanson", "CreationDate": "D:20130501"})
    routes = {
        "/posts/futarchy": Route(page),
        "/paper": Route(pdf, "application/octet-stream"),
        "/moved": Route(status=302, headers={"Location": "{base}/posts/futarchy"}),
        "/to-file": Route(status=302, headers={"Location": "file:///etc/passwd"}),
        "/image": Route(b"\x89PNG\r\n\x1a\n" + bytes(32), "image/png"),
        "/huge": Route(b"<html><body>" + b"a" * 4096 + b"</body></html>"),
        "/notes.md": Route(b"# Market notes\n\nPlain markdown served as text.\n", "text/plain; charset=utf-8"),
    }
    with serve(routes) as server:
        yield server


def test_fetch_html_url(make_vault, site):
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    url = site.url("/posts/futarchy?utm_source=feed&id=7#comments")
    result = ingest(vault, IngestInput.parse(url), options())
    assert result.media == "html"
    assert result.fields["url"] == site.url("/posts/futarchy?id=7")  # the URL asked for, tracking removed
    assert result.fields["title"] == "Futarchy in practice: what two years of markets taught us"
    assert result.path.startswith("inbox/archive/2024-03-15-doe-futarchy-in-practice")
    assert "Subscribe to our newsletter" not in (vault.root / result.path).read_text(encoding="utf-8")
    assert result.commit


def test_fetch_pdf_by_content_sniffing(make_vault, site):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse(site.url("/paper")), options())
    assert result.media == "pdf"
    assert result.fields["format"] == "paper"
    assert result.path == "inbox/archive/2013-05-01-hanson-conditional-token-markets.md"


def test_fetch_follows_redirects(make_vault, site):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse(site.url("/moved")), options())
    assert result.fields["url"] == site.url("/moved")
    assert site.hits["/posts/futarchy"] == 1


def test_markdown_by_url_extension(make_vault, site):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse(site.url("/notes.md")), options())
    assert result.media == "markdown"
    assert result.fields["title"] == "Market notes"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "HTTP 404"),
        ("/to-file", "unsupported scheme"),
        ("/image", "image/png"),
    ],
)
def test_fetch_failures(make_vault, site, path, message):
    vault = make_vault({"README.md": "# Vault\n"})
    with pytest.raises(IngestError, match=message):
        ingest(vault, IngestInput.parse(site.url(path)), options())
    assert not (vault.root / "inbox" / "archive").exists() or not list((vault.root / "inbox" / "archive").iterdir())


def test_fetch_size_cap(make_vault, site):
    vault = make_vault({"README.md": "# Vault\n"})
    with pytest.raises(IngestError, match="cap"):
        ingest(vault, IngestInput.parse(site.url("/huge")), options(max_bytes=1024))


def test_unreachable_host_is_a_clean_error(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    with serve({}) as server:
        dead = server.url("/gone")
    with pytest.raises(IngestError, match="cannot fetch"):
        ingest(vault, IngestInput.parse(dead), options(timeout=2.0))


@pytest.mark.parametrize("argument", ["file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)", "data:text/html,hi"])
def test_only_http_schemes(argument):
    with pytest.raises(IngestUsageError, match="only http"):
        IngestInput.parse(argument)


def test_parse_kinds():
    assert IngestInput.parse("-").kind == "stdin"
    assert IngestInput.parse("HTTPS://Example.org/a").kind == "url"
    assert IngestInput.parse("notes/file.md").kind == "file"
    assert IngestInput.parse("C:\\papers\\x.pdf").kind == "file"
