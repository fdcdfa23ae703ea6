"""`write_commit` patches only the trees along the changed paths; `update_branch` is a compare-and-swap."""

from __future__ import annotations

import subprocess

import pygit2
import pytest

from teleo.repo.branches import BranchConflict, BranchError, update_branch, write_commit


def _repo(tmp_path) -> tuple[pygit2.Repository, pygit2.Commit]:
    root = tmp_path / "r"
    files = {"a.md": "a\n", "domains/x/one.md": "one\n", "domains/x/two.md": "two\n", "domains/y/three.md": "3\n",
             "tool.sh": "#!/bin/sh\n"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "tool.sh").chmod(0o755)
    env = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)
    repo = pygit2.Repository(str(root))
    return repo, repo.revparse_single("main")


def _index_tree(repo: pygit2.Repository, parent: pygit2.Commit, changes: dict[str, bytes]) -> pygit2.Oid:
    """The reference result: the whole tree through an in-memory index."""
    index = pygit2.Index()
    index.read_tree(parent.tree)
    for path, data in changes.items():
        mode = index[path].mode if path in index else pygit2.enums.FileMode.BLOB
        index.add(pygit2.IndexEntry(path, repo.create_blob(data), mode))
    return index.write_tree(repo)


def test_patched_tree_equals_a_full_index_write(tmp_path):
    repo, parent = _repo(tmp_path)
    changes = {"domains/x/one.md": b"changed\n", "domains/x/new.md": b"new\n", "domains/z/deep/er.md": b"deep\n",
               "b.md": b"b\n", "tool.sh": b"#!/bin/sh\necho\n"}
    commit = repo[write_commit(repo, parent, changes, "m\n")]
    assert commit.tree.id == _index_tree(repo, parent, changes)
    assert commit.tree["tool.sh"].filemode == pygit2.enums.FileMode.BLOB_EXECUTABLE
    assert commit.parents[0].id == parent.id
    assert subprocess.run(["git", "-C", repo.workdir, "fsck", "--no-dangling"], capture_output=True).returncode == 0


@pytest.mark.parametrize("path", ["domains/x", "a.md/inside.md", "../out.md", ".git/config", "/abs.md"])
def test_refused_paths_write_no_tree(tmp_path, path):
    repo, parent = _repo(tmp_path)
    with pytest.raises(BranchError):
        write_commit(repo, parent, {path: b"x\n"}, "m\n")


def test_update_branch_is_compare_and_swap(tmp_path):
    repo, parent = _repo(tmp_path)
    first = write_commit(repo, parent, {"b.md": b"1\n"}, "one\n")
    second = write_commit(repo, parent, {"b.md": b"2\n"}, "two\n")
    update_branch(repo, "extract/b", first, None, reason="teleo: one")
    with pytest.raises(BranchConflict):
        update_branch(repo, "extract/b", second, None)  # must not exist
    with pytest.raises(BranchConflict):
        update_branch(repo, "extract/b", second, str(parent.id))  # not where it was read
    update_branch(repo, "extract/b", second, first)
    assert str(repo.references["refs/heads/extract/b"].target) == second
    with pytest.raises(BranchConflict):
        update_branch(repo, "extract/gone", second, first)  # expected to exist
    log = subprocess.run(["git", "-C", repo.workdir, "reflog", "show", "extract/b"], capture_output=True, text=True).stdout
    assert "teleo: one" in log


def test_a_stale_lock_of_a_killed_worker_is_cleared_a_fresh_one_is_not(tmp_path):
    import os
    import time

    repo, parent = _repo(tmp_path)
    commit = write_commit(repo, parent, {"b.md": b"1\n"}, "one\n")
    lock = tmp_path / "r" / ".git" / "refs" / "heads" / "extract" / "b.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    with pytest.raises(BranchError):
        update_branch(repo, "extract/b", commit, None)  # a live writer may hold it: refused, lock kept
    assert lock.exists()
    old = time.time() - 60
    os.utime(lock, (old, old))
    update_branch(repo, "extract/b", commit, None)  # left by a killed worker: cleared, then swapped
    assert str(repo.references["refs/heads/extract/b"].target) == commit and not lock.exists()
    main_lock = tmp_path / "r" / ".git" / "refs" / "heads" / "main.lock"
    main_lock.write_text("")
    os.utime(main_lock, (old, old))
    with pytest.raises(BranchError):
        update_branch(repo, "main", commit, str(parent.id))  # never for main
    assert main_lock.exists()
