"""A ref lock file left on the remote by a killed `git receive-pack` (issue 18.6 d): git never removes it, so
every push of that ref would be refused for ever. On a remote this host reaches as a folder, a lock older than
the stall window is removed and the push goes through; a younger one (or one on another machine) is reported
as `RemoteRefLocked`, naming the file and how to clear it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from teleo.repo.branches import tip
from teleo.repo.remote import RefUpdate, Remote, RemoteConflict, RemoteRefLocked

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_remote import commit_on, fsck_clean, make_hosts, remote_ref  # noqa: E402


def _locked(bare: Path, ref: str, age_s: float) -> Path:
    lock = bare / f"{ref}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("", encoding="ascii")
    then = lock.stat().st_mtime - age_s
    os.utime(lock, (then, then))
    return lock


def test_a_lock_older_than_the_stall_window_is_removed_and_the_push_goes_through(tmp_path):
    bare, (repo,) = make_hosts(tmp_path, 1)
    commit = commit_on(repo, str(tip(repo, "refs/heads/main").id), "p.md")
    lock = _locked(bare, "refs/heads/extract/p", age_s=600)
    Remote.open(repo, "origin", stale_lock_s=60).push([RefUpdate("refs/heads/extract/p", commit, expected=None)])
    assert remote_ref(bare, "refs/heads/extract/p") == commit
    assert not lock.exists()
    fsck_clean(bare, Path(repo.workdir))


def test_a_recent_lock_is_reported_naming_the_file_and_how_to_clear_it(tmp_path):
    bare, (repo,) = make_hosts(tmp_path, 1)
    commit = commit_on(repo, str(tip(repo, "refs/heads/main").id), "p.md")
    lock = _locked(bare, "refs/heads/extract/p", age_s=5)
    with pytest.raises(RemoteRefLocked) as raised:
        Remote.open(repo, "origin", stale_lock_s=60).push([RefUpdate("refs/heads/extract/p", commit, expected=None)])
    assert isinstance(raised.value, RemoteConflict) and raised.value.retryable  # a live push's lock passes
    message = str(raised.value)
    assert "extract/p.lock" in message and "remove it" in message
    assert lock.exists()  # never taken from a push that may be alive
    assert remote_ref(bare, "refs/heads/extract/p") is None


def test_a_lock_on_a_remote_this_host_cannot_reach_as_a_folder_is_only_reported(tmp_path, monkeypatch):
    bare, (repo,) = make_hosts(tmp_path, 1)
    commit = commit_on(repo, str(tip(repo, "refs/heads/main").id), "p.md")
    lock = _locked(bare, "refs/heads/extract/p", age_s=600)
    remote = Remote.open(repo, "origin", stale_lock_s=60)
    monkeypatch.setattr(Remote, "_folder", lambda self: None)  # as over ssh: the file is on the git server
    with pytest.raises(RemoteRefLocked, match="remove it on the git server"):
        remote.push([RefUpdate("refs/heads/extract/p", commit, expected=None)])
    assert lock.exists()
