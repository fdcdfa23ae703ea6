"""Does the claim-quality rubric tell claims from junk? (teleo-codex corpus, or any vault like it)

Two sides, each judged exactly as the lint rule `claim-quality` judges a note
(`teleo.gates.rules.quality.note_issues`):

- **claims** — every note of type `claim` under `domains/`, `foundations/`
  and `core/`: the share with *no* `claim-quality` error (target ≥ 95 %);
- **junk** — for every source in `inbox/archive/` (sorted by path), one
  sentence drawn at random (seeded) from its source text — the `## Content`
  section with its own `##` headings, up to the source note's known sections
  (`teleo.extract.context.source_text`) — written as a claim note: valid
  frontmatter, the sentence as title (a `/` becomes `-`, the one character a
  file name cannot hold), the *next* sentence as description, the sentence's
  paragraph quoted as the body with a `(from [[source]], line N)` citation.
  The share *with* an error (target ≥ 80 %).

A few source sentences are fair claims, so every junk note that passes is
printed for a reader to judge, as is every corpus claim that fails. The
comparison figure measured in the same run is the title alone
(`judge_title`): what the description and body checks add.

    python bench/claim_quality.py [--corpus PATH] [--seed N] [--examples 20] [--json]

Reads the corpus in place and writes nothing anywhere. Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from teleo.extract.context import source_text
from teleo.extract.sentences import split_sentences
from teleo.gates.quality import QualityIssue, judge_title
from teleo.gates.rules.quality import note_issues
from teleo.notes import Kind, note_from_bytes, note_from_text



def _default_corpus() -> Path:
    """$TELEO_CORPUS, else the nearest `shared/corpora/teleo-codex` beside a folder above this file."""
    if os.environ.get("TELEO_CORPUS"):
        return Path(os.environ["TELEO_CORPUS"])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "corpora" / "teleo-codex"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[2] / "shared" / "corpora" / "teleo-codex"


DEFAULT_CORPUS = _default_corpus()
CLAIM_FOLDERS = ("domains", "foundations", "core")
CLAIMS_TARGET = 0.95
JUNK_TARGET = 0.80


@dataclass
class Judged:
    path: str
    title: str
    description: str
    issues: list[QualityIssue] = field(default_factory=list)
    title_errors: int = 0

    @property
    def errors(self) -> list[QualityIssue]:
        return [i for i in self.issues if i.severity == "error"]


def corpus_claims(corpus: Path) -> list[Judged]:
    out = []
    for folder in CLAIM_FOLDERS:
        for path in sorted((corpus / folder).rglob("*.md")):
            relative = path.relative_to(corpus).as_posix()
            note = note_from_bytes(relative, path.read_bytes())
            if note.type_value != "claim" or note.kind is not Kind.CLAIM:
                continue
            out.append(_judge(note))
    return out


def _judge(note) -> Judged:
    description = note.data.get("description")
    judged = Judged(note.path, note.title, str(description or ""))
    judged.issues = note_issues(note)
    judged.title_errors = sum(1 for i in judge_title(note.title) if i.severity == "error")
    return judged


def junk_notes(corpus: Path, seed: int) -> list[Judged]:
    rng = random.Random(seed)
    out = []
    for path in sorted((corpus / "inbox" / "archive").rglob("*.md")):
        relative = path.relative_to(corpus).as_posix()
        source = note_from_bytes(relative, path.read_bytes())
        if source.kind is not Kind.SOURCE:
            continue
        text = source_text(source)
        segmented = split_sentences(text.text)
        sentences = segmented.sentences
        if len(sentences) < 2:
            continue
        pick = rng.randrange(len(sentences) - 1)
        sentence, following = sentences[pick], sentences[pick + 1]
        title = " ".join(sentence.text.replace("/", "-").split())
        if not title.strip(" .-"):
            continue
        paragraph = segmented.block_of(sentence).text
        line = text.file_line(text.text.count("\n", 0, sentence.start) + 1)
        domain = source.data.get("domain") if isinstance(source.data.get("domain"), str) else "general"
        note = note_from_text(f"domains/{domain}/{title}.md", _claim_note(title, following.text, paragraph,
                                                                          path.stem, line, domain))
        out.append(_judge(note))
    return out


def _claim_note(title: str, description: str, paragraph: str, source: str, line: int, domain: str) -> str:
    quoted = "\n".join("> " + part for part in paragraph.split("\n"))
    return (
        "---\n"
        "type: claim\n"
        f"domain: {json.dumps(domain)}\n"
        f"description: {json.dumps(description, ensure_ascii=False)}\n"
        "confidence: speculative\n"
        f"source: {json.dumps(source)}\n"
        "created: 2026-01-01\n"
        "---\n\n"
        f"# {title}\n\n{quoted}\n(from [[{source}]], line {line})\n\n---\n\nRelevant Notes:\n- [[{source}]]\n"
    )


def _show(judged: Judged, width: int = 150) -> str:
    title = judged.title if len(judged.title) <= width else judged.title[: width - 1] + "\u2026"
    codes = ", ".join(sorted({i.code for i in judged.errors})) or "no error"
    warnings = sorted({i.code for i in judged.issues if i.severity == "warning"})
    extra = f" (warnings: {', '.join(warnings)})" if warnings else ""
    return f"  - {title}\n      [{codes}]{extra}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.corpus / "inbox" / "archive").is_dir():
        print(f"no corpus at {args.corpus} (set --corpus or TELEO_CORPUS)", file=sys.stderr)
        return 2

    judge_title("warm the lexicon up before timing")
    started = time.perf_counter()
    claims = corpus_claims(args.corpus)
    claims_seconds = time.perf_counter() - started
    junk = junk_notes(args.corpus, args.seed)
    if not claims or not junk:
        print("nothing to judge: no claims or no source sentences", file=sys.stderr)
        return 2

    clean = [c for c in claims if not c.errors]
    caught = [j for j in junk if j.errors]
    claims_rate = len(clean) / len(claims)
    junk_rate = len(caught) / len(junk)
    title_only_claims = sum(1 for c in claims if not c.title_errors) / len(claims)
    title_only_junk = sum(1 for j in junk if j.title_errors) / len(junk)
    per_note_ms = 1000 * claims_seconds / len(claims)
    ok = claims_rate >= CLAIMS_TARGET and junk_rate >= JUNK_TARGET

    codes: dict[str, int] = {}
    for judged in junk:
        for code in {i.code for i in judged.errors}:
            codes[code] = codes.get(code, 0) + 1
    if args.json:
        print(json.dumps({
            "claims": len(claims), "claims_without_error": len(clean), "claims_rate": round(claims_rate, 4),
            "junk": len(junk), "junk_with_error": len(caught), "junk_rate": round(junk_rate, 4),
            "title_only": {"claims_rate": round(title_only_claims, 4), "junk_rate": round(title_only_junk, 4)},
            "junk_error_codes": dict(sorted(codes.items(), key=lambda kv: -kv[1])),
            "ms_per_claim": round(per_note_ms, 2), "seed": args.seed, "ok": ok,
        }, indent=2))
        return 0 if ok else 1

    rng = random.Random(args.seed)
    print(f"claim-quality rubric on {args.corpus} (seed {args.seed})\n")
    print(f"{'':34}{'rubric':>10}{'title only':>12}{'target':>10}")
    print(f"{'corpus claims with no error':34}{claims_rate:>10.1%}{title_only_claims:>12.1%}{CLAIMS_TARGET:>10.0%}"
          f"   ({len(clean)} of {len(claims)})")
    print(f"{'source-sentence junk with an error':34}{junk_rate:>10.1%}{title_only_junk:>12.1%}{JUNK_TARGET:>10.0%}"
          f"   ({len(caught)} of {len(junk)})")
    print(f"\nmean judging time per corpus claim: {per_note_ms:.2f} ms (lexicon loaded before timing)")
    print("junk caught, by error code (a note can have several): "
          + ", ".join(f"{c} {n}" for c, n in sorted(codes.items(), key=lambda kv: -kv[1])))

    print(f"\n{args.examples} corpus claims, at random:")
    for judged in sorted(rng.sample(claims, min(args.examples, len(claims))), key=lambda j: j.path):
        print(_show(judged))
    print(f"\n{args.examples} junk notes, at random (title = a source sentence):")
    for judged in sorted(rng.sample(junk, min(args.examples, len(junk))), key=lambda j: j.path):
        print(_show(judged))
    print(f"\nEvery corpus claim with an error ({len(claims) - len(clean)}):")
    for judged in claims:
        if judged.errors:
            print(_show(judged))
    print(f"\nEvery junk note that passes ({len(junk) - len(caught)}) — some source sentences are fair claims:")
    for judged in junk:
        if not judged.errors:
            print(_show(judged) + f"\n      description: {judged.description[:150]}")
    print(f"\n{'PASS' if ok else 'FAIL'}: claims {claims_rate:.1%} (≥ {CLAIMS_TARGET:.0%}), "
          f"junk {junk_rate:.1%} (≥ {JUNK_TARGET:.0%})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
