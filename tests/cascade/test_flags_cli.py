"""`teleo flags` end to end, the sample vault's cascade, and a cascade read from a git tree."""

from __future__ import annotations

import json
import os
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
from conftest import git_init
from typer.testing import CliRunner

from teleo.cascade import Change, plan_cascade
from teleo.cli.app import app
from teleo.notes import note_from_text, set_field
from teleo.vault.tree import TreeVault
from teleo.vault import Vault

SAMPLE_CLAIM = ("domains/ai-alignment/model-level alignment is insufficient for beneficial outcomes because "
                "deployment incentives decide which model behaviours get used.md")
SAMPLE_BELIEF = ("agents/theseus/beliefs/alignment has to be pursued at the level of the sociotechnical system "
                 "rather than model by model.md")
SAMPLE_POSITION = ("agents/theseus/positions/a frontier lab will publish institution-level alignment commitments "
                   "alongside model evaluations by end of 2027.md")


def flagged_vault(make_vault, *, git: bool) -> Vault:
    """The fixture vault after an enrichment merge and its cascade, one flag resolved."""
    vault = make_vault(base_files(), git=git)
    append(vault.root, CLAIM_PATH, EXTEND_BLOCK)
    plan = plan_cascade(Vault.open(vault.root), [CLAIM_PATH], commit="0123456789ab", when="2026-03-10", why="merge")
    write_plan(vault.root, plan.files)
    resolved = next(f for f in plan.flags if f.target == BELIEF_PATH)
    path = vault.root / resolved.flag_path
    path.write_text(set_field(note_from_text(resolved.flag_path, path.read_text()).doc, "status", "resolved"))
    if git:
        commit_all(vault.root, "merge and cascade")
    return Vault.open(vault.root)


def run(vault: Vault, *args: str):
    result = CliRunner().invoke(app, ["--vault", str(vault.root), "flags", *args], catch_exceptions=False)
    return result


def test_flags_lists_open_flags_grouped_by_agent_and_priority(make_vault):
    vault = flagged_vault(make_vault, git=False)
    result = run(vault)
    assert result.exit_code == 0, result.output
    assert "Open flags (3, from worktree)" in result.output
    assert "position: a" in result.output and "extend: tidal" in result.output
    assert "2026-03-10" in result.output
    assert "predictable renewables deserve" not in result.output  # the resolved one


def test_flags_json_filters_and_all(make_vault):
    vault = flagged_vault(make_vault, git=False)
    payload = json.loads(run(vault, "--format", "json").output)
    assert payload["read_from"] == "worktree" and payload["problems"] == []
    assert {f["status"] for f in payload["flags"]} == {"open"} and len(payload["flags"]) == 3
    assert payload["counts"] == {"astra": {"high": 1, "normal": 2}}
    high = json.loads(run(vault, "--priority", "high", "--format", "json").output)["flags"]
    assert [f["target"] for f in high] == [POSITION_PATH]
    assert high[0]["changed"][0]["chain"][0] == CLAIM_PATH
    everything = json.loads(run(vault, "--all", "--format", "json").output)["flags"]
    assert len(everything) == 4 and "resolved" in {f["status"] for f in everything}
    assert json.loads(run(vault, "--agent", "rio", "--format", "json").output)["flags"] == []
    assert "No open flags." in run(vault, "--agent", "rio").output


def test_flags_reads_main_in_a_git_vault_and_warns_on_broken_flags(make_vault):
    vault = flagged_vault(make_vault, git=True)
    broken = vault.root / "agents/astra/flags/2026-03-11-broken.md"
    broken.write_text("---\ntype: flag\nid: x\nagent: astra\npriority: urgent\n---\n\n# broken\n")
    assert json.loads(run(vault, "--format", "json").output)["read_from"] == "main"
    assert json.loads(run(vault, "--format", "json").output)["problems"] == []  # not committed: not on main
    result = run(vault, "--worktree", "--format", "json")
    problems = json.loads(result.stdout)["problems"]
    assert len(problems) == 1 and "2026-03-11-broken.md" in problems[0] and "priority" in problems[0]


