"""Entity extraction on a git copy of the corpus: how many entity creations and updates `teleo extract`
proposes for the `format: data` sources, and how many pass the gates.

    python scripts/entity_corpus.py [--corpus PATH] [--keep DIR] [--workers 2]

1. The corpus is copied to a temporary folder (nothing is written under it), `git init`, one commit.
2. `teleo extract <every format: data source> --provider offline --format json` — the extraction's
   own lint gate already refuses a proposal adding an entity error (`failed` jobs).
3. `teleo review --max-fixes 0 --format json` on the branches it made: the deterministic gates
   (schema = the lint rules incl. entity-*, links, territory, source lifecycle, …) then the evaluator.
4. `teleo merge --format json`, one pass: how many approved proposals merge, and why the others wait;
   then, on main, every line a merged proposal added to an entity file is there, and no line of a
   timeline, `Relevant Entities` list or Key Decisions table is there twice (`lines_lost`, `lines_doubled`).
5. Prints one JSON object: sources, jobs by status, entity creations and updates proposed, and those
   on branches whose gates approved (and that the evaluator approved), with the failures' reasons,
   and the merge pass.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

DEFAULT_CORPUS = Path(os.environ.get("TELEO_CORPUS", Path(__file__).resolve().parents[2] / "shared/corpora/teleo-codex"))


def teleo() -> list[str]:
    script = Path(sys.executable).parent / "teleo"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "teleo.cli.app"]


def run_json(root: Path, *args: str) -> dict:
    result = subprocess.run([*teleo(), "-C", str(root), *args, "--format", "json"], capture_output=True, text=True,
                            check=False)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"teleo {' '.join(args[:2])} failed ({result.returncode}): {result.stderr[-2000:]}") from None


def copy_corpus(corpus: Path, target: Path) -> None:
    shutil.copytree(corpus, target, ignore=shutil.ignore_patterns(".git", ".teleo"))
    for folder, dirs, files in os.walk(target):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Corpus", "GIT_AUTHOR_EMAIL": "corpus@example.org",
           "GIT_COMMITTER_NAME": "Corpus", "GIT_COMMITTER_EMAIL": "corpus@example.org"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "corpus snapshot"]):
        subprocess.run(["git", "-C", str(target), *args], check=True, env=env)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


APPENDED = re.compile(r"^(?:- \*\*\d{4}[^*]*\*\* \u2014 |- \[\[|\| \S)")
"""A timeline line, a `Relevant Entities` item, a Key Decisions row: the lines an entity merge appends."""


def merge_pass(root: Path) -> dict:
    """One `teleo merge` pass, and the entity lines of the merged proposals checked on main."""
    merged = run_json(root, "merge")
    outcomes = merged.get("merges", [])
    lost, doubled, touched = [], [], set()
    for outcome in outcomes:
        if outcome["status"] != "merged":
            continue
        head = outcome["head"]
        for path in outcome["changed"]:
            if not path.startswith("entities/"):
                continue
            touched.add(path)
            diff = git(root, "diff", "-U0", f"{head}^", head, "--", path)
            final = git(root, "show", f"main:{path}").splitlines()
            for line in diff.splitlines():
                if line.startswith("+") and not line.startswith("+++") and APPENDED.match(line[1:]) \
                        and line[1:] not in final:
                    lost.append(f"{outcome['branch']}: {path}: {line[1:80]}")
    for path in sorted(touched):
        lines = [line for line in git(root, "show", f"main:{path}").splitlines() if APPENDED.match(line)]
        doubled += [f"{path}: {line[:80]}" for line in sorted(set(lines)) if lines.count(line) > 1]
    return {
        "proposals": len(outcomes),
        "by_status": dict(Counter(o["status"] for o in outcomes)),
        "settled_merges": sum(1 for o in outcomes if o["status"] == "merged"
                              and "Entity lines appended" in git(root, "log", "-1", "--format=%B", o["commit"])),
        "waiting": [{"branch": o["branch"], "reason": (o.get("reasons") or [""])[0][:200]}
                    for o in outcomes if o["status"] != "merged"],
        "entity_files_merged": len(touched),
        "lines_lost": lost[:20],
        "lines_doubled": doubled[:20],
    }


def data_sources(root: Path) -> list[str]:
    out = []
    for path in sorted((root / "inbox/archive").glob("*.md")):
        head = path.read_text(encoding="utf-8", errors="replace").split("\n---", 1)[0]
        if "\nformat: data" in head:
            out.append(str(path.relative_to(root)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", type=Path, help="make the copy here and keep it (default: a temporary folder)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not (args.corpus / "inbox/archive").is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="teleo-entities-") as scratch:
        root = args.keep or Path(scratch) / "corpus"
        copy_corpus(args.corpus, root)
        sources = data_sources(root)
        extracted = run_json(root, "extract", *sources, "--provider", "offline", "--workers", str(args.workers))
        reviewed = run_json(root, "review", "--max-fixes", "0")
        merged = merge_pass(root)
    jobs = extracted.get("jobs", [])
    by_branch = {j["branch"]: j for j in jobs if j.get("branch") and j.get("status") in ("proposed", "null")}
    gates_ok, approved = Counter(), Counter()
    findings = Counter()
    for review in reviewed.get("reviews", []):
        job = by_branch.get(review["branch"])
        if job is None:
            continue
        gates = next((v for v in review["verdicts"] if v["reviewer"] == "gates"), None)
        for finding in (gates or {}).get("findings", []):
            findings[f"{finding['criterion']}: {finding['message'][:90]}"] += 1
        if gates is not None and gates["verdict"] == "approve":
            gates_ok["branches"] += 1
            gates_ok["created"] += int(job.get("entities_created") or 0)
            gates_ok["updated"] += int(job.get("entities_updated") or 0)
            if review["status"] == "approved":
                approved["branches"] += 1
                approved["created"] += int(job.get("entities_created") or 0)
                approved["updated"] += int(job.get("entities_updated") or 0)
    totals = extracted.get("totals", {})
    print(json.dumps({
        "data_sources": len(sources),
        "extracted": totals.get("sources"),
        "not_extracted": len(sources) - int(totals.get("sources") or 0),
        "jobs": dict(Counter(j.get("status") or j.get("state") for j in jobs)),
        "proposed": {"created": totals.get("entities_created"), "updated": totals.get("entities_updated"),
                     "branches": len(by_branch)},
        "gates_approve": dict(gates_ok),
        "evaluator_approve": dict(approved),
        "failed_jobs": [{"source": j["source"], "error": (j.get("last_error") or "")[:200]}
                        for j in jobs if j.get("state") != "done" or j.get("status") == "failed"],
        "gate_findings": findings.most_common(15),
        "dropped_by_reason": extracted.get("dropped_by_reason", [])[:10],
        "merge": merged,
    }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
