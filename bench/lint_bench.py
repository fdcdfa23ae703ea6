"""Time `teleo lint` against a floor measured in the same run.

    python bench/lint_bench.py [--copies 20] [--corpus PATH] [--repeat 3] [--json] [--profile 25]

For a temporary copy of the corpus (the bench never writes into the corpus
itself) and for a synthetic copy of it `--copies` times over (built by
`bench/synth.py` into bench/out/synth-N, reused while its marker matches):

* floor — a plain loop that walks the vault, reads every .md file as text and
  regex-extracts the frontmatter (`^---\\n(.*?)\\n---`) and every `[[link]]`;
* lint (in-process) — `teleo.gates.check(Vault.open(path))`, a fresh Vault
  each run and the module-level title cache cleared, so nothing carries over;
* lint warm (in-process) — `check(..., cache=True)` after one run has filled
  the findings cache in `.teleo/`: what `teleo lint` costs on a vault where
  nothing changed since the last lint (the cache is deleted afterwards);
* lint cold (CLI) — wall time of `teleo lint PATH --format json` in a
  subprocess with no `.teleo/` (deleted before each run, so no cache is read;
  interpreter start, imports, writing the cache and the JSON output included),
  with its CPU time and peak memory (`measure.run_measured`: the largest
  process's peak RSS and the process tree's sampled PSS — a large lint forks a
  worker — the larger counts). The command is the `teleo` installed next to this
  interpreter. The floor is also run as a script of its own, for its memory.

Every figure is the median of `--repeat` runs (every run is listed); ratios are
median over median, but the cold CLI's: each CLI run follows a floor run of its
own, and its ratios (wall, CPU) are the medians of those pairs — on a machine
whose load comes and goes, runs minutes apart compare the load, not the lint. Targets (issue 17): cold CLI lint at the synthetic size ≤ 6×
the floor; its peak memory ≤ 300 MiB and ≤ 4× the corpus's (1×); warm lint ≤ 3×
the floor with the same findings as cold. A target missed prints FAIL and the
bench exits 1. Nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Measured, floor_process, run_measured
from synth import REPO, default_corpus, ensure_synthetic, link_stats, make_synthetic, scratch_copy, teleo_command

TARGET = 3.0
"""Warm lint (cached) against the floor."""
COLD_TARGET = 6.0
"""Cold CLI lint of the synthetic vault against the floor."""
MEMORY_MIB = 300.0
"""Peak memory of the cold CLI lint of the synthetic vault."""
MEMORY_GROWTH = 4.0
"""Peak memory of the synthetic vault's cold CLI lint against the corpus's."""
FRONTMATTER = re.compile(r"^---\n(.*?)\n---", re.DOTALL)
LINK = re.compile(r"\[\[(.+?)\]\]")


# -- the floor -------------------------------------------------------------------


def floor(root: Path) -> dict:
    """Walk, read every markdown file, regex out frontmatter and links. The least lint can do."""
    files = frontmatters = links = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.endswith(".md") or name.startswith("."):
                continue
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            files += 1
            if FRONTMATTER.match(text):
                frontmatters += 1
            links += len(LINK.findall(text))
    return {"files": files, "frontmatters": frontmatters, "links": links}


# -- lint ------------------------------------------------------------------------


def lint_once(root: Path, clock: list[float] | None = None):
    """One cold in-process lint: fresh Vault, empty title cache.

    With `clock`, the seconds spent in `LinkResolver.suggest` (the "did you
    mean" search for unresolved targets) are appended to it: a wrapper around
    the method for this run only, a few microseconds in all.
    """
    from teleo.gates import check
    from teleo.vault import Vault
    from teleo.vault.resolver import LinkResolver, normalise_title

    normalise_title.cache_clear()
    if clock is None:
        return check(Vault.open(root))
    original = LinkResolver.suggest
    spent = [0.0]

    def timed(self, target):
        start = time.perf_counter()
        try:
            return original(self, target)
        finally:
            spent[0] += time.perf_counter() - start

    LinkResolver.suggest = timed
    try:
        return check(Vault.open(root))
    finally:
        LinkResolver.suggest = original
        clock.append(spent[0])


def warm_lint(root: Path, repeat: int, cold) -> tuple[float, list[float], bool]:
    """Median of `repeat` cached lints after one filling run; the cache is deleted before and after.
    `root` is a bench copy (never the corpus itself)."""
    from teleo.gates import check
    from teleo.vault import Vault

    shutil.rmtree(root / ".teleo", ignore_errors=True)
    try:
        check(Vault.open(root), cache=True)
        median, runs, _, report = median_of(repeat, lambda: check(Vault.open(root), cache=True))
        return median, runs, report.findings == cold.findings
    finally:
        shutil.rmtree(root / ".teleo", ignore_errors=True)


def median_of(repeat: int, run) -> tuple[float, list[float], list[float], object]:
    """Median wall time, every wall time, every CPU time (this process), the last result."""
    times, cpu = [], []
    result = None
    for _ in range(max(1, repeat)):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), times, cpu, result


def cli_available() -> tuple[bool, str]:
    try:
        done = subprocess.run([*teleo_command(), "lint", "--help"], check=False, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"teleo lint --help failed: {exc}"
    if done.returncode != 0:
        return False, f"teleo lint --help exited {done.returncode}: {(done.stderr or done.stdout).strip()[:200]}"
    return True, ""


def cli_once(root: Path) -> tuple[Measured | None, int | None, str]:
    """A cold `teleo lint ROOT --format json` (no `.teleo/`: no cache to read), measured; its
    findings count, and a note if it failed. The cache it writes is deleted afterwards."""
    shutil.rmtree(root / ".teleo", ignore_errors=True)
    try:
        return _cli_run(root)
    finally:
        shutil.rmtree(root / ".teleo", ignore_errors=True)


def cli_runs(root: Path, repeat: int) -> tuple[list[Measured], list[tuple[float, float]], int | None, str]:
    """`repeat` cold CLI lints, measured, each right after a floor run of its own (wall, CPU): on a machine
    whose load comes and goes, a ratio of two runs minutes apart says more about the load than about
    lint. The findings count; a note if one failed."""
    runs: list[Measured] = []
    floors: list[tuple[float, float]] = []
    findings = None
    for _ in range(max(1, repeat)):
        _, (wall,), (cpu,), _ = median_of(1, lambda: floor(root))
        measured, findings, note = cli_once(root)
        if measured is None or note:
            return runs, floors, findings, note
        runs.append(measured)
        floors.append((wall, cpu))
    return runs, floors, findings, ""


def _cli_run(root: Path) -> tuple[Measured | None, int | None, str]:
    done = run_measured([*teleo_command(), "lint", str(root), "--format", "json"], keep_stdout=True)
    if done.returncode not in (0, 1):  # 1 = errors found, which the corpus has
        return None, None, f"exit {done.returncode}: {done.stderr.strip()[:200]}"
    try:
        findings = len(json.loads(done.stdout)["findings"])
    except (ValueError, KeyError) as exc:
        return done, None, f"unreadable JSON: {exc}"
    done.stdout = ""
    return done, findings, ""


# -- one vault -------------------------------------------------------------------


@dataclass
class Row:
    vault: str
    path: str
    files: int
    floor_s: float
    floor_runs: list[float]
    floor_counts: dict
    lint_s: float
    lint_runs: list[float]
    findings: list[int]
    by_rule: dict[str, int]
    suggest_s: float
    """Of lint_s, the time in LinkResolver.suggest (median of the runs)."""
    floor_cpu: list[float]
    lint_cpu: list[float]
    """CPU seconds of this process per run: steadier than wall time on a busy machine."""
    warm_s: float | None = None
    warm_runs: list[float] = field(default_factory=list)
    warm_same: bool | None = None
    """Whether the warm run reported exactly the cold run's findings."""
    cli_s: float | None = None
    cli_runs: list[float] = field(default_factory=list)
    cli_floor_runs: list[float] = field(default_factory=list)
    cli_floor_cpu: list[float] = field(default_factory=list)
    """The floor run just before each CLI run (wall, CPU): the CLI ratios are the medians of these pairs."""
    cli_cpu: list[float] = field(default_factory=list)
    cli_peak_mib: list[float] = field(default_factory=list)
    """Per run: the largest process's peak RSS."""
    cli_tree_mib: list[float] = field(default_factory=list)
    """Per run: the process tree's highest sampled PSS sum."""
    cli_findings: int | None = None
    cli_note: str = ""
    floor_proc_s: float | None = None
    floor_proc_mib: float | None = None
    """The floor run as a script of its own: median wall time and peak memory."""
    synthetic: bool = False
    ratio: float = field(init=False)
    cpu_ratio: float = field(init=False)
    cli_ratio: float | None = field(init=False)
    cli_cpu_ratio: float | None = field(init=False)
    cli_memory_mib: float | None = field(init=False)
    warm_ratio: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.ratio = self.lint_s / self.floor_s
        self.warm_ratio = self.warm_s / self.floor_s if self.warm_s is not None else None
        self.cpu_ratio = statistics.median(self.lint_cpu) / statistics.median(self.floor_cpu)
        self.cli_ratio = (statistics.median(c / f for c, f in zip(self.cli_runs, self.cli_floor_runs))
                          if self.cli_floor_runs else None)
        self.cli_cpu_ratio = (statistics.median(c / f for c, f in zip(self.cli_cpu, self.cli_floor_cpu))
                              if self.cli_floor_cpu else None)
        self.cli_memory_mib = (statistics.median(max(p, t) for p, t in zip(self.cli_peak_mib, self.cli_tree_mib))
                               if self.cli_peak_mib else None)

    @property
    def passed(self) -> bool:
        """The cold CLI lint within COLD_TARGET× the floor (judged at the synthetic size)."""
        return not self.synthetic or (self.cli_ratio is not None and self.cli_ratio <= COLD_TARGET)

    @property
    def warm_passed(self) -> bool:
        return self.warm_ratio is not None and self.warm_ratio <= TARGET and bool(self.warm_same)


def measure(name: str, root: Path, repeat: int, cli: bool, log) -> Row:
    log(f"[{name}] floor ×{repeat}")
    floor(root)  # warm the page cache so neither side pays for the disk
    floor_s, floor_runs, floor_cpu, counts = median_of(repeat, lambda: floor(root))
    log(f"[{name}] lint ×{repeat}")
    findings: list[int] = []
    suggest: list[float] = []

    def run():
        report = lint_once(root, suggest)
        findings.append(report.summary.findings)
        return report

    lint_s, lint_runs, lint_cpu, report = median_of(repeat, run)
    row = Row(
        vault=name, path=str(root), files=report.summary.files, floor_s=floor_s, floor_runs=floor_runs,
        floor_counts=counts, lint_s=lint_s, lint_runs=lint_runs, findings=findings, by_rule=report.summary.by_rule,
        suggest_s=statistics.median(suggest), floor_cpu=floor_cpu, lint_cpu=lint_cpu,
    )
    log(f"[{name}] lint warm ×{repeat}")
    row.warm_s, row.warm_runs, row.warm_same = warm_lint(root, repeat, report)
    row.__post_init__()
    log(f"[{name}] floor as a process of its own ×{repeat}")
    alone = [floor_process(root, sys.executable) for _ in range(max(1, repeat))]
    row.floor_proc_s = statistics.median(m.seconds for m in alone)
    row.floor_proc_mib = statistics.median(m.memory_mib for m in alone)
    if cli:
        log(f"[{name}] teleo lint cold (CLI, no cache) ×{repeat}")
        runs, floors, row.cli_findings, row.cli_note = cli_runs(root, repeat)
        if runs:
            row.cli_runs = [m.seconds for m in runs]
            row.cli_floor_runs = [wall for wall, _ in floors]
            row.cli_floor_cpu = [cpu for _, cpu in floors]
            row.cli_s = statistics.median(row.cli_runs)
            row.cli_cpu = [m.cpu_s for m in runs]
            row.cli_peak_mib = [m.peak_mib for m in runs]
            row.cli_tree_mib = [m.tree_mib for m in runs]
        row.__post_init__()
    return row


def memory_verdicts(rows: list[Row]) -> dict[str, bool]:
    """The synthetic vault's cold CLI lint: ≤ MEMORY_MIB, and ≤ MEMORY_GROWTH× the corpus's."""
    base = next((r for r in rows if not r.synthetic), None)
    big = next((r for r in rows if r.synthetic), None)
    if big is None or big.cli_memory_mib is None:
        return {}
    out = {f"cold CLI peak memory ≤ {MEMORY_MIB:.0f} MiB": big.cli_memory_mib <= MEMORY_MIB}
    if base is not None and base.cli_memory_mib:
        out[f"cold CLI peak memory ≤ {MEMORY_GROWTH:.0f}× the corpus's"] = (
            big.cli_memory_mib <= MEMORY_GROWTH * base.cli_memory_mib)
    return out


def profile(root: Path, top: int, dump: Path | None) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    lint_once(root)
    profiler.disable()
    if dump is not None:
        dump.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(dump)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    return out.getvalue()


# -- output ----------------------------------------------------------------------


def print_table(rows: list[Row], meta: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"teleo lint vs floor (median of {meta['repeat']})")
    for column, justify in (
        ("vault", "left"), ("files", "right"), ("floor s", "right"), ("lint s (in-process)", "right"),
        ("lint/floor", "right"), ("CPU lint/floor", "right"), ("cold CLI s", "right"), ("CLI/floor", "right"),
        ("CLI CPU/floor", "right"), ("cold", "left"), ("CLI MiB", "right"), ("floor MiB", "right"),
        ("warm lint s", "right"), ("warm/floor", "right"), ("warm", "left"), ("findings", "right"),
    ):
        table.add_column(column, justify=justify, no_wrap=True)
    for row in rows:
        cli = f"{row.cli_s:.3f}" if row.cli_s is not None else "skipped"
        verdict = ("[bold green]PASS[/]" if row.passed else "[bold red]FAIL[/]") if row.synthetic else "-"
        warm_verdict = "[bold green]PASS[/]" if row.warm_passed else "[bold red]FAIL[/]"
        table.add_row(
            row.vault, f"{row.files:,}", f"{row.floor_s:.3f}", f"{row.lint_s:.3f}",
            f"{row.ratio:.1f}×", f"{row.cpu_ratio:.1f}×", cli,
            f"{row.cli_ratio:.1f}×" if row.cli_ratio is not None else "-",
            f"{row.cli_cpu_ratio:.1f}×" if row.cli_cpu_ratio is not None else "-", verdict,
            f"{row.cli_memory_mib:.0f}" if row.cli_memory_mib is not None else "-",
            f"{row.floor_proc_mib:.0f}" if row.floor_proc_mib is not None else "-",
            f"{row.warm_s:.3f}" if row.warm_s is not None else "-",
            f"{row.warm_ratio:.2f}×" if row.warm_ratio is not None else "-",
            warm_verdict, f"{row.findings[-1]:,}",
        )
    console.print(table)
    console.print(f"targets: cold CLI lint of the synthetic vault ≤ {COLD_TARGET:.0f}× the floor; its peak memory "
                  f"≤ {MEMORY_MIB:.0f} MiB and ≤ {MEMORY_GROWTH:.0f}× the corpus's; warm lint ≤ {TARGET:.0f}× the "
                  "floor with the same findings")
    for target, ok in memory_verdicts(rows).items():
        console.print(f"  {target}: {'[bold green]PASS[/]' if ok else '[bold red]FAIL[/]'}")
    for row in rows:
        if row.synthetic and row.cli_ratio is not None and row.cli_cpu_ratio is not None:
            console.print(
                f"  cold CLI lint of the synthetic vault: wall {row.cli_ratio:.1f}× the floor "
                f"({'[bold green]PASS[/]' if row.passed else '[bold red]FAIL[/]'} ≤ {COLD_TARGET:.0f}×), CPU "
                f"{row.cli_cpu_ratio:.1f}× the floor's CPU (for information: on a machine busy with other work, "
                "the wall time follows the CPU time)"
            )
    for row in rows:
        runs = ", ".join(f"{s:.3f}" for s in row.lint_runs)
        floors = ", ".join(f"{s:.3f}" for s in row.floor_runs)
        counts = ", ".join(f"{n:,}" for n in row.findings)
        console.print(
            f"[bold]{row.vault}[/]: floor runs {floors} s ({row.floor_counts['frontmatters']:,} frontmatters, "
            f"{row.floor_counts['links']:,} links); lint runs {runs} s; findings per run {counts}"
        )
        rest = row.lint_s - row.suggest_s
        console.print(
            f"  suggestions {row.suggest_s:.3f} s of a lint run (median); the rest {rest:.3f} s = "
            f"{rest / row.floor_s:.1f}× floor"
        )
        console.print(f"  by rule: {row.by_rule}")
        if row.warm_s is not None:
            console.print(
                f"  warm (cached) runs {', '.join(f'{s:.3f}' for s in row.warm_runs)} s; "
                f"same findings as cold: {row.warm_same}"
            )
        if row.cli_s is not None:
            console.print(
                f"  CLI cold (no cache): runs {', '.join(f'{s:.3f}' for s in row.cli_runs)} s, median {row.cli_s:.3f} s; "
                f"each after a floor run of {', '.join(f'{s:.3f}' for s in row.cli_floor_runs)} s (CPU "
                f"{', '.join(f'{s:.2f}' for s in row.cli_floor_cpu)} s): median of the pairs {row.cli_ratio:.1f}× "
                f"the floor, {row.cli_findings} findings in its JSON"
                + (f" ({row.cli_note})" if row.cli_note else "")
            )
            console.print(
                f"  CLI cold CPU s {', '.join(f'{s:.2f}' for s in row.cli_cpu)} (median of the pairs "
                f"{row.cli_cpu_ratio:.1f}× the floor's CPU); peak MiB, largest process "
                f"{', '.join(f'{m:.0f}' for m in row.cli_peak_mib)}, process tree (PSS) "
                f"{', '.join(f'{m:.0f}' for m in row.cli_tree_mib)}; the floor as a process: "
                f"{row.floor_proc_s:.3f} s, {row.floor_proc_mib:.0f} MiB"
            )
        elif row.cli_note:
            console.print(f"  CLI: skipped — {row.cli_note}")
    if meta.get("links"):
        console.print(
            "links resolving: "
            + "; ".join(f"{name} {s['resolved']:,}/{s['links']:,} = {s['share']:.2%}" for name, s in meta["links"].items())
        )
    console.print(
        f"[dim]{meta['python']} on {meta['machine']}, load average {meta['load_start']} at the start, "
        f"{meta['load_average']} at the end; TELEO_LINT_WORKERS {meta['workers']}; "
        f"synthetic: {meta['synthetic']}[/]"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="size of the synthetic vault (default 20×)")
    parser.add_argument("--corpus", type=Path, default=default_corpus(), help="the source vault ($TELEO_CORPUS)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median counts")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--tmp", action="store_true", help="build the synthetic vault in a temporary folder")
    parser.add_argument("--no-cli", action="store_true", help="skip the `teleo lint` subprocess timing")
    parser.add_argument("--verify-links", action="store_true", help="also print the share of resolving links")
    parser.add_argument(
        "--workers", type=int, metavar="N", default=0,
        help="processes sharing a large lint's note pass, the calling one included (sets TELEO_LINT_WORKERS; "
        "default: the lint's own choice, one per core)",
    )
    parser.add_argument(
        "--profile", type=int, metavar="N", default=0,
        help="cProfile one synthetic lint and print the top N by cumulative time (dump in bench/out/)",
    )
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.workers:
        os.environ["TELEO_LINT_WORKERS"] = str(args.workers)  # the in-process lint and every CLI run inherit it
    load_start = [round(x, 2) for x in os.getloadavg()]
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        log(f"error: no corpus at {corpus} (pass --corpus or set TELEO_CORPUS)")
        return 2

    scratch = tempfile.TemporaryDirectory(prefix="teleo-lint-bench-")
    corpus_copy = scratch_copy(corpus, Path(scratch.name) / corpus.name)
    if args.tmp:
        synth_root = Path(scratch.name) / f"synth-{args.copies}"
        log(f"building {args.copies}× copy in {synth_root}")
        marker, reused = make_synthetic(corpus, synth_root, args.copies), False
    else:
        synth_root = REPO / "bench" / "out" / f"synth-{args.copies}"
        log(f"synthetic {args.copies}× copy: {synth_root}")
        marker, reused = ensure_synthetic(corpus, synth_root, args.copies)
    log(f"  {'reused' if reused else 'built'}: {marker['files']:,} files")

    cli, cli_note = (False, "--no-cli") if args.no_cli else cli_available()
    if not cli and not args.no_cli:
        log(f"CLI timing skipped: {cli_note}")

    rows = []
    try:
        for name, root in (("corpus", corpus_copy), (f"synthetic {args.copies}×", synth_root)):
            row = measure(name, root, args.repeat, cli, log)
            row.synthetic = root == synth_root
            row.__post_init__()
            if not cli:
                row.cli_note = cli_note
            rows.append(row)
        meta = {
            "copies": args.copies, "repeat": args.repeat, "target": TARGET, "cold_target": COLD_TARGET,
            "python": f"Python {platform.python_version()}", "machine": f"{platform.machine()} {os.cpu_count()} cpus",
            "load_average": [round(x, 2) for x in os.getloadavg()], "load_start": load_start,
            "workers": os.environ.get("TELEO_LINT_WORKERS", "default"),
            "synthetic": f"{synth_root} ({'reused' if reused else 'built'} this run)",
        }
        if args.verify_links:
            meta["links"] = {"corpus": link_stats(corpus), f"synthetic {args.copies}×": link_stats(synth_root)}
        prof = profile(synth_root, args.profile, REPO / "bench" / "out" / f"lint-{args.copies}x.prof") if args.profile else ""
    finally:
        scratch.cleanup()

    if args.json:
        payload = {**meta, "rows": [{**asdict(r), "passed": r.passed, "warm_passed": r.warm_passed} for r in rows],
                   "memory_verdicts": memory_verdicts(rows)}
        print(json.dumps(payload, indent=1, ensure_ascii=False))
        if prof:
            log(prof)
    else:
        print_table(rows, meta)
        if prof:
            print(f"\ncProfile of one synthetic lint, top {args.profile} by cumulative time:")
            print(prof)
    failed = [f"{row.vault}: cold CLI ≤ {COLD_TARGET:.0f}× floor" for row in rows if not row.passed]
    failed += [f"{row.vault}: warm" for row in rows if not row.warm_passed]
    failed += [target for target, ok in memory_verdicts(rows).items() if not ok]
    if failed:
        log("FAIL: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
