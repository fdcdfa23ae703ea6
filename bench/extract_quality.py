"""How good is what the offline extractor proposes, and how often does it find what people extracted? (teleo-codex)

**Claim quality and null results** — every source in `inbox/archive/` (its `## Content`
section when it has one, else the whole body) is extracted twice in the same run: with the
claim-quality filter (what Teleo ships) and without it (`quality_filter=False`: the best-scoring
sentences, unjudged — the extractor before the rubric). Each result goes through the real
writer (`teleo.extract.writer.build_proposal`, the domain's agent) and every claim file it would
create is judged as lint and review judge it: `judge_title` on the file's title,
`judge_description` on its description, `judge_evidence` on its body with the source text (quotes
grounded). Printed: candidates, the share with a `claim-quality` error (must be 0 with the
filter: exit 1 otherwise), null results, and for the filtered run what was dropped, by reason.

**Recall** — for every source with `status: processed` and a `claims_extracted` list whose
entries resolve to claim files, run `extract_offline` with `max_claims = 8` and no similar
claims. Embed the candidates' titles and the real claims' titles with the bundled wordllama
model; a real claim is *matched* when some candidate's cosine to it is at least T. Both
versions (filtered, unfiltered) are scored in the same run.

Baselines, scored the same way:

- **random** — 8 sentences drawn uniformly from the same source's sentences
  that make a valid title (`clean_title` not None), cleaned the same way;
  averaged over `--draws` fixed seeds (0, 1, …), so the number is stable;
- **ceiling** — every such sentence of the source: the share of real claims
  that any verbatim sentence reaches at T (no selection can beat it).

    python bench/extract_quality.py [--corpus PATH] [--json] [--per-source] [--examples N]
    python bench/extract_quality.py --calibrate     # the dedupe threshold evidence

The corpus defaults to `$TELEO_CORPUS`, else `../shared/corpora/teleo-codex` next to the
checkout (or next to the folder of worktrees holding it). Runtime per source is
`extract_offline` wall time (the model is loaded before timing), filtered version.

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

from teleo.extract.context import ContextError, placement
from teleo.extract.context import source_text as job_source_text
from teleo.extract.dedupe import embedding_text
from teleo.extract.offline import MIN_WORDS, clean_title, extract_offline, extract_offline_detailed
from teleo.contract.request import ExtractionRequest
from teleo.extract.sentences import embed, embedder, split_sentences
from teleo.extract.writer import WriteRefused, build_proposal
from teleo.gates.quality import judge_description, judge_evidence, judge_title
from teleo.notes import parse_document
from teleo.vault import Vault

THRESHOLDS = (0.70, 0.75, 0.80)
MAX_CLAIMS = 8
CLAIM_ROOTS = ("domains/", "core/", "foundations/")
VERSIONS = ("filtered", "unfiltered")
"""`filtered`: the extractor as shipped; `unfiltered`: `quality_filter=False` (its proposals unjudged)."""


def default_corpus() -> Path:
    """`$TELEO_CORPUS`, else `shared/corpora/teleo-codex` beside the checkout or beside its worktrees' folder."""
    import os

    if os.environ.get("TELEO_CORPUS"):
        return Path(os.environ["TELEO_CORPUS"])
    here = Path(__file__).resolve().parents[1]
    for base in (here.parent, here.parent.parent):
        candidate = base / "shared" / "corpora" / "teleo-codex"
        if candidate.is_dir():
            return candidate
    return here.parent / "shared" / "corpora" / "teleo-codex"


@dataclass
class SourceRow:
    path: str
    chars: int
    sentences: int
    real: int
    candidates: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    matched: dict[str, dict[str, int]] = field(default_factory=dict)
    """version → threshold → real claims matched."""
    random: dict[str, float] = field(default_factory=dict)
    ceiling: dict[str, int] = field(default_factory=dict)


