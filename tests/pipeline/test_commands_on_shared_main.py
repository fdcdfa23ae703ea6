"""Commands that commit on main, on a host whose main follows a shared remote (`[pipeline] remote`).

`teleo flags resolve`, `teleo sources park` (and reset, unpark, requeue-null --apply), `teleo fix` and
`teleo ingest` committed on the clone's main alone: the commit never reached the remote (stranded until some worker
job on that host happened to publish it) and was planned on a main the other hosts had left behind.
Now main follows the remote's first and the commit is pushed with the workers' compare-and-swap
(`pipeline.remote.follow_shared_main` / `publish_shared_main`). The real command line on clones of a
bare remote with real git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE_VAULT, git_init, teleo_command
from remote_hosts import REMOTE_TABLE, share

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cascade"))
from cascade_helpers import EXTEND_BLOCK, append, commit_all, write_plan  # noqa: E402

from teleo.cascade import plan_cascade  # noqa: E402
from teleo.vault import Vault  # noqa: E402

pytestmark = pytest.mark.slow
SAMPLE_CLAIM = ("domains/ai-alignment/model-level alignment is insufficient for beneficial outcomes because "
                "deployment incentives decide which model behaviours get used.md")
PARKED = "2026-02-24-raman-community-health-worker-readmissions"
ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org", "GIT_COMMITTER_NAME": "Test",
       "GIT_COMMITTER_EMAIL": "test@example.org"}


def git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **ENV}).stdout.strip()


def teleo(where: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*teleo_command(), *args], cwd=where, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **ENV, "NO_COLOR": "1", "COLUMNS": "250", **(env or {})})


def _hosts(tmp_path: Path, config: str = "") -> tuple[Path, list[Path], str]:
    """The sample vault with `[pipeline] remote = "origin"` (then `config`, more of that table) and an open
    cascade flag, a bare remote of it and two clones; returns (remote, clones, the flag's id)."""
    seed = tmp_path / "seed"
    shutil.copytree(SAMPLE_VAULT, seed)
    with open(seed / "teleo.toml", "a", encoding="utf-8") as toml:
        toml.write(REMOTE_TABLE + config)
    git_init(seed)
    append(seed, SAMPLE_CLAIM, EXTEND_BLOCK)
    commit = commit_all(seed, "merge: enrich the model-level alignment claim")
    plan = plan_cascade(Vault.open(seed), [SAMPLE_CLAIM], commit=commit, when="2026-03-10", why="enrichment")
    write_plan(seed, plan.files)
    commit_all(seed, "cascade: flags")
    remote, clones = share(seed, 2)
    return remote, clones, plan.flags[0].id


def _another_host_moves_main(clone: Path, number: int) -> str:
    """Host 1 pushes a commit of its own to the remote's main (a file no command here touches)."""
    (clone / "maps" / f"from host1 {number}.md").write_text("# From host 1\n\nA note another host published.\n",
                                                           encoding="utf-8")
    git(clone, "add", "-A")
    git(clone, "commit", "-qm", f"host1: map {number}")
    git(clone, "push", "-q", "origin", "main")
    return git(clone, "rev-parse", "main")


def test_each_command_that_commits_on_main_pushes_it_onto_the_remotes_tip(tmp_path):
    remote, (host0, host1), flag = _hosts(tmp_path)
    report = tmp_path / "field report.txt"
    report.write_text("Community health workers cut readmissions by a fifth in a two-year county programme.\n",
                      encoding="utf-8")
    commands = (["sources", "park", PARKED, "--reason", "launch data, not claims"],
                ["flags", "resolve", flag, "--note", "re-read: still holds"],
                ["fix"],
                ["ingest", str(report), "--domain", "health", "--title", "County health workers and readmissions",
                 "--author", "County Health", "--date", "2026-03-01"])
    for number, command in enumerate(commands):
        theirs = _another_host_moves_main(host1, number)  # the remote moved since host 0 last looked
        result = teleo(host0, *command)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        ours = git(remote, "rev-parse", "main")
        assert ours != theirs and git(remote, "rev-parse", "main^") == theirs, command  # on top of host 1's
        assert git(host0, "rev-parse", "main") == ours and git(host0, "status", "--porcelain") == "", command
        assert "pushed to origin/main" in result.stderr, command
        git(host1, "pull", "-q", "--ff-only", "origin", "main")
    shown = git(remote, "show", f"main:inbox/archive/{PARKED}.md")
    assert "\nstatus: entity-data\n" in shown
    assert not git(host0, "for-each-ref", "refs/teleo/unpushed/")


def test_a_command_plans_on_the_remotes_main_not_on_a_clone_left_behind(tmp_path):
    """Host 1 parked the source first: host 0's park is refused on the shared main (it is parked already)
    instead of committing the same move again on its own stale main."""
    remote, (host0, host1), _ = _hosts(tmp_path)
    first = teleo(host1, "sources", "park", PARKED, "--reason", "host 1 parks it")
    assert first.returncode == 0, first.stderr
    tip = git(remote, "rev-parse", "main")
    second = teleo(host0, "sources", "park", PARKED, "--reason", "host 0 parks it too")
    assert second.returncode == 1 and "entity-data" in second.stdout + second.stderr
    assert git(remote, "rev-parse", "main") == tip == git(host0, "rev-parse", "main")


def test_a_commit_that_cannot_be_replayed_is_kept_aside_and_named(tmp_path):
    """The other host changed the same lines between the follow and the push: not pushed, not left on main
    in silence — `NotPublished` names the ref that keeps it, and main follows the remote's again."""
    from teleo.pipeline.remote import NotPublished, follow_shared_main, publish_shared_main
    from teleo.triage.moves import move_sources

    remote, (host0, host1), _ = _hosts(tmp_path)
    vault = Vault.open(host0)
    shared = follow_shared_main(vault)
    assert shared is not None
    path = host1 / "inbox" / "archive" / f"{PARKED}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("status: unprocessed", "status: null-result"),
                    encoding="utf-8")
    git(host1, "commit", "-qam", "host1: judged null")
    git(host1, "push", "-q", "origin", "main")
    outcome = move_sources(vault, [PARKED], "park", "launch data")
    assert outcome.commit is not None
    with pytest.raises(NotPublished) as refused:
        publish_shared_main(shared)
    assert f"refs/teleo/unpushed/{outcome.commit}" in str(refused.value) and "run the command again" in str(refused.value)
    assert git(host0, "rev-parse", f"refs/teleo/unpushed/{outcome.commit}") == outcome.commit
    assert git(host0, "rev-parse", "main") == git(remote, "rev-parse", "main") == git(host1, "rev-parse", "main")


def test_without_a_shared_remote_nothing_changes_and_no_pipeline_is_imported(sample_vault, tmp_path):
    """A vault with no `[pipeline] remote` (nor `[forge]`): `teleo fix` commits on main as before, and does
    not pay for importing `teleo.pipeline` to find out there is no remote."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from test_cli_startup import modules_after

    git_init(sample_vault)
    before = git(sample_vault, "rev-parse", "main")
    modules = modules_after(tmp_path, "--vault", str(sample_vault), "fix")
    assert git(sample_vault, "rev-parse", "main^") == before  # one commit: the repairs
    assert "teleo.gates.repair" in modules and not [m for m in modules if m.startswith("teleo.pipeline")]
