"""What one extraction job on a shared remote asks of git (issue 18.6): one fetch and one leased push, no history
read in a git process of its own, no working-tree sync while main stays put, and main never written by it — yet a source merged on the remote while the job
extracted still leaves no branch behind (main's lease in the push refuses it, then main is read again:
tests/pipeline/test_remote_hosts.py, the slow extraction)."""

from __future__ import annotations

import pytest
from remote_hosts import fsck, make_hosts, remote_refs

from teleo.pipeline import remote as remote_jobs
from teleo.pipeline.remote import extract_on_remote, merge_on_remote, review_on_remote
from teleo.repo import command, worktree
from teleo.repo import remote as remote_module
from teleo.repo.command import _verb


@pytest.fixture
def git_verbs(monkeypatch) -> list[str]:
    """The subcommand of every git process Teleo starts (wherever it was imported from)."""
    verbs: list[str] = []
    real = command.run_git

    def counted(where, *args, **options):
        verbs.append(_verb(args))
        return real(where, *args, **options)

    monkeypatch.setattr(remote_module, "run_git", counted)
    monkeypatch.setattr(command, "run_git", counted)
    real_writing = worktree._git_writing

    def writing(repo, *args):
        verbs.append(_verb(args))
        return real_writing(repo, *args)

    monkeypatch.setattr(worktree, "_git_writing", writing)
    return verbs


def test_an_extraction_job_runs_one_fetch_and_one_push_and_leaves_main_alone(tmp_path, git_verbs):
    hosts = make_hosts(tmp_path, 1, sources=3)
    main_before = remote_refs(hosts.remote)["refs/heads/main"]
    extract_on_remote(hosts.vault(0), hosts.sources[0])  # the first job of a process reads main's history once
    git_verbs.clear()
    outcome = extract_on_remote(hosts.vault(0), hosts.sources[1])
    assert outcome.status in ("proposed", "null"), outcome.error
    assert sorted(git_verbs) == ["fetch", "push"], git_verbs  # main did not move: its working tree is not looked at
    refs = remote_refs(hosts.remote)
    assert refs[f"refs/heads/{outcome.branch}"] == outcome.commit
    assert refs["refs/heads/main"] == main_before


def test_a_job_whose_push_meets_main_moved_by_another_merge_pushes_again_on_the_new_tip(tmp_path, monkeypatch):
    hosts = make_hosts(tmp_path, 2, sources=2)
    mine, theirs = hosts.sources
    real, calls = remote_jobs.extract_source, []

    def another_merge_meanwhile(vault, rel, **options):
        calls.append(rel)
        if rel == mine:
            made = extract_on_remote(hosts.vault(1), theirs, worker=9)
            assert review_on_remote(hosts.vault(1), made.branch).status == "approved"
            assert merge_on_remote(hosts.vault(1), made.branch).status == "merged"
        return real(vault, rel, **options)

    monkeypatch.setattr(remote_jobs, "extract_source", another_merge_meanwhile)
    before = remote_refs(hosts.remote)["refs/heads/main"]
    outcome = extract_on_remote(hosts.vault(0), mine)
    assert outcome.status in ("proposed", "null"), outcome.error
    refs = remote_refs(hosts.remote)
    assert refs[f"refs/heads/{outcome.branch}"] == outcome.commit
    assert refs["refs/heads/main"] != before  # the other merge landed, and this job did not undo it
    for path in (hosts.remote, *hosts.clones):
        assert fsck(path).returncode == 0
