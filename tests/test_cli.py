"""The `teleo` command line end to end: real processes on temporary git vaults."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import typer
from conftest import git_init, teleo_command, write_files
from typer.testing import CliRunner

from teleo.cli.app import app

T1 = "remote monitoring lowers cardiovascular events through faster medication titration"
T2 = "community health workers cut readmissions when they visit within a week of discharge"
SOURCE = "inbox/archive/2026-01-05-lee-home-monitoring-trial.md"

CLAIM = """\
---
type: claim
domain: health
description: "{description}"
confidence: experimental
source: "Fixture written for the Teleo test suite, 2026"
created: 2026-01-00
---

# {title}

{body}

Topics: [[_map]]
"""


def claim(title: str, description: str, body: str) -> str:
    return CLAIM.format(title=title, description=description, body=body)


FIXABLE = {
    f"domains/health/{T1}.md": claim(
        T1, "Programs that adjust doses weekly from home readings beat clinic-only care in 2024 trials.",
        "A 2024 trial of 2,000 patients found a 12% drop. Related: [[community health workers cut readmissions when]].",
    ),
    f"domains/health/{T2}.md": claim(
        T2, "Visits in the first week after discharge matter more than the total number of visits made.",
        "A 2023 study of 1,500 discharges found a 9% drop. Compare [[Remote Monitoring Lowers Cardiovascular "
        "Events Through Faster Medication Titration]].",
    ),
    "domains/health/_map.md": f"# health\n\n- [[{T1}]]\n- [[{T2}]]\n",
    SOURCE: """\
---
type: source
title: "Home monitoring trial"
author: "A. Lee"
url: https://example.org/trial
date: 2026-01-05
domain: health
format: article
status: unprocessed
---

