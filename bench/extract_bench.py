"""Extraction pipeline throughput: worker processes against a simulated provider of fixed latency.

    python bench/extract_bench.py [--latency 0.5] [--workers 1 2 4 8] [--per-worker 10] [--repeat 3]

For each worker count, a fresh git vault of `max(24, per_worker × workers)` tiny sources is
extracted by `teleo.pipeline.extract_all` (real `extract_source`: context, grounding, lint
gate, commit and CAS branch update). The provider sleeps `latency` seconds and returns a null
result or one grounded claim.

- **share of ideal** = ideal time ÷ time from launch. The ideal is the provider's alone:
  sources × latency ÷ workers (printed). From launch runs from the call of `extract_all` to its
  return: the supervisor's preparation, the workers' start-up (shown apart as "startup", up to
  the first lease) and their exit ("tail", from the last job's end) are included. PASS when
  ≥ 85 % at 8 workers. Beside it: the share of the steady part alone (first lease to last job),
  and the share from the *process* start (the fresh interpreter launched, its imports of the
  pipeline included), with the CPU seconds of the run (supervisor and workers).
- every run is a fresh interpreter (`measure_fresh`) on a vault made beforehand: the imports and
  the model's load of one run never help the next. The pipeline runs with its default settings
  (poll and tick intervals included). Each run's load average is printed beside it.
- `--claims N` puts N claims on main besides the sources: a job then compares its source with
  them, so the embedding model is needed (a vault without claims never loads it).
- **engine overhead per source**: one worker, a zero-latency provider: steady time / sources
  (lease + extraction engine + commit + completion).

The machine is shared, so each measurement is repeated (`--repeat`, default 3) and the median
is reported, with every run's share beside it. The latency (default 0.5 s, the same for every
worker count) is far below a real LLM call's (several seconds to a minute), so the share of
ideal here is a lower bound for real use: the engine's fixed cost per source weighs less the
slower the provider.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from teleo.contract.extraction import ClaimDraft, ExtractionResult, Quote, SourceUpdate
from teleo.llm.base import LLMCall, Provider, ProviderResult
from teleo.pipeline import JobStore, PipelineSettings, extract_all, queue_path
from teleo.vault import Vault

DEFAULT_CORPUS = Path(os.environ.get("TELEO_CORPUS", Path(__file__).resolve().parents[2] / "shared/corpora/teleo-codex"))
TARGET = 0.85
"""Share of ideal throughput at the largest worker count, counted from launch."""
SENTENCE = "Reusable first stages account for most of the drop in launch costs because the booster is the most expensive part."


@dataclass
class SimulatedProvider(Provider):
    latency: float = 0.2
    name: str = "simulated"
    model: str = "fixed-latency"

    def extract(self, request):
        if self.latency:
            time.sleep(self.latency)
        number = int(request.source_path.rsplit("-", 1)[-1].removesuffix(".md"))
        call = LLMCall(provider=self.name, model=self.model, job=request.job_id, prompt_tokens=1000, completion_tokens=200)
        if number % 2:
            result = ExtractionResult(claims=[ClaimDraft(
                title=f"reusable boosters cut launch costs because the booster is the priciest part ({number})",
                description="The report attributes most of the drop in price per kilogram to reusable first stages.",
                evidence=[Quote(text="Reusable first stages account for most of the drop")])])
        else:
            result = ExtractionResult(source_update=SourceUpdate(notes="nothing arguable in this source"))
        return ProviderResult(output=result, calls=[call])


@dataclass
class CorpusProvider(Provider):
    """For the corpus: one claim quoting the source's first long line (a null result when it has none)."""

    name: str = "simulated"
    model: str = "first-line"

    def extract(self, request):
        call = LLMCall(provider=self.name, model=self.model, job=request.job_id, prompt_tokens=1000, completion_tokens=200)
        line = next((ln.strip() for ln in request.source_text.splitlines() if len(ln.strip()) >= 60
                     and not ln.lstrip().startswith(("#", "-", "*", ">", "|", "["))), None)
        if line is None:
            return ProviderResult(output=ExtractionResult(source_update=SourceUpdate(notes="no long line")), calls=[call])
        stem = request.source_path.rsplit("/", 1)[-1].removesuffix(".md")[:80]
        claim = ClaimDraft(title=f"the source {stem} reports a finding that the bench restates as a claim",
                           description="A bench stand-in claim whose evidence is the first long line of the source.",
                           evidence=[Quote(text=line[:120])])
        return ProviderResult(output=ExtractionResult(claims=[claim]), calls=[call])


