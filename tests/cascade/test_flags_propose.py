"""A flag resolution as a proposal (kind `flags`): made off main, reviewed by the evaluator, landed by
`teleo merge`, listed beside extractions by `teleo proposals`, the web UI and review — on the real
command line over a temp vault with real git where it counts."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from cascade_helpers import (
    BELIEF,
    BELIEF_PATH,
    CLAIM_PATH,
    EXTEND_BLOCK,
    append,
    base_files,
    commit_all,
    write_plan,
)

from conftest import teleo_command, write_files
from teleo.cascade import plan_cascade, read_flags
from teleo.pipeline.propose import commit_message
from teleo.repo.branches import tip, update_branch, write_commit
from teleo.repo.discover import open_repository
from teleo.review import load_view, review, select_reviewers
from teleo.review.flags import ResolutionRefused, propose_resolution
from teleo.review.gates import run_gates
from teleo.vault import Vault

NEW_SOURCE = "inbox/archive/2026-03-12-fixture-tidal-report.md"
LEO_BELIEF = "agents/leo/beliefs/coordination beats raw capability in the long run.md"


def git(root, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def teleo(root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*teleo_command(), "--vault", str(root), *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "400"})


def leo_belief(status: str = "under_review") -> str:
    return f"""\
---
type: belief
agent: leo
domain: grand-strategy
description: "A fixture belief of the evaluator for the flag proposal tests."
level: hypothesis
confidence: moderate
depends_on:
  - "[[tidal power output is predictable years ahead because it follows orbital mechanics]]"
created: 2026-01-06
status: {status}
---

# coordination beats raw capability in the long run

The evaluator's conclusion, which a flag resolution never edits.
"""


def cascaded(make_vault, extra: dict[str, str] | None = None) -> Vault:
    """The cascade fixture after an enrichment and its cascade, committed on main: astra's flags open."""
    vault = make_vault({**base_files(), **(extra or {})}, git=True)
    append(vault.root, CLAIM_PATH, EXTEND_BLOCK)
    plan = plan_cascade(Vault.open(vault.root), [CLAIM_PATH], commit="0123456789ab", when="2026-03-10", why="merge")
    write_plan(vault.root, plan.files)
    commit_all(vault.root, "merge and cascade")
    return Vault.open(vault.root)


def belief_flag(vault: Vault, target: str = BELIEF_PATH):
    return next(f for f in read_flags(vault)[0] if f.target == target and f.status == "open")


def extract_proposal(vault: Vault) -> str:
    """A hand-made extraction proposal (astra archives a source) beside the flag resolution."""
    repo = open_repository(vault.root)
    source = ("---\ntype: source\ntitle: \"A tidal report\"\nauthor: \"Fixture Author\"\nurl: https://example.org/tidal\n"
              "date: 2026-03-12\ndomain: space-development\nformat: report\nstatus: unprocessed\n---\n\n"
              "# A tidal report\n\n## Content\n\nTidal sites met their forecasts.\n")
    message = commit_message(vault, agent="astra", source_path=NEW_SOURCE, domain="space-development")
    commit = write_commit(repo, tip(repo, "refs/heads/main"), {NEW_SOURCE: source.encode()}, message)
    update_branch(repo, "extract/2026-03-12-fixture-tidal-report", commit, None)
    return "extract/2026-03-12-fixture-tidal-report"


@pytest.mark.slow
def test_teleo_flags_resolve_propose_is_listed_reviewed_by_the_evaluator_and_merged_with_its_cascade(make_vault):
    vault = cascaded(make_vault)
    root = vault.root
    flag = belief_flag(vault)
    main_before = git(root, "rev-parse", "main")
    extract = extract_proposal(vault)

    made = teleo(root, "flags", "resolve", flag.id, "--propose", "--status", "abandoned", "--note", "storage won",
                 "--format", "json")
    assert made.returncode == 0, made.stdout + made.stderr
    proposal = json.loads(made.stdout)["proposals"][0]
    branch = proposal["branch"]
    assert proposal["status"] == "proposed" and branch == f"flags/astra/{flag.id}"
    assert proposal["restored"] == {BELIEF_PATH: "abandoned"}
    assert git(root, "rev-parse", "main") == main_before and git(root, "status", "--porcelain") == ""

    listed = json.loads(teleo(root, "proposals", "--format", "json").stdout)["proposals"]
    assert {(p["branch"], p["kind"], p["agent"]) for p in listed} == {(extract, "extract", "astra"),
                                                                      (branch, "flags", "astra")}
    shown = teleo(root, "proposals").stdout
    assert "1 flag resolution" in shown and branch in shown

    from fastapi.testclient import TestClient

    from teleo.web.app import create_app

    with TestClient(create_app(root, watch=False)) as client:
        rows = client.get("/api/proposals").json()["proposals"]
        assert {(r["branch"], r["kind"]) for r in rows} == {(extract, "extract"), (branch, "flags")}
        page = client.get(f"/proposals/{branch}")
        assert page.status_code == 200 and "status: resolved" in page.text
        assert "flag resolution" in client.get("/proposals").text

    reviewed = teleo(root, "review", "--format", "json")
    assert reviewed.returncode == 0, reviewed.stdout + reviewed.stderr
    flags_review = next(r for r in json.loads(reviewed.stdout)["reviews"] if r["branch"] == branch)
    assert flags_review["status"] == "approved" and flags_review["required"] == ["leo"]

    merged = teleo(root, "merge", "--format", "json")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    outcome = next(m for m in json.loads(merged.stdout)["merges"] if m["branch"] == branch)
    assert outcome["status"] == "merged" and outcome["cascade"]["flags"] >= 1  # the abandoned belief cascades
    assert git(root, "branch", "--list", "flags/*") == ""
    everything = json.loads(teleo(root, "flags", "--all", "--format", "json").stdout)["flags"]
    closed = next(f for f in everything if f["id"] == flag.id)
    assert closed["status"] == "resolved" and closed["resolution"] == "storage won"
    fresh = Vault.open(root)
    assert fresh.note(BELIEF_PATH).data["status"] == "abandoned"
    new = [f for f in read_flags(fresh)[0] if f.changed and f.changed[0].path == BELIEF_PATH]
    assert new and {f.changed[0].change.value for f in new} == {"retired"}  # from the belief, not its last_evaluated
    again = teleo(root, "flags", "resolve", flag.id, "--propose", "--format", "json")
    assert json.loads(again.stdout)["proposals"][0]["status"] == "already resolved"


