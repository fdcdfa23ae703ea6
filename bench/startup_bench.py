"""How long does the `teleo` command take to start, against the framework it is built on? (issue 17.1)

    python bench/startup_bench.py [--runs 15] [--corpus PATH] [--query "coordination problem"]

Every figure is a whole process, started and waited for, as an agent calling the command line sees it.
The floor is the command-line framework alone: a one-command typer app, written to a temp folder,
that prints a version. In the same run, interleaved round by round (so a busy machine slows every
command alike), the bench times:

- `python -c pass` — the interpreter alone, for scale;
- the floor — `python floor.py --version`;
- `teleo --version`;
- `teleo search --mode text QUERY` on a temp copy of the corpus whose index is built (warm);
- `teleo search QUERY` (hybrid: words and meaning) on the same copy;
- the embedding model's load — `python -c "…WordLlama.load(…)"` as teleo loads it.

Each figure is the median of `--runs` passes (after one warm-up pass of each, which also fills the
OS file cache), as wall time and as CPU time (user + system of the child), which a loaded machine
disturbs less. Targets, on the wall medians:

- `teleo --version` ≤ 1.5 × floor;
- `teleo search --mode text` ≤ 2.5 × floor;
- hybrid − text ≤ model load − `python -c pass` (hybrid adds no more than loading the model).

Nothing is written into the corpus: it is copied (without .git or .teleo) to a temp folder first.
Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import default_corpus, scratch_copy, teleo_command  # noqa: E402

FLOOR_APP = '''
import typer

app = typer.Typer()


@app.command()
def main(version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    """The framework floor: one command that prints a version."""
    if version:
        print("floor 0.1.0")


if __name__ == "__main__":
    app()
'''

MODEL_LOAD = (
    "import os, wordllama; from wordllama import WordLlama; "
    "WordLlama.load(cache_dir=os.path.dirname(wordllama.__file__), disable_download=True)"
)


@dataclass
class Timed:
    """One command's passes: wall and CPU seconds."""

    name: str
    argv: list[str]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self, cwd: Path, env: dict[str, str]) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(self.argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{self.name} failed ({done.returncode}): {' '.join(self.argv)}\n{done.stderr.decode()}")
        self.wall.append(elapsed)
        self.cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))

    @property
    def wall_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed passes of each command (medians reported)")
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--query", default="coordination problem")
    args = parser.parse_args()
    if not (args.corpus / "domains").is_dir():
        print(f"corpus not found at {args.corpus} (set TELEO_CORPUS or --corpus)", file=sys.stderr)
        return 2
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "PYTHONDONTWRITEBYTECODE": "0"}
    teleo = teleo_command()
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as scratch:
        work = Path(scratch)
        (work / "floor.py").write_text(FLOOR_APP, encoding="utf-8")
        vault = scratch_copy(args.corpus, work / args.corpus.name)
        subprocess.run([*teleo, "--vault", str(vault), "index"], env=env, check=True, stdout=subprocess.DEVNULL)
        commands = [
            Timed("python -c pass", [sys.executable, "-c", "pass"]),
            Timed("floor (typer app --version)", [sys.executable, str(work / "floor.py"), "--version"]),
            Timed("teleo --version", [*teleo, "--version"]),
            Timed("teleo search --mode text", [*teleo, "--vault", str(vault), "search", "--mode", "text", args.query]),
            Timed("teleo search (hybrid)", [*teleo, "--vault", str(vault), "search", args.query]),
            Timed("model load (python -c)", [sys.executable, "-c", MODEL_LOAD]),
        ]
        for command in commands:  # warm-up: the OS file cache, __pycache__
            command.run(work, env)
            command.wall.clear()
            command.cpu.clear()
        for _ in range(args.runs):
            for command in commands:
                command.run(work, env)
    return report(commands, args.runs)


def report(commands: list[Timed], runs: int) -> int:
    bare, floor, version, text, hybrid, model = commands
    print(f"start-up, whole processes, median of {runs} interleaved passes (load average {os.getloadavg()[0]:.1f})")
    print(f"{'command':<30} {'wall ms':>9} {'× floor':>8} {'cpu ms':>8} {'× floor':>8}")
    for command in commands:
        print(f"{command.name:<30} {command.wall_ms:9.1f} {command.wall_ms / floor.wall_ms:8.2f} "
              f"{command.cpu_ms:8.1f} {command.cpu_ms / floor.cpu_ms:8.2f}")
    allowance = model.wall_ms - bare.wall_ms
    added = hybrid.wall_ms - text.wall_ms
    cpu_allowance, cpu_added = model.cpu_ms - bare.cpu_ms, hybrid.cpu_ms - text.cpu_ms
    checks = [
        (f"teleo --version ≤ 1.5 × floor: {version.wall_ms / floor.wall_ms:.2f}× "
         f"(cpu {version.cpu_ms / floor.cpu_ms:.2f}×)", version.wall_ms <= 1.5 * floor.wall_ms),
        (f"teleo search --mode text ≤ 2.5 × floor: {text.wall_ms / floor.wall_ms:.2f}× "
         f"(cpu {text.cpu_ms / floor.cpu_ms:.2f}×)", text.wall_ms <= 2.5 * floor.wall_ms),
        (f"hybrid − text ≤ model load: {added:.0f} ms ≤ {allowance:.0f} ms "
         f"(cpu {cpu_added:.0f} ≤ {cpu_allowance:.0f} ms)", added <= allowance),
    ]
    failed = 0
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
