"""`teleo graph --publish DIR` end to end: the real command line, real git in both repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from export_helpers import claim, commit, git, init

TELEO = [str(Path(sys.executable).parent / "teleo")]


def teleo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Publisher", "GIT_AUTHOR_EMAIL": "publisher@example.org",
           "GIT_COMMITTER_NAME": "Publisher", "GIT_COMMITTER_EMAIL": "publisher@example.org", "COLUMNS": "200"}
    return subprocess.run([*TELEO, *args], cwd=cwd, capture_output=True, text=True, env=env)


def log(root: Path) -> list[str]:
    return git(root, "log", "--format=%s").splitlines()


@pytest.fixture
def repos(tmp_path):
    vault = tmp_path / "codex"
    init(vault)
    commit(vault, {
        "domains/health/a claim.md": claim("health", "Links to [[b claim]]."),
        "domains/health/b claim.md": claim("health", "Links to [[a claim]] and [[c claim]]."),
        "domains/health/c claim.md": claim("health"),
    }, "add three claims")
    site = tmp_path / "site"
    init(site)
    commit(site, {"README.md": "the site\n"}, "start")
    (site / "notes.txt").write_text("an unrelated change left alone\n", encoding="utf-8")
    return vault, site


def test_publish_commits_only_when_changed(repos):
    vault, site = repos
    first = teleo("graph", str(vault), "--publish", str(site), "--out", "public", cwd=vault)
    assert first.returncode == 0, first.stderr
    assert log(site) == ["sync: graph data from codex (3 nodes, 3 edges)", "start"]
    files = git(site, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(files) == ["public/claims-context.json", "public/contributors.json", "public/graph-data.json"]
    assert "notes.txt" in git(site, "status", "--porcelain")  # the commit named only the export's files
    assert len(json.loads((site / "public/graph-data.json").read_text())["nodes"]) == 3

    second = teleo("graph", str(vault), "--publish", str(site), "--out", "public", cwd=vault)
    assert second.returncode == 0, second.stderr
    assert "nothing committed" in second.stdout
    assert len(log(site)) == 2

    commit(vault, {"domains/health/d claim.md": claim("health", "Links to [[a claim]].")}, "add d", date="2026-03-05T12:00:00+00:00")
    third = teleo("graph", str(vault), "--publish", str(site), "--out", "public", "--format", "json", cwd=vault)
    assert third.returncode == 0, third.stderr
    result = json.loads(third.stdout)
    assert result["commit"] == git(site, "rev-parse", "HEAD").strip()
    assert log(site)[0] == "sync: graph data from codex (4 nodes, 4 edges)"
    assert len(log(site)) == 3
    assert git(site, "status", "--porcelain", "public") == ""


def test_publish_needs_another_git_repository(repos, tmp_path):
    vault, _ = repos
    plain = tmp_path / "plain"
    plain.mkdir()
    refused = teleo("graph", str(vault), "--publish", str(plain), cwd=vault)
    assert refused.returncode != 0
    assert "not a git repository" in refused.stderr and "Traceback" not in refused.stderr
    assert not (plain / "graph-data.json").exists()

    missing = teleo("graph", str(vault), "--publish", str(tmp_path / "nowhere"), cwd=vault)
    assert missing.returncode != 0 and "not a folder" in missing.stderr

    own = teleo("graph", str(vault), "--publish", str(vault), cwd=vault)
    assert own.returncode != 0 and "vault's own repository" in own.stderr
    assert len(log(vault)) == 1

    escape = teleo("graph", str(vault), "--publish", str(_), "--out", "../outside", cwd=vault)
    assert escape.returncode != 0 and "must be inside" in escape.stderr
