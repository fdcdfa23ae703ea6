"""Latency of `teleo serve`: the claim page and search, against the running server.

    python bench/web_bench.py [--only corpus|15k] [--requests 100] [--json]

Two vaults:

* corpus — a temporary copy of the corpus, made a git repository (one commit), so the
  claim page's history is read as on a real vault;
* 15k — `bench/synth.py`'s copy of the corpus 13× over (bench/out/web-synth-13, reused
  while its marker matches; also one git commit).

Per vault: `teleo index` builds the index (with embeddings) first, then `teleo serve`
runs as a subprocess (default options: file watcher on) and the script waits for
`/healthz`. After a warm-up (`/api/graph`, which waits for the server's own warm-up of git
history and graph layout; the home page, one claim page, one search per mode),
each endpoint gets `--requests` sequential GETs over one keep-alive connection:

* baseline — `/healthz` (routing and JSON, no data) and `/static/teleo.css` (a file);
* claim page — `/notes/<path>` of different claims (seeded draw), HTML;
* search — `/search?q=...` (hybrid, the default) with the queries of bench/queries.yaml
  (cycled), HTML; and `/api/search?...&mode=text` for the full-text path alone.

Printed: p50 and p95 in ms and p50 as a multiple of the baseline's p50. Figures to
read, not assertions: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import REPO, default_corpus, ensure_synthetic  # noqa: E402

from teleo.web.launch import serve_process  # noqa: E402

COPIES_15K = 13
QUERIES = REPO / "bench" / "queries.yaml"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def git_commit_all(root: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@localhost"}
    if (root / ".git").exists():
        return
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench snapshot"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def build_index(root: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "teleo.cli.app", "--vault", str(root), "index"], check=True,
                   capture_output=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def claim_paths(root: Path, count: int, seed: int = 7) -> list[str]:
    found = sorted(
        p.relative_to(root).as_posix() for p in (root / "domains").rglob("*.md") if not p.name.startswith("_")
    )
    random.Random(seed).shuffle(found)
    return found[:count]


def queries(count: int) -> list[str]:
    listed = [item["query"] for item in yaml.safe_load(QUERIES.read_text(encoding="utf-8"))]
    return [listed[i % len(listed)] for i in range(count)]


def timed(client: httpx.Client, urls: list[str], expect: str | None = None) -> list[float]:
    times = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        if response.status_code != 200 or (expect and expect not in response.text):
            raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:300]}")
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def figures(times: list[float]) -> dict:
    return {"p50_ms": round(percentile(times, 0.5) * 1000, 2), "p95_ms": round(percentile(times, 0.95) * 1000, 2),
            "mean_ms": round(statistics.fmean(times) * 1000, 2), "n": len(times)}


def bench_vault(name: str, root: Path, requests: int) -> dict:
    log(f"[{name}] git snapshot …")
    git_commit_all(root)
    log(f"[{name}] teleo index …")
    index_seconds = build_index(root)
    notes = sum(1 for _ in root.rglob("*.md"))
    claims = claim_paths(root, requests)
    words = queries(requests)
    log(f"[{name}] teleo serve ({notes} notes) …")
    serve_log = Path(tempfile.gettempdir()) / f"teleo-web-bench-serve-{name}.log"
    with serve_process(root, serve_log) as server, httpx.Client(base_url=server.base, timeout=60) as client:
        warm_started = time.perf_counter()
        graph = timed(client, ["/api/graph"])[0]  # waits for the server's own warm-up (history, graph layout)
        timed(client, ["/", "/notes/" + quote(claims[0])])
        for mode in ("hybrid", "text", "semantic"):
            timed(client, [f"/search?q={quote(words[0])}&mode={mode}"])
        warm = time.perf_counter() - warm_started
        rows = {
            "healthz (baseline)": figures(timed(client, ["/healthz"] * requests)),
            "static css (baseline)": figures(timed(client, ["/static/teleo.css"] * requests)),
            "claim page": figures(timed(client, ["/notes/" + quote(p) for p in claims], 'id="main"')),
            "search page (hybrid)": figures(timed(client, [f"/search?q={quote(q)}" for q in words], 'id="results"')),
            "api search (text)": figures(timed(client, [f"/api/search?q={quote(q)}&mode=text" for q in words])),
        }
    return {"vault": name, "notes": notes, "index_s": round(index_seconds, 2), "startup_s": round(server.startup_s, 2),
            "warmup_s": round(warm, 2), "graph_first_s": round(graph, 2), "rows": rows}


def print_table(results: list[dict]) -> None:
    for result in results:
        print(f"\n{result['vault']}: {result['notes']} notes · index built in {result['index_s']} s · "
              f"server up in {result['startup_s']} s · warm-up {result['warmup_s']} s (first /api/graph {result['graph_first_s']} s)")
        base = result["rows"]["healthz (baseline)"]["p50_ms"] or 1e-9
        print(f"  {'endpoint':<24}{'p50 ms':>9}{'p95 ms':>9}{'p50 / healthz':>15}")
        for name, row in result["rows"].items():
            print(f"  {name:<24}{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}{row['p50_ms'] / base:>14.1f}×")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["corpus", "15k"])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    corpus = args.corpus or default_corpus()
    if not (corpus / "domains").is_dir():
        log(f"no corpus at {corpus}")
        return 2
    results = []
    if args.only in (None, "corpus"):
        with tempfile.TemporaryDirectory(prefix="teleo-web-bench-") as tmp:
            root = Path(tmp) / "corpus"
            shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".git", ".teleo"))
            results.append(bench_vault("corpus", root, args.requests))
    if args.only in (None, "15k"):
        root = REPO / "bench" / "out" / f"web-synth-{COPIES_15K}"
        log(f"[15k] synthetic vault at {root} …")
        ensure_synthetic(corpus, root, COPIES_15K)
        results.append(bench_vault("15k", root, args.requests))
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
