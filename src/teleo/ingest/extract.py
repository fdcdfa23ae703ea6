"""From bytes to text and metadata: HTML, PDF, markdown and plain text.

- HTML: trafilatura removes the boilerplate (navigation, footers, cookie
  banners) and writes the main text as markdown; title, author, date, the
  canonical URL and the site name come from the page's meta tags and JSON-LD.
  The date is never guessed from the page's text (no "© 2024" dates).
- PDF: pypdf extracts the text page by page; title, author and creation date
  come from the document information.
- Markdown: the body is kept; title, author, date, url, format, domain and
  tags come from its frontmatter when it has one, the title else from the
  first `# heading`.
- Plain text: the first non-empty line is the title.

Nothing here touches the network or the vault.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from teleo.ingest.models import Extracted, IngestError
from teleo.ingest.names import normalise_date

_EXTENSIONS = {
    ".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html",
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".txt": "text", ".text": "text",
}
_CONTENT_TYPES = {
    "application/pdf": "pdf", "application/x-pdf": "pdf",
    "text/html": "html", "application/xhtml+xml": "html",
    "text/markdown": "markdown", "text/x-markdown": "markdown",
    "text/plain": "text",
}
_HTML_SNIFF = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_JUNK_TITLE = re.compile(r"^(microsoft (word|powerpoint) - |untitled\b)|\.(docx?|pdf|pptx?|tex|dvi)$", re.IGNORECASE)
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_H1_ANY = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$")
_URLISH = re.compile(r"^https?://\S+$", re.IGNORECASE)


def detect_media(data: bytes, *, name: str | None = None, content_type: str | None = None, default: str = "text") -> str:
    """html, pdf, markdown or text: by content (PDF, HTML), then Content-Type, then extension.

    Raises IngestError for binary content that is none of these (images, archives).
    """
    head = data[:2048]
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in _CONTENT_TYPES and ctype != "text/plain":
        return _CONTENT_TYPES[ctype]
    suffix = PurePosixPath(urlsplit(name).path if name and "://" in name else (name or "")).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if _HTML_SNIFF.search(head):
        return "html"
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(f"{name or 'input'}: binary content ({ctype or 'unknown type'}) is not HTML, PDF, markdown or text")
    if ctype and not (ctype.startswith("text/") or ctype in ("application/octet-stream", "application/json")):
        raise IngestError(f"{name or 'input'}: content type {ctype} is not HTML, PDF, markdown or text")
    if head.startswith(b"---\n") or head.startswith(b"---\r\n"):
        return "markdown"
    return default


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """Text from bytes: UTF-8 (BOMs honoured), else the declared charset, else a detected one.

    Returns the text and a warning when it was not UTF-8.
    """
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared), f"decoded as {declared} (declared charset), not UTF-8"
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best), f"not UTF-8: decoded as {best.encoding} (detected)"
    return data.decode("cp1252", errors="replace"), "not UTF-8: decoded as cp1252, undecodable bytes replaced"


def extract(data: bytes, media: str, *, url: str | None = None, charset: str | None = None) -> Extracted:
    """Text and metadata of `data` read as `media`."""
    if media == "pdf":
        return extract_pdf(data)
    if media == "html":
        return extract_html(data, url=url)
    text, warning = decode_text(data, charset)
    found = extract_markdown(text) if media == "markdown" else extract_text(text)
    if warning:
        found.warnings.append(warning)
    return found


def extract_html(data: bytes, url: str | None = None) -> Extracted:
    import trafilatura
    from trafilatura.metadata import extract_metadata

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    tree = trafilatura.load_html(data)
    if tree is None:
        raise IngestError("the HTML could not be parsed")
    meta = extract_metadata(tree, default_url=url, extensive=False)
    text = trafilatura.extract(
        trafilatura.load_html(data), url=url, output_format="markdown", include_formatting=True,
        include_links=False, include_images=False, include_comments=False, include_tables=True, deduplicate=False,
    )
    warnings = []
    if not text or not text.strip():
        text = trafilatura.html2txt(trafilatura.load_html(data)) or ""
        if text.strip():
            warnings.append("no main text recognised in the HTML; kept all of its visible text")
    return Extracted(
        media="html", text=text, title=_html_title(meta.title, tree, text), author=meta.author, date=meta.date,
        url=meta.url if meta.url and _URLISH.match(meta.url) else None, sitename=meta.sitename, warnings=warnings,
    )


def _html_title(meta_title: str | None, tree, text: str) -> str | None:
    """The metadata title, unless the page's `<title>` vouches for the main text's first heading instead.

    trafilatura takes a lone `<h1>` as the title even when it belongs to a menu or a
    pop-up; the main text's own first heading wins when `<title>` contains it and not that.
    """
    element = tree.find(".//head//title")
    page_title = " ".join((element.text_content() if element is not None else "").split()).casefold()
    first = next((line for line in text.splitlines() if line.strip()), "")
    heading = _H1_ANY.match(first)
    if not page_title or heading is None:
        return meta_title
    candidate = heading.group(1).strip()
    if meta_title and meta_title.casefold() in page_title:
        return meta_title
    return candidate if candidate.casefold() in page_title else meta_title


def extract_pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if b"%PDF-" not in data[:1024]:  # where every PDF reader looks for it
        raise IngestError(
            "not a PDF (no '%PDF-' header in its first 1,024 bytes) though named or served as one; "
            "read it as what it is with --as text, --as markdown or --as html"
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("the PDF is encrypted with a password")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        info = reader.metadata
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise IngestError(f"the PDF cannot be read: {exc}") from None
    text = "\n\n".join(page for page in pages if page)
    title = author = date = None
    if info is not None:
        title = _text_or_none(_safe(lambda: info.title))
        author = _text_or_none(_safe(lambda: info.author))
        date = normalise_date(_safe(lambda: info.creation_date))
    if title and _JUNK_TITLE.search(title.strip()):
        title = None
    found = Extracted(media="pdf", text=text, title=title or _first_line(text), author=author, date=date)
    if not text.strip():
        found.warnings.append("the PDF has no extractable text (a scanned document?)")
    return found


def extract_markdown(text: str) -> Extracted:
    from teleo.notes import parse_document

    doc = parse_document(text)
    if doc.has_frontmatter and doc.frontmatter is not None:
        data, body = doc.data, doc.body
    else:  # no frontmatter, or one that does not parse: everything is body
        data, body = {}, text
    url = _text_or_none(data.get("url"))
    if not url:
        legacy = _text_or_none(data.get("source"))
        url = legacy if legacy and _URLISH.match(legacy) else None
    heading = _H1.search(body)
    title = _text_or_none(data.get("title")) or (heading.group(1) if heading else None) or _first_line(body)
    tags = data.get("tags")
    return Extracted(
        media="markdown",
        text=body,
        title=title,
        author=_text_or_none(data.get("author")),
        date=normalise_date(data.get("date") or data.get("date_published")),
        url=url,
        format=_text_or_none(data.get("format") or data.get("source_type")),
        domain=_text_or_none(data.get("domain")),
        tags=[str(t) for t in tags if isinstance(t, (str, int, float))] if isinstance(tags, list) else [],
    )


def extract_text(text: str) -> Extracted:
    return Extracted(media="text", text=text, title=_first_line(text))


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return None


def _text_or_none(value: object) -> str | None:
    if value is None or isinstance(value, (list, dict, bool)):
        return None
    text = str(value).strip()
    return text or None


def _safe(getter):
    try:
        return getter()
    except Exception:  # pypdf raises many kinds on malformed metadata
        return None
