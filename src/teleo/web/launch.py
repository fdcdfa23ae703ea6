"""`teleo serve` in a child process, for the scripts, benches and tests that drive the real command.

    with serve_process(vault, log_path) as server:
        httpx.get(server.base + "/api/stats")

The child runs this interpreter's `teleo` on a free loopback port; the block starts once
`/healthz` answers, and the child is stopped (terminated, then killed) when it ends. Its output
goes to `log_path`, which a failure message quotes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

START_SECONDS = 120.0


class ServeFailed(RuntimeError):
    """The server exited or did not answer `/healthz` in time; the message quotes its output."""


@dataclass(frozen=True)
class Served:
    base: str
    """`http://127.0.0.1:<port>`."""
    port: int
    startup_s: float
    """Seconds from starting the process to the first healthy answer."""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT_ATTEMPTS = 3
"""A free port is picked before the child binds it: another process may take it in between (the
child then exits saying so), and the next attempt picks another."""


@contextmanager
def serve_process(
    vault: Path, log_path: Path, *, args: Sequence[str] = (), env: dict[str, str] | None = None,
    start_seconds: float = START_SECONDS,
) -> Iterator[Served]:
    """`teleo serve VAULT --port <free> [args]` until the block ends (`env` adds variables)."""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        command = [sys.executable, "-m", "teleo.cli.app", "serve", str(vault), "--port", str(port), *args]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
            )
            try:
                base = f"http://127.0.0.1:{port}"
                try:
                    startup = _wait_healthy(base, process, log_path, start_seconds)
                except ServeFailed:
                    if attempt < PORT_ATTEMPTS and process.poll() is not None and _port_taken(log_path):
                        continue
                    raise
                yield Served(base=base, port=port, startup_s=startup)
                return
            finally:
                stop_process(process)


def _port_taken(log_path: Path) -> bool:
    """Whether the child's output says its port was taken (its own check, or uvicorn's bind)."""
    return "already in use" in _tail(log_path).lower()


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, 10 s to go, then SIGKILL; always reaped."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_healthy(base: str, process: subprocess.Popen, log_path: Path, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if process.poll() is not None:
            raise ServeFailed(f"teleo serve exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise ServeFailed(f"teleo serve did not answer /healthz within {seconds:.0f} s:\n{_tail(log_path)}")


def _tail(log_path: Path, size: int = 4000) -> str:
    return log_path.read_text(encoding="utf-8", errors="replace")[-size:]
