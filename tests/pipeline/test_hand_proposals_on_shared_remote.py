"""Proposal branches made by hand on a host whose main follows a shared remote (`[pipeline] remote`).

`teleo flags resolve --propose`, `teleo contribute` (and `teleo research`, `teleo synthesize`) committed their
branch on the clone alone: the workers of the other hosts, which read the remote, never saw it. Now the
branch forks from the remote's main and is pushed with the workers' compare-and-swap; on the postgres backend
its review is enqueued (its merge after it) and a worker on another host merges it into the remote's main.
The real command line on clones of a bare remote with real git.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_commands_on_shared_main import ENV, _another_host_moves_main, _hosts, git, teleo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contrib"))
from test_contribute import DESCRIPTION, NEW_TITLE  # noqa: E402

pytestmark = pytest.mark.slow


def _contribute(host: Path, description: str = DESCRIPTION, **env: str) -> subprocess.CompletedProcess:
    return teleo(host, "contribute", "claim", "--as", "alice", "--domain", "health", "--title", NEW_TITLE,
                 "--description", description, "--format", "json", env=env)


def test_a_hand_proposal_forks_from_the_remotes_main_and_is_pushed_there(tmp_path):
    remote, (host0, host1), flag = _hosts(tmp_path)
    theirs = _another_host_moves_main(host1, 0)
    proposed = teleo(host0, "flags", "resolve", flag, "--propose", "--note", "re-read: still holds")
    assert proposed.returncode == 0, proposed.stdout + proposed.stderr
    branch = next(line.split()[-2] for line in proposed.stdout.splitlines() if line.startswith("proposed"))
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == git(host0, "rev-parse", branch)
    assert git(remote, "rev-parse", f"{branch}^") == theirs  # forked from the main host 1 had moved
    assert f"pushed {branch} to origin" in proposed.stderr
    made = _contribute(host0)
    assert made.returncode == 0, made.stdout + made.stderr
    contrib = json.loads(made.stdout)["branch"]
    assert git(remote, "rev-parse", f"refs/heads/{contrib}") == json.loads(made.stdout)["commit"]
    again = _contribute(host0)  # already proposed: the remote holds it, nothing pushed, still exit 0
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "already proposed"
    assert "pushed" not in again.stderr


def test_a_refused_push_is_one_line_and_keeps_the_local_branch(tmp_path):
    """Host 1 proposed the same contribution first: host 0's branch of that name cannot be pushed."""
    remote, (host0, host1), _ = _hosts(tmp_path)
    first = _contribute(host1)
    assert first.returncode == 0, first.stderr
    branch, theirs = json.loads(first.stdout)["branch"], json.loads(first.stdout)["commit"]
    # Another commit under the same branch name: other text (Teleo stamps its commits with the current
    # second, so the same text committed within the same second on both hosts would be the same commit).
    second = _contribute(host0, description=DESCRIPTION.rstrip(".") + ", as host 0 words it.")
    assert second.returncode == 1, second.stdout + second.stderr
    ours = json.loads(second.stdout)["commit"]
    assert ours != theirs
    errors = [line for line in second.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"{branch} ({ours[:12]}) was not pushed to origin" in errors[0], second.stderr
    assert f"holds {branch} at {theirs[:12]}" in errors[0] and "kept on this clone" in errors[0]
    assert git(host0, "rev-parse", branch) == ours  # intact
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == theirs
    assert "Traceback" not in second.stderr


def test_without_a_remote_nothing_is_pushed(sample_vault):
    from conftest import git_init

    git_init(sample_vault)
    made = _contribute(sample_vault)
    assert made.returncode == 0, made.stderr
    assert "pushed" not in made.stderr and git(sample_vault, "remote") == ""


def test_on_postgres_the_review_is_enqueued_and_a_worker_on_another_host_merges_it(tmp_path, pg_dsn):
    """The hand proposal flows through review and merge like a worker's: `teleo worker --drain` on host 1
    reviews it and merges it into the remote's main; host 0's `teleo merge` enqueues instead of merging."""
    env = {"TELEO_PG_DSN": pg_dsn}
    remote, (host0, host1), flag = _hosts(tmp_path, 'backend = "postgres"\n')
    assert teleo(host0, "queue", "init", env=env).returncode == 0
    proposed = teleo(host0, "flags", "resolve", flag, "--propose", "--note", "re-read: still holds", env=env)
    assert proposed.returncode == 0, proposed.stdout + proposed.stderr
    branch = next(line.split()[-2] for line in proposed.stdout.splitlines() if line.startswith("proposed"))
    assert f"queued the review of {branch} on postgres" in proposed.stderr
    status = json.loads(teleo(host0, "queue", "status", "--format", "json", env=env).stdout)
    assert [(j["kind"], j["target"], j["state"]) for j in status["jobs"]] == [("review", branch, "pending")]
    drained = teleo(host1, "worker", "--drain", env=env)
    assert drained.returncode == 0, drained.stderr[-3000:]
    status = json.loads(teleo(host0, "queue", "status", "--format", "json", env=env).stdout)
    done = {(j["kind"], j["target"]): (j["state"], j.get("status")) for j in status["jobs"]}
    assert done[("review", branch)] == ("done", "approved"), status["jobs"]
    assert done[("merge", branch)] == ("done", "merged"), status["jobs"]
    assert f"refs/heads/{branch}" not in git(remote, "for-each-ref", "refs/heads/")  # merged, deleted
    resolved = git(remote, "show", f"main:{_flag_path(host1, flag)}")
    assert "status: resolved" in resolved and "re-read: still holds" in resolved


def _flag(host: Path, flag: str):
    from teleo.cascade import read_flags
    from teleo.vault import Vault

    return next(f for f in read_flags(Vault.open(host))[0] if f.id == flag)


def _flag_path(host: Path, flag: str) -> str:
    return _flag(host, flag).path


def test_the_mcp_tool_resolve_flag_pushes_its_proposal_too(tmp_path, monkeypatch):
    """`resolve_flag` over MCP on host 0 (in process): the branch forks from the remote's main and is pushed;
    the answer says so under `shared_remote`."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mcp_server"))
    from mcp_helpers import call

    from teleo.mcp.server import build_server
    from teleo.mcp.tools import VaultTools
    from teleo.vault import Vault

    remote, (host0, host1), flag = _hosts(tmp_path)
    theirs = _another_host_moves_main(host1, 0)
    for key, value in ENV.items():  # the in-process commit's identity
        monkeypatch.setenv(key, value)
    server = build_server(VaultTools(Vault.open(host0), agent=_flag(host0, flag).agent, watch=False))
    result = call(server, "resolve_flag", {"flag": flag, "note": "re-read: still holds"})
    assert not result.is_error, result.content
    made = result.structured_content
    assert made["shared_remote"]["pushed"] == [{"branch": made["branch"], "commit": made["commit"]}]
    assert made["shared_remote"]["refused"] == []
    assert git(remote, "rev-parse", f"refs/heads/{made['branch']}") == made["commit"]
    assert git(remote, "rev-parse", f"{made['branch']}^") == theirs


def test_on_postgres_with_a_remote_review_and_merge_enqueue_instead_of_running_on_the_clone(tmp_path, pg_dsn):
    """`teleo review` / `teleo merge` on host 0 enqueue the jobs of the remote's open proposals and print them; the
    clone gets no verdict and no merge of its own. What a job cannot carry is refused in one line, and so is a
    branch the remote does not hold. A worker on host 1 then merges the contribution into the remote's main."""
    env = {"TELEO_PG_DSN": pg_dsn}
    remote, (host0, host1), _ = _hosts(tmp_path, 'backend = "postgres"\n')
    assert teleo(host0, "queue", "init", env=env).returncode == 0
    made = _contribute(host1, **env)  # pushed, its review queued
    assert made.returncode == 0, made.stdout + made.stderr
    branch = json.loads(made.stdout)["branch"]
    tip = git(remote, "rev-parse", "main")
    reviewed = teleo(host0, "review", "--format", "json", env=env)
    assert reviewed.returncode == 0, reviewed.stdout + reviewed.stderr
    enqueued = json.loads(reviewed.stdout)["enqueued"]
    assert enqueued["queued"] == [] and enqueued["duplicates"] == [{"kind": "review", "target": branch}]
    merged = teleo(host0, "merge", env=env)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "queued 1 merge job on postgres" in merged.stdout
    assert git(host0, "for-each-ref", "refs/teleo/verdicts/") == ""  # nothing ran on the clone
    assert git(host0, "rev-parse", "main") == tip == git(remote, "rev-parse", "main")
    for command in (["merge", "--no-cascade"], ["review", "--as", "leo"], ["review", "-p", "offline"]):
        refused = teleo(host0, *command, env=env)
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode == 2 and len(lines) == 1, (command, refused.stderr)
        assert 'backend = "postgres" with remote = \'origin\'' in lines[0] and command[1] in lines[0], lines
    unknown = teleo(host0, "review", "contrib/nobody/no-such-claim", env=env)
    assert unknown.returncode == 1 and "no open proposal on the shared remote" in unknown.stderr, unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    status = json.loads(teleo(host0, "queue", "status", "--format", "json", env=env).stdout)
    assert sorted((j["kind"], j["target"]) for j in status["jobs"]) == [("merge", branch), ("review", branch)]
    drained = teleo(host1, "worker", "--drain", env=env)
    assert drained.returncode == 0, drained.stderr[-3000:]
    status = json.loads(teleo(host0, "queue", "status", "--format", "json", env=env).stdout)
    assert status["counts"]["pending"] == status["counts"]["running"] == status["counts"]["failed"] == 0, status
    assert "merged" in {j.get("status") for j in status["jobs"] if j["kind"] == "merge"}, status["jobs"]
    assert f"refs/heads/{branch}" not in git(remote, "for-each-ref", "refs/heads/")
    assert json.loads(made.stdout)["files"][0] in git(remote, "ls-tree", "-r", "--name-only", "main")