@dataclass
class QualityRow:
    path: str
    candidates: dict[str, int] = field(default_factory=dict)
    """version → claim files the writer would create."""
    flawed: dict[str, int] = field(default_factory=dict)
    """version → those with at least one `claim-quality` error."""
    null: dict[str, bool] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    """Filtered version: candidates dropped, by reason."""
    examples: list[dict] = field(default_factory=list)
    """Flawed claims (version, title, first error)."""


def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)] if str(value).strip() else []


def source_text(note) -> str:
    """What an extraction job gives the extractor: the source's `## Content`, else its body."""
    return job_source_text(note).text


def request_for(note, text: str, max_claims: int = MAX_CLAIMS) -> ExtractionRequest:
    return ExtractionRequest(
        job_id="bench", agent="bench", domain=str(note.data.get("domain", "")), source_path=note.path,
        source_title=str(note.data.get("title", "") or ""), source_text=text, max_claims=max_claims,
    )


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


# -- recall --------------------------------------------------------------------------


def run(corpus: Path, thresholds: tuple[float, ...], draws: int, max_claims: int) -> list[SourceRow]:
    vault = Vault.open(corpus)
    embedder()  # load before timing
    rows = []
    for note, real_titles in processed_sources(vault):
        text = source_text(note)
        request = request_for(note, text, max_claims)
        started = time.perf_counter()
        results = {"filtered": extract_offline(request)}
        seconds = time.perf_counter() - started
        results["unfiltered"] = extract_offline(request, quality_filter=False)
        for result in results.values():
            assert not result.problems(), result.problems()
        pool = []
        for sentence in split_sentences(text).sentences:
            if len(sentence.text.split()) >= MIN_WORDS:
                title = clean_title(sentence.text, text)
                if title is not None and title not in pool:
                    pool.append(title)
        real = embed([embedding_text(t) for t in real_titles])
        cands = {v: embed([embedding_text(c.title) for c in r.claims]) for v, r in results.items()}
        pool_vectors = embed(pool)
        row = SourceRow(note.path, len(text), len(pool), len(real_titles),
                        {v: len(r.claims) for v, r in results.items()}, round(seconds, 4))
        seed_base = zlib.crc32(note.path.encode())
        picks = []
        for draw in range(draws):
            rng = random.Random(seed_base + draw)
            picks.append(rng.sample(range(len(pool)), min(max_claims, len(pool))))
        for version in VERSIONS:
            row.matched[version] = {}
        for t in thresholds:
            key = f"{t:.2f}"
            for version in VERSIONS:
                row.matched[version][key] = _matched(real, cands[version], t)
            row.ceiling[key] = _matched(real, pool_vectors, t)
            row.random[key] = statistics.fmean(_matched(real, pool_vectors[p], t) for p in picks) if picks else 0.0
        rows.append(row)
    return rows


