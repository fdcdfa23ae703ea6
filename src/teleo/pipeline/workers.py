"""Worker processes and their supervisor.

Each worker is a separate process (a SIGKILL takes down one worker only) that
loops: lease a job → heartbeat thread → `extract_source` (which builds the
proposal from git objects only and publishes it with a compare-and-swap ref
update: no shared working tree) → complete or fail the job.  It exits when its
batch has nothing pending or leased.

The supervisor (the calling process) watches its workers: a worker that died
(killed, crashed) has its leases released at once and is replaced; a job
leased longer than `timeout_s` gets its worker SIGKILLed, a failed attempt
recorded (retried with backoff) and a fresh worker; expired leases of workers
elsewhere are reaped.  It reports progress through a callback.

**Start-up.** What a job needs before its first lease — the extraction engine's
imports, the index synced for the base tip (and the embedding model, when the
vault has claims to compare with), the base tip's walk and link resolver — is
read-only once made. So by default (`start_method = "auto"`) the supervisor
makes it once, in its own process, and *forks* the workers from there: they
share it (copy-on-write) instead of each importing and loading it again, which
took 8 spawned workers longer than the work itself on 2 cores. Forking is safe
only from a process with no other thread running (Linux); otherwise, or with
`start_method = "spawn"`, each worker is a fresh interpreter that warms up on
its own. Before forking, the supervisor closes its SQLite connections to the
queue and the index (a connection must never cross a fork; workers open their
own) and opens the queue again after.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable
from typing import Any, Callable

from teleo.pipeline.store import Job, JobStore
from teleo.vault import Vault

HOST = socket.gethostname()


@dataclass
class PipelineSettings:
    """Knobs of the queue (the vault's `[pipeline]` table, see `from_vault`)."""

    workers: int = 1
    timeout_s: float = 600.0
    max_attempts: int = 3
    backoff_s: float = 30.0
    max_backoff_s: float = 3600.0
    lease_ttl_s: float = 60.0
    heartbeat_s: float = 10.0
    poll_s: float = 0.05
    """How often an idle worker looks for a ready job."""
    tick_s: float = 0.1
    """How often the supervisor checks its workers, timeouts and expired leases."""
    remote: str = ""
    """The git remote the hosts share (`teleo.pipeline.remote`); empty: one host, nothing pushed. With
    `[forge]` it is `[forge] remote` (the default on postgres; another is refused: `_forge_is_the_remote`)."""
    remote_attempts: int = 4
    """Tries of a fetch or push that does not reach the remote before the job fails with git's message."""
    remote_backoff_s: float = 0.5
    """Pause after the first failed try of the remote, doubled after each next one."""
    start_method: str = "auto"
    """"auto": fork the workers from this process once it holds what every job needs, when that is
    safe (Linux, no other thread running), else "spawn"; "spawn", "fork" or "forkserver" force one."""
    backend: str = "sqlite"
    """Where the jobs live: "sqlite" (`.teleo/queue.sqlite`, workers run by the command that
    enqueued) or "postgres" (Procrastinate; `teleo worker`s on any host take them). See `queue.py`."""
    dsn: str = field(default="", repr=False)
    """The PostgreSQL DSN (`TELEO_PG_DSN` overrides it). Never printed: see `queue.redact_dsn`."""
    stall_seconds: float = 60.0
    """PostgreSQL: a job whose worker sent no heartbeat for this long is retried by the periodic
    stall task (workers beat every `min(10, stall_seconds / 3)` s)."""

    @classmethod
    def from_vault(cls, vault: Vault, **overrides: Any) -> "PipelineSettings":
        """The vault's `[pipeline]` table, then `overrides` (None = not given); bad keys or values raise ValueError."""
        table = dict(vault.config.pipeline)
        unknown = sorted(set(table) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"teleo.toml: field 'pipeline.{unknown[0]}': unknown setting "
                             f"(known: {', '.join(sorted(cls.__dataclass_fields__))})")
        for key, value in table.items():
            default = cls.__dataclass_fields__[key].default
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise ValueError(f"teleo.toml: field 'pipeline.{key}': expected a positive number, got {value!r}")
            elif not isinstance(value, type(default)):
                shown = f"a {type(value).__name__}" if key == "dsn" else repr(value)  # a DSN is never echoed
                raise ValueError(f"teleo.toml: field 'pipeline.{key}': expected {type(default).__name__}, got {shown}")
        table.update({k: v for k, v in overrides.items() if v is not None})
        from teleo.pipeline.queue import BACKENDS, dsn_from

        if table.get("backend", "sqlite") not in BACKENDS:
            raise ValueError(f"teleo.toml: field 'pipeline.backend': expected one of {', '.join(BACKENDS)}, "
                             f"got {table['backend']!r}")
        table["dsn"] = dsn_from(str(table.get("dsn", "")))
        if table.get("backend") == "postgres" and not table["dsn"]:
            raise ValueError("teleo.toml: field 'pipeline.dsn': the postgres backend needs a DSN "
                             "(set [pipeline] dsn, or TELEO_PG_DSN for one with a password)")
        _forge_is_the_remote(vault, table)
        return cls(**table)

    def refuse_local_stages(self, stages: Iterable[str]) -> None:
        """A shared remote with the SQLite backend: extraction, review and merge would run on this
        clone alone and never reach the remote (only an ingest is published there) — refused with a
        ValueError saying what to set. The remote's jobs are the PostgreSQL queue's (`teleo worker`)."""
        local = [stage for stage in ("extract", "review", "merge") if stage in stages]
        if self.remote and self.backend == "sqlite" and local:
            raise ValueError(
                f"teleo.toml: [pipeline] remote = {self.remote!r} needs backend = \"postgres\": on the sqlite backend "
                f"{', '.join(local)} would run on this clone alone and never reach the shared remote. Set "
                f"backend = \"postgres\" (and run `teleo worker` on each host), or remove remote for one host")


def _forge_is_the_remote(vault: Vault, table: dict[str, Any]) -> None:
    """With `[forge]`, the forge's repository is the hosts' shared remote: `[pipeline] remote` names the same
    git remote as `[forge] remote` (another is refused, in one line naming both settings), and on the
    postgres backend it defaults to it — `teleo worker`s then push proposals to the forge and merge through
    its API (`teleo.pipeline.forge_jobs`) instead of moving a main the forge does not see."""
    forge = vault.config.forge
    if not forge:
        return
    from teleo.forge.settings import ForgeSettings

    forge_remote = str(forge.get("remote") or ForgeSettings.model_fields["remote"].default)
    if table.get("remote") and table["remote"] != forge_remote:
        raise ValueError(f"teleo.toml: field 'pipeline.remote': {table['remote']!r} is not [forge] remote = "
                         f"{forge_remote!r} — with [forge] the forge's repository is the hosts' shared remote: name "
                         f"the same git remote in both, or leave pipeline.remote unset")
    if table.get("backend") == "postgres":
        table["remote"] = forge_remote


@dataclass
class ProviderSpec:
    """How a worker builds its provider in its own process: a picklable factory, or the vault's config."""

    factory: Callable[[Vault], Any] | None = None
    name: str | None = None
    model: str | None = None

    def build(self, vault: Vault):
        if self.factory is not None:
            return self.factory(vault)
        from teleo.llm import provider_from_config

        return provider_from_config(vault, self.name, self.model)

    def chunk_tokens(self, vault: Vault) -> int | None:
        """The source tokens per call of a model provider the vault's config names, which splits a
        longer source with the tokenizer; None for a factory's provider or the offline one (no split)."""
        if self.factory is not None:
            return None
        try:
            from teleo.llm.factory import resolve_settings

            chosen = resolve_settings(vault, self.name, self.model, role="extract")
        except Exception:  # noqa: BLE001 - a bad config is reported when the provider is built
            return None
        return None if chosen.provider == "offline" else chosen.source_tokens


def owner_id(pid: int, number: int) -> str:
    return f"{HOST}:{pid}:{number}"


def queue_path(vault_root: Path | str) -> Path:
    return Path(vault_root) / ".teleo" / "queue.sqlite"


# -- the worker (child process) -------------------------------------------------------


MAX_DROPPED_KEPT = 60
"""The job table keeps at most this many drops per job (the count is always kept)."""


def outcome_result(outcome: Any) -> dict:
    dropped = list(getattr(outcome, "dropped", []) or [])
    return {
        "status": outcome.status, "branch": outcome.branch, "commit": outcome.commit,
        "claims": len(outcome.claims), "enrichments": len(outcome.enrichments),
        "entities_created": len(getattr(outcome, "entities_created", []) or []),
        "entities_updated": len(getattr(outcome, "entities_updated", []) or []),
        "tokens": outcome.tokens, "cost": outcome.cost, "calls": outcome.calls, "chunks": outcome.chunks,
        "error": outcome.error,
        "dropped_count": len(dropped),
        "dropped": [
            {"kind": d.kind, "group": d.group, "reason": d.reason[:300], "subject": d.subject[:160]}
            for d in dropped[:MAX_DROPPED_KEPT]
        ],
    }


class Heartbeat:
    """One thread and one connection per worker: extends the lease of the job in hand every `heartbeat_s`."""

    def __init__(self, path: Path, settings: PipelineSettings) -> None:
        self.store = JobStore(path)
        self.settings = settings
        self.lock = threading.Lock()
        self.job: tuple[str, str] | None = None
        self.thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)
        self.thread.start()

    def hold(self, source: str | None, owner: str = "") -> None:
        with self.lock:
            self.job = (source, owner) if source else None

    def _loop(self) -> None:
        while True:
            time.sleep(self.settings.heartbeat_s)
            with self.lock:
                job = self.job
            if job is not None and not self.store.heartbeat(job[0], job[1], self.settings.lease_ttl_s):
                self.hold(None)


