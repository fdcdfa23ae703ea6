"""Throughput of the review stage against extraction of the same proposals, and who reviewed what.

    python bench/review_bench.py [--corpus PATH] [--workers 2] [--repeat 1] [--max-ratio 2.0]

Each repeat copies the corpus to a temporary folder, makes it a git repository (one commit on
`main`), then times, one after the other, on the same proposals and with the offline provider:

1. `teleo extract --workers W` — every unprocessed source → a proposal branch (the baseline);
2. `teleo review --format json` — gates, reviewer selection, reviewers and verdicts of every
   open proposal;
3. `teleo merge --dry-run --format json` — the merge gate of every open proposal, nothing merged.

It prints wall-clock and CPU seconds (user + system of the command and its children) of each,
and the ratios review / extract and merge --dry-run / extract; with several repeats, the median
of each. **PASS** when review's wall-clock time is at most `--max-ratio` (2) times extraction's,
and when no agent reviewed a domain its territory has no links into (below); exit 1 otherwise.

**Reviewer fit** (issue 19): from the review's JSON, the peer reviews per (domain, agent) with
the links of those proposals' claims into the agent's territory, and — as a second witness — the
links from that domain's notes on main into the agent's territory. A row with peer reviews and
neither kind of link is a FAIL: that agent reviewed a domain its territory has no links into.
Also printed: verdicts by status and how many proposals the evaluator reviewed alone.

Nothing is written outside the temporary folder (the corpus is only read).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

def default_corpus() -> Path:
    """`$TELEO_CORPUS`, else `shared/corpora/teleo-codex` beside the checkout (or beside its worktrees' folder)."""
    if os.environ.get("TELEO_CORPUS"):
        return Path(os.environ["TELEO_CORPUS"])
    here = Path(__file__).resolve()
    candidates = [here.parents[n] / "shared/corpora/teleo-codex" for n in (2, 3)]
    return next((c for c in candidates if c.is_dir()), candidates[0])


DEFAULT_CORPUS = default_corpus()
GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}


@dataclass
class Timed:
    wall: float
    cpu: float
    stdout: str


@dataclass
class Run:
    extract: Timed
    review: Timed
    merge: Timed
    vault: Path
    notes: list[str] = field(default_factory=list)