@dataclass
class CorpusFactory:
    def __call__(self, vault):
        return CorpusProvider()


@dataclass
class Factory:
    latency: float

    def __call__(self, vault):
        return SimulatedProvider(latency=self.latency)


def make_vault(root: Path, n: int, claims: int = 0) -> Vault:
    (root / "domains/space-development").mkdir(parents=True)
    (root / "inbox/archive").mkdir(parents=True)
    (root / "domains/space-development/_map.md").write_text("# Space development\n", encoding="utf-8")
    for i in range(claims):
        (root / f"domains/space-development/launch cost claim {i} falls as boosters are reused.md").write_text(
            f"---\ntype: claim\ndomain: space-development\ndescription: Reuse spreads the booster's cost over "
            f"{i + 2} flights\nconfidence: likely\nsource: bench\ncreated: 2026-01-04\n---\n\n"
            f"# launch cost claim {i} falls as boosters are reused\n\nFlight {i} reused its first stage.\n",
            encoding="utf-8")
    for i in range(n):
        (root / f"inbox/archive/2026-01-04-report-{i:03d}.md").write_text(
            f'---\ntype: source\ntitle: "Launch report {i}"\nauthor: "Some Author (@someone)"\n'
            f"url: https://example.org/report-{i}\ndate: 2026-01-04\ndomain: space-development\nformat: report\n"
            f"status: unprocessed\n---\n\n# Launch report {i}\n\n## Content\n\n{SENTENCE} Report number {i} says so.\n",
            encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "initial"], check=True, env=env)
    return Vault.open(root)


def corpus_overhead(corpus: Path, n: int) -> dict:
    """Engine cost per source on a committed copy of the corpus (1 worker, zero latency, `n` sources)."""
    import shutil

    with tempfile.TemporaryDirectory(prefix="extract-bench-corpus-") as tmp:
        root = Path(tmp) / "corpus"
        shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".git", ".teleo"), symlinks=True)
        env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
               "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "corpus"]):
            subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)
        vault = Vault.open(root)
        settings = PipelineSettings(workers=1, poll_s=0.01, heartbeat_s=5, lease_ttl_s=120)
        report = extract_all(vault, limit=n, provider_factory=CorpusFactory(), settings=settings)
        store = JobStore(queue_path(vault.root))
        rows = store.conn.execute("SELECT MIN(leased_at), MAX(updated_at), COUNT(*) FROM jobs WHERE state = 'done'"
                                  ).fetchone()
        store.close()
        totals = report.totals()
        notes = len(vault.markdown_paths())
    done = rows[2]
    return {"notes": notes, "sources": done, "proposed": totals["proposed"], "null": totals["null"],
            "failed": totals["failed"], "per_source_ms": round(1000 * (rows[1] - rows[0]) / max(1, done), 2)}


