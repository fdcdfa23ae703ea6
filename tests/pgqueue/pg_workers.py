"""Pieces of the PostgreSQL worker tests that a spawned worker process must import by name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass
class Hang:
    """An extraction that says it started (writes `marker`), then never ends."""

    marker: str

    def __call__(self, vault, source, **options):
        Path(self.marker).write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(600)


def worker_entry(root: str, settings, extract, factory) -> None:
    """A worker process as `teleo worker` runs it (one process, Procrastinate's worker inside)."""
    from teleo.pipeline.service import WorkerSpec, run_worker
    from teleo.vault import Vault

    sys.exit(run_worker(Vault.open(root), settings, 1, False, WorkerSpec(provider_factory=factory, extract=extract)))


def wait_for(predicate, timeout: float, what: str):
    """The predicate's first true value, checked every 0.2 s; AssertionError after `timeout` s."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.2)


def worker_until(command: list[str], cwd: Path, env: dict, condition, timeout: float, what: str):
    """Run `teleo worker` (`command`) until `condition()` holds, then SIGTERM it: (the condition's value,
    exit code, stdout, stderr). Killed if it outlives the test."""
    worker = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        value = wait_for(condition, timeout, what)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    return value, worker.returncode, out, err


def process_identity(pid: int | None = None) -> str:
    """`<pid> <start time>` of a process (this one by default): a pid alone may name another process later
    (pids wrap at /proc/sys/kernel/pid_max, 32768 on a small machine busy with git)."""
    pid = os.getpid() if pid is None else pid
    start = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]  # field 22: starttime
    return f"{pid} {start}"


def is_running(identity: str) -> bool:
    """Whether the process `process_identity` named still exists (alive or a zombie), not a newer one with its pid."""
    pid = int(identity.split()[0])
    try:
        return process_identity(pid) == identity
    except (OSError, IndexError):
        return False


@dataclass
class HangOnce:
    """An extraction whose first attempt never ends (a model call that never answers; `marker` records its
    process, `process_identity`); later attempts extract as usual."""

    marker: str

    def __call__(self, vault, source, **options):
        if not Path(self.marker).exists():
            Path(self.marker).write_text(process_identity(), encoding="utf-8")
            time.sleep(600)
        from teleo.pipeline.job import extract_source

        return extract_source(vault, source, **options)


def serve_entry(root: str, settings, extract, factory, concurrency: int = 1) -> None:
    """`teleo worker --drain --concurrency N` (a supervising process forking its workers)."""
    from teleo.pipeline.service import WorkerSpec, serve
    from teleo.vault import Vault

    sys.exit(serve(Vault.open(root), settings, concurrency=concurrency, drain=True,
                   spec=WorkerSpec(provider_factory=factory, extract=extract)))


@dataclass
class MarkingFactory:
    """The vault's own (offline) model, leaving `model-<n>` in `marks` as it starts its n-th call in the
    worker process."""

    marks: str

    def __call__(self, vault):
        from teleo.llm import provider_from_config

        inner, marks, calls = provider_from_config(vault, None, None), Path(self.marks), []

        class Marking:
            def extract(self, request):
                calls.append(request.source_path)
                (marks / f"model-{len(calls)}").mkdir()
                return inner.extract(request)

            def __getattr__(self, name):
                return getattr(inner, name)

        return Marking()
