"""Merges under fire: two `teleo run` processes on one vault, one SIGKILLed at random moments.

    python bench/merge_race_bench.py [--rounds 8] [--per-round 2] [--seed 1] [--threads 4] [--proposals 24]

**Race** (the harness of tests/review/race.py): a copy of the sample vault with real git; each
round commits new sources on main, extracts them (`teleo run --until extract`), then starts two
`teleo run`s and SIGKILLs one (its whole process group) after a random delay; a final run
finishes the work. Reported: kills that landed mid-run, merges, double merges, lost merges
(merge commits built but never on main whose proposal is not on main either), main states
linted and the new errors found in them (every state main was in — CAS writes keep the
first-parent chain), and the time against a **baseline**: the same sources taken to main by
one uninterrupted `teleo run` per round, measured in the same invocation.

**CAS merges in process**: `--proposals` proposal heads merged into main by `--threads`
threads at once (each head twice), against the same merges done one after another: merges
per second, retries (lost swaps) per merge, and the check that each head is on main once.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "review"))
sys.path.insert(0, str(REPO / "tests"))

from race import add_sources, make_source, race, teleo

from teleo.repo.branches import tip, update_branch, write_commit
from teleo.repo.discover import open_repository
from teleo.repo.mainline import merge_into
from teleo.vault import Vault

SAMPLE = REPO / "examples" / "sample-vault"


def fresh_vault(folder: Path) -> Path:
    root = folder / "v"
    shutil.copytree(SAMPLE, root)
    env = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.org", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "b@example.org"}
    import os

    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "initial"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env={**os.environ, **env})
    return root


def baseline(rounds: int, per_round: int, seed: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = fresh_vault(Path(tmp))
        vault = Vault.open(root)
        started = time.perf_counter()
        number = 0
        for _ in range(rounds):
            add_sources(vault, dict(make_source(number + i, seed) for i in range(per_round)))
            number += per_round
            teleo(root, "run", "--until", "extract").wait()
            teleo(root, "run").wait()
        teleo(root, "run").wait()
        return time.perf_counter() - started


def cas_merges(proposals: int, threads: int) -> bool:
    """Print merges per second one after another and from threads at once; whether every head
    landed on main exactly once both ways."""
    every_once = True
    for label, workers in (("one after another", 1), (f"{threads} threads at once", threads)):
        with tempfile.TemporaryDirectory() as tmp:
            root = fresh_vault(Path(tmp))
            repo = open_repository(root)
            base = tip(repo, "refs/heads/main")
            heads = []
            for number in range(proposals):
                commit = write_commit(repo, base, {f"domains/health/bench note {number}.md": f"# note {number}\n".encode()},
                                      f"vida: bench {number}\n")
                update_branch(repo, f"extract/bench-{number}", commit, None)
                heads.append(commit)
            results = []
            queue = list(heads) + (list(heads) if workers > 1 else [])

            def work(root: Path = root, queue: list = queue, results: list = results) -> None:
                local = open_repository(root)
                while queue:
                    try:
                        head = queue.pop()
                    except IndexError:
                        return
                    results.append(merge_into(local, "refs/heads/main", head, f"Merge {head[:8]}\n"))

            started = time.perf_counter()
            pool = [threading.Thread(target=work) for _ in range(workers)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            elapsed = time.perf_counter() - started
            merged = [r for r in results if r.status == "merged"]
            log = subprocess.run(["git", "-C", str(root), "log", "--merges", "--format=%P", "main"], capture_output=True,
                                 text=True, check=False).stdout.split("\n")
            on_main = sorted(line.split()[1] for line in log if line.strip())
            retries = sum(r.attempts - 1 for r in merged)
            print(f"  {label:<22} {len(merged)} merges in {elapsed:.2f} s = {len(merged) / elapsed:.0f} merges/s; "
                  f"{retries / max(1, len(merged)):.2f} lost swaps per merge; each head on main once: "
                  f"{on_main == sorted(heads)}")
            every_once = every_once and on_main == sorted(heads)
    return every_once


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--per-round", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--proposals", type=int, default=24)
    args = parser.parse_args()

    print(f"race: {args.rounds} rounds × {args.per_round} new sources, one of two `teleo run`s SIGKILLed per round")
    with tempfile.TemporaryDirectory() as tmp:
        root = fresh_vault(Path(tmp))
        stats = race(root, rounds=args.rounds, per_round=args.per_round, seed=args.seed, kill_window=(0.05, 1.0))
    base = baseline(args.rounds, args.per_round, args.seed)
    print(f"  kills mid-run        {stats.kills_mid_run}/{stats.rounds}")
    print(f"  merges               {stats.merges}")
    print(f"  double merges        {len(stats.double_merges)}")
    print(f"  lost merges          {len(stats.lost_merges)}")
    print(f"  main states linted   {stats.commits_checked}, new errors {len(stats.new_errors)}")
    print(f"  run errors           {len(stats.errors)}")
    print(f"  time                 {stats.elapsed_s:.1f} s race vs {base:.1f} s baseline (uninterrupted, one run) "
          f"= {stats.elapsed_s / base:.2f}×")
    verdict = not (stats.double_merges or stats.lost_merges or stats.new_errors or stats.errors)
    print(f"  {'PASS' if verdict else 'FAIL'}")
    print("CAS merges in process:")
    cas_ok = cas_merges(args.proposals, args.threads)
    print(f"  {'PASS' if cas_ok else 'FAIL'}")
    return 0 if verdict and cas_ok else 1


if __name__ == "__main__":
    sys.exit(main())
