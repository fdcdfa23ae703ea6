"""Prompt tokens per source: Teleo's extraction prompt against the reference's approach.

    python bench/prompt_tokens.py [--corpus ../shared/corpora/teleo-codex] [--limit N] [--json]

On every source of the corpus's `inbox/archive/` whose domain maps to a folder:

- **Teleo**: the prompts `teleo extract` sends — `build_request` (identity, the vault's
  `skills/extract.md` and `schemas/claim.md` added to Teleo's rules, the whole source text, the
  k = 8 most similar claims from the index) rendered by `render_prompts` with the default chunk
  size (`DEFAULT_CHUNK_TOKENS`) — system plus user message, summed over the source's chunks.
- **Reference** (§4.3 of the reference system, the extraction cron): the agent is told to read
  `skills/extract.md`, `schemas/claim.md` and the source file, and to scan `domains/<domain>/`
  for duplicates. Counted: its prompt (the cron's instruction text, paraphrased), those two
  files, the source file as it is, and *every claim file* of the domain's folder. Not counted
  (in the reference's favour): the domain's maps and other non-claim files, the tool-call
  framing of each file read, the model's turns between reads, and retries.

Both sides go through the same tokenizer: OpenAI's `cl100k_base` via the `bpe-openai` wheel
(its BPE tables ship inside the wheel, so it works offline; a runtime dependency since the
chunker counts with it), else the tokenizer that ships inside the `wordllama` wheel. The one
used is printed, with how many sources needed more than one chunk.

The index is built on a temporary copy of the corpus (nothing is written under the corpus).
PASS when the median source needs at least 5× fewer tokens with Teleo.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from teleo.extract.context import ContextError, build_request, placement
from teleo.extract.prompt import DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS, render_prompts
from teleo.notes import Kind
from teleo.vault import Vault

DEFAULT_CORPUS = Path(os.environ.get("TELEO_CORPUS", Path(__file__).resolve().parents[2] / "shared/corpora/teleo-codex"))
TARGET_RATIO = 5.0
REFERENCE_PROMPT = """\
You are {agent}, a Teleo knowledge base agent. Read skills/extract.md for the extraction process and
schemas/claim.md for the claim format. Then read the source at {source}. Scan domains/{domain}/ for
existing claims so you do not duplicate them. Follow the six extraction steps: separate evidence from
interpretation, write atomic arguable claims with calibrated confidence into domains/{domain}/, link
them, and update the source's frontmatter to status: processed with processed_by, processed_date and
claims_extracted, or to status: null-result with notes explaining why. Do not duplicate existing claims.
"""


def tokenizer() -> tuple[str, Callable[[str], int]]:
    """(name, count function): cl100k_base from bpe-openai, else wordllama's bundled Llama-3 tokenizer."""
    try:
        import bpe_openai

        encoding = bpe_openai.get_encoding("cl100k_base")
        return "cl100k_base (bpe-openai, offline)", lambda text: len(encoding.encode(text))
    except Exception:  # noqa: BLE001 - not installed: the fallback below
        pass
    from importlib.resources import files

    from tokenizers import Tokenizer

    config = json.loads((files("wordllama") / "tokenizers" / "l2_supercat_tokenizer_config.json").read_text())
    llama = Tokenizer.from_str(json.dumps(config["tokenizer_config"] if "tokenizer_config" in config else config))
    return "Llama-3 (wordllama's bundled tokenizer)", lambda text: len(llama.encode(text, add_special_tokens=False).ids)


def copy_corpus(corpus: Path, into: Path) -> Vault:
    shutil.copytree(corpus, into, ignore=shutil.ignore_patterns(".git", ".teleo"), symlinks=True)
    return Vault.open(into)


def domain_claims(vault: Vault) -> dict[str, list[str]]:
    """Domain folder → the texts of every claim file in it (what the reference agent scans)."""
    folders: dict[str, list[str]] = {}
    for path in vault.markdown_paths():
        note = vault.note(path)
        if note.kind is Kind.CLAIM:
            folders.setdefault(path.rsplit("/", 1)[0], []).append(note.doc.text)
    return folders


