"""`Remote.fetch(only=…)`: an extraction fetches main and its source's branch names only, so a job's
fetch does not grow with every branch the shared remote holds (issue 18.6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import git_init, write_files  # noqa: E402

from teleo.repo.discover import open_repository  # noqa: E402
from teleo.repo.remote import Remote  # noqa: E402


def git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, check=True).stdout


def tracking(clone: Path) -> list[str]:
    return sorted(git(clone, "for-each-ref", "--format=%(refname:short)", "refs/remotes/origin/").split())


def test_fetch_only_brings_and_prunes_the_named_branches_alone(tmp_path):
    seed = tmp_path / "seed"
    write_files(seed, {"a.md": "# a\n"})
    git_init(seed)
    for branch in ("extract/report-1", "extract/report-1-abcd1234", "extract/report-2"):
        git(seed, "branch", branch)
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(remote))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    git(clone, "update-ref", "-d", "refs/remotes/origin/extract/report-1")  # as if never fetched
    git(clone, "update-ref", "-d", "refs/remotes/origin/extract/report-2")
    git(remote, "branch", "extract/report-3")
    shared = Remote.open(open_repository(clone), "origin")

    shared.fetch(only=("main", "extract/report-1*"))
    assert tracking(clone) == ["origin/HEAD", "origin/extract/report-1", "origin/extract/report-1-abcd1234",
                               "origin/main"]  # report-2 and report-3 not brought

    git(remote, "branch", "-D", "extract/report-1-abcd1234")
    shared.fetch()  # a whole fetch: everything, pruned
    assert "origin/extract/report-3" in tracking(clone) and "origin/extract/report-1-abcd1234" not in tracking(clone)
    git(remote, "branch", "-D", "extract/report-1", "extract/report-3")
    shared.fetch(only=("main", "extract/report-1*"))
    assert "origin/extract/report-1" not in tracking(clone)  # pruned within the names asked for
    assert "origin/extract/report-3" in tracking(clone)  # left for a whole fetch to prune