# Home monitoring trial
""",
}


def run(*args: str, cwd: Path, check_code: int | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "250",
           "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    result = subprocess.run([*teleo_command(), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    if check_code is not None:
        assert result.returncode == check_code, (result.stdout, result.stderr)
    return result


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def commit_count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture
def fix_vault(tmp_path) -> Path:
    root = tmp_path / "vault"
    write_files(root, FIXABLE)
    git_init(root)
    return root


# -- help ---------------------------------------------------------------------------------------------------


def test_help_lists_the_commands(tmp_path):
    result = run("--help", cwd=tmp_path, check_code=0)
    for name in ("lint", "fix", "init"):
        assert name in result.stdout
    assert run("--version", cwd=tmp_path, check_code=0).stdout.startswith("teleo ")
    assert run(cwd=tmp_path).returncode in (0, 2)  # no arguments: the help, never a traceback


@pytest.mark.parametrize("name", ["lint", "fix", "init"])
def test_core_command_help_has_examples(tmp_path, name):
    result = run(name, "--help", cwd=tmp_path, check_code=0)
    assert "Examples" in result.stdout
    assert f"teleo {name}" in result.stdout


def test_every_command_help_has_examples():
    commands = typer.main.get_command(app).list_commands(None)  # type: ignore[attr-defined]  (loaded on demand)
    assert {"lint", "fix", "init"} <= set(commands)
    runner = CliRunner()
    for name in sorted(commands):
        result = runner.invoke(app, [name, "--help"], env={"NO_COLOR": "1", "COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
        assert "Examples" in result.output, name


# -- init, then lint ------------------------------------------------------------------------------------------


def test_init_then_lint_is_clean(tmp_path):
    run("init", "newvault", cwd=tmp_path, check_code=0)
    new = tmp_path / "newvault"
    assert (new / "teleo.toml").is_file()
    assert commit_count(new) == 1
    assert git(new, "status", "--porcelain") == ""
    inside = run("lint", cwd=new, check_code=0)
    assert "0 errors" in inside.stdout
    payload = json.loads(run("lint", "--format", "json", cwd=new, check_code=0).stdout)
    assert set(payload) == {"findings", "summary"}
    assert payload["findings"] == []
    assert payload["summary"]["errors"] == payload["summary"]["findings"] == 0
    assert payload["summary"]["files"] > 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = json.loads(run("--vault", str(new), "lint", "--format", "json", cwd=elsewhere, check_code=0).stdout)
    assert other == payload
    from_subfolder = json.loads(run("lint", "--format", "json", cwd=new / "domains", check_code=0).stdout)
    assert from_subfolder == payload
    assert git(new, "status", "--porcelain") == ""  # linting wrote nothing


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.md").write_text("# mine\n")
    result = run("init", "full", cwd=tmp_path)
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["notes.md"]


# -- lint output ----------------------------------------------------------------------------------------------


def test_lint_json_shape_and_exit_code(fix_vault):
    result = run("lint", "--format", "json", cwd=fix_vault, check_code=1)  # format: article is an error
    payload = json.loads(result.stdout)
    assert set(payload) == {"findings", "summary"}
    assert set(payload["summary"]) >= {"files", "findings", "errors", "warnings", "infos", "by_rule"}
    for finding in payload["findings"]:
        assert set(finding) == {"rule", "severity", "file", "line", "message", "field", "suggestion"}
    enum = [f for f in payload["findings"] if f["rule"] == "schema-enum"]
    assert [(f["file"], f["line"], f["field"]) for f in enum] == [(SOURCE, 8, "format")]
    only = json.loads(run("lint", "--format", "json", "--rule", "link-unresolved", cwd=fix_vault, check_code=0).stdout)
    assert {f["rule"] for f in only["findings"]} == {"link-unresolved"}
    errors_only = json.loads(run("lint", "-f", "json", "--severity", "error", cwd=fix_vault, check_code=1).stdout)
    assert {f["severity"] for f in errors_only["findings"]} == {"error"}


# -- fix -----------------------------------------------------------------------------------------------------------


def test_fix_dry_run_prints_a_diff_and_writes_nothing(fix_vault):
    before, commits = snapshot(fix_vault), commit_count(fix_vault)
    result = run("fix", "--dry-run", cwd=fix_vault, check_code=0)
    out = result.stdout
    assert f"--- a/domains/health/{T2}.md" in out
    assert f"+++ b/domains/health/{T2}.md" in out
    assert "+Visits" not in out
    assert "-A 2023 study" in out and "+A 2023 study" in out
    assert f"[[{T1}]]" in out
    assert "-format: article" in out and "+format: report" in out
    assert "nothing written" in out
    assert snapshot(fix_vault) == before
    assert commit_count(fix_vault) == commits
    payload = json.loads(run("fix", "--dry-run", "--format", "json", cwd=fix_vault, check_code=0).stdout)
    assert payload["summary"]["dry_run"] is True
    assert payload["summary"]["files"] == 3
    assert snapshot(fix_vault) == before


def test_fix_repairs_commits_once_and_then_has_nothing_to_do(fix_vault):
    commits = commit_count(fix_vault)
    result = run("fix", cwd=fix_vault, check_code=0)
    assert "committed" in result.stdout
    assert commit_count(fix_vault) == commits + 1
    assert git(fix_vault, "status", "--porcelain") == ""
    changed = set(git(fix_vault, "show", "--name-only", "--format=", "HEAD").split("\n")) - {""}
    assert changed == {f"domains/health/{T1}.md", f"domains/health/{T2}.md", SOURCE}
    subject = git(fix_vault, "log", "-1", "--format=%s").strip()
    assert subject.startswith("teleo fix:")

    t1 = (fix_vault / f"domains/health/{T1}.md").read_text()
    assert f"Related: [[{T2}]]." in t1  # truncated link completed
    t2 = (fix_vault / f"domains/health/{T2}.md").read_text()
    assert f"Compare [[{T1}]]." in t2  # case mismatch rewritten
    source = (fix_vault / SOURCE).read_text()
    assert "format: report\n" in source and "article" not in source
    # only those lines changed
    assert source == FIXABLE[SOURCE].replace("format: article", "format: report")
    assert t2 == FIXABLE[f"domains/health/{T2}.md"].replace(
        "[[Remote Monitoring Lowers Cardiovascular Events Through Faster Medication Titration]]", f"[[{T1}]]"
    )

    lint = json.loads(run("lint", "--format", "json", cwd=fix_vault, check_code=0).stdout)
    assert not [f for f in lint["findings"] if f["rule"] in ("link-unresolved", "schema-enum")]

    again = run("fix", cwd=fix_vault, check_code=0)
    assert "nothing to repair" in again.stdout
    assert commit_count(fix_vault) == commits + 1


def test_fix_skips_files_with_uncommitted_changes(fix_vault):
    dirty = fix_vault / f"domains/health/{T2}.md"
    edited = dirty.read_text() + "\nA local edit not yet committed.\n"
    dirty.write_text(edited)
    commits = commit_count(fix_vault)
    result = run("fix", cwd=fix_vault, check_code=0)
    assert "skipped" in result.stdout and "uncommitted" in result.stdout
    assert dirty.read_text() == edited  # untouched
    assert commit_count(fix_vault) == commits + 1
    changed = set(git(fix_vault, "show", "--name-only", "--format=", "HEAD").split("\n")) - {""}
    assert changed == {f"domains/health/{T1}.md", SOURCE}
    assert git(fix_vault, "status", "--porcelain", "-z").split("\0")[:-1] == [f" M domains/health/{T2}.md"]


def test_fix_no_commit_writes_without_committing(fix_vault):
    commits = commit_count(fix_vault)
    run("fix", "--no-commit", cwd=fix_vault, check_code=0)
    assert commit_count(fix_vault) == commits
    assert "format: report" in (fix_vault / SOURCE).read_text()


def test_fix_on_one_path_only(fix_vault):
    before = snapshot(fix_vault)
    run("fix", SOURCE, cwd=fix_vault, check_code=0)
    after = snapshot(fix_vault)
    assert {k for k in after if after[k] != before[k]} == {SOURCE}


def test_strip_broken_links_commit(tmp_path):
    root = tmp_path / "vault"
    write_files(root, {
        f"domains/health/{T1}.md": claim(
            T1, "Programs that adjust doses weekly from home readings beat clinic-only care in 2024 trials.",
            f"Links: [[{T2}]], [[a note that does not exist]] and [[another missing note|shown]].",
        ),
        f"domains/health/{T2}.md": claim(
            T2, "Visits in the first week after discharge matter more than the total number of visits made.",
            f"Links: [[{T1}]].",
        ),
        "inbox/archive/.keep": "",
    })
    git_init(root)
    commits = commit_count(root)
    # [[_map]] (twice: not a claim title), [[a note that does not exist]], [[another missing note|shown]]
    result = run("fix", "--strip-broken-links", cwd=root, check_code=0)
    assert "committed" in result.stdout
    assert commit_count(root) == commits + 1
    assert git(root, "log", "-1", "--format=%s").strip() == "auto-fix: strip 4 broken wiki links"
    assert git(root, "log", "-1", "--format=%an <%ae>").strip() == "Teleo Agents <agents@livingip.xyz>"
    text = (root / f"domains/health/{T1}.md").read_text()
    assert f"[[{T2}]]" in text  # a claim title: kept
    assert "[[a note that does not exist]]" not in text and "a note that does not exist" in text
    assert git(root, "status", "--porcelain") == ""


def test_strip_dry_run_writes_nothing(fix_vault):
    before, commits = snapshot(fix_vault), commit_count(fix_vault)
    result = run("fix", "--strip-broken-links", "--dry-run", cwd=fix_vault, check_code=0)
    assert "link-stripped" in result.stdout
    assert snapshot(fix_vault) == before
    assert commit_count(fix_vault) == commits


def test_fix_outside_git_writes_without_commit(tmp_path):
    root = tmp_path / "plain"
    write_files(root, FIXABLE)
    result = run("--vault", str(root), "fix", cwd=tmp_path, check_code=0)
    assert "committed" not in result.stdout
    assert "format: report" in (root / SOURCE).read_text()