def read(vault: Vault, relative: str) -> str:
    path = vault.root / relative
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def measure(vault: Vault, count: Callable[[str], int], limit: int | None) -> tuple[list[dict], list[str]]:
    from teleo.index import open_index

    open_index(vault).sync(embed=True)
    claims = domain_claims(vault)
    guidance, schema = read(vault, "skills/extract.md"), read(vault, "schemas/claim.md")
    fixed = count(guidance) + count(schema)
    folder_tokens = {folder: sum(count(t) for t in texts) for folder, texts in claims.items()}
    rows, skipped = [], []
    sources = [p for p in vault.markdown_paths() if p.startswith("inbox/archive/") and vault.note(p).kind is Kind.SOURCE]
    for rel in sources[:limit]:
        note = vault.note(rel)
        try:
            domain, agent = placement(vault, note)
            request = build_request(vault, rel)
        except ContextError as exc:
            skipped.append(f"{rel}: {exc}")
            continue
        folder = vault.config.domains[domain].folder.rstrip("/")
        prompts = render_prompts(request, chunk_tokens=DEFAULT_CHUNK_TOKENS, overlap_tokens=DEFAULT_OVERLAP_TOKENS,
                                 nonce="0" * 12)
        teleo = sum(count(p.system) + count(p.user) for p in prompts)
        instruction = REFERENCE_PROMPT.format(agent=agent, source=rel, domain=domain)
        reference = count(instruction) + fixed + count(note.doc.text) + folder_tokens.get(folder, 0)
        rows.append({"source": rel, "domain": domain, "claims_in_domain": len(claims.get(folder, [])),
                     "chunks": len(prompts), "teleo": teleo, "reference": reference, "ratio": reference / teleo})
    return rows, skipped


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"median": statistics.median(ordered), "mean": statistics.fmean(ordered), "p90": p90}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="only the first N sources (quick runs)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.corpus / "inbox/archive").is_dir():
        print(f"no corpus at {args.corpus} (set --corpus or TELEO_CORPUS)", file=sys.stderr)
        return 2
    name, count = tokenizer()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="prompt-tokens-") as tmp:
        vault = copy_corpus(args.corpus, Path(tmp) / "corpus")
        rows, skipped = measure(vault, count, args.limit)
    if not rows:
        print("no source could be measured", file=sys.stderr)
        return 2
    teleo, reference = summary([r["teleo"] for r in rows]), summary([r["reference"] for r in rows])
    ratios = summary([r["ratio"] for r in rows])
    ratio_of_medians = reference["median"] / teleo["median"]
    passed = ratio_of_medians >= TARGET_RATIO
    result = {"tokenizer": name, "sources": len(rows), "skipped": len(skipped), "teleo": teleo, "reference": reference,
              "ratio_of_medians": ratio_of_medians, "ratio_of_totals": sum(r["reference"] for r in rows) / sum(r["teleo"] for r in rows),
              "per_source_ratio": ratios, "multi_chunk_sources": sum(1 for r in rows if r["chunks"] > 1),
              "max_chunks": max(r["chunks"] for r in rows), "target": f">= {TARGET_RATIO:g}x fewer", "pass": passed,
              "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        print(json.dumps({**result, "rows": rows, "skipped_sources": skipped}, indent=2))
    else:
        print(f"prompt tokens per source, tokenizer {name}; {len(rows)} corpus sources ({len(skipped)} skipped: no domain folder); "
              f"{result['multi_chunk_sources']} sent in more than one chunk of {DEFAULT_CHUNK_TOKENS:,} tokens (at most {result['max_chunks']})")
        print(f"{'':>28} {'median':>8} {'mean':>8} {'p90':>8}")
        print(f"{'Teleo (k=8 similar claims)':>28} {teleo['median']:>8,.0f} {teleo['mean']:>8,.0f} {teleo['p90']:>8,.0f}")
        print(f"{'reference (whole domain)':>28} {reference['median']:>8,.0f} {reference['mean']:>8,.0f} {reference['p90']:>8,.0f}")
        print(f"ratio of medians {ratio_of_medians:.1f}x, of totals {result['ratio_of_totals']:.1f}x; "
              f"per source: median {ratios['median']:.1f}x, min {min(r['ratio'] for r in rows):.1f}x, "
              f"90% of sources ≥ {sorted(r['ratio'] for r in rows)[len(rows) // 10]:.1f}x")
        print(f"{'PASS' if passed else 'FAIL'}: {ratio_of_medians:.1f}x fewer tokens per source (target ≥ {TARGET_RATIO:g}x)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
