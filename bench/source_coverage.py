"""How much of each source's text reaches the extraction prompt — against the first-heading cut.

    python bench/source_coverage.py [--corpus ../shared/corpora/teleo-codex] [--chunk-tokens N] [--json]

On every source note of the corpus's `inbox/archive/` (read from a temporary copy):

- **baseline** (measured in the same run): the rule Teleo used before — a `## Content` section
  ends at the next `#`/`##` heading, and a section left empty by that rule falls back on the
  whole body (notes included);
- **now**: `teleo.extract.context.source_text` (the section ends only at a source note's known
  sections) rendered by `render_prompts` with `--chunk-tokens` (default: the prompt's default;
  pass a small value to split many sources into chunks).

Printed: sources whose Content the baseline cut, the characters it kept and lost, the
migrate-autocrat-v0.2 proposal as an example, and the number of chunks. PASS when, for every
source, every character of its text (whitespace aside) lies inside the fence of one of its prompts.
Nothing is sent to any model; similar claims are left out (they do not change the source part).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from teleo.extract.context import source_text
from teleo.extract.prompt import DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS, render_prompts
from teleo.contract.request import ExtractionRequest
from teleo.notes import Kind
from teleo.vault import Vault

DEFAULT_CORPUS = Path(os.environ.get("TELEO_CORPUS", Path(__file__).resolve().parents[2] / "shared/corpora/teleo-codex"))
EXAMPLE = "migrate-autocrat-program-to-v02"
_OLD_HEADING = re.compile(r"^##[ \t]+Content[ \t]*$", re.IGNORECASE | re.MULTILINE)
_OLD_NEXT = re.compile(r"^#{1,2}[ \t]+\S", re.MULTILINE)
_FENCE = re.compile(r"<(source-[0-9a-f]+)>\n(.*)\n</\1>", re.DOTALL)


def baseline(body: str) -> tuple[str, str]:
    """The text the first-heading rule gave the extractor, and from which part (`content`/`body`)."""
    match = _OLD_HEADING.search(body)
    if match is not None:
        start = match.end() + (1 if body[match.end():match.end() + 1] == "\n" else 0)
        following = _OLD_NEXT.search(body, start)
        text = body[start:following.start() if following else len(body)]
        if text.strip():
            return text, "content"
    return body, "body"


def measure(vault: Vault, chunk_tokens: int) -> list[dict]:
    rows = []
    for rel in vault.markdown_paths():
        if not rel.startswith("inbox/archive/"):
            continue
        note = vault.note(rel)
        if note.kind is not Kind.SOURCE:
            continue
        old, old_part = baseline(note.doc.body)
        now = source_text(note)
        request = ExtractionRequest(job_id="bench", agent="agent", domain="domain", source_path=rel,
                                    source_title=str(note.data.get("title") or note.title), source_text=now.text)
        prompts = render_prompts(request, chunk_tokens=chunk_tokens, overlap_tokens=DEFAULT_OVERLAP_TOKENS, nonce="0" * 12)
        rows.append({"source": rel, "part": now.section, "baseline_part": old_part, "baseline_chars": len(old),
                     "chars": len(now.text), "chunks": len(prompts), "missing_chars": _missing(now.text, prompts)})
    return rows


def _missing(text: str, prompts) -> int:
    """Non-blank characters of `text` in no prompt: each chunk must sit whole inside its prompt's fence,
    and the chunks' spans must cover the text (control characters, which the prompt drops, aside)."""
    covered = bytearray(len(text))
    for prompt in prompts:
        fenced = _FENCE.search(prompt.user).group(2)
        if prompt.chunk.text not in fenced:
            continue
        covered[prompt.chunk.start:prompt.chunk.end] = b"\x01" * (prompt.chunk.end - prompt.chunk.start)
    return sum(1 for i, ch in enumerate(text) if not covered[i] and ch.isprintable() and not ch.isspace())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--chunk-tokens", type=int, default=DEFAULT_CHUNK_TOKENS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.corpus / "inbox/archive").is_dir():
        print(f"no corpus at {args.corpus} (set --corpus or TELEO_CORPUS)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="source-coverage-") as tmp:
        root = Path(tmp) / "corpus"
        shutil.copytree(args.corpus / "inbox", root / "inbox", symlinks=True)
        rows = measure(Vault.open(root), args.chunk_tokens)
    content = [r for r in rows if r["part"] == "content"]
    cut = [r for r in content if r["baseline_part"] == "content" and r["baseline_chars"] < r["chars"]]
    whole_body = [r for r in content if r["baseline_part"] == "body"]
    example = next((r for r in rows if EXAMPLE in r["source"]), None)
    failing = [r for r in rows if r["missing_chars"]]
    result = {
        "sources": len(rows), "with_content": len(content), "chunk_tokens": args.chunk_tokens,
        "cut_by_baseline": len(cut),
        "cut_kept_share_median": statistics.median(r["baseline_chars"] / r["chars"] for r in cut) if cut else None,
        "cut_chars_lost": sum(r["chars"] - r["baseline_chars"] for r in cut),
        "content_chars_baseline": sum(r["baseline_chars"] for r in content if r["baseline_part"] == "content"),
        "content_chars_now": sum(r["chars"] for r in content if r["baseline_part"] == "content"),
        "baseline_sent_whole_body": len(whole_body),
        "multi_chunk_sources": sum(1 for r in rows if r["chunks"] > 1), "chunks": sum(r["chunks"] for r in rows),
        "sources_with_missing_text": len(failing), "example": example, "pass": not failing,
    }
    if args.json:
        print(json.dumps({**result, "rows": rows}, indent=2))
    else:
        print(f"{len(rows)} corpus sources, {len(content)} with a ## Content section; chunks of {args.chunk_tokens:,} tokens")
        print(f"baseline (first-heading cut): {len(cut)} Content sections cut, keeping a median "
              f"{result['cut_kept_share_median'] or 0:.1%} of their text ({result['cut_chars_lost']:,} characters lost); "
              f"{len(whole_body)} more sent as the whole body, notes included (their Content opened with a heading)")
        print(f"Content characters reaching the prompt (sources the baseline read as Content): "
              f"{result['content_chars_baseline']:,} → {result['content_chars_now']:,}")
        if example:
            print(f"{example['source']}: {example['baseline_chars']:,} → {example['chars']:,} characters")
        print(f"{result['multi_chunk_sources']} sources sent in more than one chunk ({result['chunks']} prompts in all)")
        for r in failing[:10]:
            print(f"  missing: {r['source']} ({r['missing_chars']} characters)")
        print(f"{'PASS' if result['pass'] else 'FAIL'}: every character of every source's text inside a prompt's fence "
              f"({len(failing)} sources with text missing)")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
