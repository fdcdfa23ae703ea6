"""A checked-out main's working tree follows every move of main, however many, or stays exactly as it was.

Issue 12 point 1: after 233 first-parent commits `teleo merge` left the working tree behind, said
"the index has staged changes" though nothing was staged, and `git status` showed every merge
reverted. Here: hundreds of merges in one run, runs SIGKILLed at random moments and rerun, local
edits (staged, unstaged, untracked) carried along or, when in the way, left untouched with a
message whose commands really do repair it.
"""

from __future__ import annotations

import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from bulk import ENV, SIGNATURE, bulk_vault, data, fast_import, teleo
from review_helpers import (
    EXISTING,
    EXISTING_TEXT,
    SOURCE,
    git,
    good_files,
    main_files,
    make_proposal,
    make_review_vault,
)

from teleo.repo.branches import tip
from teleo.repo.discover import open_repository
from teleo.repo.mainline import merge_into, sync_worktree
from teleo.repo.trailers import trailer
from teleo.repo import worktree
from teleo.repo.worktree import shell_line
from teleo.review import merge_all, review

MAIN = "refs/heads/main"
EXISTING_PATH = f"domains/ai-alignment/{EXISTING}.md"
NEW_PATH = "domains/ai-alignment/assistants sold by subscription ask fewer follow-up questions.md"


def merge_branch(root: Path, branch: str) -> str:
    """What a merge run does to main before it is killed: the ref moves, the working tree does not (yet)."""
    repo = open_repository(root)
    head = str(repo.references[f"refs/heads/{branch}"].target)
    return merge_into(repo, MAIN, head, f"Merge {branch}\n\nTeleo-Proposal: {branch}\nTeleo-Head: {head}\n").commit


def worktree_is_main(root: Path) -> None:
    """The index and every file of the working tree are exactly main's tip: nothing staged, edited or extra."""
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(root, "rev-parse", "HEAD") == git(root, "rev-parse", "main")
    assert set(git(root, "ls-files").splitlines()) == main_files(root)


def fsck_clean(root: Path) -> None:
    fsck = subprocess.run(["git", "-C", str(root), "fsck", "--full", "--no-dangling"], capture_output=True, text=True,
                          check=False)
    assert fsck.returncode == 0 and not fsck.stdout.strip() and "error" not in fsck.stderr, fsck.stdout + fsck.stderr


def run_fix(root: Path, commands: list[str]) -> None:
    """Run the commands a refusal printed, as a person would paste them into a shell."""
    env = {**os.environ, **ENV, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    script = shell_line(commands)
    result = subprocess.run(["bash", "-c", script], cwd="/", capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"


# -- many merges ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moved_250(tmp_path_factory) -> Path:
    """A vault whose checked-out main moved 250 times while its working tree stayed behind: one merge by
    compare-and-swap (which records where the index is), then 249 commits written straight onto main."""
    root = tmp_path_factory.mktemp("many") / "v"
    vault = make_review_vault(root)
    make_proposal(vault, "extract/note-000", {"domains/health/note 000.md": "# note 0\n"})
    merge_branch(root, "extract/note-000")
    stream = []
    for number in range(1, 250):
        stream += ["commit refs/heads/main", f"committer {SIGNATURE}", data(f"note {number}\n"),
                   f"M 100644 inline domains/health/note {number:03d}.md", data(f"# note {number}\n")]
    fast_import(root, [f"reset refs/heads/main\nfrom {git(root, 'rev-parse', 'main').strip()}", *stream])
    return root


@pytest.mark.parametrize("record", ["kept", "lost"])
def test_the_working_tree_catches_up_with_250_moves_of_main(moved_250, tmp_path, record):
    root = tmp_path / "v"
    shutil.copytree(moved_250, root, symlinks=True)
    assert git(root, "rev-list", "--count", "--first-parent", "main").strip() == "251"
    if record == "lost":  # a repository left behind by a Teleo that kept no record: the index alone says where it is
        for path in (root / ".git").glob("teleo-worktree-base*"):
            path.unlink()
    synced = sync_worktree(open_repository(root), MAIN)
    assert synced.status == "updated", synced.message
    worktree_is_main(root)
    assert (root / "domains/health/note 249.md").read_text() == "# note 249\n"


@pytest.mark.slow
def test_one_teleo_merge_of_250_proposals_leaves_the_working_tree_on_main(tmp_path):
    _, branches = bulk_vault(tmp_path / "v", 250)
    root = tmp_path / "v"
    log = tmp_path / "merge.log"
    run = teleo(root, "merge", "--format", "json", log=log)
    assert run.wait(timeout=600) == 0, log.read_text()[-3000:]
    report = json.loads(log.read_text())
    assert sum(m["status"] == "merged" for m in report["merges"]) == 250
    assert "not moved" not in report["worktree"] and report["worktree"].startswith("working tree"), report["worktree"]
    worktree_is_main(root)
    merged = [trailer(c.message, "Teleo-Proposal") for c in first_parents(root) if len(c.parents) == 2]
    assert sorted(merged) == branches


def first_parents(root: Path) -> list:
    repo = open_repository(root)
    commit, out = tip(repo, MAIN), []
    while commit.parents:
        out.append(commit)
        commit = commit.parents[0]
    return out


@pytest.mark.slow
def test_teleo_merge_killed_at_random_moments_then_rerun_merges_each_once_and_leaves_git_clean(tmp_path):
    """The kill matrix: SIGKILL `teleo merge` (the process, or its whole group) at seeded random moments
    during 200 merges — after a random number of merges plus a random fraction of one, and once right
    after the last merge, while it catches the working tree up — and rerun it until it is done: each
    proposal merged once, the working tree on main, `git status` clean, `git fsck --full` clean."""
    _, branches = bulk_vault(tmp_path / "v", 200)
    root = tmp_path / "v"
    log = tmp_path / "merge.log"
    rng = random.Random(12)
    targets = [*sorted(rng.sample(range(5, 195), 5)), 200]
    landed = []
    for number, target in enumerate(targets):
        run = teleo(root, "merge", "--format", "json", log=log)
        while run.poll() is None and merged_so_far(root, len(branches)) < target:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.1))
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL) if number % 2 else os.kill(run.pid, signal.SIGKILL)
            landed.append(merged_so_far(root, len(branches)))
        run.wait()
    assert len(landed) >= 5, f"kills landed after {landed} merges"  # the rest finished before the kill
    for reruns in range(1, 4):
        run = teleo(root, "merge", "--format", "json", log=log)
        assert run.wait(timeout=600) == 0, log.read_text()[-3000:]
        if merged_so_far(root, len(branches)) == len(branches):
            break
    print(f"\nkill matrix: SIGKILLs after {landed} of {len(branches)} merges, then {reruns} rerun(s)")
    merged = collections.Counter(trailer(c.message, "Teleo-Proposal") for c in first_parents(root)
                                 if len(c.parents) == 2)
    assert merged == collections.Counter(branches)  # every proposal merged, none twice
    assert "extract/" not in git(root, "branch", "--list")
    worktree_is_main(root)
    fsck_clean(root)