def extract_timed(root: Path, workers: int, latency: float, start_method: str | None = None) -> dict:
    """`extract_all` on the vault at `root`, with the pipeline's default settings: the epoch times
    it was called and returned, the first lease and the last job's end (from the job table), and
    the CPU seconds of this process and of its workers meanwhile."""
    import resource

    vault = Vault.open(root)
    settings = PipelineSettings(workers=workers)
    if start_method:
        settings.start_method = start_method
    cpu = lambda who: sum(resource.getrusage(who)[:2])  # noqa: E731 - user + system seconds
    own, children = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    called = time.time()
    report = extract_all(vault, provider_factory=Factory(latency), settings=settings)
    returned = time.time()
    own, children = cpu(resource.RUSAGE_SELF) - own, cpu(resource.RUSAGE_CHILDREN) - children
    if not report.ok:
        raise SystemExit(f"bench run failed: {json.dumps(report.totals())}")
    store = JobStore(queue_path(vault.root))
    first, last = store.conn.execute("SELECT MIN(leased_at), MAX(updated_at) FROM jobs").fetchone()
    store.close()
    return {"called": called, "returned": returned, "first_lease": first, "last_job": last,
            "cpu_s": round(own + children, 3)}


def row_of(times: dict, workers: int, n: int, latency: float, launched: float | None = None) -> dict:
    """The figures of one run. From launch = `extract_all` called → returned (the supervisor's
    preparation, the workers' start-up and their exit included); from process start = the fresh
    interpreter launched → returned (its imports of the pipeline too)."""
    from_launch = times["returned"] - times["called"]
    steady = times["last_job"] - times["first_lease"]
    ideal_s = n * latency / workers if latency else None
    row = {
        "workers": workers, "sources": n, "load": round(os.getloadavg()[0], 2),
        "startup_s": round(times["first_lease"] - times["called"], 3), "steady_s": round(steady, 3),
        "tail_s": round(times["returned"] - times["last_job"], 3), "from_launch_s": round(from_launch, 3),
        "cpu_s": times["cpu_s"], "throughput_per_s": round(n / from_launch, 2),
        "ideal_per_s": round(workers / latency, 2) if latency else None, "ideal_s": round(ideal_s, 3) if ideal_s else None,
        "share_of_ideal": round(ideal_s / from_launch, 3) if ideal_s else None,
        "steady_share": round(ideal_s / steady, 3) if ideal_s else None,
        "per_source_ms": round(1000 * steady / n, 2),
    }
    if launched is not None:
        row["from_process_s"] = round(times["returned"] - launched, 3)
        row["process_share"] = round(ideal_s / row["from_process_s"], 3) if ideal_s else None
    return row


def measure(workers: int, n: int, latency: float, claims: int = 0, start_method: str | None = None) -> dict:
    """One run in this process (its imports and loads already made: used for the engine's cost per source)."""
    with tempfile.TemporaryDirectory(prefix="extract-bench-") as tmp:
        make_vault(Path(tmp) / "v", n, claims)
        times = extract_timed(Path(tmp) / "v", workers, latency, start_method)
    return row_of(times, workers, n, latency)


