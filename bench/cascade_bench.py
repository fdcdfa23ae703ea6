"""Time the cascade of one merge against a floor measured in the same run.

    python bench/cascade_bench.py [--copies 20] [--corpus PATH] [--repeat 3]

For a temporary copy of the corpus (nothing is written into the corpus itself) and a
synthetic copy of it `--copies` times over (bench/synth.py, reused from bench/out/synth-N while
its marker matches):

* floor — walk, read every .md file and regex out frontmatter and links (lint_bench's floor):
  the least any whole-vault pass can do;
* cascade — `plan_cascade` on a fresh `Vault` for the claims the most beliefs and positions rest
  on (the five with the most dependents in copy 0): graph build, walk, flag texts, link doctor.

Median of `--repeat` runs (every run listed). The cascade reads every non-source note once to
build the reverse graph, so it should stay within a small multiple of the floor (target ≤ 3×,
median over median). A target missed prints FAIL and the bench exits 1. Nothing here runs
under pytest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lint_bench import floor  # noqa: E402
from synth import REPO, default_corpus, ensure_synthetic, scratch_copy  # noqa: E402

from teleo.cascade import DependencyGraph, plan_cascade  # noqa: E402
from teleo.vault import Vault  # noqa: E402

TARGET = 3.0
HOT = 5


def hot_claims(root: Path) -> list[str]:
    """The claims with the most targets resting on them."""
    vault = Vault.open(root)
    graph = DependencyGraph.build(vault)
    counts = []
    for path in vault.markdown_paths():
        if path.startswith(("domains/", "foundations/", "core/")):
            counts.append((len(graph.reached_from(path)), path))
    counts.sort(reverse=True)
    return [path for count, path in counts[:HOT] if count]


def median_of(repeat: int, run) -> tuple[float, list[float], object]:
    """Median seconds, every run's seconds, the last result."""
    runs, result = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = run()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), runs, result


def measure(label: str, root: Path, changed: list[str], repeat: int) -> bool:
    """Print the figures of one vault; whether the cascade met its target."""
    floor(root)  # warm the page cache so neither side pays for the disk
    floor_s, floor_runs, stats = median_of(repeat, lambda: floor(root))
    cascade_s, cascade_runs, plan = median_of(
        repeat, lambda: plan_cascade(Vault.open(root), changed, commit="bench", when="2026-03-10", why="bench"),
    )
    ratio = cascade_s / floor_s if floor_s else float("inf")
    passed = ratio <= TARGET

    def runs(times: list[float]) -> str:
        return ", ".join(f"{t * 1000:.1f}" for t in times)

    print(f"{label}: {stats['files']} files, {len(changed)} changed claims → {plan.summary()}")
    print(f"  floor    {floor_s * 1000:8.1f} ms (runs {runs(floor_runs)})")
    print(f"  cascade  {cascade_s * 1000:8.1f} ms (runs {runs(cascade_runs)})   {ratio:.2f}× floor "
          f"(target ≤ {TARGET:.0f}×) {'PASS' if passed else 'FAIL'}")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median counts")
    args = parser.parse_args(argv)
    if not (args.corpus / "domains").is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="teleo-cascade-bench-") as scratch:
        corpus = scratch_copy(args.corpus, Path(scratch) / args.corpus.name)
        changed = hot_claims(corpus)
        results.append(measure("corpus", corpus, changed, args.repeat))
    if args.copies > 1:
        dest = REPO / "bench" / "out" / f"synth-{args.copies}"
        marker, reused = ensure_synthetic(args.corpus, dest, args.copies)
        results.append(measure(f"synthetic ×{args.copies}{' (reused)' if reused else ''}", dest, changed, args.repeat))
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
