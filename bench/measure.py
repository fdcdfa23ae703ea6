"""Running a command as a whole process and measuring it: wall time, CPU and peak memory.

    measured = run_measured([sys.executable, "-m", "teleo.cli.app", "lint", root])

Memory is measured two ways, both over the command's whole process tree (forked workers
included):

* `peak_mib` — the kernel's own peak resident set of the largest process (`ru_maxrss` from
  `wait4` on the child: the maximum over the child and every descendant it waited for), exact
  but blind to several processes being large at once;
* `tree_mib` — the highest sum, over the tree, of each process's proportional set size
  (`Pss` in `/proc/PID/smaps_rollup`: pages shared between processes, such as those a fork
  inherits, are divided among them, so nothing is counted twice), sampled every `sample_s`
  (a peak shorter than that can be missed).

The verdicts of the benches use the larger of the two. Linux only (`/proc`, `wait4`).

The command is started by a small launcher process (this file run as a script), which
waits for it and reports: Linux keeps a process's peak RSS across `exec`, and Python
starts children with `vfork`, so a child started straight from a large bench process
would report the bench's own peak as its own.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    seconds: float
    """Wall time from the start of the process to its exit."""
    returncode: int
    cpu_s: float
    """User + system time of the process and the descendants it waited for."""
    peak_mib: float
    """The kernel's peak resident set of the largest process of the tree."""
    tree_mib: float
    """The highest sampled sum of the tree's proportional set sizes."""
    stdout: str = ""
    stderr: str = ""

    @property
    def memory_mib(self) -> float:
        """What the benches judge: the larger of the two measures."""
        return max(self.peak_mib, self.tree_mib)


def run_measured(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None, keep_stdout: bool = False,
                 sample_s: float = 0.05) -> Measured:
    """Run `cmd` to its end through the launcher (stdin closed; stdout kept only when `keep_stdout`)."""
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="teleo-measure-") as folder:
        report = Path(folder) / "report.json"
        out = Path(folder) / "stdout"
        launcher = [sys.executable, str(Path(__file__).resolve()), str(report), str(out) if keep_stdout else "",
                    str(sample_s), json.dumps(cmd)]
        done = subprocess.run(launcher, stdin=subprocess.DEVNULL, capture_output=True, env=env, cwd=cwd, check=False)
        if not report.exists():
            raise RuntimeError(f"the measuring launcher failed: {done.stderr.decode('utf-8', 'replace')[-500:]}")
        figures = json.loads(report.read_text(encoding="utf-8"))
        stdout = out.read_text(encoding="utf-8", errors="replace") if keep_stdout else ""
    return Measured(**figures, stdout=stdout, stderr=done.stderr.decode("utf-8", "replace"))


def _launch(report: str, stdout: str, sample_s: float, cmd: list[str]) -> int:
    """In the launcher: run `cmd`, sample its tree, `wait4` it, write the figures to `report`."""
    import json

    with open(stdout or os.devnull, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out)
        sampler = _TreeSampler(process.pid, sample_s)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
        sampler.stop()
    figures = {"seconds": seconds, "returncode": process.returncode, "cpu_s": usage.ru_utime + usage.ru_stime,
               "peak_mib": usage.ru_maxrss / 1024, "tree_mib": sampler.peak_kib / 1024}
    Path(report).write_text(json.dumps(figures), encoding="utf-8")
    return 0


class _TreeSampler(threading.Thread):
    """Every `interval` seconds, the sum of Pss over `root` and its descendants; keeps the highest."""

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(name="pss-sampler", daemon=True)
        self.root = root
        self.interval = interval
        self.peak_kib = 0
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while not self._done.is_set():
            total = sum(_pss_kib(pid) for pid in _tree(self.root))
            self.peak_kib = max(self.peak_kib, total)
            self._done.wait(self.interval)


def _tree(root: int) -> list[int]:
    """`root` and every process descending from it (by parent pid, from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()  # after "pid (comm) "
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


FLOOR_CHILD = """
import os, re, sys
FRONTMATTER = re.compile(r"^---\\n(.*?)\\n---", re.DOTALL)
LINK = re.compile(r"\\[\\[(.+?)\\]\\]")
files = frontmatters = links = 0
for folder, dirs, names in os.walk(sys.argv[1]):
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
print(files, frontmatters, links)
"""
"""lint_bench's floor (walk, read every .md, regex frontmatter and links) as a script of its own:
a whole process, for the memory a plain read of the vault takes."""


def floor_process(root: Path, python: str) -> Measured:
    """The floor script run as a whole process on `root`."""
    return run_measured([python, "-c", FLOOR_CHILD, str(root)])


if __name__ == "__main__":
    import json
    import sys

    sys.exit(_launch(sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])))
