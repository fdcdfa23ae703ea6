"""Pieces of the PostgreSQL worker tests that a spawned worker process must import by name."""

from __future__ import annotations

import os
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
