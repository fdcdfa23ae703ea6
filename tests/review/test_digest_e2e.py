"""`teleo digest` end to end: the real command line on a temp vault with real git."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from review_helpers import commit, git

TELEO = str(Path(sys.executable).parent / "teleo")
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org",
       "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.org", "COLUMNS": "200"}
FLAG = ("---\ntype: flag\nid: one\nagent: rio\npriority: high\nstatus: open\ntarget: agents/rio/beliefs/b.md\n"
        "target_kind: belief\nchanged:\n- path: domains/internet-finance/c.md\n  change: extend\n  chain:\n"
        "  - domains/internet-finance/c.md\n  - agents/rio/beliefs/b.md\nwhy: merge\nwhen: 2026-03-10\ncommit: abc\n"
        "created: 2026-03-10\n---\n\n# flag\n")


def claim(domain: str, body: str = "Body.", **fields: str) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in fields.items())
    return f"---\ntype: claim\ndomain: {domain}\n{extra}---\n\n{body}\n"


def digest(root: Path, *args: str) -> list[dict]:
    result = subprocess.run([TELEO, "--vault", str(root), "digest", "--format", "json", *args],
                            capture_output=True, text=True, env=ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def changes(item: dict) -> set[tuple[str, str, str]]:
    return {(Path(c["path"]).stem, c["change"], c["via"]) for c in item["claims"]}


@pytest.fixture
def vault(tmp_path):
    root = tmp_path / "vault"
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    commit(root, {
        "domains/internet-finance/markets clear.md": claim("internet-finance"),
        "domains/internet-finance/to retire.md": claim("internet-finance"),
        "domains/health/care costs.md": claim("health", secondary_domains="[internet-finance]"),
        "domains/health/only health.md": claim("health"),
        "core/overview.md": "# Overview\n",
    }, "start")
    return root


def test_digest_since_the_last_sync_advanced_only_when_asked(vault):
    [first] = digest(vault, "--agent", "rio")
    assert first["since"] is None
    assert changes(first) == {("markets clear", "merged", "primary"), ("to retire", "merged", "primary"),
                              ("care costs", "merged", "secondary")}

    [again] = digest(vault, "--agent", "rio")
    assert again["since"] is None and len(again["claims"]) == 3  # reading never advances
    tip = git(vault, "rev-parse", "main").strip()
    [advanced] = digest(vault, "--agent", "rio", "--advance")
    assert advanced["advanced"] == git(vault, "rev-parse", "main").strip()
    assert git(vault, "log", "-1", "--format=%s").startswith("digest: rio synced to")
    state = (vault / "agents/rio/digest-state.md").read_text()
    assert f"synced: {tip}" in state
    assert git(vault, "status", "--porcelain") == ""
    lint = subprocess.run([TELEO, "lint", str(vault), "--format", "json"], capture_output=True, text=True, env=ENV)
    assert lint.stdout, lint.stderr
    assert not [p for p in json.loads(lint.stdout)["findings"] if p["file"].endswith("digest-state.md")]

    [quiet] = digest(vault, "--agent", "rio")
    assert quiet["since"] == tip and quiet["claims"] == [] and quiet["flags"] == []

    commit(vault, {
        "domains/internet-finance/markets clear.md": claim("internet-finance", "A stronger body."),
        "domains/internet-finance/to retire.md": None,
        "domains/internet-finance/new mechanism.md": claim("internet-finance", secondary_domains="[health]"),
        "domains/health/only health.md": claim("health", "Changed, but not rio's."),
        "agents/rio/flags/one.md": FLAG,
    }, "a merge")
    [later] = digest(vault, "--agent", "rio")
    assert changes(later) == {("markets clear", "modified", "primary"), ("to retire", "retired", "primary"),
                              ("new mechanism", "merged", "primary")}
    assert later["flags"] == ["agents/rio/flags/one.md"]
    assert [(Path(c["path"]).stem, c["share_with"]) for c in later["candidates"]] == [("new mechanism", ["vida"])]

    digest(vault, "--agent", "rio", "--advance")
    commit(vault, {"domains/internet-finance/markets clear.md": claim("internet-finance", "A stronger body.", status="retired")},
           "retire by status")
    [retired] = digest(vault, "--agent", "rio")
    assert changes(retired) == {("markets clear", "retired", "primary")} and retired["candidates"] == []
    commit(vault, {"domains/internet-finance/markets clear.md": claim("internet-finance", "A stronger body.")}, "revive")

    everyone = {d["agent"]: d for d in digest(vault)}
    assert changes(everyone["rio"]) == set()  # retired then revived: the same text as at its sync point
    assert everyone["vida"]["since"] is None  # never synced: everything of its domains, as merged
    assert changes(everyone["vida"]) == {("only health", "merged", "primary"), ("care costs", "merged", "primary"),
                                         ("new mechanism", "merged", "secondary")}
    assert len(everyone["leo"]["claims"]) == 4  # the evaluator hears of every domain


def test_digest_refuses_an_unknown_agent_and_a_vault_without_git(vault, tmp_path):
    result = subprocess.run([TELEO, "--vault", str(vault), "digest", "--agent", "nobody"], capture_output=True, text=True, env=ENV)
    assert result.returncode != 0 and "--agent nobody" in result.stderr and "Traceback" not in result.stderr
    plain = tmp_path / "plain"
    (plain / "domains/health").mkdir(parents=True)
    result = subprocess.run([TELEO, "--vault", str(plain), "digest"], capture_output=True, text=True, env=ENV)
    assert result.returncode != 0 and "not in a git repository" in result.stderr and "Traceback" not in result.stderr