def merged_so_far(root: Path, count: int) -> int:
    """Proposals whose branch is gone (deleted right after its merge): cheap enough to poll.

    git removes the folder with its last branch, possibly between any two calls here, so a
    missing folder is read as "no branch left" rather than checked for first.
    """
    folder = root / ".git" / "refs" / "heads" / "extract"
    try:
        return count - len(os.listdir(folder))
    except FileNotFoundError:
        return count


# -- local changes ---------------------------------------------------------------------------


def test_staged_and_unstaged_changes_elsewhere_are_carried_to_main(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    root = vault.root
    (root / "notes-of-mine.md").write_text("# mine, staged\n")
    git(root, "add", "notes-of-mine.md")
    (root / "agents/rio/identity.md").write_text("# Rio\n\nEdited, not staged.\n")
    for number in range(3):
        make_proposal(vault, f"extract/n{number}", {f"domains/health/n{number}.md": f"# n{number}\n"})
        merge_branch(root, f"extract/n{number}")
    synced = sync_worktree(open_repository(root), MAIN)
    assert synced.status == "updated", synced.message
    assert sorted(git(root, "status", "--porcelain").splitlines()) == [" M agents/rio/identity.md", "A  notes-of-mine.md"]
    assert (root / "domains/health/n2.md").exists()


def test_changes_in_the_way_are_left_untouched_and_the_printed_fix_catches_up_and_keeps_them(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    root = vault.root
    changed = EXISTING_TEXT.replace("confidence: experimental", "confidence: likely")
    make_proposal(vault, "extract/one", {EXISTING_PATH: changed, NEW_PATH: "# new on main\n"})
    merge_branch(root, "extract/one")
    # meanwhile the person edits the claim main changed, and writes a file where main added one
    mine = EXISTING_TEXT + "\nMy own closing remark.\n"
    (root / EXISTING_PATH).write_text(mine)
    (root / NEW_PATH).write_text("# my draft\n")
    index_before = git(root, "ls-files", "-s")

    synced = sync_worktree(open_repository(root), MAIN)
    assert synced.status == "refused"
    assert (root / EXISTING_PATH).read_text() == mine and (root / NEW_PATH).read_text() == "# my draft\n"
    assert git(root, "ls-files", "-s") == index_before  # nothing moved
    assert EXISTING_PATH in synced.message and NEW_PATH in synced.message
    assert "git commit" in synced.message  # the warning: a commit now would undo main's merge
    assert "reset --keep" not in synced.message

    run_fix(root, synced.fix)
    # main's changes are in the working tree, the edit is re-applied on top, the draft set aside
    assert git(root, "diff", "HEAD", "--", EXISTING_PATH).count("\n+My own closing remark.") == 1
    assert (root / EXISTING_PATH).read_text() == changed + "\nMy own closing remark.\n"
    assert (root / NEW_PATH).read_text() == "# new on main\n"
    assert sorted(p.name for p in (root / NEW_PATH).parent.glob("*.mine")) == [Path(NEW_PATH).name + ".mine"]
    status = git(root, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(line[3:].strip('"') for line in status) == sorted([EXISTING_PATH, NEW_PATH + ".mine"])


def test_a_proposal_whose_files_have_local_edits_is_not_merged_until_they_are_committed_or_stashed(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    root = vault.root
    make_proposal(vault, "extract/audit", good_files())
    review(vault, "extract/audit")
    before = git(root, "rev-parse", "main")
    (root / SOURCE).write_text((root / SOURCE).read_text() + "\nA note of my own.\n")  # a file the merge changes
    report = merge_all(vault)
    assert [m.status for m in report.merges] == ["not_ready"]
    assert SOURCE in report.merges[0].reasons[0] and "git stash" in report.merges[0].reasons[0]
    assert git(root, "rev-parse", "main") == before  # nothing moved
    assert (root / SOURCE).read_text().endswith("A note of my own.\n")

    git(root, "stash")  # the fix the reason gives
    report = merge_all(vault)
    assert [m.status for m in report.merges] == ["merged"]
    worktree_is_main(root)
    git(root, "stash", "pop")
    text = (root / SOURCE).read_text()
    assert "status: processed" in text and text.endswith("A note of my own.\n")


def test_while_the_working_tree_cannot_catch_up_nothing_more_is_merged_and_the_printed_fix_finishes(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    root = vault.root
    make_proposal(vault, "extract/one", {EXISTING_PATH: EXISTING_TEXT.replace("experimental", "likely")})
    merge_branch(root, "extract/one")  # a run killed after the swap
    (root / EXISTING_PATH).write_text(EXISTING_TEXT + "\nmine\n")  # and an edit in the way of it
    make_proposal(vault, "extract/audit", good_files())
    review(vault, "extract/audit")
    before = git(root, "rev-parse", "main")

    text = teleo_cli(root, "merge")
    assert text.returncode == 1  # the working tree was left behind: not a success
    assert git(root, "rev-parse", "main") == before  # nothing merged
    assert "nothing was merged" in text.stdout and EXISTING_PATH in text.stdout
    as_json = teleo_cli(root, "merge", "--format", "json")
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and report["merges"] == [] and not report["worktree_moved"]
    same = re.compile(r"teleo-local-[0-9-]+\.patch")  # named by the second it was written
    printed = same.sub("PATCH", text.stdout)
    assert same.sub("PATCH", shell_line(report["worktree_fix"])) in printed  # whole, on one line, ready to paste
    assert "No open proposals" not in printed
    assert (root / EXISTING_PATH).read_text() == EXISTING_TEXT + "\nmine\n"

    run_fix(root, report["worktree_fix"])  # its `teleo merge` catches up, then merges the waiting proposal
    assert main_files(root) >= set(good_files())
    assert git(root, "rev-parse", "HEAD") == git(root, "rev-parse", "main") != before
    assert (root / EXISTING_PATH).read_text() == EXISTING_TEXT.replace("experimental", "likely") + "\nmine\n"
    assert [line[3:].strip('"') for line in git(root, "status", "--porcelain").splitlines()] == [EXISTING_PATH]


def test_a_record_left_by_a_sync_killed_before_removing_it_does_not_mislead_the_next_one(tmp_path):
    """Killed after `git read-tree` but before the record was removed, then main moved again: the index,
    not the stale record, says where the working tree is (here main's newest commit undoes a change the
    stale record predates, which a sync from the record would leave behind)."""
    vault = make_review_vault(tmp_path / "v")
    root = vault.root
    first = git(root, "rev-parse", "main").strip()
    make_proposal(vault, "extract/one", {EXISTING_PATH: EXISTING_TEXT.replace("experimental", "likely")})
    merge_branch(root, "extract/one")
    assert sync_worktree(open_repository(root), MAIN).status == "updated"
    (root / ".git" / "teleo-worktree-base").write_text(first + "\n")  # the stale record
    make_proposal(vault, "extract/two", {EXISTING_PATH: EXISTING_TEXT})  # back to the first text
    merge_branch(root, "extract/two")
    synced = sync_worktree(open_repository(root), MAIN)
    assert synced.status == "updated", synced.message
    worktree_is_main(root)
    assert (root / EXISTING_PATH).read_text() == EXISTING_TEXT


def teleo_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "teleo.cli.app", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **ENV}, check=False, timeout=300)


def test_a_ctrl_c_during_an_index_write_waits_for_git_instead_of_killing_it(tmp_path, monkeypatch):
    """A git killed while it writes the index leaves `index.lock` behind, and every later git command fails."""
    repo = open_repository(make_review_vault(tmp_path / "v").root)
    bin_dir, done = tmp_path / "bin", tmp_path / "git-finished"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(f"#!/bin/sh\nsleep 0.6\ntouch '{done}'\n")
    (bin_dir / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    timer = threading.Timer(0.2, signal.pthread_kill, args=(threading.main_thread().ident, signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        worktree._git_writing(repo, "read-tree", "-m", "-u", "HEAD", "HEAD")
    timer.join()
    assert done.exists()  # git ran to its end before the interrupt reached Teleo
