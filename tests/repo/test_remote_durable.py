"""The clone's writes while following or replaying the shared remote's main are durable (fsynced), like every
other in-process git write (`branches.durable_writes`): a ref under refs/teleo/unpushed/ is the only record of
the commits it keeps once main moves, and replayed commits are pushed then followed."""

from __future__ import annotations

import sys
from pathlib import Path

import pygit2
import pytest

from teleo.repo import branches
from teleo.repo.branches import tip, update_branch
from teleo.repo.remote import UNPUSHED_PREFIX, RefUpdate, Remote, follow, replay

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_remote import commit_on, make_hosts  # noqa: E402


@pytest.fixture
def fsync_seen(monkeypatch):
    """libgit2's fsync switch as the process last set it, and what each write saw (starting off, as a fresh worker)."""
    state = {"on": False}
    seen: list[tuple[str, bool]] = []
    real = branches._set_fsync

    def recording(on: bool) -> None:
        state["on"] = on
        real(on)

    monkeypatch.setattr(branches, "_set_fsync", recording)
    recording(False)
    real_commit = pygit2.Repository.create_commit
    real_ref = pygit2.references.References.create
    monkeypatch.setattr(pygit2.Repository, "create_commit",
                        lambda self, *a, **k: (seen.append(("commit", state["on"])), real_commit(self, *a, **k))[1])
    monkeypatch.setattr(pygit2.references.References, "create",
                        lambda self, name, *a, **k: (seen.append((name, state["on"])), real_ref(self, name, *a, **k))[1])
    yield seen
    real(True)


def test_a_local_commit_kept_aside_when_following_is_written_durably(tmp_path, fsync_seen):
    _, (one, two) = make_hosts(tmp_path)
    old = str(tip(one, "refs/heads/main").id)
    mine = commit_on(one, old, "mine.md", "notes by hand\n")
    update_branch(one, "main", mine, old)
    moved = commit_on(two, old, "elsewhere.md")
    Remote.open(two, "origin").push([RefUpdate("refs/heads/main", moved, expected=old)])
    branches._set_fsync(False)  # as a fresh worker process: nothing durable written yet
    fsync_seen.clear()
    first = Remote.open(one, "origin")
    first.fetch()
    kept = follow(one, "main", first.head("main"))
    assert kept == UNPUSHED_PREFIX + mine
    assert (kept, True) in fsync_seen and (kept, False) not in fsync_seen


def test_replayed_commits_are_written_durably(tmp_path, fsync_seen):
    _, (one, two) = make_hosts(tmp_path)
    old = str(tip(one, "refs/heads/main").id)
    mine = commit_on(one, old, "mine.md", "an ingest\n")
    moved = commit_on(two, old, "elsewhere.md")
    Remote.open(two, "origin").push([RefUpdate("refs/heads/main", moved, expected=old)])
    Remote.open(one, "origin").fetch()
    branches._set_fsync(False)
    fsync_seen.clear()
    new = replay(one, mine, moved)
    assert new is not None and one[new].parents[0].id == pygit2.Oid(hex=moved)
    commits = [on for what, on in fsync_seen if what == "commit"]
    assert commits and all(commits)
