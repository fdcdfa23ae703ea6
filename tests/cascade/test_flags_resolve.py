"""`teleo flags resolve`: the flag note closed, the belief back from under_review, one commit on main."""

from __future__ import annotations

import difflib
import json
import subprocess
import sys

import pygit2
from cascade_helpers import (
    BELIEF_PATH,
    CLAIM_PATH,
    EXTEND_BLOCK,
    POSITION_PATH,
    append,
    base_files,
    commit_all,
    findings_of,
    write_plan,
)
from typer.testing import CliRunner

from teleo.cascade import plan_cascade, read_flags
from teleo.cascade.resolve import plan_resolution
from teleo.cli.app import app
from teleo.vault import Vault


def cascaded(make_vault, *, git: bool) -> Vault:
    """The fixture vault after an enrichment and its cascade: every flag open, the belief under review."""
    vault = make_vault(base_files(), git=git)
    append(vault.root, CLAIM_PATH, EXTEND_BLOCK)
    plan = plan_cascade(Vault.open(vault.root), [CLAIM_PATH], commit="0123456789ab", when="2026-03-10", why="merge")
    assert BELIEF_PATH in plan.under_review
    write_plan(vault.root, plan.files)
    if git:
        commit_all(vault.root, "merge and cascade")
    return Vault.open(vault.root)


def flag_for(vault: Vault, target: str):
    return next(f for f in read_flags(vault)[0] if f.target == target)


def status_of(vault: Vault, path: str) -> str:
    return Vault.open(vault.root).note(path).data["status"]


def run(vault: Vault, *args: str):
    return CliRunner().invoke(app, ["--vault", str(vault.root), "flags", *args], catch_exceptions=False)


def test_resolving_the_last_flag_of_a_belief_makes_it_active_again_and_only_those_lines_change(make_vault):
    vault = cascaded(make_vault, git=False)
    flag = flag_for(vault, BELIEF_PATH)
    before = {path: vault.note(path).doc.text for path in (flag.flag_path, BELIEF_PATH)}
    plan = plan_resolution(vault, [flag.id[:20]], when="2026-04-01", resolution="still holds:\n the [[new]] evidence extends it")
    assert [f.id for f in plan.resolved] == [flag.id] and plan.restored == {BELIEF_PATH: "active"} and not plan.problems
    flag_text = plan.files[flag.flag_path]
    assert "status: resolved\n" in flag_text and "2026-04-01" in flag_text
    assert "[[new]]" not in flag_text and "still holds: the [ [new] ] evidence extends it" in flag_text  # no new edge
    diff = [line for line in difflib.ndiff(before[BELIEF_PATH].splitlines(), plan.files[BELIEF_PATH].splitlines())
            if line[:2] in ("- ", "+ ")]
    assert sorted(diff) == ["+ last_evaluated: 2026-04-01", "+ status: active", "- status: under_review"]
    assert before[flag.flag_path].split("\n---\n", 1)[1] == flag_text.split("\n---\n", 1)[1]  # the body is untouched


def test_a_belief_with_another_open_flag_stays_under_review(make_vault):
    vault = cascaded(make_vault, git=False)
    flag = flag_for(vault, BELIEF_PATH)
    twin = flag.flag_path.replace(flag.id, flag.id + "-2")
    (vault.root / twin).write_text((vault.root / flag.flag_path).read_text().replace(f"id: {flag.id}", f"id: {flag.id}-2"))
    plan = plan_resolution(Vault.open(vault.root), [flag.id], when="2026-04-01")
    assert [f.id for f in plan.resolved] == [flag.id] and plan.restored == {}
    both = plan_resolution(Vault.open(vault.root), [flag.id, f"{flag.id}-2"], when="2026-04-01", target_status="revised")
    assert both.restored == {BELIEF_PATH: "revised"}


