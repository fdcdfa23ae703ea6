"""End to end, offline: `teleo run` on a copy of the sample vault takes new sources to main."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from review_helpers import git

from teleo.repo.trailers import trailer
from teleo.repo.verdicts import VERDICT_PREFIX

BELIEF = "agents/theseus/beliefs/alignment has to be pursued at the level of the sociotechnical system rather than model by model.md"
ENRICHED = ("domains/ai-alignment/model-level alignment is insufficient for beneficial outcomes because deployment "
            "incentives decide which model behaviours get used.md")


def teleo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "GIT_AUTHOR_NAME": "Test",
           "GIT_AUTHOR_EMAIL": "test@example.org", "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    result = subprocess.run([sys.executable, "-m", "teleo.cli.app", *args], cwd=cwd, capture_output=True, text=True,
                            env=env, timeout=300, stdin=subprocess.DEVNULL, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def lint_errors(root: Path) -> set[tuple[str, str, str]]:
    result = teleo("lint", ".", "--format", "json", "--no-cache", cwd=root)
    return {(f["file"], f["rule"], f["message"]) for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"}


@pytest.mark.slow
def test_teleo_run_takes_the_sample_vaults_sources_to_main(sample_vault):
    from conftest import git_init

    git_init(sample_vault)
    errors_before = lint_errors(sample_vault)

    result = teleo("run", "--format", "json", cwd=sample_vault)
    assert result.returncode == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout)
    summary = payload["summary"]
    # the three unprocessed sources, plus the two raw files of inbox/queue/ archived by the run
    assert summary["sources"] == 5 and summary["merged"] == 5
    assert summary["claims_merged"] > 0 and summary["enrichments"] >= 1
    assert summary["rejected"] == 0 and summary["flags"] >= 1
    assert summary["tokens"] == 0 and summary["cost"] == 0

    # verdict records in git, bound to each merged head
    merges = [line for line in git(sample_vault, "log", "--merges", "--format=%H", "main").split()]
    assert len(merges) == 5
    refs = set(git(sample_vault, "for-each-ref", "--format=%(refname)", VERDICT_PREFIX).split())
    for merge in merges:
        head = trailer(git(sample_vault, "log", "-1", "--format=%B", merge), "Teleo-Head")
        assert git(sample_vault, "rev-parse", f"{merge}^2").strip() == head
        for reviewer in ("gates", "leo"):
            record = json.loads(git(sample_vault, "cat-file", "-p", f"{VERDICT_PREFIX}{head}/{reviewer}"))
            assert record["verdict"] == "approve" and record["head"] == head
        reviewers = {r.rsplit("/", 1)[-1] for r in refs if r.startswith(f"{VERDICT_PREFIX}{head}/")}
        proposer = trailer(git(sample_vault, "log", "-1", "--format=%B", head), "Pentagon-Agent").split()[0].lower()
        assert {"gates", "leo"} <= reviewers and proposer not in reviewers
        if reviewers == {"gates", "leo"}:  # no fitting peer: the evaluator's verdict says why
            record = json.loads(git(sample_vault, "cat-file", "-p", f"{VERDICT_PREFIX}{head}/leo"))
            assert f"its only agent is {proposer} (proposer)" in record["text"]

    # the enrichment, and the cascade flag on the belief that depends on the enriched claim
    enriched = git(sample_vault, "show", f"main:{ENRICHED}")
    assert "### Additional Evidence" in enriched and "2026-03-10-moreau-deployer-incentives-field-study" in enriched
    assert "status: under_review" in git(sample_vault, "show", f"main:{BELIEF}")
    cascade = git(sample_vault, "log", "-1", "--format=%B", "--grep=^cascade: ", "main")
    assert cascade.startswith("cascade: ") and "Cascade-Of: " in cascade and "belief" in cascade
    flag_files = [p for p in git(sample_vault, "ls-tree", "-r", "--name-only", "main").splitlines() if "/flags/" in p]
    assert flag_files

    # main checked out: the working tree followed; the index is current; no proposal left open
    assert git(sample_vault, "status", "--porcelain") == ""
    assert "extract/" not in git(sample_vault, "branch", "--list")
    assert lint_errors(sample_vault) <= errors_before

    text = teleo("run", cwd=sample_vault)  # nothing left to do
    assert text.returncode == 0, text.stdout + text.stderr
    assert "claims merged" in text.stdout and "0 merged" in text.stdout
