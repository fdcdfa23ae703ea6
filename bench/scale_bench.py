"""Toward internet scale: the same operations on vaults of 1×, 20× and 100× the corpus, fitted and projected.

    python bench/scale_bench.py [--sizes 1,20,100] [--repeat 3] [--pipeline-passes 3]
                                [--json PATH] [--corpus PATH] [--tmp DIR] [--keep] [--markdown]
    python bench/scale_bench.py --report RUN.json [--markdown]     # an earlier run's tables, refitted

For each size, a synthetic vault made by `bench/synth.py`'s generator (`make_synthetic`: the
corpus N times over, every link that resolved still resolving, copy 0 byte for byte) in a
temporary folder, committed as one git commit on `main`, then:

* **baselines**, measured on the same vault in the same run, so the figures compare across
  machines: the floor (walk, read every .md, regex frontmatter and links: lint_bench's floor,
  in process; and once as a whole process, for the memory a plain read takes), the stat walk
  (walk and `os.stat` every .md: what any incremental pass must do), `git status` (git's own
  pass over the work tree and its index) and the vector floor (brute-force top 10 over an
  N × 256 float32 matrix, 100 queries: what semantic search cannot go below without an ANN
  index);
* **cold index** — `index_bench.cold_index`: `.teleo/` deleted, one full build (embeddings
  included) in a fresh process;
* **incremental index** — `index_bench.incremental`: one claim edited, `sync()` with the index
  open, ≥ 5 edits, median; and a sync with nothing changed;
* **search** — `index_bench.search_latency`: 100 queries of 2–4 title words, k=10, per mode,
  in process, warmed; p95 per pass, median of the passes;
* **graph export** — `export_graph` (`index_bench.export_time`);
* **cascade** — `plan_cascade` of one changed claim (the claim of copy 0 the most beliefs and
  positions rest on; the same claim at every size) on a fresh `Vault`;
* **pipeline** — in one long-lived process, as a worker would: a field source committed on
  `main` (so every job sees a new tip, as under a stream of merges), extracted
  (`extract_source`, offline provider), reviewed (`review`, offline reviewers) and merged
  (`merge_all`: gate, merge commit, cascade, working tree, index), timed per stage (wall and
  CPU, children included) after one untimed warm-up cycle; the merge also by phase; and the KiB
  of git objects each source adds (loose, before any repack).

Every measure but the in-process baselines runs in a process of its own through
`measure.run_measured`, which gives its CPU time and peak memory (the largest process's peak
RSS or the process tree's sampled PSS, the larger; workers included). Times are the median of
`--repeat` passes where a pass is cheap (vaults under 50,000 notes); one pass above, and on
every size for the cold index beyond the corpus — the tables say how many.

Then, per measure, the growth: the log-log slope over all sizes (least squares) and between
the two largest (used to project, never below 0); the projection to 1,000× (about 1.2 million
notes); and, against the limits below, the size at which each measure crosses its limit. The
scenario of the limits (docs/scale.md states it): 1,000 sources a day, 50 workers, each source
one extraction, one review and one merge; merges hold `main` one at a time.

Prints the tables, writes every figure as JSON (`--json`, default a file in the temp folder;
never inside the corpus's `shared` folder), removes its temporary vaults (unless `--keep`)
and exits 1 if a step fails. No verdict on timings: the limits are reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from index_bench import percentile  # noqa: E402
from lint_bench import floor  # noqa: E402
from measure import floor_process, run_measured  # noqa: E402
from synth import REPO, default_corpus, make_synthetic, markdown_files  # noqa: E402

CHEAP_NOTES = 50_000
"""Below this many notes a measure is repeated `--repeat` times; above, one pass."""
PROJECT_COPIES = 1000
SOURCES_PER_DAY = 1000
WORKERS = 50
DAY_S = 86_400
MERGE_BUDGET_S = DAY_S / SOURCES_PER_DAY
"""A merge holds main: 1,000 merges a day fit in a day only if each takes at most 86.4 s."""
WORKER_BUDGET_S = DAY_S * WORKERS / SOURCES_PER_DAY
"""50 workers share 1,000 sources a day: 20 each, 4,320 s per source for the model's latency and our engine."""
GIT_ENV = {"GIT_AUTHOR_NAME": "Scale Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "Scale Bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}
MERGE_PHASES = ("load_view", "decide", "merge_into", "run_cascade", "_sync", "_sync_index")
"""Functions of teleo.review.merge timed inside `merge_all` (the rest is "other")."""
SERIAL_PHASES = ("load_view", "decide", "merge_into", "run_cascade")
"""What holds main: from reading its tip to the cascade committed on it (a lost swap redoes it)."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_seconds() -> float:
    """User + system CPU of this process and the children it waited for (git, forked workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# -- children: each measure in a process of its own ------------------------------------------


def child_incremental(root: Path, params: dict) -> dict:
    from index_bench import incremental, stop_search_thread

    from teleo.index import Index
    from teleo.index.embed import load_model

    load_model()  # an open index of a long-lived process has its model: the edited note is re-embedded
    index = Index.open(root)
    index.sync(embed=True)
    figures = incremental(index, root, max(5, params["passes"]))
    index.close()
    stop_search_thread()
    return figures


def child_search(root: Path, params: dict) -> dict:
    from index_bench import make_queries, search_latency, stop_search_thread

    from teleo.index import Index

    index = Index.open(root)
    index.sync(embed=True)
    queries = make_queries(index)
    figures = search_latency(index, queries, params["passes"])
    index.close()
    stop_search_thread()
    return {"modes": {mode: {k: v for k, v in f.items() if k != "passes"} for mode, f in figures.items()},
            "queries_sample": queries[:3]}


def child_vector_floor(root: Path, params: dict) -> dict:
    """Brute-force top 10 over an N × 256 float32 matrix of unit rows (N = the vault's notes), as the
    index's vector cache scores (einsum, argpartition, sort): the floor of semantic search."""
    import numpy as np

    rng = np.random.default_rng(5)
    matrix = rng.standard_normal((params["notes"], 256), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    queries = rng.standard_normal((100, 256), dtype=np.float32)
    p50, p95 = [], []
    for _ in range(max(1, params["passes"])):
        times = []
        for query in queries:
            start = time.perf_counter()
            scores = np.einsum("ij,j->i", matrix, query)
            part = np.argpartition(scores, len(scores) - 10)[len(scores) - 10 :]
            sorted(part.tolist(), key=lambda i: -scores[i])
            times.append(time.perf_counter() - start)
        p50.append(percentile(times, 0.50) * 1000)
        p95.append(percentile(times, 0.95) * 1000)
    return {"p50_ms": statistics.median(p50), "p95_ms": statistics.median(p95), "p95_runs_ms": p95}


def child_export(root: Path, params: dict) -> dict:
    from index_bench import export_time

    cpu = cpu_seconds()
    figures = export_time(root, params["passes"])
    out = {k: figures[k] for k in ("median_s", "runs_s", "nodes", "edges", "workers")}
    return {**out, "cpu_pass_s": (cpu_seconds() - cpu) / len(figures["runs_s"])}


def child_cascade(root: Path, params: dict) -> dict:
    """`plan_cascade` of one claim on a fresh Vault, median of the passes. Without a claim given, the
    claim with the most targets resting on it is found first (not timed) and returned."""
    from cascade_bench import hot_claims, median_of

    from teleo.cascade import plan_cascade
    from teleo.vault import Vault

    claim = params.get("claim")
    if not claim:

        found = hot_claims(root)
        if not found:
            raise RuntimeError("no claim with dependents in this vault")
        claim = found[0]
    cpu = cpu_seconds()
    median, runs, plan = median_of(params["passes"], lambda: plan_cascade(
        Vault.open(root), [claim], commit="scale-bench", when="2026-03-10", why="scale bench"))
    return {"median_s": median, "runs_s": runs, "claim": claim, "summary": plan.summary(), "flags": len(plan.flags),
            "cpu_pass_s": (cpu_seconds() - cpu) / len(runs)}


def child_pipeline(root: Path, params: dict) -> dict:
    """One long-lived process doing a worker's jobs: per pass, a source extracted, its proposal reviewed,
    then — after main moved (the next source committed on it, as under a stream of work) — merged; so
    every extraction and every merge reads a tip it has not seen. One warm-up cycle first, untimed."""
    sys.path.insert(0, str(REPO / "tests" / "review"))
    from race import add_sources, make_source

    import teleo.review.merge as merge_module
    from teleo.index.embed import load_model
    from teleo.pipeline.job import extract_source
    from teleo.review import merge_all
    from teleo.review.engine import review
    from teleo.vault import Vault

    phases: dict[str, float] = {}
    phases_cpu: dict[str, float] = {}

    def timed(name: str, function):
        def wrapper(*args, **kwargs):
            start, cpu = time.perf_counter(), cpu_seconds()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - start
                phases_cpu[name] = phases_cpu.get(name, 0.0) + cpu_seconds() - cpu
        return wrapper

    for name in MERGE_PHASES:
        setattr(merge_module, name, timed(name, getattr(merge_module, name)))
    load_model()
    vault = Vault.open(root)
    rows = []
    seed = params.get("seed", 7)
    add_sources(vault, dict([make_source(0, seed)]))
    for number in range(params["passes"] + 1):
        rel = make_source(number, seed)[0]
        row: dict = {"source": rel}
        loose = loose_object_kib(root)
        wall, cpu = time.perf_counter(), cpu_seconds()
        outcome = extract_source(vault, rel)
        row["extract_s"], row["extract_cpu_s"] = time.perf_counter() - wall, cpu_seconds() - cpu
        if outcome.status != "proposed" or not outcome.branch:
            raise RuntimeError(f"extraction of {rel}: {outcome.status} {outcome.error}")
        wall, cpu = time.perf_counter(), cpu_seconds()
        reviewed = review(vault, outcome.branch)
        row["review_s"], row["review_cpu_s"] = time.perf_counter() - wall, cpu_seconds() - cpu
        if reviewed.status != "approved":
            raise RuntimeError(f"review of {outcome.branch}: {reviewed.status} {reviewed.message[:300]}")
        add_sources(vault, dict([make_source(number + 1, seed)]))  # main moves between a review and its merge
        phases.clear()
        phases_cpu.clear()
        wall, cpu = time.perf_counter(), cpu_seconds()
        report = merge_all(vault, [outcome.branch])
        row["merge_s"], row["merge_cpu_s"] = time.perf_counter() - wall, cpu_seconds() - cpu
        statuses = [m.status for m in report.merges]
        if statuses != ["merged"]:
            raise RuntimeError(f"merge of {outcome.branch}: {statuses} {[m.reasons for m in report.merges]}")
        row["merge_phases"] = dict(phases)
        row["merge_phases"]["other"] = row["merge_s"] - sum(phases.values())
        row["merge_phases_cpu"] = dict(phases_cpu)
        row["merge_phases_cpu"]["other"] = row["merge_cpu_s"] - sum(phases_cpu.values())
        row["cascade"] = report.merges[0].cascade.summary if report.merges[0].cascade else None
        row["index"] = report.index
        row["git_kib"] = loose_object_kib(root) - loose  # the source's commit, the proposal, verdicts, merge, cascade
        if number:  # the first cycle warms imports, lexicon, parsed notes: not counted
            rows.append(row)
    keys = ("extract_s", "extract_cpu_s", "review_s", "review_cpu_s", "merge_s", "merge_cpu_s", "git_kib")
    figures = {key: statistics.median(r[key] for r in rows) for key in keys}
    for kind in ("merge_phases", "merge_phases_cpu"):
        figures[kind] = {name: statistics.median(r[kind].get(name, 0.0) for r in rows) for name in (*MERGE_PHASES, "other")}
    for key, kind in (("serial_s", "merge_phases"), ("serial_cpu_s", "merge_phases_cpu")):
        figures[key] = statistics.median(sum(r[kind].get(name, 0.0) for name in SERIAL_PHASES) for r in rows)
    figures["runs"] = rows
    return figures


def loose_object_kib(root: Path) -> int:
    """KiB of git's loose objects (`git count-objects`): what a commit on main writes, before any repacking."""
    out = subprocess.run(["git", "-C", str(root), "count-objects", "-v"], capture_output=True, text=True, check=True).stdout
    return next(int(line.split()[1]) for line in out.splitlines() if line.startswith("size:"))


CHILDREN = {
    "incremental": child_incremental, "search": child_search, "vector-floor": child_vector_floor,
    "export": child_export, "cascade": child_cascade, "pipeline": child_pipeline,
}


def run_child(name: str, root: Path, params: dict) -> dict:
    """Run one child measure as a whole process; its figures plus its CPU and peak memory."""
    done = run_measured([sys.executable, str(Path(__file__).resolve()), "--child", name, str(root), json.dumps(params)],
                        keep_stdout=True)
    if done.returncode != 0:
        raise StepFailed(f"{name} failed (exit {done.returncode}): {done.stderr.strip()[-1500:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures.update(process_s=done.seconds, cpu_s=done.cpu_s, memory_mib=done.memory_mib)
    return figures


class StepFailed(RuntimeError):
    """A measure could not be taken; the bench reports it and exits 1."""


# -- the parent: baselines, one size ----------------------------------------------------------


def stat_walk(root: Path) -> int:
    """Walk and stat every .md (dot folders skipped): what an incremental pass must do at least."""
    count = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.endswith(".md") and not name.startswith("."):
                os.stat(os.path.join(folder, name))
                count += 1
    return count


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={**os.environ, **GIT_ENV}, stdin=subprocess.DEVNULL)


def commit_vault(root: Path) -> float:
    start = time.perf_counter()
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "synthetic vault")
    return time.perf_counter() - start


def bytes_of(root: Path, files: list[str]) -> int:
    return sum((root / rel).stat().st_size for rel in files)


def check_disk(folder: Path, corpus_bytes: int, copies: int) -> None:
    """Refuse a size the temp folder cannot hold: the files, git's objects and the index, ~4× the text."""
    need = corpus_bytes * copies * 4
    free = shutil.disk_usage(folder).free
    if free < need:
        raise StepFailed(f"{folder}: {free / 2**30:.1f} GiB free, about {need / 2**30:.1f} GiB needed for {copies}×")


def measure_size(corpus: Path, copies: int, scratch: Path, args, state: dict) -> dict:
    """Every measure on a fresh synthetic vault of `copies` copies; failures are recorded, not raised."""
    from cascade_bench import median_of  # imports the cascade: here, not in every measure's process
    from index_bench import cold_index

    row: dict = {"copies": copies, "load_before": load_average(), "failures": []}
    root = scratch / f"x{copies}"
    check_disk(scratch, state["corpus_bytes"], copies)
    log(f"[{copies}×] building the synthetic vault in {root}")
    start = time.perf_counter()
    marker = make_synthetic(corpus, root, copies)
    row["build_s"] = time.perf_counter() - start
    files = markdown_files(root)
    row["notes"], row["bytes"] = len(files), bytes_of(root, files)
    log(f"[{copies}×] {row['notes']:,} notes, {row['bytes'] / 2**20:.0f} MiB ({marker['stems_cut']} stems cut); git commit")
    row["git_commit_s"] = commit_vault(root)
    passes = args.repeat if row["notes"] < CHEAP_NOTES else 1
    row["passes"] = passes

    log(f"[{copies}×] baselines ×{args.repeat}")
    floor(root)  # the page cache warmed for every measure alike
    row["floor_s"], row["floor_runs"], _ = median_of(args.repeat, lambda: floor(root))
    row["stat_s"], _, _ = median_of(args.repeat, lambda: stat_walk(root))
    row["git_status_s"], _, _ = median_of(args.repeat, lambda: git(root, "status", "--porcelain"))
    alone = floor_process(root, sys.executable)
    row["floor_process"] = {"seconds": alone.seconds, "memory_mib": alone.memory_mib}

    def step(name: str, run) -> None:
        log(f"[{copies}×] {name} (load {load_average()[0]})")
        try:
            row[name] = run()
        except (StepFailed, SystemExit, Exception) as exc:  # noqa: BLE001 - one failed step must not hide the others
            row["failures"].append(f"{name}: {exc}")
            log(f"[{copies}×] {name} FAILED: {exc}")

    step("vector_floor", lambda: run_child("vector-floor", root, {"notes": row["notes"], "passes": args.repeat}))
    step("cold", lambda: cold_runs(cold_index, root, args.repeat if copies == 1 else 1))
    if "cold" in row:
        step("incremental", lambda: run_child("incremental", root, {"passes": args.repeat}))
        step("search", lambda: run_child("search", root, {"passes": args.repeat}))
    step("export", lambda: run_child("export", root, {"passes": passes}))
    step("cascade", lambda: run_child("cascade", root, {"passes": passes, "claim": state.get("claim")}))
    if "cascade" in row:
        state.setdefault("claim", row["cascade"]["claim"])
    if "cold" in row:
        step("pipeline", lambda: run_child("pipeline", root, {"passes": args.pipeline_passes}))
    row["load_after"] = load_average()
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return row


def cold_runs(cold_index, root: Path, passes: int) -> dict:
    runs = [cold_index(root, embed=True) for _ in range(max(1, passes))]
    return {"median_s": statistics.median(r["seconds"] for r in runs), "runs_s": [r["seconds"] for r in runs],
            "cpu_s": statistics.median(r["cpu_s"] for r in runs), "memory_mib": statistics.median(r["memory_mib"] for r in runs),
            "workers": runs[-1]["workers"], "notes": runs[-1]["notes"], "passes": len(runs)}


# -- what is fitted and projected ------------------------------------------------------------


def dig(row: dict, path: str):
    """`row["a"]["b"]` for "a.b"; None when any part is missing."""
    value = row
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


SERIES: list[dict] = [
    # key, label, unit, path in a size's row, baseline series (for the ratio), limit (value, kind, why)
    {"key": "floor_s", "label": "floor: read + regex (baseline)", "unit": "s", "path": "floor_s"},
    {"key": "stat_s", "label": "stat walk (baseline)", "unit": "s", "path": "stat_s"},
    {"key": "git_status_s", "label": "git status (baseline)", "unit": "s", "path": "git_status_s"},
    {"key": "vector_p95_ms", "label": "vector floor p95 (baseline)", "unit": "ms", "path": "vector_floor.p95_ms"},
    {"key": "cold_s", "label": "cold index (full)", "unit": "s", "path": "cold.median_s", "base": "floor_s",
     "limit": (3600.0, "target", "a host joining, or a lost .teleo/, is indexed within an hour")},
    {"key": "cold_cpu_s", "label": "  cold index CPU (build process tree)", "unit": "s", "path": "cold.cpu_s",
     "base": "floor_s"},
    {"key": "incremental_ms", "label": "incremental index (1 edit)", "unit": "ms", "path": "incremental.median_ms",
     "base": "stat_s", "limit": (100.0, "target", "index_bench's incremental target (100 ms)")},
    {"key": "noop_ms", "label": "sync, nothing changed", "unit": "ms", "path": "incremental.noop_ms", "base": "stat_s"},
    {"key": "search_hybrid_p95_ms", "label": "search p95 hybrid", "unit": "ms", "path": "search.modes.hybrid.p95_ms",
     "base": "vector_p95_ms", "limit": (50.0, "target", "index_bench's search target (p95 ≤ 50 ms)")},
    {"key": "search_text_p95_ms", "label": "search p95 text", "unit": "ms", "path": "search.modes.text.p95_ms",
     "limit": (50.0, "target", "index_bench's search target (p95 ≤ 50 ms)")},
    {"key": "search_semantic_p95_ms", "label": "search p95 semantic", "unit": "ms",
     "path": "search.modes.semantic.p95_ms", "base": "vector_p95_ms",
     "limit": (50.0, "target", "index_bench's search target (p95 ≤ 50 ms)")},
    {"key": "export_s", "label": "graph export", "unit": "s", "path": "export.median_s", "base": "floor_s",
     "limit": (3600.0, "target", "the published graph refreshed at least hourly")},
    {"key": "export_cpu_s", "label": "  graph export CPU (per pass)", "unit": "s", "path": "export.cpu_pass_s",
     "base": "floor_s"},
    {"key": "cascade_s", "label": "cascade of one claim", "unit": "s", "path": "cascade.median_s", "base": "floor_s"},
    {"key": "cascade_cpu_s", "label": "  cascade CPU (per pass)", "unit": "s", "path": "cascade.cpu_pass_s",
     "base": "floor_s"},
    {"key": "extract_s", "label": "extraction job, new tip (wall)", "unit": "s", "path": "pipeline.extract_s",
     "base": "floor_s"},
    {"key": "extract_cpu_s", "label": "  extraction CPU", "unit": "s", "path": "pipeline.extract_cpu_s", "base": "floor_s"},
    {"key": "review_s", "label": "review of one proposal (wall)", "unit": "s", "path": "pipeline.review_s",
     "base": "floor_s"},
    {"key": "review_cpu_s", "label": "  review CPU", "unit": "s", "path": "pipeline.review_cpu_s", "base": "floor_s"},
    {"key": "merge_s", "label": "merge on main, all phases (wall)", "unit": "s", "path": "pipeline.merge_s",
     "base": "git_status_s"},
    {"key": "merge_cpu_s", "label": "  merge CPU", "unit": "s", "path": "pipeline.merge_cpu_s", "base": "git_status_s"},
    {"key": "serial_s", "label": "  holding main (wall)", "unit": "s", "path": "pipeline.serial_s",
     "base": "git_status_s"},
    {"key": "serial_cpu_s", "label": "  holding main (CPU)", "unit": "s", "path": "pipeline.serial_cpu_s",
     "base": "git_status_s",
     "limit": (MERGE_BUDGET_S, "hard", "1,000 merges a day, one at a time on main: ≤ 86.4 s each")},
    {"key": "job_cpu_s", "label": "worker CPU per source (extract + review)", "unit": "s", "path": "job_cpu_s",
     "limit": (WORKER_BUDGET_S, "hard", "50 workers, 1,000 sources a day: ≤ 4,320 s each, model latency included")},
    {"key": "source_cpu_s", "label": "CPU per source (all three stages)", "unit": "s", "path": "source_cpu_s"},
    {"key": "git_kib", "label": "git objects written per source", "unit": "KiB", "path": "pipeline.git_kib"},
]
"""Time series. Memory series (MiB, peak of each measure's process tree) follow."""

MEMORY_SERIES: list[dict] = [
    {"key": "floor_mib", "label": "floor process (baseline)", "path": "floor_process.memory_mib"},
    {"key": "vector_mib", "label": "vector floor (baseline)", "path": "vector_floor.memory_mib"},
    {"key": "cold_mib", "label": "cold index", "path": "cold.memory_mib"},
    {"key": "incremental_mib", "label": "incremental index", "path": "incremental.memory_mib"},
    {"key": "search_mib", "label": "search", "path": "search.memory_mib"},
    {"key": "export_mib", "label": "graph export", "path": "export.memory_mib"},
    {"key": "cascade_mib", "label": "cascade", "path": "cascade.memory_mib"},
    {"key": "worker_mib", "label": "worker: extract + review + merge", "path": "pipeline.memory_mib"},
]


def derived(row: dict) -> None:
    """Figures the scenario needs, made of measured ones: a worker's CPU per source (extraction +
    review, the model's latency aside) and the CPU of all three stages."""
    p = row.get("pipeline")
    if p:
        row["job_cpu_s"] = p["extract_cpu_s"] + p["review_cpu_s"]
        row["source_cpu_s"] = p["extract_cpu_s"] + p["review_cpu_s"] + p["merge_cpu_s"]


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log y on log x (the exponent b of y ≈ a·x^b); None under two points."""
    points = [(x, y) for x, y in points if x > 0 and y > 0]
    if len(points) < 2:
        return None
    lx = [math.log(x) for x, _ in points]
    ly = [math.log(y) for _, y in points]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    spread = sum((x - mx) ** 2 for x in lx)
    if spread == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly)) / spread


def fit(points: list[tuple[float, float]], at: float, limit: float | None = None) -> dict:
    """Growth of one series: slope over all points, slope between the two largest (the one projected
    with, never below 0: a figure that fell with size is noise, not a trend), the value projected to
    `at` notes, and where the projection crosses `limit` (notes; the smallest measured size already
    over it, if one is)."""
    points = sorted((x, y) for x, y in points if y is not None and y > 0)
    out: dict = {"slope_all": slope(points), "slope_last": slope(points[-2:]) if len(points) >= 2 else None}
    if not points:
        return out
    x_last, y_last = points[-1]
    used = max(0.0, out["slope_last"]) if out["slope_last"] is not None else None
    out["slope_used"] = used
    if used is not None:
        out["projected"] = y_last * (at / x_last) ** used
    if limit is not None:
        over = [x for x, y in points if y >= limit]
        if over:
            out["crosses_at"], out["crossed_measured"] = over[0], True
        elif used:
            out["crosses_at"], out["crossed_measured"] = x_last * (limit / y_last) ** (1 / used), False
        else:
            out["crosses_at"] = None
    return out


def host_memory_mib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


BASELINE_MEMORY = ("floor_mib", "vector_mib")


def fits(rows: list[dict], corpus_notes: int) -> dict:
    """Every series fitted; a time series against its limit, a memory series against this host's memory."""
    at = corpus_notes * PROJECT_COPIES
    out = {}
    for series in SERIES + MEMORY_SERIES:
        points = [(r["notes"], dig(r, series["path"])) for r in rows]
        if series in MEMORY_SERIES:
            limit = None if series["key"] in BASELINE_MEMORY else host_memory_mib()
        else:
            limit = series.get("limit", (None,))[0]
        out[series["key"]] = {"points": points, "limit": limit, **fit(points, at, limit)}
    return out


def breaks(fitted: dict) -> list[dict]:
    """Every limit with the size its measure crosses it at, soonest first."""
    ram_mib = host_memory_mib()
    found = []
    for series in SERIES:
        if "limit" in series:
            value, kind, why = series["limit"]
            found.append({"key": series["key"], "label": series["label"], "limit": value, "unit": series["unit"],
                          "kind": kind, "why": why, **{k: fitted[series["key"]].get(k) for k in ("crosses_at", "crossed_measured")}})
    for series in MEMORY_SERIES:
        if series["key"] in BASELINE_MEMORY:
            continue
        found.append({"key": series["key"], "label": series["label"] + " memory", "limit": ram_mib, "unit": "MiB",
                      "kind": "hard", "why": f"one process larger than this host's memory ({ram_mib / 1024:.0f} GiB)",
                      **{k: fitted[series["key"]].get(k) for k in ("crosses_at", "crossed_measured")}})
    return sorted(found, key=lambda b: (b["crosses_at"] is None, b["crosses_at"] or 0))


def scenario(rows: list[dict], fitted: dict, corpus_notes: int) -> dict:
    """1,000 sources a day with 50 workers at 1,000× (the projection) and at each measured size."""
    def at(key: str, row: dict | None):
        return dig(row, next(s["path"] for s in SERIES if s["key"] == key)) if row else fitted[key].get("projected")

    out = []
    for row in [*rows, None]:
        serial, job, cpu = at("serial_cpu_s", row), at("job_cpu_s", row), at("source_cpu_s", row)
        memory = dig(row, "pipeline.memory_mib") if row else fitted["worker_mib"].get("projected")
        if serial is None or job is None or cpu is None:
            continue
        out.append({
            "notes": row["notes"] if row else corpus_notes * PROJECT_COPIES, "measured": row is not None,
            "main_busy": SOURCES_PER_DAY * serial / DAY_S,
            "worker_busy": SOURCES_PER_DAY * job / (WORKERS * DAY_S),
            "cores_busy": SOURCES_PER_DAY * cpu / DAY_S,
            "workers_memory_gib": WORKERS * memory / 1024 if memory else None,
        })
    return {"sources_per_day": SOURCES_PER_DAY, "workers": WORKERS, "rows": out}


# -- output -------------------------------------------------------------------------------------


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "notes":
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def print_report(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    rows, fitted = result["rows"], result["fits"]
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 220)
    sizes = [f"{r['copies']}× ({r['notes']:,})" for r in rows]
    projected = f"{PROJECT_COPIES}× ({result['corpus_notes'] * PROJECT_COPIES:,})"
    table = Table(title=f"time — median of {result['repeat']} passes under {CHEAP_NOTES:,} notes, 1 pass above "
                        f"(cold index: {result['repeat']} at 1×, 1 above); ratio: ×its baseline, same run")
    table.add_column("measure")
    table.add_column("unit")
    for size in sizes:
        table.add_column(size, justify="right", no_wrap=True)
    for column in ("slope all", "slope last", projected, "limit", "crosses at (notes)"):
        table.add_column(column, justify="right", no_wrap=True)
    for series in SERIES:
        f = fitted[series["key"]]
        cells = [with_ratio(r, series) for r in rows]
        limit = series.get("limit")
        table.add_row(series["label"], series["unit"], *cells, fmt(f.get("slope_all")), fmt(f.get("slope_last")),
                      fmt(f.get("projected")), f"{fmt(limit[0])} {limit[1]}" if limit else "",
                      crossing_text(f) if limit else "")
    console.print(table)

    memory = Table(title="peak memory, MiB — the measure's whole process tree (largest process's peak RSS or the tree's "
                         "sampled PSS, the larger); limit: this host's memory")
    memory.add_column("process")
    for size in sizes:
        memory.add_column(size, justify="right", no_wrap=True)
    for column in ("slope all", "slope last", projected, "crosses at (notes)"):
        memory.add_column(column, justify="right", no_wrap=True)
    for series in MEMORY_SERIES:
        f = fitted[series["key"]]
        memory.add_row(series["label"], *[fmt(dig(r, series["path"])) for r in rows], fmt(f.get("slope_all")),
                       fmt(f.get("slope_last")), fmt(f.get("projected")), crossing_text(f) if f.get("limit") else "")
    console.print(memory)

    phases = Table(title="merge on main by phase, s wall / CPU (median of the pipeline passes)")
    phases.add_column("phase")
    for size in sizes:
        phases.add_column(size, justify="right")
    for name in (*MERGE_PHASES, "other"):
        phases.add_row(PHASE_NAMES[name] + (" *" if name in SERIAL_PHASES else ""),
                       *[f"{fmt(dig(r, f'pipeline.merge_phases.{name}'))} / {fmt(dig(r, f'pipeline.merge_phases_cpu.{name}'))}"
                         for r in rows])
    console.print(phases)
    console.print("  * holds main (a lost swap redoes it)")

    plan = result["scenario"]
    console.print(f"[bold]scenario[/]: {plan['sources_per_day']:,} sources a day, {plan['workers']} workers, "
                  "from CPU seconds (the model's latency is waiting, not work; this host's load inflates wall time)")
    for s in plan["rows"]:
        where = f"{s['notes']:,} notes" + ("" if s["measured"] else " (projected)")
        gib = f"{s['workers_memory_gib']:.1f} GiB for {plan['workers']} workers" if s["workers_memory_gib"] else ""
        console.print(f"  {where:>28}: main held {s['main_busy']:.1%} of the day; each worker's CPU busy "
                      f"{s['worker_busy']:.2%} of it; {s['cores_busy']:.2f} cores busy all day; {gib}")
    console.print("[bold]limits, soonest crossed first[/] (projected along the slope between the two largest sizes):")
    for b in result["breaks"]:
        console.print(f"  {b['label']:<36} {b['kind']:<6} ≤ {fmt(b['limit'])} {b['unit']:<4} "
                      f"{crossing_text(b):>22}  ({b['why']})")
    for r in rows:
        console.print(f"{r['copies']}×: {r['notes']:,} notes, {r['bytes'] / 2**20:,.0f} MiB of markdown; built in "
                      f"{r['build_s']:.1f} s, git commit {r['git_commit_s']:.1f} s; load average {r['load_before']} → "
                      f"{r['load_after']}; cold index workers: {dig(r, 'cold.workers')}; cascade: "
                      f"{dig(r, 'cascade.claim')} → {dig(r, 'cascade.summary')}")
        for failure in r["failures"]:
            console.print(f"  [bold red]FAILED[/] {failure}")
    console.print(f"[dim]{result['python']} on {result['machine']}; load average {result['load_start']} at the start, "
                  f"{result['load_end']} at the end; JSON: {result['json']}[/]")


SECONDS = {"s": 1.0, "ms": 1e-3, "KiB": 1.0}
PHASE_NAMES = {"load_view": "gate: read main and the proposal", "decide": "gate: gates, selection, verdicts",
               "merge_into": "merge commit (CAS on main)", "run_cascade": "cascade (plan + commit)",
               "_sync": "working tree follows main", "_sync_index": "index sync", "other": "other"}


def crossing_text(f: dict) -> str:
    where = f.get("crosses_at")
    if where is None:
        return "never (flat)" if f.get("slope_used") == 0 else "-"
    if where > 1e9:
        return "beyond 10⁹"
    return f"≤ {where:,.0f} (measured)" if f.get("crossed_measured") else f"{where:,.0f}"


# -- main -----------------------------------------------------------------------------------------


def conclude(result: dict, rows: list[dict]) -> None:
    """The measured rows' derived figures, fits, limits crossed and scenario, into `result`."""
    for row in rows:
        derived(row)
    result["rows"] = rows
    result["fits"] = fits(rows, result["corpus_notes"])
    result["breaks"] = breaks(result["fits"])
    result["scenario"] = scenario(rows, result["fits"], result["corpus_notes"])


def markdown(result: dict) -> str:
    """The time and memory tables as markdown, with the fits (what docs/scale.md quotes)."""
    rows, fitted = result["rows"], result["fits"]
    sizes = [f"{r['copies']}× ({r['notes']:,})" for r in rows]
    projected = f"{PROJECT_COPIES}× ({result['corpus_notes'] * PROJECT_COPIES:,}), projected"
    head = ["measure", "unit", *sizes, "slope all", "slope last", projected, "limit", "crossed at (notes)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for series in SERIES:
        f, limit = fitted[series["key"]], series.get("limit")
        lines.append("| " + " | ".join([
            series["label"].strip(), series["unit"], *[with_ratio(r, series) for r in rows], fmt(f.get("slope_all")),
            fmt(f.get("slope_last")), fmt(f.get("projected")), f"{fmt(limit[0])} ({limit[1]})" if limit else "",
            crossing_text(f) if limit else ""]) + " |")
    head = ["peak memory, MiB", *sizes, "slope all", "slope last", projected, "crossed at (notes)"]
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for series in MEMORY_SERIES:
        f = fitted[series["key"]]
        lines.append("| " + " | ".join([
            series["label"], *[fmt(dig(r, series["path"])) for r in rows], fmt(f.get("slope_all")),
            fmt(f.get("slope_last")), fmt(f.get("projected")), crossing_text(f) if f.get("limit") else ""]) + " |")
    head = ["merge phase, s wall / CPU", *sizes]
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in (*MERGE_PHASES, "other"):
        lines.append("| " + " | ".join([PHASE_NAMES[name] + (" *" if name in SERIAL_PHASES else ""), *[
            f"{fmt(dig(r, f'pipeline.merge_phases.{name}'))} / {fmt(dig(r, f'pipeline.merge_phases_cpu.{name}'))}"
            for r in rows]]) + " |")
    return "\n".join(lines)


def with_ratio(row: dict, series: dict) -> str:
    """The figure, and its ratio to its baseline measured on the same vault in the same run."""
    value = dig(row, series["path"])
    base = None
    if "base" in series and value:
        base_series = next(s for s in SERIES if s["key"] == series["base"])
        base = dig(row, base_series["path"])
        if base:
            base *= SECONDS[base_series["unit"]] / SECONDS[series["unit"]]
    return fmt(value) + (f" ({value / base:.1f}×)" if value and base else "")


def inside_shared(path: Path, corpus: Path) -> bool:
    """Whether `path` lies in the folder named `shared` that holds the corpus (nothing is written there)."""
    shared = next((p for p in corpus.resolve().parents if p.name == "shared"), None)
    return shared is not None and path.resolve().is_relative_to(shared)


def parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes are copies of the corpus, ≥ 1: e.g. 1,20,100")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1, 20, 100], help="copies of the corpus (default 1,20,100)")
    parser.add_argument("--repeat", type=int, default=3, help="passes of a cheap measure; the median counts")
    parser.add_argument("--pipeline-passes", type=int, default=3, help="sources taken through extract, review, merge")
    parser.add_argument("--corpus", type=Path, default=default_corpus(), help="the source vault ($TELEO_CORPUS)")
    parser.add_argument("--tmp", type=Path, default=None, help="where the vaults are built (default: the temp folder)")
    parser.add_argument("--json", type=Path, default=None, help="where the figures go (default: the temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic vaults (their folder is printed)")
    parser.add_argument("--markdown", action="store_true", help="also print the tables as markdown (docs/scale.md)")
    parser.add_argument("--report", type=Path, default=None,
                        help="measure nothing: print the tables of an earlier run's JSON (fits recomputed)")
    parser.add_argument("--child", nargs=3, metavar=("MEASURE", "ROOT", "PARAMS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, root, params = args.child
        print(json.dumps(CHILDREN[name](Path(root), json.loads(params)), default=str))
        return 0
    if args.report:
        result = json.loads(args.report.read_text(encoding="utf-8"))
        conclude(result, result["rows"])
        print_report(result)
        if args.markdown:
            print(markdown(result))
        return 1 if result["failures"] else 0

    corpus = args.corpus.resolve()
    if not (corpus / "domains").is_dir():
        log(f"error: no corpus at {corpus} (pass --corpus or set TELEO_CORPUS)")
        return 2
    json_path = args.json or Path(tempfile.gettempdir()) / f"teleo-scale-bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    for path in (json_path, args.tmp or Path(tempfile.gettempdir())):
        if inside_shared(path, corpus):
            log(f"error: {path} is inside the shared folder; nothing is written there")
            return 2
    corpus_files = markdown_files(corpus)
    state = {"corpus_bytes": bytes_of(corpus, corpus_files)}
    result: dict = {"corpus": str(corpus), "corpus_notes": len(corpus_files), "repeat": args.repeat,
                    "sizes": args.sizes, "load_start": load_average(), "json": str(json_path),
                    "python": f"Python {platform.python_version()}",
                    "machine": f"{platform.machine()} {os.cpu_count()} cpus, "
                               f"{host_memory_mib() / 1024:.0f} GiB"}
    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="teleo-scale-bench-", dir=args.tmp))
    try:
        for copies in args.sizes:
            try:
                row = measure_size(corpus, copies, scratch, args, state)
            except (StepFailed, OSError, subprocess.CalledProcessError) as exc:
                row = {"copies": copies, "failures": [f"size {copies}×: {exc}"]}
                log(f"[{copies}×] FAILED: {exc}")
            rows.append(row)
    finally:
        if args.keep:
            log(f"vaults kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    result["failures"] = [f for r in rows for f in r["failures"]]
    result["load_end"] = load_average()
    conclude(result, [r for r in rows if "notes" in r])
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, indent=1, default=str, ensure_ascii=False), encoding="utf-8")
    print_report(result)
    if args.markdown:
        print(markdown(result))
    if result["failures"]:
        log("FAIL: " + "; ".join(result["failures"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
