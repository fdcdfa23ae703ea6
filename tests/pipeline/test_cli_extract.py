"""`teleo extract` and `teleo run` (registered on a private app until app.py lists them)."""

from __future__ import annotations

import json
import subprocess

import typer
from pipeline_helpers import branches, make_sources_vault, source_path, source_text
from typer.testing import CliRunner

from teleo.cli import extract as extract_cli
from teleo.cli import run as run_cli


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = {"vault": None}

    extract_cli.register(app)
    run_cli.register(app)
    return app


def test_extract_then_run_with_the_offline_provider(tmp_path, monkeypatch):
    vault = make_sources_vault(tmp_path / "v", 3)
    monkeypatch.chdir(vault.root)
    app = _app()
    result = CliRunner().invoke(app, ["extract", "--workers", "2", "--limit", "2", "--provider", "offline"])
    assert result.exit_code == 0, result.output
    assert "sources" in result.output and "null results" in result.output
    assert len(branches(vault.root)) == 3
    result = CliRunner().invoke(app, ["run", "--provider", "offline", "--until", "extract", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["extract"]["totals"]["sources"] == 1
    assert payload["extract"]["totals"]["already_proposed"] == 2
    assert len(branches(vault.root)) == 4


def test_extract_outside_git_is_a_usage_error(tmp_path, monkeypatch, make_vault):
    vault = make_vault({"inbox/archive/a.md": "---\ntype: source\ntitle: a\nstatus: unprocessed\n---\n\n# a\n"})
    monkeypatch.chdir(vault.root)
    result = CliRunner().invoke(_app(), ["extract", "--provider", "offline"])
    assert result.exit_code == 2


NULL_SOURCE = {"inbox/archive/2026-01-05-empty-notes.md": (
    "---\ntype: source\ntitle: \"Notes\"\nauthor: \"A\"\nurl: https://example.org/n\ndate: 2026-01-05\n"
    "domain: space-development\nformat: report\nstatus: unprocessed\n---\n\n# Notes\n\n## Content\n\nok.\n"
)}


def _proposals_app() -> typer.Typer:
    from teleo.cli import proposals as proposals_cli

    app = _app()
    proposals_cli.register(app)
    return app


def test_extract_counts_every_branch_it_makes_as_teleo_proposals_does(tmp_path, monkeypatch):
    """Issue 12.5: "3 proposed" then `teleo proposals` listing 4 — a null result is a proposal branch
    too (the source alone, marked null-result, reviewed and merged like any other)."""
    vault = make_sources_vault(tmp_path / "v", 3, extra=NULL_SOURCE)
    monkeypatch.chdir(vault.root)
    app = _proposals_app()
    first = CliRunner().invoke(app, ["extract", "--provider", "offline"], terminal_width=200)
    assert first.exit_code == 0, first.output
    last = first.output.strip().splitlines()[-1]
    assert last.startswith("4 proposal branches made: 3 with claims or enrichments, 1 null result"), last
    listed = CliRunner().invoke(app, ["proposals"], terminal_width=200)
    assert "Open proposals (4: 3 with claims or enrichments, 1 null result)" in listed.output

    (vault.root / source_path(7)).write_text(source_text(7), encoding="utf-8")
    subprocess.run(["git", "-C", str(vault.root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(vault.root), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "one more"], check=True)
    again = CliRunner().invoke(app, ["extract", "--provider", "offline"], terminal_width=200)
    last = again.output.strip().splitlines()[-1]
    assert last.startswith("1 proposal branch made: 1 with claims or enrichments, 0 null results · 4 already open (not redone)"), last
    listed = CliRunner().invoke(app, ["proposals"], terminal_width=200)
    assert "Open proposals (5: 4 with claims or enrichments, 1 null result)" in listed.output


def test_the_live_progress_runs_no_thread():
    """The workers are forked only from a process with no other thread: the display must not start one."""
    import threading

    from teleo.cli.extract import _LiveProgress

    before = threading.active_count()
    with _LiveProgress():
        assert threading.active_count() == before
