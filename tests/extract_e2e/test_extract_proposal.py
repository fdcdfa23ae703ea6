"""Extraction end to end with the offline provider: one commit on `extract/<slug>`, nothing else touched."""

from __future__ import annotations

import json
import subprocess

import pytest
import typer
from conftest import teleo_command
from e2e_helpers import (
    DOMAIN,
    EXISTING,
    SOURCE,
    base_files,
    branches,
    changed_files,
    export_branch,
    fsck_clean,
    git,
    offline_provider,
    show,
    snapshot,
    source_note,
)
from fake_llm import fake_provider
from typer.testing import CliRunner

from teleo.cli import proposals as proposals_cli
from teleo.pipeline import job as job_module
from teleo.pipeline.job import extract_source
from teleo.repo.branches import has_open_proposal, open_proposals, source_slug
from teleo.repo.discover import open_repository

BRANCH = "extract/2026-01-02-orbitalreport-launch-costs"
MESSAGE = (
    "astra: extract from 2026-01-02-orbitalreport-launch-costs.md\n"
    "\n"
    "- Source: inbox/archive/2026-01-02-orbitalreport-launch-costs.md\n"
    "- Domain: space-development\n"
    "- Extracted by: headless extraction cron (worker 3)\n"
    "\n"
    "Pentagon-Agent: Astra <HEADLESS>\n"
)


@pytest.fixture
def vault(make_vault):
    return make_vault(base_files(), git=True)


def lint_tree(root, branch, tmp_path) -> dict:
    tree = export_branch(root, branch, tmp_path / f"tree-{branch.replace('/', '-')}")
    result = subprocess.run([*teleo_command(), "-C", str(tree), "lint", "--format", "json"], check=False,
                            capture_output=True, text=True)
    report = json.loads(result.stdout)
    report["exit"] = result.returncode
    return report


