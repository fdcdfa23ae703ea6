"""Two `teleo run` processes on one vault, one SIGKILLed at random moments: the shared harness.

Used by tests/review/test_concurrent_runs.py and bench/merge_race_bench.py. The field notes
below were written for these tests (fictional places and figures); nothing is copied from a corpus.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from teleo.gates import Severity, check
from teleo.repo.branches import tip
from teleo.vault.tree import TreeVault
from teleo.repo.discover import open_repository
from teleo.repo.mainline import commit_onto
from teleo.repo.trailers import trailer
from teleo.vault import Vault

NOTES: list[tuple[str, str, str]] = [
    ("ai-alignment", "Lighthouse labs audit of chatbot refusals",
     ("Lighthouse Labs replayed nine thousand customer chats through three assistant versions and found that the newest version refused 14 percent fewer legitimate billing questions.\n"
      "The auditors traced most refusals to a single overbroad rule about account numbers, which the vendor rewrote after the audit.")),
    ("health", "Northfield dialysis transport pilot",
     ("In the Northfield pilot, patients offered a booked taxi to dialysis missed 31 percent fewer sessions than patients left to arrange their own rides.\n"
      "Savings on emergency admissions paid for the taxis within eleven months, according to the county's finance office.")),
    ("internet-finance", "Quarry exchange fee rebate study",
     ("When the Quarry exchange paid rebates to market makers on thinly traded pairs, quoted spreads narrowed by half within six weeks.\n"
      "Spreads widened again within days of the rebate ending, suggesting the liquidity was rented rather than built.")),
    ("ai-alignment", "Marsh county benefits triage model",
     ("Marsh County's benefits office let a scoring model reorder its appeal queue, and appeals from applicants over seventy waited twice as long as before.\n"
      "Caseworkers noticed the pattern only after a local newspaper compared waiting times by age group.")),
    ("health", "Ridgeway pharmacy blister packs",
     ("Ridgeway pharmacies that switched elderly customers to weekly blister packs recorded a drop of one fifth in medication-related falls over two winters.\n"
      "Pharmacists said the packs mattered less than the weekly conversation that came with collecting them.")),
    ("internet-finance", "Tallow cooperative stablecoin payroll",
     ("The Tallow growers' cooperative paid seasonal pickers in a dollar stablecoin and cut remittance fees from nine percent to under one percent.\n"
      "Pickers without smartphones relied on a cooperative clerk to cash out, which recreated a bottleneck the scheme meant to remove.")),
    ("ai-alignment", "Fenwick translation post-editing trial",
     ("Professional translators at Fenwick who post-edited machine drafts finished contracts forty percent faster but introduced more terminology errors in legal clauses.\n"
      "Error rates fell back to the old level once reviewers received a glossary checker alongside the drafts.")),
    ("health", "Alder valley school vision screening",
     ("Alder Valley schools that screened every pupil's eyesight each autumn found uncorrected short sight in one child in eight, twice the district's earlier estimate.\n"
      "Reading scores of children given free glasses rose within a year, while those who declined the glasses saw no change.")),
]
ENV = {"NO_COLOR": "1", "GIT_AUTHOR_NAME": "Race", "GIT_AUTHOR_EMAIL": "race@example.org",
       "GIT_COMMITTER_NAME": "Race", "GIT_COMMITTER_EMAIL": "race@example.org"}


def make_source(number: int, seed: int = 0) -> tuple[str, str]:
    """The `number`th field note (fictional); `seed` only varies its file name."""
    domain, title, content = NOTES[number % len(NOTES)]
    day = f"2026-05-{number % 28 + 1:02d}"
    text = f"""---
type: source
title: "{title}"
author: "Field Desk"
url: https://example.org/field/{seed}/{number}
date: {day}
domain: {domain}
format: report
status: unprocessed
---

# {title}

## Content