def measure_fresh(workers: int, n: int, latency: float, claims: int = 0, start_method: str | None = None) -> dict:
    """One run in a fresh interpreter, on a vault made beforehand: nothing (imports, the embedding
    model) carried over from an earlier run, so it pays what a new `teleo extract` process pays."""
    child = ("import json, sys; sys.path.insert(0, sys.argv[1]); import extract_bench as b; "
             "print(json.dumps(b.extract_timed(*json.loads(sys.argv[2]))))")
    with tempfile.TemporaryDirectory(prefix="extract-bench-") as tmp:
        make_vault(Path(tmp) / "v", n, claims)
        load = os.getloadavg()[0]
        launched = time.time()
        done = subprocess.run([sys.executable, "-c", child, str(Path(__file__).resolve().parent),
                               json.dumps([str(Path(tmp) / "v"), workers, latency, start_method])],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench run failed: {done.stderr.strip()[-800:]}")
    row = row_of(json.loads(done.stdout.strip().splitlines()[-1]), workers, n, latency, launched)
    row["load"] = round(load, 2)  # at the run's start
    return row


def median_run(runs: list[dict]) -> dict:
    """The run with the median share of ideal."""
    return sorted(runs, key=lambda r: r["share_of_ideal"])[len(runs) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--per-worker", type=int, default=10)
    parser.add_argument("--overhead-sources", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="also measure the engine cost on a copy of this vault ('' to skip)")
    parser.add_argument("--corpus-sources", type=int, default=40)
    parser.add_argument("--claims", type=int, default=0, help="claims on main besides the sources (the model is then needed)")
    parser.add_argument("--start-method", default=None, help="the pipeline's start_method (default: its own, 'auto')")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    repeat = max(1, args.repeat)
    load_before = os.getloadavg()[0]  # the machine is shared: other work slows every figure below
    runs = {w: [measure_fresh(w, max(24, args.per_worker * w), args.latency, args.claims, args.start_method)
                for _ in range(repeat)]
            for w in args.workers}
    rows = [median_run(runs[w]) for w in args.workers]
    overheads = [measure(1, args.overhead_sources, 0.0) for _ in range(repeat)]
    overhead = sorted(overheads, key=lambda r: r["per_source_ms"])[len(overheads) // 2]
    on_corpus = None
    if str(args.corpus) and (args.corpus / "inbox").is_dir():
        on_corpus = corpus_overhead(args.corpus, args.corpus_sources)
    best = max(args.workers)
    share = next(r["share_of_ideal"] for r in rows if r["workers"] == best)
    passed = share >= TARGET
    if args.json:
        print(json.dumps({"latency_s": args.latency, "repeat": repeat, "runs": rows, "all_runs": runs,
                          "overhead": overhead, "overhead_runs_ms": [r["per_source_ms"] for r in overheads],
                          "corpus_overhead": on_corpus,
                          "claims": args.claims, "target": f">= {TARGET:.0%} of ideal at {best} workers, from launch",
                          "pass": passed}, indent=2))
    else:
        print(f"simulated provider latency {args.latency * 1000:.0f} ms (cpus: {os.cpu_count()}; load average "
              f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after); {args.claims} claims on main; "
              f"median of {repeat} run(s) per row, each a fresh interpreter")
        print("ideal = sources × latency ÷ workers (the provider's time alone, the baseline of every share); "
              "from launch = extract_all called → returned; process = the fresh interpreter launched → returned")
        print(f"{'workers':>7} {'sources':>7} {'ideal s':>7} {'startup':>7} {'steady':>6} {'tail':>5} {'total s':>7} "
              f"{'share':>6} {'steady':>6} {'process':>7} {'cpu s':>5}  every run: share from launch (load average)")
        for r in rows:
            every = " ".join(f"{x['share_of_ideal'] * 100:.1f}% ({x['load']:.1f})" for x in runs[r["workers"]])
            print(f"{r['workers']:>7} {r['sources']:>7} {r['ideal_s']:>7.2f} {r['startup_s']:>7.2f} {r['steady_s']:>6.2f} "
                  f"{r['tail_s']:>5.2f} {r['from_launch_s']:>7.2f} {r['share_of_ideal'] * 100:>5.1f}% "
                  f"{r['steady_share'] * 100:>5.1f}% {r['process_share'] * 100:>6.1f}% {r['cpu_s']:>5.2f}  {every}")
        each = ", ".join(f"{r['per_source_ms']:.1f}" for r in overheads)
        print(f"engine overhead per source (1 worker, zero latency, {overhead['sources']} sources): "
              f"{overhead['per_source_ms']:.1f} ms (runs: {each})")
        if on_corpus is not None:
            print(f"engine overhead per source on a copy of the corpus ({on_corpus['notes']:,} notes, 1 worker, zero latency, "
                  f"{on_corpus['sources']} sources: {on_corpus['proposed']} proposed, {on_corpus['null']} null, "
                  f"{on_corpus['failed']} failed): {on_corpus['per_source_ms']:.1f} ms")
        print(f"{'PASS' if passed else 'FAIL'}: {share * 100:.1f}% of ideal at {best} workers, counted from launch "
              f"(target ≥ {TARGET:.0%})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
