"""`teleo ingest` end to end: the real command line in a subprocess, on a temporary git vault."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from ingest_helpers import DATA, Route, make_pdf, serve
from typer.testing import CliRunner

from teleo.gates import check

# Runs the `teleo` app with the ingest command registered (whether or not app.py lists it yet).
SHIM = (
    "from teleo.cli.app import app, main\n"
    "if not any(c.name == 'ingest' for c in app.registered_commands):\n"
    "    import teleo.cli.ingest as module\n"
    "    module.register(app)\n"
    "main()\n"
)


runner = CliRunner()


def cli_app():
    """The real `teleo` app, with ingest registered if app.py does not list it yet."""
    from teleo.cli.app import app

    if not any(c.name == "ingest" for c in app.registered_commands):
        from teleo.cli import ingest as module

        module.register(app)
    return app


def teleo(*args: str, cwd, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The CLI run in `cwd`, with `--vault cwd`."""
    return subprocess.run(
        [sys.executable, "-c", SHIM, "--vault", str(cwd), *args], cwd=cwd, input=stdin if stdin is not None else b"",
        capture_output=True, timeout=120,
    )


def git(root, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_cli_file_then_duplicate_then_stdin_json(make_vault, tmp_path):
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    root = vault.root

    first = teleo("ingest", str(DATA / "page.html"), "--domain", "internet-finance", cwd=root)
    assert first.returncode == 0, first.stderr.decode()
    name = "2024-03-15-doe-futarchy-in-practice-what-two-years-of-markets-taught-us.md"
    assert first.stdout.decode().startswith(f"archived inbox/archive/{name} (committed ")
    assert git(root, "log", "-1", "--format=%s") == f"ingest: archive {name}\n"
    assert git(root, "status", "--porcelain") == ""

    again = teleo("ingest", str(DATA / "page.html"), "--domain", "internet-finance", cwd=root)
    assert again.returncode == 0
    assert f"duplicate of inbox/archive/{name} (same url); nothing written" in again.stdout.decode()
    assert git(root, "log", "--format=%s").count("ingest:") == 1

    piped = teleo(
        "ingest", "-", "--domain", "health", "--title", "Hospital at home", "--author", "Bruce Leff (@bleff)",
        "--date", "2021-06-00", "--url", "https://example.org/hah", "--format", "report", "--tag", "care",
        "--no-commit", "--output", "json", cwd=root, stdin=b"Hospital-at-home programmes cut readmissions.\n",
    )
    assert piped.returncode == 0, piped.stderr.decode()
    payload = json.loads(piped.stdout)
    assert payload["status"] == "archived"
    assert payload["path"] == "inbox/archive/2021-06-00-bleff-hospital-at-home.md"
    assert payload["commit"] is None
    assert payload["fields"]["tags"] == ["care"] and payload["fields"]["format"] == "report"
    assert git(root, "status", "--porcelain", "--untracked-files=all") == f"?? {payload['path']}\n"

    vault.forget()
    report = check(vault, [f"inbox/archive/{name}", payload["path"]])
    assert report.summary.errors == 0, report.findings


def test_cli_url_and_pdf_then_duplicate(make_vault):
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    pdf = make_pdf(["Orbital debris", "Kessler cascades are a real risk."], {"Author": "Donald Kessler", "Title": "Orbital Debris"})
    args = ["--vault", str(vault.root), "ingest", "--domain", "space-development", "--date", "1978-06", "-o", "json"]
    with serve({"/debris": Route(pdf, "application/pdf")}) as site:
        done = runner.invoke(cli_app(), [*args, site.url("/debris")])
        again = runner.invoke(cli_app(), [*args, site.url("/debris/")])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert json.loads(again.stdout)["status"] == "duplicate" and again.exit_code == 0
    assert site.hits == {"/debris": 1}
    assert payload["path"] == "inbox/archive/1978-06-00-kessler-orbital-debris.md"
    assert payload["media"] == "pdf" and payload["fields"]["url"] == site.url("/debris")
    assert "Kessler cascades are a real risk." in (vault.root / payload["path"]).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["ingest", "-", "--domain", "nope"], 2, "not configured"),
        (["ingest", "-"], 2, "--domain"),
        (["ingest", "-", "--domain", "health", "--date", "someday"], 2, "not YYYY-MM-DD"),
        (["ingest", "-", "--domain", "health", "--format", "podcast"], 2, "not a source format"),
        (["ingest", "file:///etc/passwd", "--domain", "health"], 2, "only http"),
        (["ingest", "/nonexistent/teleo/file.html", "--domain", "health"], 1, "no such file"),
    ],
)
def test_cli_errors(make_vault, args, code, message):
    vault = make_vault({"README.md": "# Vault\n"})
    result = runner.invoke(cli_app(), ["--vault", str(vault.root), *args], input=b"some text")
    assert result.exit_code == code, result.output
    assert message in result.output.replace("\n", " ")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (vault.root / "inbox").exists()


def test_cli_help_documents_flags_and_examples():
    result = runner.invoke(cli_app(), ["ingest", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for text in ("--domain", "--format", "--output", "--no-commit", "--tag", "--as", "Examples", "Exit codes"):
        assert text in result.output


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\n"])
def test_cli_empty_file_says_nothing_was_written_and_why(make_vault, tmp_path, content):
    """Issue 12.5: an empty file said "wrote 'local:empty.md'" though nothing was written."""
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    empty = tmp_path / "empty.md"
    empty.write_bytes(content)
    result = runner.invoke(cli_app(), ["--vault", str(vault.root), "ingest", str(empty), "--domain", "health"])
    said = result.output.replace("\n", " ")
    assert result.exit_code == 1, said
    assert str(empty) in said and "empty" in said and "nothing written" in said
    assert "wrote" not in said
    assert not (vault.root / "inbox").exists()


def test_cli_text_named_pdf_names_the_file_and_the_way_out(make_vault, tmp_path):
    """Issue 12.5: a text file named .pdf failed with "the PDF cannot be read: Stream has ended
    unexpectedly", naming no file."""
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    fake = tmp_path / "notes-from-the-meeting.pdf"
    fake.write_text("Just some text that is not a PDF at all.\n", encoding="utf-8")
    result = runner.invoke(cli_app(), ["--vault", str(vault.root), "ingest", str(fake), "--domain", "health"])
    said = result.output.replace("\n", " ")
    assert result.exit_code == 1, said
    assert str(fake) in said and "not a PDF" in said and "--as text" in said and "nothing written" in said
    again = runner.invoke(cli_app(), ["--vault", str(vault.root), "ingest", str(fake), "--domain", "health", "--as", "text"])
    assert again.exit_code == 0, again.output


def test_cli_unreadable_pdf_names_the_file(make_vault, tmp_path):
    vault = make_vault({"README.md": "# Vault\n"}, git=True)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 10)
    result = runner.invoke(cli_app(), ["--vault", str(vault.root), "ingest", str(broken), "--domain", "health"])
    said = result.output.replace("\n", " ")
    assert result.exit_code == 1, said
    assert str(broken) in said and "nothing written" in said
