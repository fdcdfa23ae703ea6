"""How often does the offline extractor find the claims people extracted? (teleo-codex corpus)

For every source in `inbox/archive/` with `status: processed` and a
`claims_extracted` list whose entries resolve to claim files, run
`extract_offline` on the source text (its `## Content` section when it has
one, else the whole body — what an `ExtractionRequest` carries), with
`max_claims = 8` and no similar claims. Embed the candidates' titles and the
real claims' titles with the bundled wordllama model; a real claim is
*matched* when some candidate's cosine to it is at least T.

Baselines, scored the same way:

- **random** — 8 sentences drawn uniformly from the same source's sentences
  that make a valid title (`clean_title` not None), cleaned the same way;
  averaged over `--draws` fixed seeds (0, 1, …), so the number is stable;
- **ceiling** — every such sentence of the source: the share of real claims
  that any verbatim sentence reaches at T (no selection can beat it).

    python bench/extract_quality.py [--corpus PATH] [--json] [--per-source]
    python bench/extract_quality.py --calibrate     # the dedupe threshold evidence

Runtime per source is `extract_offline` wall time (the model is loaded before timing).

Caveat: the offline extractor's hand-set weights and cues were checked
against this same bench (no held-out split). Before the contrast and label
cues and the title weight were added, the first version scored 10.1 % /
7.3 % / 0.9 % against random 9.3 % / 6.3 % / 1.0 % at T = 0.70 / 0.75 / 0.80.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from teleo.extract.dedupe import embedding_text
from teleo.extract.offline import MIN_WORDS, clean_title, extract_offline
from teleo.extract.request import ExtractionRequest
from teleo.extract.sentences import embed, embedder, split_sentences
from teleo.ingest.dedupe import content_section
from teleo.vault import Vault

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "teleo-codex"
THRESHOLDS = (0.70, 0.75, 0.80)
MAX_CLAIMS = 8
CLAIM_ROOTS = ("domains/", "core/", "foundations/")


@dataclass
class SourceRow:
    path: str
    chars: int
    sentences: int
    real: int
    candidates: int
    seconds: float
    matched: dict[str, int] = field(default_factory=dict)
    random: dict[str, float] = field(default_factory=dict)
    ceiling: dict[str, int] = field(default_factory=dict)


def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)] if str(value).strip() else []


def source_text(note) -> str:
    body = note.doc.body
    content = content_section(body)
    return content if content and content.strip() else body


def processed_sources(vault: Vault):
    """(note, [real claim titles]) for processed sources whose claims_extracted resolve."""
    for path in vault.markdown_paths():
        if not path.startswith("inbox/archive/"):
            continue
        note = vault.note(path)
        if str(note.data.get("status", "")).strip() != "processed":
            continue
        titles: list[str] = []
        for entry in _list(note.data.get("claims_extracted")):
            found = vault.resolver.resolve(entry.strip().strip("[]"), path)
            if found.resolved and found.path.startswith(CLAIM_ROOTS):
                title = vault.note(found.path).title
                if title not in titles:
                    titles.append(title)
        if titles:
            yield note, titles


def _matched(real: np.ndarray, cand: np.ndarray, threshold: float) -> int:
    if len(cand) == 0 or len(real) == 0:
        return 0
    return int(((real @ cand.T).max(axis=1) >= threshold).sum())


def run(corpus: Path, thresholds: tuple[float, ...], draws: int, max_claims: int) -> list[SourceRow]:
    vault = Vault.open(corpus)
    embedder()  # load before timing
    rows = []
    for note, real_titles in processed_sources(vault):
        text = source_text(note)
        request = ExtractionRequest(
            job_id="bench", agent="bench", domain=str(note.data.get("domain", "")), source_path=note.path,
            source_title=str(note.data.get("title", "") or ""), source_text=text, max_claims=max_claims,
        )
        started = time.perf_counter()
        result = extract_offline(request)
        seconds = time.perf_counter() - started
        assert not result.problems(), result.problems()
        pool = []
        for sentence in split_sentences(text).sentences:
            if len(sentence.text.split()) >= MIN_WORDS:
                title = clean_title(sentence.text, text)
                if title is not None and title not in pool:
                    pool.append(title)
        real = embed([embedding_text(t) for t in real_titles])
        cand = embed([embedding_text(c.title) for c in result.claims])
        pool_vectors = embed(pool)
        row = SourceRow(note.path, len(text), len(pool), len(real_titles), len(result.claims), round(seconds, 4))
        seed_base = zlib.crc32(note.path.encode())
        picks = []
        for draw in range(draws):
            rng = random.Random(seed_base + draw)
            picks.append(rng.sample(range(len(pool)), min(max_claims, len(pool))))
        for t in thresholds:
            key = f"{t:.2f}"
            row.matched[key] = _matched(real, cand, t)
            row.ceiling[key] = _matched(real, pool_vectors, t)
            row.random[key] = statistics.fmean(_matched(real, pool_vectors[p], t) for p in picks) if picks else 0.0
        rows.append(row)
    return rows


def summarise(rows: list[SourceRow], thresholds: tuple[float, ...]) -> dict:
    real = sum(r.real for r in rows)
    out = {
        "sources": len(rows), "real_claims": real, "max_claims": MAX_CLAIMS,
        "runtime_s": {
            "mean": round(statistics.fmean(r.seconds for r in rows), 4) if rows else 0.0,
            "median": round(statistics.median(r.seconds for r in rows), 4) if rows else 0.0,
            "max": round(max((r.seconds for r in rows), default=0.0), 4),
            "max_source_chars": max((r.chars for r in rows), default=0),
            "total": round(sum(r.seconds for r in rows), 3),
        },
        "sources_with_at_most_max_claims_sentences": sum(1 for r in rows if r.sentences <= MAX_CLAIMS),
        "thresholds": {},
    }
    for t in thresholds:
        key = f"{t:.2f}"
        offline = sum(r.matched[key] for r in rows) / real if real else 0.0
        rand = sum(r.random[key] for r in rows) / real if real else 0.0
        ceiling = sum(r.ceiling[key] for r in rows) / real if real else 0.0
        out["thresholds"][key] = {
            "offline": round(offline, 4), "random": round(rand, 4), "ceiling": round(ceiling, 4),
            "ratio": round(offline / rand, 2) if rand else None,
            "offline_of_ceiling": round(offline / ceiling, 3) if ceiling else None,
        }
    return out


def print_table(summary: dict, rows: list[SourceRow], per_source: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 150 if per_source else 100))
    table = Table(title=f"Offline extractor vs random sentences — {summary['sources']} sources, "
                        f"{summary['real_claims']} real claims, {summary['max_claims']} candidates each")
    for column in ("T (cosine ≥)", "sources", "real claims", "matched (offline)", "matched (random)", "ratio",
                   "ceiling (any sentence)", "offline / ceiling"):
        table.add_column(column, justify="right")
    for key, value in summary["thresholds"].items():
        table.add_row(
            key, str(summary["sources"]), str(summary["real_claims"]), f"{value['offline']:.1%}",
            f"{value['random']:.1%}", f"{value['ratio']:.2f}×" if value["ratio"] else "—", f"{value['ceiling']:.1%}",
            f"{value['offline_of_ceiling']:.0%}" if value["offline_of_ceiling"] else "—",
        )
    console.print(table)
    runtime = summary["runtime_s"]
    console.print(
        f"runtime per source: mean {runtime['mean'] * 1000:.0f} ms, median {runtime['median'] * 1000:.0f} ms, "
        f"max {runtime['max'] * 1000:.0f} ms (largest source {runtime['max_source_chars']:,} chars); "
        f"total {runtime['total']:.1f} s. Sources with ≤ {summary['max_claims']} usable sentences (random = "
        f"offline there): {summary['sources_with_at_most_max_claims_sentences']}."
    )
    if per_source:
        detail = Table(title="per source")
        for column in ("source", "chars", "sentences", "real", "cands", "ms", *(f"off@{k}" for k in rows[0].matched),
                       *(f"rnd@{k}" for k in rows[0].random)):
            detail.add_column(column, justify="right" if column != "source" else "left")
        for r in rows:
            detail.add_row(
                r.path.rsplit("/", 1)[-1][:50], str(r.chars), str(r.sentences), str(r.real), str(r.candidates),
                f"{r.seconds * 1000:.0f}", *(str(v) for v in r.matched.values()),
                *(f"{v:.1f}" for v in r.random.values()),
            )
        console.print(detail)


# -- calibration of the dedupe thresholds ---------------------------------------------


def calibrate(corpus: Path) -> dict:
    """The similarity evidence behind dedupe.DUPLICATE_THRESHOLD and RELATED_THRESHOLD."""
    vault = Vault.open(corpus)
    claims: dict[str, tuple[str, str, str]] = {}
    for path in vault.markdown_paths():
        if path.startswith(CLAIM_ROOTS):
            note = vault.note(path)
            if note.type_value == "claim":
                claims[path] = (note.title, str(note.data.get("description") or ""), str(note.data.get("domain") or ""))
    paths = sorted(claims)
    index = {p: i for i, p in enumerate(paths)}
    titles = [embedding_text(claims[p][0]) for p in paths]
    full = [f"{t}. {claims[p][1]}" if claims[p][1] else t for t, p in zip(titles, paths)]
    t_vec, f_vec = embed(titles), embed(full)
    own_description = (t_vec * embed([claims[p][1] for p in paths])).sum(axis=1)
    distinct = sorted(set(titles))
    d_vec = embed(distinct)
    sims = d_vec @ d_vec.T
    np.fill_diagonal(sims, -1)
    pos: list[float] = []
    neg: list[float] = []
    for note, real_titles in processed_sources(vault):
        own = [index[p] for p in paths if claims[p][0] in real_titles]
        sentences = [s.text for s in split_sentences(source_text(note)).sentences if len(s.text.split()) >= MIN_WORDS]
        if not own or not sentences:
            continue
        s_vec = embed(sentences)
        both = np.maximum(s_vec @ t_vec.T, s_vec @ f_vec.T)
        pos.extend(float(both[:, i].max()) for i in own)
        own_titles = {claims[paths[i]][0] for i in own}
        domain = str(note.data.get("domain", ""))
        others = [i for i, p in enumerate(paths) if claims[p][2] == domain and claims[p][0] not in own_titles]
        if others:
            neg.extend(float(v) for v in both[:, others].max(axis=1))
    pct = lambda xs, qs: {f"p{q}": round(float(np.percentile(xs, q)), 3) for q in qs}
    return {
        "claims": len(paths), "distinct_titles": len(distinct),
        "title_vs_own_description": pct(own_description, (10, 25, 50, 75)),
        "title_nearest_distinct_title": pct(sims.max(axis=1), (50, 90, 95, 99)),
        "best_sentence_vs_claim_extracted_from_it": {**pct(pos, (10, 25, 50, 75, 90)), "n": len(pos)},
        "sentence_vs_nearest_unrelated_claim_same_domain": {**pct(neg, (50, 90, 95, 99, 99.9)), "n": len(neg)},
        "share_at": {
            f"{t:.2f}": {"extracted_from": round(float(np.mean(np.array(pos) >= t)), 3),
                         "unrelated": round(float(np.mean(np.array(neg) >= t)), 4)}
            for t in (0.55, 0.60, 0.65, 0.70, 0.75)
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--per-source", action="store_true", help="also list every source")
    parser.add_argument("--draws", type=int, default=20, help="random baseline draws (fixed seeds)")
    parser.add_argument("--thresholds", default="0.70,0.75,0.80", help="comma-separated cosine thresholds")
    parser.add_argument("--calibrate", action="store_true", help="print the dedupe threshold evidence")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    if args.calibrate:
        print(json.dumps(calibrate(args.corpus), indent=2))
        return 0
    thresholds = tuple(float(t) for t in args.thresholds.split(","))
    rows = run(args.corpus, thresholds, args.draws, MAX_CLAIMS)
    summary = summarise(rows, thresholds)
    if args.json:
        print(json.dumps({"summary": summary, "sources": [asdict(r) for r in rows]}, indent=2))
    else:
        print_table(summary, rows, args.per_source)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