def summarise(rows: list[SourceRow], thresholds: tuple[float, ...]) -> dict:
    real = sum(r.real for r in rows)
    out = {
        "sources": len(rows), "real_claims": real, "max_claims": MAX_CLAIMS,
        "candidates": {v: sum(r.candidates[v] for r in rows) for v in VERSIONS},
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
        share = {v: sum(r.matched[v][key] for r in rows) / real if real else 0.0 for v in VERSIONS}
        rand = sum(r.random[key] for r in rows) / real if real else 0.0
        ceiling = sum(r.ceiling[key] for r in rows) / real if real else 0.0
        out["thresholds"][key] = {
            "offline": round(share["filtered"], 4), "unfiltered": round(share["unfiltered"], 4),
            "random": round(rand, 4), "ceiling": round(ceiling, 4),
            "ratio": round(share["filtered"] / rand, 2) if rand else None,
            "offline_of_ceiling": round(share["filtered"] / ceiling, 3) if ceiling else None,
        }
    return out


# -- claim quality and null results ------------------------------------------------------


def written_claims(vault: Vault, note, text: str, result) -> list[tuple[str, str, str]] | None:
    """(title, description, body) of every claim file the writer would create for `result`; None when
    the source cannot be placed or written (no domain, outside the territory)."""
    from teleo.extract.context import SourceText

    try:
        domain, agent = placement(vault, note)
        files = build_proposal(vault, note, result, text=SourceText(text, 1, "content"), agent=agent,
                               domain=domain, provider="offline", model="offline", today="2026-01-01")
    except (ContextError, WriteRefused):
        return None
    out = []
    for path in files.created:
        doc = parse_document(files.files[path])
        description = doc.data.get("description")
        out.append((path.rsplit("/", 1)[-1].removesuffix(".md"), str(description or ""), doc.body))
    return out


def quality_errors(title: str, description: str, body: str, source: str) -> list:
    """The `claim-quality` errors of a written claim, judged as lint does, quotes grounded in `source`."""
    issues = [*judge_title(title), *judge_description(title, description), *judge_evidence(body, source_text=source)]
    return [i for i in issues if i.severity == "error"]


def quality_run(corpus: Path, max_claims: int) -> list[QualityRow]:
    vault = Vault.open(corpus)
    rows = []
    for path in vault.markdown_paths():
        if not path.startswith("inbox/archive/"):
            continue
        note = vault.note(path)
        text = source_text(note)
        request = request_for(note, text, max_claims)
        detailed = extract_offline_detailed(request)
        results = {"filtered": detailed.result, "unfiltered": extract_offline(request, quality_filter=False)}
        row = QualityRow(path)
        for version, result in results.items():
            written = written_claims(vault, note, text, result)
            if written is None:
                break
            row.candidates[version] = len(written)
            row.null[version] = result.is_null
            flawed = 0
            for title, description, body in written:
                errors = quality_errors(title, description, body, text)
                if errors:
                    flawed += 1
                    row.examples.append({"version": version, "title": title, "description": description,
                                         "error": f"{errors[0].code}: {errors[0].message}"})
            row.flawed[version] = flawed
        else:
            for item in detailed.dropped:
                row.dropped[item.code] = row.dropped.get(item.code, 0) + 1
            rows.append(row)
    return rows


def summarise_quality(rows: list[QualityRow]) -> dict:
    out: dict = {"sources": len(rows)}
    for version in VERSIONS:
        candidates = sum(r.candidates[version] for r in rows)
        flawed = sum(r.flawed[version] for r in rows)
        out[version] = {
            "candidates": candidates, "with_error": flawed,
            "error_share": round(flawed / candidates, 4) if candidates else 0.0,
            "null_results": sum(1 for r in rows if r.null[version]),
        }
    dropped: dict[str, int] = {}
    for r in rows:
        for code, n in r.dropped.items():
            dropped[code] = dropped.get(code, 0) + n
    out["dropped_by_reason"] = dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def print_table(summary: dict, quality: dict, rows: list[SourceRow], quality_rows: list[QualityRow],
                per_source: bool, examples: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 150 if per_source else 100))
    table = Table(title=f"Claim quality of what the offline extractor proposes — {quality['sources']} sources "
                        f"of inbox/archive/, judged as written by the writer")
    for column in ("version", "candidates", "with a claim-quality error", "share", "null results"):
        table.add_column(column, justify="right")
    for version in VERSIONS:
        q = quality[version]
        table.add_row(version, str(q["candidates"]), str(q["with_error"]), f"{q['error_share']:.1%}",
                      str(q["null_results"]))
    console.print(table)
    dropped = quality["dropped_by_reason"]
    console.print("filtered version, candidates dropped by reason: "
                  + (", ".join(f"{code} {n}" for code, n in dropped.items()) or "none"))
    if examples:
        for version in VERSIONS:
            shown = [e for r in quality_rows for e in r.examples if e["version"] == version][:examples]
            if shown:
                console.print(f"\n[bold]{version}[/]: claims with a claim-quality error (first {len(shown)})")
                for e in shown:
                    console.print(f"  \u2022 {e['title']}  [dim]\u2014 {e['error'][:120]}[/]", highlight=False)

    table = Table(title=f"Recall: offline extractor vs random sentences \u2014 {summary['sources']} sources, "
                        f"{summary['real_claims']} real claims, \u2264 {summary['max_claims']} candidates each "
                        f"(filtered {summary['candidates']['filtered']}, unfiltered {summary['candidates']['unfiltered']})")
    for column in ("T (cosine \u2265)", "filtered", "unfiltered", "random", "ratio (filtered / random)",
                   "ceiling (any sentence)", "filtered / ceiling"):
        table.add_column(column, justify="right")
    for key, value in summary["thresholds"].items():
        table.add_row(
            key, f"{value['offline']:.1%}", f"{value['unfiltered']:.1%}", f"{value['random']:.1%}",
            f"{value['ratio']:.2f}\u00d7" if value["ratio"] else "\u2014", f"{value['ceiling']:.1%}",
            f"{value['offline_of_ceiling']:.0%}" if value["offline_of_ceiling"] else "\u2014",
        )
    console.print(table)
    runtime = summary["runtime_s"]
    console.print(
        f"runtime per source (filtered): mean {runtime['mean'] * 1000:.0f} ms, median {runtime['median'] * 1000:.0f} ms, "
        f"max {runtime['max'] * 1000:.0f} ms (largest source {runtime['max_source_chars']:,} chars); "
        f"total {runtime['total']:.1f} s. Sources with \u2264 {summary['max_claims']} usable sentences: "
        f"{summary['sources_with_at_most_max_claims_sentences']}."
    )
    if per_source and rows:
        detail = Table(title="per source (recall set)")
        keys = list(rows[0].random)
        for column in ("source", "chars", "sentences", "real", "cands", "ms", *(f"off@{k}" for k in keys),
                       *(f"unf@{k}" for k in keys), *(f"rnd@{k}" for k in keys)):
            detail.add_column(column, justify="right" if column != "source" else "left")
        for r in rows:
            detail.add_row(
                r.path.rsplit("/", 1)[-1][:50], str(r.chars), str(r.sentences), str(r.real),
                str(r.candidates["filtered"]), f"{r.seconds * 1000:.0f}",
                *(str(r.matched["filtered"][k]) for k in keys), *(str(r.matched["unfiltered"][k]) for k in keys),
                *(f"{r.random[k]:.1f}" for k in keys),
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
    parser.add_argument("--corpus", type=Path, default=None, help="the vault (default: $TELEO_CORPUS, else the shared corpus)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--per-source", action="store_true", help="also list every source of the recall set")
    parser.add_argument("--examples", type=int, default=10, help="flawed claims shown per version")
    parser.add_argument("--draws", type=int, default=20, help="random baseline draws (fixed seeds)")
    parser.add_argument("--thresholds", default="0.70,0.75,0.80", help="comma-separated cosine thresholds")
    parser.add_argument("--calibrate", action="store_true", help="print the dedupe threshold evidence")
    args = parser.parse_args(argv)
    corpus = args.corpus or default_corpus()
    if not corpus.is_dir():
        print(f"corpus not found: {corpus} (set --corpus or $TELEO_CORPUS)", file=sys.stderr)
        return 2
    if args.calibrate:
        print(json.dumps(calibrate(corpus), indent=2))
        return 0
    thresholds = tuple(float(t) for t in args.thresholds.split(","))
    quality_rows = quality_run(corpus, MAX_CLAIMS)
    quality = summarise_quality(quality_rows)
    rows = run(corpus, thresholds, args.draws, MAX_CLAIMS)
    summary = summarise(rows, thresholds)
    failed = quality["filtered"]["with_error"] > 0
    if args.json:
        print(json.dumps({"quality": quality, "summary": summary, "ok": not failed,
                          "flawed": [e for r in quality_rows for e in r.examples],
                          "sources": [asdict(r) for r in rows]}, indent=2))
    else:
        print_table(summary, quality, rows, quality_rows, args.per_source, args.examples)
        verdict = "FAIL" if failed else "PASS"
        print(f"\n{verdict}: {quality['filtered']['with_error']} of {quality['filtered']['candidates']} filtered "
              f"candidates have a claim-quality error (must be 0); unfiltered: {quality['unfiltered']['with_error']} "
              f"of {quality['unfiltered']['candidates']}.")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