def test_offline_extraction_is_one_commit_on_its_branch_and_nothing_else_moves(vault, tmp_path):
    root = vault.root
    before = snapshot(root)
    main_before = git(root, "rev-parse", "main").strip()
    index_before = (root / ".git" / "index").read_bytes()

    outcome = extract_source(vault, SOURCE, provider=offline_provider(), worker=3)

    assert outcome.status == "proposed", outcome.error
    assert outcome.branch == BRANCH and branches(root) == sorted(["main", BRANCH])
    assert git(root, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    assert git(root, "rev-parse", f"{BRANCH}^").strip() == main_before
    assert git(root, "rev-parse", BRANCH).strip() == outcome.commit
    assert git(root, "log", "-1", "--format=%B", BRANCH).rstrip("\n") + "\n" == MESSAGE
    trailers = git(root, "log", "-1", "--format=%(trailers:key=Pentagon-Agent,valueonly)", BRANCH).strip()
    assert trailers == "Astra <HEADLESS>"

    files = changed_files(root, BRANCH)
    assert files == sorted(outcome.files)
    assert SOURCE in files
    claims = [f for f in files if f != SOURCE]
    assert claims and all(f.startswith(DOMAIN + "/") for f in claims)
    assert len(outcome.claims) + len(outcome.enrichments) == len(claims)
    for title in outcome.claims:
        text = show(root, BRANCH, f"{DOMAIN}/{title}.md")
        assert text.startswith("---\ntype: claim\ndomain: space-development\n")
        assert f"\n# {title}\n" in text and "\n## Evidence\n" in text
        assert "| Extractor: offline*" in text and "(from [[2026-01-02-orbitalreport-launch-costs]], line " in text
        assert "Topics:\n- [[domains/space-development/_map]]" in text
    source = show(root, BRANCH, SOURCE)
    assert "\nstatus: processed\n" in source and "\nprocessed_by: astra\n" in source
    assert "\nextraction_model: offline\n" in source and "\n## Key Facts\n" in source

    # nothing outside git objects and refs changed: files, HEAD, the index
    assert snapshot(root) == before
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(root, "rev-parse", "main").strip() == main_before
    assert (root / ".git" / "index").read_bytes() == index_before
    assert fsck_clean(root)

    report = lint_tree(root, BRANCH, tmp_path)
    assert report["exit"] == 0 and report["summary"]["errors"] == 0, report["findings"]
    assert report["summary"]["by_rule"].get("link-unresolved", 0) == 0

    assert outcome.prompt_chars > 1000 and outcome.calls == 1
    journal = (root / ".teleo" / "extract-jobs.jsonl").read_text().splitlines()
    assert json.loads(journal[-1])["commit"] == outcome.commit


def test_a_source_with_an_open_proposal_is_skipped_unless_forced(vault):
    root = vault.root
    first = extract_source(vault, SOURCE, provider=offline_provider())
    assert first.status == "proposed"
    repo = open_repository(root)
    assert has_open_proposal(repo, SOURCE)

    again = extract_source(vault, SOURCE, provider=offline_provider())
    assert again.status == "skipped" and "open proposal" in again.error
    assert git(root, "rev-parse", BRANCH).strip() == first.commit

    forced = extract_source(vault, SOURCE, provider=offline_provider(), force=True, worker=2)
    assert forced.status == "proposed", forced.error
    assert forced.commit != first.commit and git(root, "rev-parse", BRANCH).strip() == forced.commit
    assert git(root, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    assert fsck_clean(root)


def test_force_replaces_the_branch_only_if_it_did_not_move(vault, monkeypatch):
    root = vault.root
    first = extract_source(vault, SOURCE, provider=offline_provider())
    assert first.status == "proposed"
    real = job_module.commit_proposal
    moved = {}

    def racing(repo, parent, branch, files, message, **kwargs):
        # someone (a reviewer, an auto-fixer) commits on the branch between our read and our write
        tree = git(root, "rev-parse", f"{branch}^{{tree}}").strip()
        other = git(root, "commit-tree", tree, "-p", branch, "-m", "auto-fix: reviewer change").strip()
        git(root, "update-ref", f"refs/heads/{branch}", other)
        moved["head"] = other
        return real(repo, parent, branch, files, message, **kwargs)

    monkeypatch.setattr(job_module, "commit_proposal", racing)
    forced = extract_source(vault, SOURCE, provider=offline_provider(), force=True)
    assert forced.status == "failed" and "moved" in forced.error
    assert git(root, "rev-parse", BRANCH).strip() == moved["head"]  # the reviewer's commit survives
    assert fsck_clean(root)


def test_losing_the_race_to_create_the_branch_is_a_skip(vault, monkeypatch):
    root = vault.root
    real = job_module.commit_proposal

    def racing(repo, parent, branch, files, message, **kwargs):
        git(root, "branch", branch, "main")  # another worker created it first
        return real(repo, parent, branch, files, message, **kwargs)

    monkeypatch.setattr(job_module, "commit_proposal", racing)
    outcome = extract_source(vault, SOURCE, provider=offline_provider())
    assert outcome.status == "skipped" and "already exists" in outcome.error
    assert git(root, "rev-parse", BRANCH).strip() == git(root, "rev-parse", "main").strip()


def test_a_kill_before_the_ref_update_leaves_only_dangling_objects(vault, monkeypatch):
    from teleo.repo import branches as branches_module

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # what a kill between the objects and the ref looks like to this process

    monkeypatch.setattr(branches_module, "update_branch", killed)
    with pytest.raises(KeyboardInterrupt):
        extract_source(vault, SOURCE, provider=offline_provider())
    assert branches(vault.root) == ["main"]
    assert git(vault.root, "status", "--porcelain") == ""
    assert fsck_clean(vault.root)


def test_null_result_is_a_source_only_proposal(vault):
    provider, _ = fake_provider({"claims": [], "enrichments": [],
                                 "source_update": {"key_facts": ["Falcon 9: about 2,700 dollars per kilogram"],
                                                   "notes": "only restates numbers the knowledge base already has"}})
    outcome = extract_source(vault, SOURCE, provider=provider)
    assert outcome.status == "null", outcome.error
    assert changed_files(vault.root, BRANCH) == [SOURCE]
    source = show(vault.root, BRANCH, SOURCE)
    assert "\nstatus: null-result\n" in source
    assert "\nnotes: only restates numbers the knowledge base already has\n" in source
    assert "\n## Key Facts\n\n- Falcon 9: about 2,700 dollars per kilogram\n" in source
    assert "claims_extracted" not in source
    assert outcome.tokens == 1500


def test_sources_that_are_not_ready_are_not_extracted(make_vault):
    path, text = source_note("2026-01-04-someone-done", "Already processed text.", status="processing")
    vault = make_vault({**base_files(), path: text}, git=True)
    outcome = extract_source(vault, path, provider=offline_provider())
    assert outcome.status == "skipped" and "processing" in outcome.error
    (vault.root / "inbox/archive/2026-01-09-someone-new.md").write_text(text.replace("processing", "unprocessed"))
    vault.forget()
    uncommitted = extract_source(vault, "inbox/archive/2026-01-09-someone-new.md", provider=offline_provider())
    assert uncommitted.status == "failed" and "not committed on main" in uncommitted.error
    claim = extract_source(vault, f"{DOMAIN}/{EXISTING}.md", provider=offline_provider())
    assert claim.status == "failed" and "not a source note" in claim.error
    outside = extract_source(vault, "../etc/passwd.md", provider=offline_provider())
    assert outside.status == "failed"
    assert branches(vault.root) == ["main"]


def test_a_proposal_failing_the_lint_gates_commits_nothing(vault, monkeypatch):
    from teleo.extract import writer

    real = writer.render_claim

    def broken(*args, **kwargs):
        return real(*args, **kwargs).replace("confidence: ", "confidence: certain-", 1)

    monkeypatch.setattr(writer, "render_claim", broken)
    outcome = extract_source(vault, SOURCE, provider=offline_provider())
    assert outcome.status == "failed" and "lint" in outcome.error and "schema-enum" in outcome.error
    assert branches(vault.root) == ["main"]


def test_teleo_proposals_lists_open_proposals(vault):
    first = extract_source(vault, SOURCE, provider=offline_provider())
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = {"vault": vault.root}

    proposals_cli.register(app)
    runner = CliRunner()
    result = runner.invoke(app, ["proposals", "--format", "json"])
    assert result.exit_code == 0, result.output
    [listed] = json.loads(result.output)["proposals"]
    assert listed["branch"] == BRANCH and listed["agent"] == "astra" and listed["source"] == SOURCE
    assert listed["head"] == first.commit and sorted(listed["files"]) == sorted(first.files)
    table = runner.invoke(app, ["proposals"])
    assert table.exit_code == 0 and "astra" in table.output and "Open proposals (1: 1 with claims or enrichments" in table.output

    # a merged proposal is no longer open (a squash merge too) and the source may be proposed again
    git(vault.root, "merge", "--squash", BRANCH)
    git(vault.root, "commit", "-qm", "squash")
    assert open_proposals(open_repository(vault.root)) == []
    assert runner.invoke(app, ["proposals"]).output.strip() == "No open proposals."


def test_slugs_are_valid_branch_names():
    assert source_slug("inbox/archive/2026-01-02-a b?c*[d]..e.lock.md") == "2026-01-02-a-b-c-d-.e"
    assert source_slug("inbox/archive/.md") == "source"
    assert source_slug("inbox/archive/.hidden.md") == "hidden"


@pytest.mark.parametrize("content", ["", "## Notes\n\n### More\n\n---\n", "| a | b |\n|---|---|\n| 1 | 2 |\n"])
def test_a_source_empty_after_cleaning_is_an_offline_null_result_with_its_reason(make_vault, content):
    path, text = source_note("2026-01-05-someone-empty", content)
    vault = make_vault({**base_files(), path: text}, git=True)
    outcome = extract_source(vault, path, provider=offline_provider())
    assert outcome.status == "null", outcome.error
    source = show(vault.root, "extract/2026-01-05-someone-empty", path)
    assert "\nstatus: null-result\n" in source
    assert "empty after cleaning" in source


def test_offline_candidates_dropped_by_the_rubric_are_reported_and_provenance_stays(make_vault):
    content = (
        "They argued that this changes everything about how launch providers should price their rides.\n\n"
        "These results hold only for the second group of operators in the sample, which were already larger.\n\n"
        "The authors traced most of the difference in prices to choices made after the vehicles were certified.\n"
    )
    path, text = source_note("2026-01-06-someone-fragments", content)
    vault = make_vault({**base_files(), path: text}, git=True)
    outcome = extract_source(vault, path, provider=offline_provider())
    assert outcome.status == "null", outcome.error
    candidates = [d for d in outcome.dropped if d.kind == "candidate"]
    assert len(candidates) >= 2 and all(d.code and d.reason for d in candidates)
    branch = "extract/2026-01-06-someone-fragments"
    source = show(vault.root, branch, path)
    assert "\nstatus: null-result\n" in source and "no candidate passed the claim-quality rubric" in source
    assert "\nprocessed_by: astra\n" in source and "\nextraction_model: offline\n" in source
    message = git(vault.root, "log", "-1", "--format=%B", branch)
    assert message.startswith("astra: extract from 2026-01-06-someone-fragments.md")
    assert f"- Source: {path}" in message
