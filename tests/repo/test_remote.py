"""The shared git remote at git level: leased pushes, atomic pushes, retries, refusals, following main.

Real git throughout: a bare repository as the remote and clones of it in a temp folder; races
are run by threads that meet at a barrier right before their push.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pygit2
import pytest

from teleo.repo import remote as remote_module
from teleo.repo.branches import tip, update_branch, write_commit
from teleo.repo.discover import open_repository
from teleo.repo.remote import (
    UNPUSHED_PREFIX,
    RefUpdate,
    Remote,
    RemoteConflict,
    RemoteError,
    RemoteRefused,
    RemoteUnreachable,
    follow,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
from remote_hosts import share  # noqa: E402

ENV = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
       "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"}


def git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, check=True, env=ENV).stdout


def make_hosts(tmp: Path, count: int = 2) -> tuple[Path, list[pygit2.Repository]]:
    seed = tmp / "seed"
    seed.mkdir()
    (seed / "a.md").write_text("# a\n", encoding="utf-8")
    git(tmp, "init", "-q", "-b", "main", str(seed))
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "initial")
    bare, clones = share(seed, count)
    return bare, [open_repository(path) for path in clones]


def commit_on(repo: pygit2.Repository, parent: str, name: str, message: str = "a change\n") -> str:
    return write_commit(repo, repo[parent], {name: f"# {name}\n".encode()}, message)


def remote_ref(bare: Path, ref: str) -> str | None:
    result = subprocess.run(["git", "-C", str(bare), "rev-parse", "--verify", "-q", ref], capture_output=True, text=True)
    return result.stdout.strip() or None


def fsck_clean(*paths: Path) -> None:
    for path in paths:
        result = subprocess.run(["git", "-C", str(path), "fsck", "--full"], capture_output=True, text=True)
        assert result.returncode == 0, (path, result.stderr)
        assert "error" not in result.stderr.lower() and "missing" not in result.stdout.lower(), result


def test_concurrent_pushes_of_one_new_branch_one_wins_the_other_is_retryable(tmp_path):
    bare, clones = make_hosts(tmp_path)
    remotes = [Remote.open(repo, "origin") for repo in clones]
    base = str(tip(clones[0], "refs/heads/main").id)
    for round_number in range(8):
        ref = f"refs/heads/extract/source-{round_number}"
        commits = [commit_on(repo, base, f"host{i}-{round_number}.md") for i, repo in enumerate(clones)]
        barrier = threading.Barrier(2)
        results: dict[int, object] = {}

        def push(i: int) -> None:
            barrier.wait()
            try:
                remotes[i].push([RefUpdate(ref, commits[i], expected=None)])
                results[i] = "pushed"
            except RemoteConflict as exc:
                results[i] = exc

        threads = [threading.Thread(target=push, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [i for i, result in results.items() if result == "pushed"]
        assert len(winners) == 1, results
        loser = results[1 - winners[0]]
        assert isinstance(loser, RemoteConflict) and loser.retryable
        assert remote_ref(bare, ref) == commits[winners[0]]  # the winner's commit, never overwritten
    fsck_clean(bare, *(Path(repo.workdir) for repo in clones))


def test_a_lease_on_main_refuses_a_stale_tip_and_an_atomic_push_writes_all_or_nothing(tmp_path):
    bare, (one, two) = make_hosts(tmp_path)
    first, second = Remote.open(one, "origin"), Remote.open(two, "origin")
    old = str(tip(one, "refs/heads/main").id)
    moved = commit_on(one, old, "one.md")
    first.push([RefUpdate("refs/heads/main", moved, expected=old)])
    assert remote_ref(bare, "refs/heads/main") == moved

    stale = commit_on(two, old, "two.md")
    with pytest.raises(RemoteConflict):
        second.push([RefUpdate("refs/heads/main", stale, expected=old)])
    assert remote_ref(bare, "refs/heads/main") == moved

    # a valid lease on main with a stale one on a branch: neither is written
    first.push([RefUpdate("refs/heads/extract/x", moved, expected=None)])
    second.fetch()
    after = commit_on(two, moved, "three.md")
    with pytest.raises(RemoteConflict):
        second.push([RefUpdate("refs/heads/main", after, expected=moved),
                     RefUpdate("refs/heads/extract/x", None, expected=old)])
    assert remote_ref(bare, "refs/heads/main") == moved
    assert remote_ref(bare, "refs/heads/extract/x") == moved
    second.push([RefUpdate("refs/heads/main", after, expected=moved),
                 RefUpdate("refs/heads/extract/x", None, expected=moved)])
    assert remote_ref(bare, "refs/heads/main") == after
    assert remote_ref(bare, "refs/heads/extract/x") is None


def _counting(monkeypatch) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []
    real = remote_module.run_git

    def counted(*args, **options):
        calls.append(args)
        return real(*args, **options)

    monkeypatch.setattr(remote_module, "run_git", counted)
    monkeypatch.setattr(remote_module.time, "sleep", lambda s: None)
    return calls


def test_a_missing_remote_path_is_retried_then_fails_with_gits_own_message(tmp_path, monkeypatch):
    _, (repo,) = make_hosts(tmp_path, 1)
    git(Path(repo.workdir), "remote", "set-url", "origin", str(tmp_path / "no-such-remote.git"))
    calls = _counting(monkeypatch)
    remote = Remote.open(repo, "origin", attempts=3, backoff_s=0.01)
    with pytest.raises(RemoteUnreachable) as caught:
        remote.fetch()
    assert len(calls) == 3
    assert "does not appear to be a git repository" in str(caught.value)
    assert not caught.value.retryable
    with pytest.raises(RemoteUnreachable, match="does not appear to be a git repository"):
        remote.push([RefUpdate("refs/heads/extract/x", str(tip(repo, "refs/heads/main").id), expected=None)])
    assert len(calls) == 6


def test_a_refused_connection_is_retried_then_fails_with_gits_own_message(tmp_path, monkeypatch):
    _, (repo,) = make_hosts(tmp_path, 1)
    with socket.socket() as probe:  # a port nobody listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    git(Path(repo.workdir), "remote", "set-url", "origin", f"git://127.0.0.1:{port}/vault.git")
    calls = _counting(monkeypatch)
    with pytest.raises(RemoteUnreachable) as caught:
        Remote.open(repo, "origin", attempts=2, backoff_s=0.01).fetch()
    assert len(calls) == 2
    assert "unable to connect" in str(caught.value) or "Connection refused" in str(caught.value)


def test_a_push_the_remote_refuses_for_good_is_not_retried(tmp_path, monkeypatch):
    bare, (repo,) = make_hosts(tmp_path, 1)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'proposals are closed today' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    calls = _counting(monkeypatch)
    with pytest.raises(RemoteRefused) as caught:
        Remote.open(repo, "origin").push(
            [RefUpdate("refs/heads/extract/x", str(tip(repo, "refs/heads/main").id), expected=None)])
    assert len(calls) == 1
    assert "pre-receive hook declined" in str(caught.value) and "proposals are closed today" in str(caught.value)
    assert not caught.value.retryable


def test_a_clone_without_the_named_remote_is_told_how_to_add_it(tmp_path):
    _, (repo,) = make_hosts(tmp_path, 1)
    with pytest.raises(RemoteError, match="no git remote named 'shared'.*git remote add shared"):
        Remote.open(repo, "shared")


def test_following_main_drops_teleo_merges_and_keeps_any_other_local_commit(tmp_path):
    bare, (one, two) = make_hosts(tmp_path)
    first = Remote.open(one, "origin")
    old = str(tip(one, "refs/heads/main").id)
    moved = commit_on(two, old, "elsewhere.md")
    Remote.open(two, "origin").push([RefUpdate("refs/heads/main", moved, expected=old)])

    # a merge this clone made and never pushed (its push lost): redone from the remote, dropped
    side = commit_on(one, old, "proposal.md")
    someone = pygit2.Signature("T", "t@example.org")  # not default_signature: the machine may configure no user.name
    merge = one.create_commit(None, someone, someone,
                              "Merge pull request 'x' from extract/x into main\n\nTeleo-Proposal: extract/x\n",
                              one[side].tree_id, [pygit2.Oid(hex=old), pygit2.Oid(hex=side)])
    update_branch(one, "main", str(merge), old)
    first.fetch()
    assert follow(one, "main", first.head("main")) is None
    assert str(tip(one, "refs/heads/main").id) == moved

    # a plain commit someone made on the clone's main: kept under refs/teleo/unpushed/
    mine = commit_on(one, moved, "mine.md", "notes by hand\n")
    update_branch(one, "main", mine, moved)
    newer = commit_on(two, moved, "newer.md")
    Remote.open(two, "origin").push([RefUpdate("refs/heads/main", newer, expected=moved)])
    first.fetch()
    kept = follow(one, "main", first.head("main"))
    assert kept == UNPUSHED_PREFIX + mine
    assert str(one.references[kept].target) == mine
    assert str(tip(one, "refs/heads/main").id) == newer
    fsck_clean(bare, Path(one.workdir), Path(two.workdir))


def test_following_main_clears_a_lock_a_killed_writer_left(tmp_path):
    bare, (one, two) = make_hosts(tmp_path)
    old = str(tip(one, "refs/heads/main").id)
    moved = commit_on(two, old, "elsewhere.md")
    Remote.open(two, "origin").push([RefUpdate("refs/heads/main", moved, expected=old)])
    lock = Path(one.path) / "refs" / "heads" / "main.lock"
    lock.write_text(old + "\n", encoding="ascii")
    os.utime(lock, (1, 1))  # long ago: its writer is gone
    first = Remote.open(one, "origin")
    first.fetch()
    follow(one, "main", first.head("main"))
    assert str(tip(one, "refs/heads/main").id) == moved
    assert not lock.exists()


def test_a_verdict_whose_ref_another_writer_holds_is_stored_once_the_lock_is_gone(tmp_path, monkeypatch):
    from teleo.repo import verdicts
    from teleo.repo.verdicts import Verdict, store_verdict, verdicts_for

    _, (repo,) = make_hosts(tmp_path, 1)
    head = str(tip(repo, "refs/heads/main").id)
    lock = Path(repo.path) / "refs" / "teleo" / "verdicts" / head / "gates.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("", encoding="ascii")  # a fetch of the remote's verdicts writing the same record
    monkeypatch.setattr(verdicts.time, "sleep", lambda seconds: lock.unlink(missing_ok=True))
    store_verdict(repo, Verdict(reviewer="gates", role="gates", head=head, branch="extract/x", verdict="approve"))
    assert verdicts_for(repo, head, ["gates"])["gates"].verdict == "approve"
