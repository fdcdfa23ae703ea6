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


# -- durability: a proposal's objects are on disk before any ref can name them ----------------------


def _new_objects(repo: pygit2.Repository, parent: pygit2.Commit, commit: pygit2.Commit) -> set[str]:
    """The commit, and every tree and blob of its tree that its parent's tree does not have."""
    found = {str(commit.id)}

    def walk(tree: pygit2.Tree, old: pygit2.Tree | None) -> None:
        if old is not None and tree.id == old.id:
            return
        found.add(str(tree.id))
        for entry in tree:
            before = old[entry.name] if old is not None and entry.name in old else None
            if before is not None and before.id == entry.id:
                continue
            if entry.type_str == "tree":
                walk(repo[entry.id], repo[before.id] if before is not None and before.type_str == "tree" else None)
            else:
                found.add(str(entry.id))

    walk(commit.tree, parent.tree)
    return found


def _loose(repo: pygit2.Repository, oid: str):
    from pathlib import Path

    return Path(repo.path) / "objects" / oid[:2] / oid[2:]


def test_every_new_object_and_its_folder_is_fsynced_before_write_commit_returns(tmp_path, monkeypatch):
    import os

    repo, parent = _repo(tmp_path)
    synced: list[str] = []
    real = os.fsync

    def recording(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    changes = {"domains/x/new.md": b"new claim\n", "domains/z/deep/er.md": b"deep\n", "a.md": b"changed\n"}
    commit = repo[write_commit(repo, parent, changes, "m\n")]
    new = _new_objects(repo, parent, commit)
    assert len(new) >= 7  # 3 blobs, the root, domains, domains/x, domains/z, domains/z/deep, the commit
    for oid in new:
        path = _loose(repo, oid).resolve()
        assert str(path) in synced, f"{oid} not fsynced"
        assert str(path.parent) in synced, f"the folder of {oid} not fsynced"
    assert str((tmp_path / "r" / ".git" / "objects").resolve()) in synced


def test_an_object_file_left_empty_by_a_crash_is_written_again(tmp_path):
    repo, parent = _repo(tmp_path)
    data = b"the claim a crash interrupted\n"
    blob = str(pygit2.hash(data))
    path = _loose(repo, blob)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"")  # what an OS crash may leave of an object renamed into place before its fsync
    commit = write_commit(repo, parent, {"domains/x/crash.md": data}, "m\n")
    assert repo[commit].tree["domains/x/crash.md"].id == pygit2.Oid(hex=blob)
    assert path.stat().st_size > 0
    fsck = subprocess.run(["git", "-C", repo.workdir, "fsck", "--full", "--no-dangling"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def test_fsync_is_on_again_after_a_write_that_fails_midway(tmp_path, monkeypatch):
    repo, parent = _repo(tmp_path)
    calls = []
    real = pygit2.option

    def recording(option, *args):
        if option == pygit2.enums.Option.ENABLE_FSYNC_GITDIR:
            calls.append(args[0])
        return real(option, *args)

    monkeypatch.setattr(pygit2, "option", recording)
    with pytest.raises(BranchError):
        write_commit(repo, parent, {"new.md": b"fine\n", "domains/x/one.md/under.md": b"x\n"}, "m\n")  # a file as a folder
    assert calls and calls[0] == 0 and calls[-1] == 1


def test_the_unsynced_window_never_overlaps_a_durable_write_of_another_thread(tmp_path, monkeypatch):
    import threading

    from teleo.repo import branches

    repo, parent = _repo(tmp_path)
    events: list[str] = []
    real = branches._set_fsync
    monkeypatch.setattr(branches, "_set_fsync", lambda on: (events.append(f"fsync {'on' if on else 'off'}"), real(on)))

    def other() -> None:
        own = pygit2.Repository(repo.path)  # a repository object is not shared between threads
        events.append(branches.write_commit(own, own[parent.id], {"b.md": b"other thread\n"}, "m\n"))

    with branches.durable_writes():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.5)
        events.append("durable write done")
    thread.join()
    assert events.index("fsync off") > events.index("durable write done")
    assert repo[events[-1]].tree["b.md"]  # the other thread's commit was written


def test_fsync_together_waits_for_every_path_and_raises_the_first_error(tmp_path, monkeypatch):
    import os

    from teleo.repo.branches import fsync_together

    paths = [tmp_path / f"f{i}" for i in range(6)]
    for path in paths:
        path.write_text("x")
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), real(fd)))
    fsync_together(paths)
    assert sorted(synced) == sorted(str(p) for p in paths)
    with pytest.raises(FileNotFoundError):
        fsync_together([paths[0], tmp_path / "missing", paths[1]])
