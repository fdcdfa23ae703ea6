"""Two `teleo run` processes at once on the sample vault, one SIGKILLed at random moments, several times."""

from __future__ import annotations

import subprocess

import pytest
from race import race, source_statuses
from review_helpers import git

from teleo.vault import Vault


@pytest.mark.slow
def test_killed_runs_lose_no_merge_and_never_merge_twice(sample_vault):
    from conftest import git_init

    git_init(sample_vault)
    done_before = sum(1 for status in source_statuses(Vault.open(sample_vault)).values() if status != "unprocessed")
    stats = race(sample_vault, rounds=4, per_round=2, seed=7, kill_window=(0.1, 1.2))
    print(f"\nrace: {stats.rounds} rounds, {stats.kills_mid_run} kills mid-run, {stats.merges} merges, "
          f"{stats.commits_checked} main states linted, {stats.elapsed_s:.1f} s")
    assert not stats.errors, stats.errors
    assert stats.double_merges == []
    assert stats.lost_merges == []
    assert stats.new_errors == []  # main is a valid vault after every merge (every state main was in)

    # every source reached main; nothing is left open; the working tree caught up; git is sound
    statuses = source_statuses(Vault.open(sample_vault))
    assert set(statuses.values()) <= {"processed", "null-result", "None"}, statuses
    # one merge per source that was waiting (archived, dropped in inbox/queue/ or added by the race)
    assert stats.merges == len(statuses) - done_before
    assert "extract/" not in git(sample_vault, "branch", "--list")
    assert git(sample_vault, "status", "--porcelain") == ""
    fsck = subprocess.run(["git", "-C", str(sample_vault), "fsck", "--no-dangling"], capture_output=True, text=True, check=False)
    assert fsck.returncode == 0, fsck.stderr
