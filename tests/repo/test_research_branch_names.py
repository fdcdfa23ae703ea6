"""A research session's branch is `<agent>/research-<date>` for an agent of the vault and a real date.

The kind has no fixed prefix, so it must not take any `<x>/research-<y>`: someone's
`feature/research-notes`, merged into main, was deleted by `teleo merge` as a merged proposal, and
`mallory/research-2026-01-01` (no such agent) was listed, reviewed and kept open as a research
session. The real command line on a temp vault with real git; the kinds' matching unit-tested.
"""

from __future__ import annotations

import json
import subprocess

from conftest import teleo_command

from teleo.repo.kinds import EXTRACT, FLAGS, RESEARCH, kind_of

AGENTS = ("leo", "rio", "theseus")
ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.org"}


def test_the_research_kind_takes_a_configured_agent_and_a_real_date_only():
    assert kind_of("rio/research-2026-03-11", agents=AGENTS) is RESEARCH
    for other in ("mallory/research-2026-03-11", "rio/research-foo", "rio/research-2026-02-30",
                  "rio/research-2026-3-11", "rio/research-2026-03-11-x", "flags/research-2026-03-11"):
        assert kind_of(other, agents=AGENTS) is None, other
    assert kind_of("extract/research-foo", agents=AGENTS) is EXTRACT  # an extraction, as before
    assert kind_of("flags/rio/2026-03-11-x", agents=AGENTS) is FLAGS
    # no agents given (a caller holding no vault: a ref's stale lock): the form alone, the date still checked
    assert kind_of("mallory/research-2026-03-11") is RESEARCH and kind_of("rio/research-foo") is None


def _git(root, *args: str) -> str:
    import os

    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, **ENV}).stdout


def _teleo(root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*teleo_command(), *args], cwd=root, capture_output=True, text=True, timeout=300)


def _branch_with_commit(root, branch: str, path: str, subject: str) -> None:
    _git(root, "checkout", "-q", "-b", branch, "main")
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(f"# {branch}\n\nA file made on {branch}.\n", encoding="utf-8")
    _git(root, "add", path)
    _git(root, "commit", "-q", "-m", subject)
    _git(root, "checkout", "-q", "main")


def test_branches_that_only_look_like_research_sessions_are_no_proposals(tmp_path):
    root = tmp_path / "vault"
    assert _teleo(tmp_path, "init", str(root)).returncode == 0
    _branch_with_commit(root, "mallory/research-2026-01-01", "agents/mallory/musings/research-2026-01-01.md",
                        "mallory: research session 2026-01-01 — 0 sources archived")
    _branch_with_commit(root, "rio/research-notes", "maps/rio-notes.md", "rio: notes")
    _branch_with_commit(root, "rio/research-2026-03-11", "agents/rio/musings/research-2026-03-11.md",
                        "rio: research session 2026-03-11 — 0 sources archived")
    _branch_with_commit(root, "feature/research-notes", "maps/scratch.md", "scratch notes")
    _git(root, "merge", "-q", "--no-ff", "feature/research-notes", "-m", "merge the scratch notes")

    listed = _teleo(root, "proposals", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [p["branch"] for p in json.loads(listed.stdout)["proposals"]] == ["rio/research-2026-03-11"]
    merged = _teleo(root, "merge", "--format", "json")
    report = json.loads(merged.stdout)
    assert [m["branch"] for m in report["merges"]] == ["rio/research-2026-03-11"]  # waits for its review
    assert report["cleaned"] == []
    branches = _git(root, "branch", "--format=%(refname:short)").split()
    assert {"feature/research-notes", "mallory/research-2026-01-01", "rio/research-notes"} <= set(branches)
