"""Recall@k of `Index.search` on labelled queries against the corpus, per mode.

    python bench/search_quality.py [--queries bench/queries.yaml] [--k 5] [--verbose] [--json]

The queries (bench/queries.yaml, written by hand from the corpus titles) each
name the 1–3 notes they should find. A note may be listed under several paths
with the same file name — the corpus holds some claims both in core/ and in
domains/ — and then either copy in the top k counts as finding it.

Per mode (text, semantic, hybrid), on a temporary copy of the corpus indexed
with embeddings:

* recall@k (queries) — share of queries with at least one expected note in the top k;
* recall@k (all) — share of queries with every expected note in the top k;
* mean per-note recall — mean over queries of the share of its notes found;
* MRR — mean reciprocal rank of the first expected note (0 beyond k).

`--verbose` lists each mode's misses with what came first instead. Figures to
read, not assertions: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import REPO, default_corpus

MODES = ("text", "semantic", "hybrid")


def load_queries(path: Path, root: Path) -> list[dict]:
    """The labelled queries; each expected note a set of equivalent paths (same file name)."""
    queries = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        notes: dict[str, set[str]] = {}
        for rel in item["expect"]:
            if not (root / rel).is_file():
                raise SystemExit(f"{path}: {item['query']!r} expects {rel!r}, which is not in {root}")
            notes.setdefault(rel.rpartition("/")[2], set()).add(rel)
        queries.append({"query": item["query"], "notes": list(notes.values())})
    return queries


def score(index, queries: list[dict], mode: str, k: int) -> dict:
    any_hit = all_hit = 0
    per_note = rr = 0.0
    misses = []
    for q in queries:
        paths = [hit.path for hit in index.search(q["query"], mode, k=k)]
        found = [any(p in note for p in paths) for note in q["notes"]]
        ranks = [i for i, p in enumerate(paths, 1) if any(p in note for note in q["notes"])]
        any_hit += any(found)
        all_hit += all(found)
        per_note += sum(found) / len(found)
        rr += 1.0 / ranks[0] if ranks else 0.0
        if not all(found):
            missing = [sorted(note)[0] for note, ok in zip(q["notes"], found) if not ok]
            misses.append({"query": q["query"], "missing": missing, "got": paths[:3], "partial": any(found)})
    n = len(queries)
    return {
        "recall_any": any_hit / n, "recall_all": all_hit / n, "per_note": per_note / n, "mrr": rr / n,
        "hits": any_hit, "queries": n, "misses": misses,
    }


def print_table(results: dict, meta: dict, verbose: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    k = meta["k"]
    table = Table(title=f"search quality: {meta['queries']} labelled queries on the corpus, top {k}")
    for column in ("mode", f"recall@{k} (queries)", f"recall@{k} (all notes)", "mean per-note recall", f"MRR@{k}", "hits"):
        table.add_column(column, justify="left" if column == "mode" else "right", no_wrap=True)
    for mode, r in results.items():
        table.add_row(mode, f"{r['recall_any']:.1%}", f"{r['recall_all']:.1%}", f"{r['per_note']:.1%}",
                      f"{r['mrr']:.3f}", f"{r['hits']}/{r['queries']}")
    console.print(table)
    if verbose:
        for mode, r in results.items():
            console.print(f"\n[bold]{mode}[/]: {len(r['misses'])} queries missing a note")
            for miss in r["misses"]:
                console.print(f"  {'partial' if miss['partial'] else 'MISS'}: {miss['query']!r}")
                for rel in miss["missing"]:
                    console.print(f"      wanted {rel[:110]}")
                for rel in miss["got"]:
                    console.print(f"      got    {rel[:110]}")
    console.print(f"[dim]index built in {meta['index_s']:.1f} s ({meta['notes']:,} notes); queries {meta['queries_file']}[/]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus(), help="the source vault ($TELEO_CORPUS)")
    parser.add_argument("--queries", type=Path, default=REPO / "bench" / "queries.yaml")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="list each mode's misses")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from teleo.index import Index

    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"error: no corpus at {corpus} (pass --corpus or set TELEO_CORPUS)", file=sys.stderr)
        return 2
    queries = load_queries(args.queries, corpus)
    with tempfile.TemporaryDirectory(prefix="teleo-search-quality-") as scratch:
        root = Path(scratch) / corpus.name
        shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".teleo", ".git"))
        start = time.perf_counter()
        index = Index.open(root)
        stats = index.sync(embed=True)
        meta = {"k": args.k, "queries": len(queries), "queries_file": str(args.queries),
                "index_s": time.perf_counter() - start, "notes": stats.notes}
        results = {mode: score(index, queries, mode, args.k) for mode in MODES}
        index.close()
    if args.json:
        print(json.dumps({**meta, "modes": results}, indent=1, ensure_ascii=False))
    else:
        print_table(results, meta, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