def run_one(vault: Vault, store: JobStore, job: Job, owner: str, number: int, provider: Any,
            settings: PipelineSettings, extract: Callable | None = None, heartbeat: Heartbeat | None = None) -> str:
    """Do one leased job; returns the job's new state ('done', 'pending', 'failed', or 'lost')."""
    if extract is None:
        from teleo.pipeline.job import extract_source as extract
    own = heartbeat is None
    heartbeat = heartbeat or Heartbeat(store.path, settings)
    heartbeat.hold(job.source, owner)
    try:
        outcome = extract(vault, job.source, provider=provider, worker=number)
        result = outcome_result(outcome)
    except Exception as exc:  # extract_source never raises; a stub might
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    finally:
        heartbeat.hold(None)
        if own:
            heartbeat.store.close()
    if result["status"] in ("proposed", "null", "skipped"):
        # skipped: an open proposal exists (an earlier attempt committed, then died) or the source is no
        # longer unprocessed on main — either way there is nothing left to do
        return "done" if store.complete(job.source, owner, result) else "lost"
    state = store.fail(job.source, owner, result.get("error") or "failed", max_attempts=settings.max_attempts,
                       backoff_s=settings.backoff_s, max_backoff_s=settings.max_backoff_s, result=result)
    return state or "lost"