def test_unknown_ambiguous_and_already_resolved_names(make_vault):
    vault = cascaded(make_vault, git=False)
    plan = plan_resolution(vault, ["no-such-flag", "2026-03-10"], when="2026-04-01")  # the prefix matches every flag
    assert plan.unknown == ["no-such-flag", "2026-03-10"]
    result = run(vault, "resolve", "no-such-flag")
    assert result.exit_code == 2 and "no single flag" in result.output
    assert status_of(vault, BELIEF_PATH) == "under_review"  # nothing written
    flag = flag_for(vault, POSITION_PATH)
    assert run(vault, "resolve", flag.flag_path).exit_code == 0  # by the note's path, on disk (no git)
    again = run(vault, "resolve", flag.id)
    assert again.exit_code == 0 and "already resolved" in again.output


def test_resolve_commits_once_on_main_with_the_agent_trailer_and_keeps_the_vault_clean(make_vault):
    vault = cascaded(make_vault, git=True)
    baseline = findings_of(vault)
    repo = pygit2.Repository(str(vault.root))
    old_tip = repo.references["refs/heads/main"].target
    flag = flag_for(vault, BELIEF_PATH)
    result = run(vault, "resolve", flag.id, "--note", "re-read: unchanged", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["written_to"] == "main" and payload["resolved"] == [flag.id]
    assert payload["restored"] == {BELIEF_PATH: "active"} and sorted(payload["files"]) == sorted([flag.flag_path, BELIEF_PATH])
    commit = repo[repo.references["refs/heads/main"].target]
    assert commit.parents[0].id == old_tip and str(commit.id) == payload["commit"]
    assert commit.message.startswith("flags: resolve 1 flag of astra\n")
    assert "Pentagon-Agent: Astra <" in commit.message
    assert status_of(vault, BELIEF_PATH) == "active"  # the checked-out working tree followed
    assert subprocess.run(["git", "-C", str(vault.root), "status", "--porcelain"], capture_output=True, text=True).stdout == ""
    assert findings_of(Vault.open(vault.root)) == baseline
    listed = json.loads(run(vault, "--format", "json").output)["flags"]
    assert flag.id not in {f["id"] for f in listed} and len(listed) == 3
    everything = json.loads(run(vault, "--all", "--format", "json").output)["flags"]
    closed = next(f for f in everything if f["id"] == flag.id)
    assert closed["status"] == "resolved" and closed["resolution"] == "re-read: unchanged" and closed["resolved"]
    again = subprocess.run([sys.executable, "-m", "teleo.cli.app", "--vault", str(vault.root), "flags", "resolve", flag.id],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    assert again.returncode == 0 and "already resolved" in again.stdout, again.stderr
    assert repo.references["refs/heads/main"].target == commit.id  # no second commit


def test_a_flag_whose_target_is_gone_or_outside_the_vault_still_closes_and_nothing_else_is_touched(make_vault):
    vault = cascaded(make_vault, git=False)
    flag = flag_for(vault, POSITION_PATH)
    (vault.root / POSITION_PATH).unlink()
    plan = plan_resolution(Vault.open(vault.root), [flag.id], when="2026-04-01")
    assert plan.missing_targets == [POSITION_PATH] and list(plan.files) == [flag.flag_path] and plan.writable
    other = flag_for(vault, BELIEF_PATH)
    path = vault.root / other.flag_path
    path.write_text(path.read_text().replace(f"target: {BELIEF_PATH}", "target: ../../outside.md"))
    hostile = plan_resolution(Vault.open(vault.root), [other.id], when="2026-04-01")
    assert hostile.missing_targets == ["../../outside.md"] and list(hostile.files) == [other.flag_path]
    assert not (vault.root.parent.parent / "outside.md").exists()


def test_a_belief_abandoned_on_re_review_cascades_to_what_rests_on_it(make_vault):
    vault = cascaded(make_vault, git=True)
    repo = pygit2.Repository(str(vault.root))
    before = {f.id for f in read_flags(vault)[0]}
    flag = flag_for(vault, BELIEF_PATH)
    result = run(vault, "resolve", flag.id, "--status", "abandoned", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["restored"] == {BELIEF_PATH: "abandoned"} and payload["cascade"]["flags"] >= 1
    cascade = repo[repo.references["refs/heads/main"].target]
    assert cascade.message.startswith("cascade: ") and f"Cascade-Of: {payload['commit']}" in cascade.message
    assert str(cascade.parents[0].id) == payload["commit"]
    fresh = Vault.open(vault.root)
    new = [f for f in read_flags(fresh)[0] if f.id not in before]
    assert new and all(f.changed[0].path == BELIEF_PATH and f.changed[0].change.value == "retired" for f in new)
    assert all(f.priority == "high" for f in new)
    assert status_of(fresh, BELIEF_PATH) == "abandoned"


def test_confirming_a_belief_cascades_nothing(make_vault):
    vault = cascaded(make_vault, git=True)
    payload = json.loads(run(vault, "resolve", flag_for(vault, BELIEF_PATH).id, "--format", "json").stdout)
    assert payload["restored"] == {BELIEF_PATH: "active"} and payload["cascade"] is None


def test_a_belief_revised_in_a_vault_without_git_cascades_on_disk(make_vault):
    vault = cascaded(make_vault, git=False)
    before = {f.id for f in read_flags(vault)[0]}
    result = run(vault, "resolve", flag_for(vault, BELIEF_PATH).id, "--status", "revised")
    assert result.exit_code == 0 and "cascade of the revised belief(s)" in result.output, result.output
    new = [f for f in read_flags(Vault.open(vault.root))[0] if f.id not in before]
    assert new and {f.changed[0].change.value for f in new} == {"modified"}


def test_a_cascade_owed_by_a_killed_resolution_is_made_by_the_next_merge(make_vault, monkeypatch):
    import teleo.review.flags as flags_module
    from teleo.review import merge_all, resolve_flags

    vault = cascaded(make_vault, git=True)
    repo = pygit2.Repository(str(vault.root))
    monkeypatch.setattr(flags_module, "run_cascade", lambda *a, **k: None)  # killed after the first commit
    outcome = resolve_flags(vault, [flag_for(vault, BELIEF_PATH).id], target_status="abandoned")
    resolution = repo[repo.references["refs/heads/main"].target]
    assert str(resolution.id) == outcome.commit and "Teleo-Resolution: cascade owed" in resolution.message
    report = merge_all(Vault.open(vault.root))
    assert [c.merge for c in report.cascades] == [outcome.commit] and report.cascades[0].flags >= 1
    tip = repo[repo.references["refs/heads/main"].target]
    assert f"Cascade-Of: {outcome.commit}" in tip.message
    assert merge_all(Vault.open(vault.root)).cascades == []  # owed once, made once


def test_the_short_ids_teleo_flags_shows_each_name_exactly_their_flag(make_vault):
    from teleo.cascade import find_flag, short_ids

    vault = cascaded(make_vault, git=False)
    flag = flag_for(vault, BELIEF_PATH)
    twin = flag.flag_path.replace(flag.id, flag.id + "-2")  # a second flag on one target: an id that extends another
    (vault.root / twin).write_text((vault.root / flag.flag_path).read_text().replace(f"id: {flag.id}", f"id: {flag.id}-2"))
    flags = read_flags(Vault.open(vault.root))[0]
    short = short_ids(flags)
    assert short[flag.id] == flag.id and any(len(s) < len(i) for i, s in short.items())
    for each in flags:
        assert find_flag(flags, short[each.id]).id == each.id


def test_an_id_two_flags_carry_is_shown_whole_so_that_it_still_names_one(make_vault):
    """Two agents' flags may share an id (same day, same target title): a start of it names both,
    so the name shown is the whole id, which resolve takes as exact."""
    from teleo.cascade import find_flag, short_ids

    vault = cascaded(make_vault, git=False)
    flag = flag_for(vault, POSITION_PATH)
    copy = flag.flag_path.replace(f"agents/{flag.agent}/", "agents/someone-else/")
    (vault.root / copy).parent.mkdir(parents=True, exist_ok=True)
    (vault.root / copy).write_text((vault.root / flag.flag_path).read_text())
    flags = read_flags(Vault.open(vault.root))[0]
    assert [f.id for f in flags].count(flag.id) == 2
    assert short_ids(flags)[flag.id] == flag.id
    assert find_flag(flags, flag.id).id == flag.id
    assert find_flag(flags, flag.id.rsplit("-", 1)[0]) is None
