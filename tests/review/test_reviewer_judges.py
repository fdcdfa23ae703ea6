"""The offline reviewer judges (issue 19.3): claim-quality errors, ungrounded quotes, near-duplicates and
schema errors make it request changes, each listed; a good claim is approved; the stdin junk never merges."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from teleo.repo.verdicts import ClaimFinding
from teleo.review.context import load_view
from teleo.review.engine import build_request, review
from teleo.review.reviewer import OfflineReviewer, ReviewRequest
from teleo.review.selection import select_reviewers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from review_helpers import (  # noqa: E402
    EXISTING,
    NEW_TITLE,
    SOURCE,
    claim_text,
    git,
    main_files,
    make_proposal,
    make_review_vault,
    processed_source,
)

JUNK = "hello from stdin about markets and prices being manipulated by traders"


def _ask(vault, branch: str):
    view = load_view(vault, branch)
    request = build_request(view, "leo", "evaluator", select_reviewers(view))
    return request, OfflineReviewer().review(request).output


def test_a_good_claim_is_approved(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    make_proposal(vault, "extract/good", {f"domains/ai-alignment/{NEW_TITLE}.md": claim_text(),
                                          SOURCE: processed_source([NEW_TITLE])})
    request, answer = _ask(vault, "extract/good")
    assert request.sources  # the proposal's source text reaches the reviewer, for grounding
    assert answer.verdict == "approve", answer.text
    assert not [f for f in answer.findings if f.severity == "blocking"]


def test_a_junk_title_is_refused_with_its_findings(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    path = f"domains/ai-alignment/{JUNK}.md"
    make_proposal(vault, "extract/junk", {path: claim_text(JUNK), SOURCE: processed_source([JUNK])})
    _, answer = _ask(vault, "extract/junk")
    assert answer.verdict == "request_changes"
    blocking = [f for f in answer.findings if f.severity == "blocking"]
    assert any(f.path == path and f.criterion == "claim-quality" and f.message.startswith("title-no-finite-verb")
               for f in blocking), blocking
    assert "title-no-finite-verb" in answer.text and path in answer.text


def test_an_ungrounded_quote_is_refused(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    text = claim_text(quote="Operators who were paid per message always wrote twice as much as everyone else.")
    make_proposal(vault, "extract/ungrounded", {f"domains/ai-alignment/{NEW_TITLE}.md": text,
                                                SOURCE: processed_source([NEW_TITLE])})
    _, answer = _ask(vault, "extract/ungrounded")
    assert answer.verdict == "request_changes"
    assert any(f.criterion == "grounding" and "evidence-ungrounded" in f.message for f in answer.findings)


def test_a_near_duplicate_and_a_schema_error_are_refused():
    title = EXISTING.replace("does", "do")
    path = f"domains/ai-alignment/{title}.md"
    request = ReviewRequest(
        reviewer="leo", role="evaluator", branch="extract/dup", head="0" * 40,
        claims={path: claim_text(title)}, new_claims=[path], similar={path: [EXISTING]},
        errors=[ClaimFinding(path=path, criterion="schema-enum", message="confidence 'sure' is not allowed")],
    )
    answer = OfflineReviewer().review(request).output
    assert answer.verdict == "request_changes"
    criteria = {f.criterion for f in answer.findings if f.severity == "blocking"}
    assert {"duplicate", "schema-enum"} <= criteria


def test_the_engine_never_merges_a_junk_claim(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    path = f"domains/ai-alignment/{JUNK}.md"
    make_proposal(vault, "extract/junk", {path: claim_text(JUNK), SOURCE: processed_source([JUNK])})
    outcome = review(vault, "extract/junk")
    assert outcome.status in ("changes_requested", "rejected")
    gates = next(v for v in outcome.verdicts if v.reviewer == "gates")
    assert any(f.criterion == "claim-quality" for f in gates.findings)


def _teleo(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "teleo.cli.app", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=env, timeout=600)


def test_stdin_junk_is_not_merged_and_lint_reports_it(tmp_path):
    root = tmp_path / "vault"
    assert _teleo("init", str(root), cwd=tmp_path).returncode == 0  # a git repository with its first commit
    ingested = _teleo("ingest", "-", "--domain", "internet-finance", cwd=root,
                      stdin="hello from stdin about markets and prices being manipulated by traders\n")
    assert ingested.returncode == 0, ingested.stderr
    _teleo("run", cwd=root)
    merged = main_files(root)
    assert not [p for p in merged if "hello from stdin" in p], merged

    # and were it on main, lint would say why
    (root / "domains" / "internet-finance" / f"{JUNK}.md").write_text(
        claim_text(JUNK, domain="internet-finance"), encoding="utf-8")
    linted = _teleo("lint", "--format", "json", cwd=root)
    assert linted.returncode == 1
    assert "claim-quality" in linted.stdout and "title-no-finite-verb" in linted.stdout


def test_teleo_review_totals_the_statuses_and_says_why(tmp_path, monkeypatch):
    """`teleo review` ends with approved / changes requested counts and the blocking findings by criterion."""
    import json

    from typer.testing import CliRunner

    from teleo.cli.app import app

    vault = make_review_vault(tmp_path / "v")
    make_proposal(vault, "extract/good", {f"domains/ai-alignment/{NEW_TITLE}.md": claim_text(),
                                          SOURCE: processed_source([NEW_TITLE])})
    make_proposal(vault, "extract/junk", {f"domains/ai-alignment/{JUNK}.md": claim_text(JUNK),
                                          SOURCE: processed_source([JUNK])})
    monkeypatch.chdir(vault.root)
    monkeypatch.setenv("COLUMNS", "200")
    text = CliRunner().invoke(app, ["review"])
    assert text.exit_code == 0, text.output
    assert "2 proposals: 1 approved, 1 changes requested" in text.output
    assert "claim-quality" in text.output.split("2 proposals:")[1]  # why, by criterion
    payload = json.loads(CliRunner().invoke(app, ["review", "--format", "json"]).output)
    assert payload["totals"] == {"approved": 1, "changes_requested": 1}
    assert payload["findings_by_criterion"][0]["reason"] == "claim-quality"
    from teleo.review import status_counts

    assert status_counts([]) == {"approved": 0, "changes_requested": 0}  # the two figures always stand
