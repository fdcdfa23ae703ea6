"""`teleo worker`'s supervisor (`service._supervise`) stops when asked, even while it restarts a dead worker.

A worker died (SIGKILL) and the supervisor paused before starting it again; the SIGTERM that came during that
pause reached only the workers already running, and the new one, started after it, was never told to stop — the
supervisor waited for it forever (tests/pgqueue/test_fault.py hung on its final SIGTERM, seed 101116). No real
worker or timing here: fake processes, and the SIGTERM delivered from inside the pause.
"""

from __future__ import annotations

import os
import signal
from types import SimpleNamespace

import pytest

pytest.importorskip("procrastinate", reason="the supervisor reads its workers' exit codes from teleo.pipeline.pg: "
                    "install the postgres extra (pip install -e '.[test,postgres]')")

from teleo.pipeline import service  # noqa: E402 - after the skip


class FakeProcess:
    started: list["FakeProcess"] = []

    def __init__(self, target=None, args=(), name: str = "") -> None:
        self.name, self.exitcode, self.alive = name, None, False
        self.pid = 90_000_000 + len(FakeProcess.started)  # above any pid_max: never a real process

    def start(self) -> None:
        FakeProcess.started.append(self)
        self.alive = True
        if len(FakeProcess.started) == 1:  # the first worker dies at once, killed
            self.alive, self.exitcode = False, -signal.SIGKILL

    def is_alive(self) -> bool:
        return self.alive

    def join(self) -> None:
        pass


def test_a_stop_during_a_restart_pause_starts_no_worker_and_ends_the_supervisor(monkeypatch):
    FakeProcess.started = []
    told: list[int] = []
    pauses: list[float] = []
    real_kill = os.kill

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        assert len(pauses) < 100, "the supervisor never stopped"
        if seconds == service.RESTART_PAUSE_S:
            real_kill(os.getpid(), signal.SIGTERM)  # the stop arrives during the pause (its handler runs here)
        for process in FakeProcess.started:  # a worker told to stop stops
            if process.alive and process.pid in told:
                process.alive, process.exitcode = False, 0

    monkeypatch.setattr(service.mp, "get_context", lambda method=None: SimpleNamespace(Process=FakeProcess))
    monkeypatch.setattr(service, "time", SimpleNamespace(sleep=pause))
    monkeypatch.setattr(service, "os", SimpleNamespace(kill=lambda pid, sig: told.append(pid)))
    code = service._supervise(None, None, 1, False, None)
    assert code == 0
    assert [p.pid for p in FakeProcess.started if p.alive] == []  # nothing left running
    assert len(FakeProcess.started) == 1  # no worker started after the stop
