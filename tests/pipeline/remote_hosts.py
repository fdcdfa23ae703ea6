"""Hosts sharing a git remote, for the tests of `teleo.pipeline.remote` (and the fault test of issue 18.4).

`make_hosts(tmp, n)` commits the sample vault plus field notes (tests/review/race.py, written for
the tests) with `[pipeline] remote = "origin"`, makes a bare repository of it — the shared remote —
and `n` clones of it, the hosts. Run as a script, this file is one host's worker doing one kind of
job, so that tests race real processes:

    python remote_hosts.py extract <clone> <source> <worker number> [<barrier folder> <parties>]
    python remote_hosts.py merge <clone> <branch>…

It prints one JSON line per job: the outcome, or the exception's class and message.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "review"))

from conftest import SAMPLE_VAULT, git_init  # noqa: E402
from race import ENV, add_sources, make_source  # noqa: E402

from teleo.vault import Vault  # noqa: E402

REMOTE_TABLE = '\n[pipeline]\nremote = "origin"\nremote_attempts = 2\nremote_backoff_s = 0.05\n'


@dataclass
class Hosts:
    remote: Path
    clones: list[Path]
    sources: list[str]

    def vault(self, number: int) -> Vault:
        return Vault.open(self.clones[number])


def make_hosts(tmp: Path, count: int = 2, sources: int = 4, *, config: str = "") -> Hosts:
    """`config`: more of teleo.toml (after the `[pipeline]` table: a table of its own, or more of it)."""
    seed = tmp / "seed"
    shutil.copytree(SAMPLE_VAULT, seed)
    with open(seed / "teleo.toml", "a", encoding="utf-8") as toml:
        toml.write(REMOTE_TABLE + config)
    git_init(seed)
    files = dict(make_source(number, seed=18) for number in range(sources))
    add_sources(Vault.open(seed), files)
    remote, clones = share(seed, count)
    return Hosts(remote=remote, clones=clones, sources=sorted(files))


def share(seed: Path, count: int) -> tuple[Path, list[Path]]:
    """A bare repository of `seed` beside it (`remote.git`, the shared remote) and `count` clones of it (`host<N>`)."""
    remote = seed.parent / "remote.git"
    _git(seed.parent, "clone", "-q", "--bare", str(seed), str(remote))
    clones = [seed.parent / f"host{number}" for number in range(count)]
    for clone in clones:
        _git(seed.parent, "clone", "-q", str(remote), str(clone))
    return remote, clones


def _git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **ENV}).stdout


def remote_refs(remote: Path) -> dict[str, str]:
    """Every ref of the remote → its value (what a job that changes nothing leaves as it was)."""
    out = _git(remote, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines())


def fsck(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(path), "fsck", "--full"], capture_output=True, text=True)


def run_host(*args: str) -> subprocess.Popen:
    """This file as a script in a process of its own (one host's worker), output piped."""
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **ENV})


def results(process: subprocess.Popen, timeout: float = 900) -> list[dict]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


class BarrierProvider:
    """The vault's provider, made to wait before extracting until `parties` processes got that far.

    Each process has fetched before it extracts, so all of them push a proposal for the same source."""

    def __init__(self, inner, folder: Path, parties: int) -> None:
        self.inner, self.folder, self.parties = inner, folder, parties
        self.name, self.model = inner.name, inner.model

    def extract(self, request):
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / str(os.getpid())).touch()
        deadline = time.time() + 600  # the other processes may be slow to start on a loaded machine
        while len(list(self.folder.iterdir())) < self.parties:
            if time.time() > deadline:  # never go on alone: the race the test is about would not happen
                raise RuntimeError(f"the barrier in {self.folder} did not fill ({self.parties} parties) in 600 s")
            time.sleep(0.01)
        return self.inner.extract(request)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _outcome(job) -> dict:
    try:
        return {"ok": True, **job().model_dump(mode="json")}
    except Exception as exc:  # noqa: BLE001 - the test reads which error it was
        return {"ok": False, "error": type(exc).__name__, "message": str(exc),
                "retryable": getattr(exc, "retryable", None)}


def main(argv: list[str]) -> None:
    from teleo.llm import provider_from_config
    from teleo.pipeline.remote import extract_on_remote, merge_on_remote

    kind, clone, *rest = argv
    vault = Vault.open(Path(clone))
    if kind == "extract":
        source, worker, *barrier = rest
        provider = provider_from_config(vault)
        if barrier:
            provider = BarrierProvider(provider, Path(barrier[0]), int(barrier[1]))
        job = lambda: extract_on_remote(vault, source, provider=provider, worker=int(worker))  # noqa: E731
        print(json.dumps(_outcome(job)), flush=True)
    elif kind == "merge":
        for branch in rest:
            print(json.dumps(_outcome(lambda: merge_on_remote(vault, branch))), flush=True)
    else:
        raise SystemExit(f"unknown job kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