{content}
"""
    return f"inbox/archive/{day}-field-{seed}-{number}.md", text


def add_sources(vault: Vault, files: dict[str, str]) -> None:
    """Commit new sources on main the way every Teleo write does: compare-and-swap, no working tree."""
    repo = open_repository(vault.root)
    commit_onto(repo, "refs/heads/main", lambda base: {p: t.encode() for p, t in files.items()},
                f"ingest: {len(files)} field notes\n")


_LOGS: list[Path] = []


def teleo(root: Path, *args: str) -> subprocess.Popen:
    """`teleo <args>` in its own session (so a kill reaches its workers), output to a log beside the vault."""
    log = root.parent / "race-logs" / f"{len(_LOGS):03d}-{'-'.join(args)}.log"
    log.parent.mkdir(exist_ok=True)
    _LOGS.append(log)
    handle = open(log, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([sys.executable, "-m", "teleo.cli.app", *args, "--format", "json"], cwd=root,
                               env={**os.environ, **ENV}, stdout=handle, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    process.log = log  # type: ignore[attr-defined]
    handle.close()
    return process


def _tail(process: subprocess.Popen) -> str:
    return process.log.read_text(errors="replace")[-1500:]  # type: ignore[attr-defined]


@dataclass
class RaceStats:
    rounds: int = 0
    kills_mid_run: int = 0
    """Kills that landed while the victim was still running."""
    merges: int = 0
    commits_checked: int = 0
    new_errors: list[str] = field(default_factory=list)
    double_merges: list[str] = field(default_factory=list)
    lost_merges: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


def errors_at(vault: Vault, commit) -> set[tuple[str, str, str]]:
    tree = TreeVault.at(vault, commit)
    return {(f.file, f.rule, f.message) for f in check(tree).findings if f.severity is Severity.ERROR}


def main_states(repo, start: str) -> list:
    """Every commit main has pointed at since `start`, oldest first (CAS writes keep the first-parent chain)."""
    out, commit = [], tip(repo, "refs/heads/main")
    while str(commit.id) != start:
        out.append(commit)
        commit = commit.parents[0]
    return list(reversed(out))


def race(root: Path, *, rounds: int, per_round: int, seed: int, kill_window: tuple[float, float]) -> RaceStats:
    """`rounds` times: add sources, extract them, start two `teleo run`s and SIGKILL one at a random moment."""
    rng = random.Random(seed)
    stats = RaceStats()
    started = time.perf_counter()
    vault = Vault.open(root)
    repo = open_repository(root)
    start = str(tip(repo, "refs/heads/main").id)
    baseline = errors_at(vault, tip(repo, "refs/heads/main"))
    checked = start
    number = 0
    for _ in range(rounds):
        add_sources(vault, dict(make_source(number + i, seed) for i in range(per_round)))
        number += per_round
        extract = teleo(root, "run", "--until", "extract")
        if extract.wait(timeout=900) != 0:
            stats.errors.append(f"extract: {_tail(extract)}")
        victim, survivor = teleo(root, "run"), teleo(root, "run")
        time.sleep(rng.uniform(*kill_window))
        if victim.poll() is None:
            stats.kills_mid_run += 1
        try:
            os.killpg(victim.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it had already finished
        victim.wait()
        if survivor.wait(timeout=900) != 0:
            stats.errors.append(f"survivor: {_tail(survivor)}")
        stats.rounds += 1
        for commit in main_states(repo, checked):
            stats.commits_checked += 1
            extra = errors_at(vault, commit) - baseline
            stats.new_errors += [f"{str(commit.id)[:12]}: {e}" for e in sorted(extra)]
            checked = str(commit.id)
    final = teleo(root, "run")
    if final.wait(timeout=900) != 0:
        stats.errors.append(f"final run: {_tail(final)}")
    for commit in main_states(repo, checked):
        stats.commits_checked += 1
        stats.new_errors += [f"{str(commit.id)[:12]}: {e}" for e in sorted(errors_at(vault, commit) - baseline)]
    merged = [trailer(c.message or "", "Teleo-Proposal") for c in main_states(repo, start) if len(c.parents) == 2]
    stats.merges = len(merged)
    stats.double_merges = sorted({b for b in merged if merged.count(b) > 1})
    stats.lost_merges = lost_merges(root, set(merged))
    stats.elapsed_s = time.perf_counter() - started
    return stats


def lost_merges(root: Path, merged: set[str | None]) -> list[str]:
    """Merge commits that were built but never reached main, whose proposal is not on main either."""
    out = subprocess.run(["git", "-C", str(root), "fsck", "--unreachable", "--no-reflogs"], capture_output=True,
                         text=True, check=False).stdout
    repo = open_repository(root)
    lost = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "commit":
            commit = repo[parts[2]]
            branch = trailer(commit.message or "", "Teleo-Proposal")
            if branch and len(commit.parents) == 2 and branch not in merged:
                lost.append(branch)
    return sorted(set(lost))


def source_statuses(vault: Vault) -> dict[str, str]:
    """Source path → status on main's tip."""
    tree = TreeVault.at(vault, "main")
    return {p: str(tree.note(p).data.get("status")) for p in tree.markdown_paths() if p.startswith("inbox/archive/")}
