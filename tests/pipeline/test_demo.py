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


def test_demo_summary_counts_what_was_not_proposed_by_reason(tmp_path):
    """The extractor's filtered candidates and the writer's drops, per job and in total, agree with the summary."""
    import json

    from teleo.gates.quality import judge_description, judge_evidence, judge_title
    from teleo.notes import parse_document

    target = tmp_path / "demo"
    result = CliRunner().invoke(_app(), ["demo", str(target), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    totals = data["extract"]["totals"]
    groups = data["not_proposed_by_reason"]
    assert totals["dropped"] > 0 and data["summary"]["dropped"] == totals["dropped"]
    assert sum(job["dropped_count"] for job in data["extract"]["jobs"]) == totals["dropped"]
    assert sum(group["count"] for group in groups) == totals["dropped"]
    assert all(group["reason"] and group["example"] for group in groups)
    assert [g["count"] for g in groups] == sorted((g["count"] for g in groups), reverse=True)
    assert data["summary"]["claims_merged"] > 0

    created = [f for b in data["branches"] for f in b["files"] if f.startswith("domains/")]
    assert created
    for path in created:  # what merged passes the claim-quality rubric
        if (SAMPLE / path).exists():
            continue  # an existing claim the proposal enriched
        doc = parse_document((target / path).read_text())
        title = path.rsplit("/", 1)[-1].removesuffix(".md")
        issues = [*judge_title(title), *judge_description(title, str(doc.data.get("description"))),
                  *judge_evidence(doc.body)]
        assert not [i for i in issues if i.severity == "error"], (path, issues)
        assert "Machine candidate" not in str(doc.data.get("description"))

    shown = CliRunner().invoke(_app(), ["demo", str(tmp_path / "again"), "--until", "extract"])
    assert f"not proposed ({totals['dropped']}), by reason" in shown.output
    for group in groups[:3]:
        assert group["reason"] in shown.output