def warm_up(vault: Vault | None = None) -> None:
    """Load what a first job would load before leasing anything: numpy, the vault's index synced for
    the base tip with the claims' vectors (so the first job of every worker does not queue on the
    index's write lock) — the embedding model with them when the vault has claims to compare a
    source with (a vault without claims never needs it) — and the base tip's walk and resolver."""
    try:
        import teleo.index.vectors  # noqa: F401
    except Exception:  # no numpy: jobs fall back on exact titles; nothing to warm
        pass
    if vault is not None:
        try:
            from teleo.extract.context import warm_index
            from teleo.pipeline.job import warm_up as warm_extraction

            warm_index(vault)
            warm_extraction(vault)
        except Exception:  # the first job will do it itself
            pass


def worker_main(root: str, number: int, spec: ProviderSpec, settings: PipelineSettings, batch: str | None,
                extract: Callable | None = None, ready: Any = None, expected: int = 1,
                prepared: Vault | None = None) -> None:
    """A worker process: lease, extract, repeat until the batch has nothing pending or leased.

    A forked worker gets the supervisor's `prepared` vault (its base tip's walk and resolver
    already made, see the module doc); a spawned one opens the vault, imports the extraction
    engine and warms up itself. Then it waits (at most 10 s) until `expected` workers are
    ready, so the workers start leasing together.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when to stop
    if prepared is not None:
        # The tokenizer's thread pool does not survive a fork: tokenize on one thread here (and print
        # no warning about it).
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
    vault = prepared if prepared is not None else Vault.open(root)
    store = JobStore(queue_path(root))
    owner = owner_id(os.getpid(), number)
    provider = spec.build(vault)
    if extract is None:
        from teleo.pipeline.job import extract_source as extract  # warm: the imports are the slow part
    if prepared is None:
        warm_up(vault)
    if ready is not None:
        with ready.get_lock():
            ready.value += 1
        deadline = time.time() + 10
        while ready.value < expected and time.time() < deadline:
            time.sleep(0.01)
    heartbeat = Heartbeat(store.path, settings)
    while True:
        job = store.lease(owner, settings.lease_ttl_s, batch=batch, max_attempts=settings.max_attempts)
        if job is None:
            counts = store.counts(batch)
            if counts["pending"] == 0 and counts["leased"] == 0:
                return
            time.sleep(settings.poll_s)
            continue
        run_one(vault, store, job, owner, number, provider, settings, extract, heartbeat)


# -- the supervisor ---------------------------------------------------------------------


def fork_is_safe(forced: bool = False) -> bool:
    """Whether workers may be forked from this process: on Linux, with no other thread running (a
    thread holding a lock at the fork would leave it locked forever in the child). `forced`
    (`start_method = "fork"`) skips the thread check."""
    if "fork" not in mp.get_all_start_methods() or not sys.platform.startswith("linux"):
        return False
    return forced or threading.active_count() == 1


@dataclass
class Progress:
    total: int
    counts: dict[str, int]
    current: dict[int, str]
    """Worker number → the source it holds."""
    restarts: int = 0
    timeouts: int = 0


@dataclass
class _Slot:
    number: int
    process: Any
    owner: str


@dataclass
class Supervisor:
    vault: Vault
    settings: PipelineSettings
    spec: ProviderSpec = field(default_factory=ProviderSpec)
    batch: str | None = None
    extract: Callable | None = None
    on_progress: Callable[[Progress], None] | None = None
    restarts: int = 0
    timeouts: int = 0
    error: str | None = None
    """Why the supervisor gave up (workers dying before doing any work)."""

    def __post_init__(self) -> None:
        self.forking = fork_is_safe() if self.settings.start_method == "auto" else self.settings.start_method == "fork"
        method = self.settings.start_method
        self.ctx = mp.get_context("fork" if self.forking else "spawn" if method == "auto" else method)
        self.store = JobStore(queue_path(self.vault.root))
        self.slots: dict[int, _Slot] = {}
        self._stop = threading.Event()
        # the start barrier's counter, of the workers' own context: a fork context's needs no named
        # semaphore, hence no resource-tracker process started beside the run (a spawn context's does)
        self._ready = self.ctx.Value("i", 0)
        self._barren = 0  # consecutive worker deaths with no job finished in between
        self._finished = -1

    def spawn(self, number: int) -> _Slot:
        return self.start_workers([number])[0]

    def start_workers(self, numbers: list[int]) -> list[_Slot]:
        """Start a worker for each number: forked from this process when it was prepared for that
        (and still runs no other thread), else spawned."""
        forked = self.forking and fork_is_safe(self.settings.start_method == "fork")
        if forked:
            self.store.close()  # no SQLite connection may cross a fork
            # What the workers inherit stays shared: frozen objects are never visited by their cyclic
            # collector, whose bookkeeping writes would otherwise copy every inherited page into each.
            # (No collection first: it costs 20-35 ms of CPU before any worker starts, and the freed
            # holes it leaves are what the fork should not copy either — the gc module's own advice.)
            gc.freeze()
        try:
            slots = [self._start(number, forked) for number in numbers]
        finally:
            if forked:
                gc.unfreeze()
                self.store = JobStore(queue_path(self.vault.root))
        return slots

    def _start(self, number: int, forked: bool) -> _Slot:
        context = self.ctx if forked or not self.forking else mp.get_context("spawn")
        # a worker spawned after all (a thread started meanwhile) cannot share the fork context's
        # counter: it skips the start barrier, which only lines up the first workers anyway
        ready = self._ready if context is self.ctx else None
        process = context.Process(
            target=worker_main, name=f"teleo-worker-{number}", daemon=True,
            args=(str(self.vault.root), number, self.spec, self.settings, self.batch, self.extract,
                  ready, self.settings.workers, self.vault if forked else None),
        )
        process.start()
        slot = _Slot(number, process, owner_id(process.pid, number))
        self.slots[number] = slot
        return slot

    def _prepare(self) -> None:
        """Make here, once, what every worker needs before its first job (forked workers inherit it),
        then close this process's index connections: no SQLite connection may cross a fork."""
        if self.extract is None:
            from teleo.pipeline.job import extract_source  # noqa: F401 - the imports are the point
        warm_up(self.vault)
        budget = self.spec.chunk_tokens(self.vault)
        if budget is not None:
            from teleo.pipeline.job import warm_chunking

            warm_chunking(self.vault, [job.source for job in self.store.all(self.batch)], budget)
        from teleo.index import close_shared

        close_shared(self.vault.root)

    def _prepare_index(self) -> None:
        """Bring the vault's index up to date here, once, before the workers start.

        Workers are daemon processes, which may not start the process pool the index parses
        many new notes with; and one sync here spares every worker the same walk. Embeddings
        are left to the workers (the model is loaded there anyway)."""
        try:
            from teleo.index import open_index

            open_index(self.vault).sync(embed=False)
        except Exception:  # noqa: BLE001 - the workers' own syncs still run
            pass

    def processes(self) -> dict[int, Any]:
        """Worker number → its live process (for tests that kill workers)."""
        return {n: s.process for n, s in self.slots.items()}

    def stop(self) -> None:
        self._stop.set()

    def _work_left(self) -> bool:
        counts = self.store.counts(self.batch)
        return counts["pending"] + counts["leased"] > 0

    def run(self) -> list[Job]:
        if self.forking:
            self._prepare()
        else:
            self._prepare_index()
        self.start_workers(list(range(1, self.settings.workers + 1)))
        try:
            while not self._stop.is_set():
                self._tick()
                if not self.slots:
                    break
                self._wait()
        finally:
            for slot in list(self.slots.values()):
                if slot.process.is_alive():
                    slot.process.kill()
                slot.process.join(5)
            if self.slots:
                self.store.reap(dead_owners=[s.owner for s in self.slots.values()], max_attempts=self.settings.max_attempts)
            self._report()
        return self.store.all(self.batch)

    def _wait(self) -> None:
        """Until the next tick, or sooner when a worker exits (the last one's exit ends the run at once)."""
        from multiprocessing.connection import wait

        wait([slot.process.sentinel for slot in self.slots.values()], timeout=self.settings.tick_s)

    def _tick(self) -> None:
        now = time.time()
        by_owner = {s.owner: s for s in self.slots.values()}
        for job in self.store.leased():
            slot = by_owner.get(job.owner or "")
            if slot is not None and job.leased_at is not None and now - job.leased_at > self.settings.timeout_s:
                slot.process.kill()
                slot.process.join()
                self.store.fail(job.source, slot.owner, f"timed out after {self.settings.timeout_s:g} s",
                                max_attempts=self.settings.max_attempts, backoff_s=self.settings.backoff_s,
                                max_backoff_s=self.settings.max_backoff_s)
                self.timeouts += 1
        for number, slot in list(self.slots.items()):
            if slot.process.is_alive():
                continue
            slot.process.join()
            del self.slots[number]
            if slot.process.exitcode != 0:
                self.store.reap(dead_owners=[slot.owner], max_attempts=self.settings.max_attempts)
                counts = self.store.counts(self.batch)
                finished = counts["done"] + counts["failed"]
                self._barren = self._barren + 1 if finished == self._finished else 0
                self._finished = finished
                if self._barren > 3 * self.settings.workers + 3:
                    self.error = (f"workers keep dying without finishing a job (last exit code {slot.process.exitcode});"
                                  " giving up")
                    self._stop.set()
                    continue
                if self._work_left():
                    self.restarts += 1
                    self.spawn(number)
        self.store.reap(max_attempts=self.settings.max_attempts)  # leases of workers elsewhere that stalled
        if not self.slots and self._work_left() and not self._stop.is_set():
            # every worker exited while jobs wait for their backoff: a fresh worker waits for them
            self.spawn(1)
        self._report()

    def _report(self) -> None:
        if self.on_progress is None:
            return
        counts = self.store.counts(self.batch)
        owners = {s.owner: n for n, s in self.slots.items()}
        current = {owners[j.owner]: j.source for j in self.store.leased() if j.owner in owners}
        self.on_progress(Progress(sum(counts.values()), counts, current, self.restarts, self.timeouts))