def test_flags_command_as_a_process(make_vault):
    vault = flagged_vault(make_vault, git=True)
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "teleo.cli.app", "--vault", str(vault.root), "flags", "--format", "json"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["flags"]) == 3
    bad = subprocess.run([sys.executable, "-m", "teleo.cli.app", "--vault", str(vault.root), "flags", "--priority", "urgent"],
                         capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_sample_vault_enrichment_flags_the_belief_and_the_position(sample_vault):
    git_init(sample_vault)
    append(sample_vault, SAMPLE_CLAIM, EXTEND_BLOCK)
    commit = commit_all(sample_vault, "merge: enrich the model-level alignment claim")
    baseline = findings_of(Vault.open(sample_vault))
    vault = Vault.open(sample_vault)
    plan = plan_cascade(vault, [SAMPLE_CLAIM], commit=commit, when="2026-03-10", why="enrichment")
    flags = {f.target: f for f in plan.flags}
    assert set(flags) == {SAMPLE_BELIEF, SAMPLE_POSITION}
    assert flags[SAMPLE_BELIEF].changed[0].change is Change.EXTEND
    assert (flags[SAMPLE_BELIEF].priority, flags[SAMPLE_POSITION].priority) == ("normal", "high")
    assert plan.under_review == [SAMPLE_BELIEF]
    assert plan.summary() == "2 flags: theseus (1 belief, 1 position)"
    write_plan(sample_vault, plan.files)
    assert findings_of(Vault.open(sample_vault)) - baseline == set()


def test_plan_from_a_git_tree_reads_the_change_from_the_parent_commit(make_vault):
    vault = make_vault(base_files(), git=True)
    append(vault.root, CLAIM_PATH, EXTEND_BLOCK.replace("2026-03-10", "2026-01-01"))  # the date says nothing
    commit = commit_all(vault.root)
    repo = pygit2.Repository(str(vault.root))
    tree_vault = TreeVault.at(vault, commit)
    plan = plan_cascade(tree_vault, [CLAIM_PATH], commit=commit, when="2026-03-10T09:30:00Z", why="merge")
    flag = next(f for f in plan.flags if f.target == BELIEF_PATH)
    assert flag.changed[0].change is Change.EXTEND and flag.when == "2026-03-10T09:30:00Z"
    assert flag.flag_path.startswith("agents/astra/flags/2026-03-10-")


def test_the_readme_flags_resolve_example_holds(sample_vault):
    """Issue 12.5: the README's `teleo flags resolve 2026-03-10-alignment` named a flag that never
    exists (ids start with the day of the cascade). Following the README on the sample's cascade,
    as `teleo demo` makes it today, closes the flag."""
    import datetime as dt
    import re
    import shlex

    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    [line] = [l for l in readme.splitlines() if l.startswith("teleo flags resolve ")]
    command, _, comment = line.partition("#")
    args = shlex.split(command)[1:]
    git_init(sample_vault)
    append(sample_vault, SAMPLE_CLAIM, EXTEND_BLOCK)
    commit = commit_all(sample_vault, "merge: enrich the model-level alignment claim")
    today = dt.date.today().isoformat()
    plan = plan_cascade(Vault.open(sample_vault), [SAMPLE_CLAIM], commit=commit, when=today, why="enrichment")
    write_plan(sample_vault, plan.files)
    commit_all(sample_vault, "cascade: 2 flags")
    listed = CliRunner().invoke(app, ["--vault", str(sample_vault), "flags"], terminal_width=200).output
    shown = re.findall(rf"\b{today}-[a-z0-9-]+", listed)  # the id starts printed under the targets
    assert shown, listed
    if "<id>" in args:  # a placeholder the README explains, filled as it says
        assert "<id>" in comment and "teleo flags" in comment, line
        args = [shown[-1] if a == "<id>" else a for a in args]
    result = CliRunner().invoke(app, ["--vault", str(sample_vault), *args], terminal_width=200)
    assert result.exit_code == 0, (line, result.output)
    assert "resolved" in result.output
