"""Does a new tip of main re-parse the whole vault? The parsed-notes memo (`vault/tree.py`, `_PARSED`) at scale.

    python bench/tree_memo_bench.py [--notes 120000] [--tmp DIR]

A git repository of `--notes` small notes (folders of 1,000) is made in a temporary folder as one
commit on `main`; in one process, as a long-lived worker would: every note of main's tip is read
through `TreeVault` (the baseline pass: each note parsed once), then one note is changed in a new
commit and every note of the new tip is read again. Printed: the parses and CPU of each pass and
the second pass's CPU as a ratio of the first (measured in the same run). Exits 1 when the second
pass parsed more than the one note that changed — the memo then thrashes (docs/scale.md: with a bound
of 100,000 cleared when full, a 120,413-note vault was parsed whole again on every tip).
Parses are counted, so the verdict holds on a loaded machine; the CPU figures are for reading.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pygit2

import teleo.vault.tree as tree_module
from teleo.vault import Vault
from teleo.vault.tree import TreeVault

SIG = pygit2.Signature("Bench", "bench@example.org", 1_700_000_000, 0)
PER_FOLDER = 1_000


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def note_text(number: int) -> str:
    return (f"---\ntype: claim\ndomain: health\ndescription: synthetic note {number} for the memo bench\n"
            f"confidence: likely\nsource: bench\ncreated: 2026-01-01\n---\n\n# note {number}\n\n"
            f"Body of note {number}, linking [[note {max(0, number - 1)}]].\n")


def make_repo(root: Path, count: int) -> tuple[pygit2.Repository, pygit2.Oid]:
    repo = pygit2.init_repository(str(root), initial_head="main")
    index = pygit2.Index()
    for number in range(count):
        path = f"domains/part-{number // PER_FOLDER:04d}/note {number}.md"
        index.add(pygit2.IndexEntry(path, repo.create_blob(note_text(number).encode()), pygit2.GIT_FILEMODE_BLOB))
    first = repo.create_commit("refs/heads/main", SIG, SIG, "notes", index.write_tree(repo), [])
    return repo, first


def read_every_note(vault: Vault, repo: pygit2.Repository) -> tuple[int, float, float]:
    """(notes read, CPU s, wall s) of one pass over main's tip."""
    start_cpu, start = cpu_s(), time.perf_counter()
    tree = TreeVault.at(vault, repo=repo)
    paths = tree.markdown_paths()
    for path in paths:
        tree.note(path)
    return len(paths), cpu_s() - start_cpu, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=120_000, help="notes in the vault (default 120,000: 100× the corpus)")
    parser.add_argument("--tmp", type=Path, default=None, help="where to make the repository (default: the system's temp)")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="teleo-memo-bench-", dir=args.tmp))
    try:
        repo, first = make_repo(scratch / "vault", args.notes)
        vault = Vault.open(scratch / "vault")
        parsed: list[str] = []
        real = tree_module.note_from_bytes

        def counting(path, data):
            parsed.append(path)
            return real(path, data)

        tree_module.note_from_bytes = counting
        notes, cpu1, wall1 = read_every_note(vault, repo)
        first_parses = len(parsed)
        parsed.clear()
        index = pygit2.Index()
        index.read_tree(repo[first].tree)
        changed = "domains/part-0000/note 7.md"
        index.add(pygit2.IndexEntry(changed, repo.create_blob(b"# note 7\n\nChanged.\n"), pygit2.GIT_FILEMODE_BLOB))
        repo.create_commit("refs/heads/main", SIG, SIG, "one note changed", index.write_tree(repo), [first])
        _, cpu2, wall2 = read_every_note(vault, repo)
        second_parses = len(parsed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"notes in main's tip: {notes:,}")
    print(f"first tip  (baseline): {first_parses:,} parses, CPU {cpu1:.2f} s, wall {wall1:.2f} s")
    print(f"second tip (1 changed): {second_parses:,} parses, CPU {cpu2:.2f} s ({cpu2 / cpu1:.2f}× the baseline), "
          f"wall {wall2:.2f} s")
    verdict = second_parses <= 1
    print("PASS: the new tip parsed only the note that changed" if verdict else
          f"FAIL: the new tip parsed {second_parses:,} notes for 1 changed (the memo thrashes)")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