def test_a_resolution_the_evaluator_proposes_is_reviewed_by_another_agent(make_vault):
    flag_note = (f"---\ntype: flag\nid: 2026-03-10-coordination-beats\nagent: leo\npriority: normal\nstatus: open\n"
                 f"target: {LEO_BELIEF}\ntarget_kind: belief\nchanged:\n- path: {CLAIM_PATH}\n  change: extend\n  chain:\n"
                 f"  - {CLAIM_PATH}\n  - {LEO_BELIEF}\nwhy: 'merge extract/test'\nwhen: 2026-03-10\ncommit: abc123\n"
                 f"created: 2026-03-10\n---\n\n# Flag\n")
    vault = make_vault({**base_files(), LEO_BELIEF: leo_belief(),
                        "agents/leo/flags/2026-03-10-coordination-beats.md": flag_note}, git=True)
    made = propose_resolution(vault, "2026-03-10-coordination", agent="leo")
    assert made.status == "proposed" and made.branch == "flags/leo/2026-03-10-coordination-beats"
    view = load_view(vault, made.branch)
    assert run_gates(view) == []
    selection = select_reviewers(view)
    assert len(selection.agents) == 1 and selection.agents[0] != "leo" and not selection.shortfall
    assert "leo" in " ".join(selection.notes)
    from teleo.review import SelfReview

    with pytest.raises(SelfReview):
        review(vault, made.branch, reviewers=["leo"])


def test_a_flags_branch_that_does_more_than_resolve_flags_is_rejected_by_the_gates(make_vault):
    vault = cascaded(make_vault)
    flag = belief_flag(vault)
    made = propose_resolution(vault, flag.id, agent="astra")
    repo = open_repository(vault.root)
    assert [f.criterion for f in run_gates(load_view(vault, made.branch))] == []
    head = repo[made.commit]
    belief_text = head.tree[BELIEF_PATH].data.decode()
    edits = {
        "new claim": {"domains/space-development/a new claim slipped into a flag resolution.md":
                      (vault.root / CLAIM_PATH).read_text().replace("tidal power", "a new claim")},
        "belief body": {BELIEF_PATH: belief_text.replace("must never be edited", "was quietly edited")},
        "belief field": {BELIEF_PATH: belief_text.replace("confidence: moderate", "confidence: strong")},
    }
    for name, files in edits.items():
        commit = write_commit(repo, head, {p: t.encode() for p, t in files.items()},
                              f"astra: resolve flag {flag.id}\n\n- {name}\n\nPentagon-Agent: Astra <HEADLESS>\n")
        branch = f"flags/astra/scope-{name.replace(' ', '-')}"
        update_branch(repo, branch, commit, None)
        found = [f for f in run_gates(load_view(vault, branch)) if f.criterion == "kind-scope"]
        assert found, name
        assert review(vault, branch).status == "rejected", name


def test_propose_resolution_refusals_and_idempotence(make_vault, tmp_path):
    vault = cascaded(make_vault)
    flag = belief_flag(vault)
    with pytest.raises(ResolutionRefused, match="names no flag"):
        propose_resolution(vault, "1999-", agent="astra")
    with pytest.raises(ResolutionRefused, match="only astra resolves it"):
        propose_resolution(vault, flag.id, agent="rio")
    first = propose_resolution(vault, flag.id, agent="astra", target_status="revised")
    again = propose_resolution(vault, flag.id, agent="astra", target_status="revised", resolution="other words")
    assert again.status == "already proposed" and (again.branch, again.commit) == (first.branch, first.commit)
    with pytest.raises(ResolutionRefused, match="status revised, not active"):
        propose_resolution(vault, flag.id, agent="astra")
    write_files(tmp_path / "plain", base_files())
    no_git = Vault.open(tmp_path / "plain")
    with pytest.raises(ResolutionRefused, match="no git repository"):
        propose_resolution(no_git, flag.id, agent="astra")
    assert BELIEF in first.files[0] + first.files[-1]