def env() -> dict[str, str]:
    return {**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": "200"}


def timed(args: list[str], cwd: Path) -> Timed:
    """Run `teleo ARGS` in `cwd`; wall-clock and CPU seconds of the process and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "teleo.cli.app", *args], cwd=cwd, env=env(), capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1) or "Traceback" in result.stderr:
        raise SystemExit(f"teleo {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall=wall, cpu=cpu, stdout=result.stdout)


def prepare(corpus: Path, target: Path) -> None:
    shutil.copytree(corpus, target, ignore=shutil.ignore_patterns(".git", ".teleo"))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "corpus"]):
        subprocess.run(["git", "-C", str(target), *args], check=True, env=env(), capture_output=True)


def one_run(corpus: Path, folder: Path, workers: int) -> Run:
    vault = folder / "vault"
    prepare(corpus, vault)
    extract = timed(["extract", "--workers", str(workers)], vault)
    review = timed(["review", "--format", "json"], vault)
    merge = timed(["merge", "--dry-run", "--format", "json"], vault)
    return Run(extract=extract, review=review, merge=merge, vault=vault)


def fit_rows(vault: Path, payload: dict) -> list[dict]:
    """The review's peer counts, each with the links from its domain's notes on main into the peer's territory."""
    from teleo.extract.writer import inside
    from teleo.notes import find_links
    from teleo.review.selection import SHARED_FOLDERS
    from teleo.vault import Vault

    opened = Vault.open(vault)
    config = opened.config
    rows = payload.get("peers", [])
    wanted = {(row["domain"], row["agent"]) for row in rows}
    domain_links: Counter = Counter()
    if wanted:
        territories = {agent: [f for f in config.territory(agent) if f not in SHARED_FOLDERS] for _, agent in wanted}
        for path in opened.markdown_paths():
            domain = config.domain_of_folder(path.rsplit("/", 1)[0])
            agents = [agent for d, agent in wanted if d == domain]
            if not agents:
                continue
            note = opened.note(path)
            for link in find_links(note.doc):
                target = opened.resolver.resolve(link.target, path).path
                for agent in agents:
                    if target and target != path and inside(target, territories[agent]):
                        domain_links[(domain, agent)] += 1
    return [{**row, "domain_links": domain_links[(row["domain"], row["agent"])]} for row in rows]


def report_fit(run: Run) -> bool:
    payload = json.loads(run.review.stdout)
    reviews = payload["reviews"]
    statuses = Counter(r["status"] for r in reviews)
    selected = [r for r in reviews if r.get("selection")]
    alone = sum(1 for r in selected if not any(s["role"] == "peer" for s in r["selection"]["slots"]))
    print(f"\nverdicts: {len(reviews)} proposals — " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(statuses.items())))
    print(f"reviewer selection: {len(selected)} reached the reviewers; {alone} reviewed by the evaluator alone "
          "(no fitting peer)")
    rows = fit_rows(run.vault, payload)
    print("\npeer reviews per (domain, agent):")
    print(f"  {'domain':<28} {'peer':<10} {'reviews':>7} {'links':>6} {'domain links':>13}  basis")
    ok = True
    for row in rows:
        unfit = row["reviews"] and not row["links"] and not row["domain_links"]
        ok &= not unfit
        print(f"  {row['domain']:<28} {row['agent']:<10} {row['reviews']:>7} {row['links']:>6} {row['domain_links']:>13}  "
              f"{', '.join(row['bases'])}{'  ← FAIL: no links into its territory' if unfit else ''}")
    if not rows:
        print("  (none)")
    print("  links: the reviewed proposals' claims into the peer's territory; domain links: the domain's notes on main")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=2, help="extraction worker processes (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="fresh copies to time; medians are reported")
    parser.add_argument("--max-ratio", type=float, default=2.0, help="review wall-clock / extract wall-clock allowed")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus} (set --corpus or TELEO_CORPUS)")
        return 1
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="teleo-review-bench-") as tmp:
        for number in range(args.repeat):
            run = one_run(args.corpus, Path(tmp) / f"run-{number}", args.workers)
            runs.append(run)
            extract, review, merge = run.extract, run.review, run.merge
            print(f"run {number + 1}: extract {extract.wall:6.1f} s wall {extract.cpu:6.1f} s CPU · "
                  f"review {review.wall:6.1f} s wall {review.cpu:6.1f} s CPU · "
                  f"merge --dry-run {merge.wall:6.1f} s wall {merge.cpu:6.1f} s CPU · "
                  f"review/extract {review.wall / extract.wall:4.2f}")
        fit_ok = report_fit(runs[-1])
    med = {stage: (statistics.median(getattr(r, stage).wall for r in runs),
                   statistics.median(getattr(r, stage).cpu for r in runs)) for stage in ("extract", "review", "merge")}
    ratio = statistics.median(r.review.wall / r.extract.wall for r in runs)
    merge_ratio = statistics.median(r.merge.wall / r.extract.wall for r in runs)
    cpu_ratio = statistics.median(r.review.cpu / max(r.extract.cpu, 1e-9) for r in runs)
    proposals = len(json.loads(runs[-1].review.stdout)["reviews"])
    print(f"\nmedian of {len(runs)} run(s), {proposals} proposals, extraction with {args.workers} worker(s):")
    for stage, label in (("extract", "teleo extract"), ("review", "teleo review"), ("merge", "teleo merge --dry-run")):
        wall, cpu = med[stage]
        print(f"  {label:<22} {wall:7.1f} s wall  {cpu:7.1f} s CPU  {1000 * wall / max(proposals, 1):6.0f} ms/proposal")
    print(f"  review / extract       {ratio:7.2f} × wall  {cpu_ratio:5.2f} × CPU   (limit {args.max_ratio:.1f} × wall)")
    print(f"  merge --dry-run / extract {merge_ratio:4.2f} × wall")
    passed = ratio <= args.max_ratio and fit_ok
    print("PASS" if passed else "FAIL" + ("" if ratio <= args.max_ratio else f": review takes {ratio:.2f}× extraction")
          + ("" if fit_ok else ": an agent reviewed a domain its territory has no links into"))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
