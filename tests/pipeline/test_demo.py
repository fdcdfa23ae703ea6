"""`teleo demo`: a committed copy of the sample vault, its drop folder ingested, every source proposed — offline."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import typer
from typer.testing import CliRunner

import teleo
from teleo.cli import demo as demo_cli
from teleo.pipeline.demo import locate_sample

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-vault"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = {"vault": None}

    demo_cli.register(app)
    return app


def _digest(root: Path) -> str:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(str(p.relative_to(root)).encode() + p.read_bytes() for p in files)).hexdigest()


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def test_demo_ingests_the_drop_folder_and_proposes_every_source(tmp_path):
    before = _digest(SAMPLE)
    target = tmp_path / "demo"
    result = CliRunner().invoke(_app(), ["demo", str(target), "--until", "extract"])
    assert result.exit_code == 0, result.output
    assert _digest(SAMPLE) == before  # the bundled sample is never written to

    queued = sorted(p.relative_to(SAMPLE / "inbox/queue").as_posix() for p in (SAMPLE / "inbox/queue").rglob("*.*"))
    assert len(queued) == 2
    for name in queued:
        assert f"ingested inbox/queue/{name}" in result.output
        assert not (target / "inbox/queue" / name).exists()  # archived, then removed
    assert "extraction" in result.output and "branches created" in result.output

    branches = [b for b in _git(target, "branch", "--format=%(refname:short)").split() if b.startswith("extract/")]
    unprocessed = 3 + len(queued)  # the sample's unprocessed sources plus the dropped files
    assert len(branches) == unprocessed
    assert f"branches created ({unprocessed})" in result.output
    assert _git(target, "status", "--porcelain") == ""
    assert _git(target, "log", "-1", "--format=%s", branches[0]).split(":")[0] in {"theseus", "rio", "vida", "leo"}


def test_demo_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine\n")
    result = CliRunner().invoke(_app(), ["demo", str(tmp_path / "busy")])
    assert result.exit_code == 2
    assert "not an empty folder" in result.output
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["keep.txt"]


def test_demo_from_a_folder_that_is_no_vault(tmp_path):
    result = CliRunner().invoke(_app(), ["demo", str(tmp_path / "d"), "--from", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a Teleo vault" in result.output


def test_demo_goes_from_the_inbox_to_main_by_default(tmp_path):
    target = tmp_path / "demo"
    result = CliRunner().invoke(_app(), ["demo", str(target)])
    assert result.exit_code == 0, result.output
    merged = _git(target, "log", "--merges", "--format=%s", "main").splitlines()
    assert len(merged) == 5 and all(s.startswith("Merge pull request '") for s in merged)
    assert not [b for b in _git(target, "branch", "--format=%(refname:short)").split() if b.startswith("extract/")]
    assert "branches created (5)" in result.output and result.output.count("merged") >= 5
    assert "teleo flags" in result.output
    assert _git(target, "status", "--porcelain") == ""


def test_the_sample_vault_is_installed_with_the_package():
    """`teleo demo` needs no source checkout: the sample lives inside the package, `examples/` links to it."""
    assert locate_sample() == SAMPLE.resolve()
    assert (Path(teleo.__file__).resolve().parent / "samples" / "sample-vault" / "teleo.toml").is_file()
