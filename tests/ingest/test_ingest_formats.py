"""teleo.ingest on each kind of input: HTML, PDF, markdown, text (stdin), non-UTF-8 text."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from ingest_helpers import DATA, make_pdf

from teleo.gates import Severity, check
from teleo.gates.rules.sources import SOURCE_NAME
from teleo.ingest import IngestError, IngestInput, IngestOptions, ingest
from teleo.notes import read_note

TODAY = dt.date(2026, 1, 15)


def options(**kwargs) -> IngestOptions:
    kwargs.setdefault("domain", "health")
    kwargs.setdefault("today", TODAY)
    return IngestOptions(**kwargs)


def lint_errors(vault, path: str) -> list:
    vault.forget()
    return [f for f in check(vault, [path]).findings if f.severity is Severity.ERROR]


def test_html_boilerplate_removed_and_metadata_taken(make_vault):
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    result = ingest(vault, IngestInput.parse(str(DATA / "page.html")), options())
    assert result.path == "inbox/archive/2024-03-15-doe-futarchy-in-practice-what-two-years-of-markets-taught-us.md"
    assert result.media == "html"
    assert result.fields == {
        "type": "source",
        "title": "Futarchy in practice: what two years of markets taught us",
        "author": "Jane Q Doe",
        "url": "https://www.example.org/posts/futarchy-in-practice/",
        "date": "2024-03-15",
        "domain": "health",
        "format": "essay",
        "status": "unprocessed",
        "tags": [],
        "ingested": "2026-01-15",
    }
    text = (vault.root / result.path).read_text(encoding="utf-8")
    assert "thin markets were the main failure mode" in text
    assert "- Deep liquidity" in text
    for junk in ("Subscribe to our newsletter", "About us", "Copyright", "Privacy policy", "Popular posts", "Sign up"):
        assert junk not in text
    assert text.startswith("---\ntype: source\ntitle: ")
    assert "\n---\n\n## Content\n\n" in text
    assert "#### What worked" in text  # content headings sit below the note's own sections
    assert "\ntags:" not in text  # an empty tag list is left out
    assert SOURCE_NAME.match(result.path.rsplit("/", 1)[1])
    assert lint_errors(vault, result.path) == []
    log = subprocess.run(["git", "-C", str(vault.root), "log", "-1", "--format=%s", "--name-only"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert log[0] == "ingest: archive " + result.path.rsplit("/", 1)[1]
    assert result.path in log
    assert result.commit


def test_frontmatter_field_order(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse(str(DATA / "article.md")), options(tags=["extra"]))
    note = read_note(vault.root, result.path)
    assert list(note.data) == ["type", "title", "author", "url", "date", "domain", "format", "status", "tags", "ingested"]
    assert result.commit is None  # not a git repository


def test_pdf_text_and_metadata(make_vault, tmp_path):
    vault = make_vault({"README.md": "# Vault\n"})
    pdf = tmp_path / "reward.pdf"
    pdf.write_bytes(make_pdf(
        ["Scaling laws for reward model overoptimization", "", "We study how proxy reward models are overoptimized."],
        {"Title": "Scaling Laws for Reward Model Overoptimization", "Author": "Leo Gao; John Schulman",
         "CreationDate": "D:20221019120000Z"},
    ))
    result = ingest(vault, IngestInput.parse(str(pdf)), options(domain="ai-alignment", url="https://arxiv.org/abs/2210.10760"))
    assert result.media == "pdf"
    assert result.path == "inbox/archive/2022-10-19-gao-scaling-laws-for-reward-model-overoptimization.md"
    assert result.fields["format"] == "paper"
    assert result.fields["author"] == "Leo Gao; John Schulman"
    assert result.fields["url"] == "https://arxiv.org/abs/2210.10760"
    text = (vault.root / result.path).read_text(encoding="utf-8")
    assert "We study how proxy reward models are overoptimized." in text
    assert lint_errors(vault, result.path) == []


def test_pdf_without_metadata_takes_first_line_and_flags(make_vault, tmp_path):
    vault = make_vault({"README.md": "# Vault\n"})
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(make_pdf(["Hospital at home outcomes", "Patients treated at home had fewer readmissions."],
                             {"Title": "Microsoft Word - draft3.docx"}))
    result = ingest(vault, IngestInput.parse(str(pdf)), options(author="Bruce Leff", date="2021-06", format="report"))
    assert result.fields["title"] == "Hospital at home outcomes"
    assert result.fields["date"] == "2021-06-00"
    assert result.fields["format"] == "report"
    assert result.path == "inbox/archive/2021-06-00-leff-hospital-at-home-outcomes.md"


def test_markdown_frontmatter_gives_metadata_and_body_is_kept(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse(str(DATA / "article.md")), options(domain="ai-alignment"))
    assert result.media == "markdown"
    assert result.fields["title"] == "Reward hacking in the wild"
    assert result.fields["author"] == "Ada Lovelace (@ada)"
    assert result.fields["date"] == "2023-07-04"
    assert result.fields["url"] == "https://blog.example.com/reward-hacking"  # tracking parameters dropped
    assert result.fields["tags"] == ["alignment", "rl"]
    assert result.path == "inbox/archive/2023-07-04-ada-reward-hacking-in-the-wild.md"
    text = (vault.root / result.path).read_text(encoding="utf-8")
    assert "- A boat-racing agent circled forever collecting points." in text
    assert "#### Cases" in text and "\n## Cases" not in text
    assert text.count("\n---\n") == 1  # the source's own frontmatter is not copied into the body
    assert lint_errors(vault, result.path) == []


def test_options_win_over_metadata(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse(str(DATA / "article.md")), options(
        title="Specification gaming examples", author="Victoria Krakovna (@vkrakovna)", date="2020-04-21",
        format="blog",
    ))
    assert result.fields["title"] == "Specification gaming examples"
    assert result.fields["format"] == "essay"  # legacy 'blog' → essay
    assert result.path == "inbox/archive/2020-04-21-vkrakovna-specification-gaming-examples.md"


def test_stdin_text_with_flags(make_vault):
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    data = b"GLP-1 drugs and Medicare budgets\n\nCBO scores the coverage at $35B over ten years.\n"
    source = IngestInput.parse("-", data=data)
    assert source.kind == "stdin"
    result = ingest(vault, source, options(author="Congressional Budget Office", date="2024-11-01",
                                           url="https://www.cbo.gov/publication/60441", format="report", tags=["glp-1"]))
    assert result.media == "text"
    assert result.fields["title"] == "GLP-1 drugs and Medicare budgets"
    assert result.fields["tags"] == ["glp-1"]
    assert result.path == "inbox/archive/2024-11-01-office-glp-1-drugs-and-medicare-budgets.md"
    assert lint_errors(vault, result.path) == []


def test_stdin_without_metadata_falls_back_and_warns(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse("-", data=b"\n\n  A note with no metadata at all\nbody text\n"), options())
    assert result.fields["title"] == "A note with no metadata at all"
    assert result.fields["author"] == "unknown"
    assert result.fields["date"] == "2026-01-15"
    assert result.fields["url"] == "local:stdin"
    assert result.path == "inbox/archive/2026-01-15-unknown-a-note-with-no-metadata-at-all.md"
    joined = " ".join(result.warnings)
    assert "--author" in joined and "--date" in joined and "--url" in joined
    assert lint_errors(vault, result.path) == []


def test_non_utf8_text_file(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    result = ingest(vault, IngestInput.parse(str(DATA / "latin1.txt")), options(author="Marie Curie", date="1911"))
    text = (vault.root / result.path).read_text(encoding="utf-8")
    assert "Café société" in text and "« guillemets »" in text and "à la fois" in text
    assert result.fields["title"] == "Café société: notes on naïve pricing"
    assert result.path == "inbox/archive/1911-00-00-curie-cafe-societe-notes-on-naive-pricing.md"
    assert any("not UTF-8" in w for w in result.warnings)
    assert lint_errors(vault, result.path) == []


def test_stdin_sniffs_pdf_and_html(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    pdf = make_pdf(["Piped PDF title", "Piped PDF body text."])
    assert ingest(vault, IngestInput.parse("-", data=pdf), options()).media == "pdf"
    html = (DATA / "page.html").read_bytes()
    assert ingest(vault, IngestInput.parse("-", data=html), options()).media == "html"


def test_forced_media(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    html = b"<html><body><p>literal <b>tags</b> kept as text</p></body></html>"
    result = ingest(vault, IngestInput.parse("-", data=html), options(media="text", title="Raw markup"))
    text = (vault.root / result.path).read_text(encoding="utf-8")
    assert "&lt;b>tags&lt;/b>" in text


def test_empty_text_is_an_error(make_vault, tmp_path):
    vault = make_vault({"README.md": "# Vault\n"})
    with pytest.raises(IngestError, match="no text"):
        ingest(vault, IngestInput.parse("-", data=b"   \n\n"), options())
    blank_pdf = tmp_path / "blank.pdf"
    blank_pdf.write_bytes(make_pdf([]))
    with pytest.raises(IngestError, match="no text"):
        ingest(vault, IngestInput.parse(str(blank_pdf)), options())
    assert not list((vault.root / "inbox" / "archive").glob("*.md")) if (vault.root / "inbox/archive").exists() else True


def test_unreadable_inputs(make_vault, tmp_path):
    vault = make_vault({"README.md": "# Vault\n"})
    with pytest.raises(IngestError, match="no such file"):
        ingest(vault, IngestInput.parse(str(tmp_path / "missing.html")), options())
    with pytest.raises(IngestError, match="not a regular file"):
        ingest(vault, IngestInput.parse(str(tmp_path)), options())
    png = tmp_path / "image.bin"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    with pytest.raises(IngestError, match="binary"):
        ingest(vault, IngestInput.parse(str(png)), options())
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n this is not really a pdf")
    with pytest.raises(IngestError):
        ingest(vault, IngestInput.parse(str(broken)), options())
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(IngestError, match="cap"):
        ingest(vault, IngestInput.parse(str(big)), options(max_bytes=1024))


def test_html_title_prefers_the_main_heading_that_the_title_tag_names(make_vault):
    vault = make_vault({"README.md": "# Vault\n"})
    page = b"""<html><head><title>What is rustdoc? - The rustdoc book</title></head><body>
    <div id="help" class="hidden"><h1>Keyboard shortcuts</h1><p>Press ? to show this help.</p></div>
    <main><h2>What is rustdoc?</h2>
    <p>The standard Rust distribution ships with a tool called rustdoc. Its job is to generate documentation
    for Rust projects, taking a crate root or a Markdown file and producing HTML, CSS and JavaScript.</p>
    <p>On a fundamental level rustdoc takes as an argument either a crate root or a Markdown file.</p></main>
    </body></html>"""
    result = ingest(vault, IngestInput.parse("-", data=page), options())
    assert result.fields["title"] == "What is rustdoc?"
