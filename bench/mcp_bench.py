"""Latency of the MCP `search` tool in process, beside the same query through `teleo search`.

    TELEO_CORPUS=/path/to/teleo-codex python bench/mcp_bench.py [--calls 60] [--passes 3] [--cli-runs 8]

On a temporary copy of the corpus (made a git repository; the corpus itself is never written):

1. `teleo index` builds the index with embeddings (as a user would before serving);
2. **MCP in process** — one `teleo mcp` server (`build_server(VaultTools(vault))`, the file
   watcher on, as `teleo mcp` runs) driven by the official SDK's `Client` in the same process:
   after a warm-up call per mode, `--calls` hybrid `search` calls with the queries of
   bench/queries.yaml (cycled), timed from the client's call to its result — JSON-RPC framing,
   argument validation, the search and the structured result included; `--passes` passes;
3. **baseline** — the same queries through `teleo search QUERY --format json` end to end
   (a new process each time: start-up, index open, model load, search), `--cli-runs` runs.

Printed: p50 and p95 (ms) of each pass and their medians over the passes; the baseline's
median. PASS when the median p95 of MCP search is at most 50 ms (issue 13); exit 1 on FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import REPO, default_corpus  # noqa: E402

TARGET_P95_MS = 50.0
QUERIES = REPO / "bench" / "queries.yaml"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def prepare(corpus: Path, into: Path) -> Path:
    root = into / "corpus"
    shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".git", ".teleo"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@localhost"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench snapshot"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "teleo.cli.app", "--vault", str(root), "index"], check=True,
                   capture_output=True, stdin=subprocess.DEVNULL)
    log(f"index with embeddings built in {time.perf_counter() - started:.1f} s")
    return root


def mcp_passes(root: Path, queries: list[str], calls: int, passes: int) -> list[tuple[float, float]]:
    from mcp import Client

    from teleo.mcp.server import build_server
    from teleo.mcp.tools import VaultTools
    from teleo.vault import Vault

    tools = VaultTools(Vault.open(root), watch=True)
    server = build_server(tools)
    results: list[tuple[float, float]] = []

    async def run() -> None:
        async with Client(server) as client:
            started = time.perf_counter()
            for mode in ("text", "semantic", "hybrid"):
                warm = await client.call_tool("search", {"query": queries[0], "mode": mode})
                assert not warm.is_error, warm.content
            log(f"MCP warm-up (first calls, model load) {1000 * (time.perf_counter() - started):.0f} ms")
            for number in range(passes):
                times = []
                for i in range(calls):
                    query = queries[(i + number) % len(queries)]
                    t0 = time.perf_counter()
                    result = await client.call_tool("search", {"query": query, "limit": 10})
                    times.append(1000 * (time.perf_counter() - t0))
                    assert not result.is_error and result.structured_content["hits"], (query, result.content)
                results.append((statistics.median(times), percentile(times, 0.95)))
                log(f"  pass {number + 1}: p50 {results[-1][0]:.1f} ms, p95 {results[-1][1]:.1f} ms over {calls} calls")

    anyio.run(run)
    tools.state.stop()
    return results


def cli_runs(root: Path, queries: list[str], runs: int) -> list[float]:
    times = []
    for i in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "teleo.cli.app", "--vault", str(root), "search", queries[i % len(queries)],
                               "--format", "json"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        times.append(1000 * (time.perf_counter() - started))
        if done.returncode != 0 or not json.loads(done.stdout)["hits"]:
            raise SystemExit(f"teleo search failed: {done.stderr[-500:]}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--cli-runs", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    if not (args.corpus / "domains").is_dir():
        log(f"corpus not found at {args.corpus} (set TELEO_CORPUS or --corpus)")
        return 2
    queries = [item["query"] for item in yaml.safe_load(QUERIES.read_text(encoding="utf-8"))]
    with tempfile.TemporaryDirectory(prefix="teleo-mcp-bench-") as tmp:
        root = prepare(args.corpus, Path(tmp))
        notes = sum(1 for _ in root.rglob("*.md"))
        passes = mcp_passes(root, queries, args.calls, args.passes)
        baseline = cli_runs(root, queries, args.cli_runs)
    p50 = statistics.median(p[0] for p in passes)
    p95 = statistics.median(p[1] for p in passes)
    cli = statistics.median(baseline)
    ok = p95 <= TARGET_P95_MS
    print(f"corpus copy: {notes} markdown files; {len(queries)} queries cycled; hybrid search, k=10")
    print(f"{'':34}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"{'MCP search, in process (median)':34}{p50:>10.1f}{p95:>10.1f}")
    print(f"{'teleo search, end to end':34}{cli:>10.0f}{percentile(baseline, 0.95):>10.0f}   ({len(baseline)} runs)")
    print(f"MCP p50 is {cli / p50:.0f}x faster than the command line (model and index loaded once)")
    print(f"{'PASS' if ok else 'FAIL'}: MCP search p95 {p95:.1f} ms {'<=' if ok else '>'} {TARGET_P95_MS:.0f} ms")
    if args.json:
        print(json.dumps({"mcp_p50_ms": p50, "mcp_p95_ms": p95, "passes": passes, "cli_ms": baseline}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
