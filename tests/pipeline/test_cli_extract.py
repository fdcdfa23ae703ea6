"""`teleo extract` and `teleo run` (registered on a private app until app.py lists them)."""

from __future__ import annotations

import json

import typer
from pipeline_helpers import branches, make_sources_vault
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
