"""The fault test of issue 18.4: workers on three hosts sharing a git remote and a PostgreSQL queue,
killed at random moments, the database restarted under them — and every source still done once.

A bare repository of the sample vault and field notes (30 unprocessed sources) is the shared
remote; three clones of it are the hosts; on each, one `teleo worker --concurrency 2` (two worker
processes, the real command line; its offline model made slow: `fault_worker.py`).
`teleo run --no-inbox` enqueues the 30 sources (extract → review → merge).
While they work, a seeded plan (the seed is printed; `TELEO_FAULT_SEED` replays one) fires 3–5
SIGKILLs at random moments (after a random number of extractions, plus a random pause) — of a
worker in the middle of an extraction when one is, and once of a host's `teleo worker` itself
(its two workers die with it, as on a host that dies: 4–6 worker processes killed in all) — and
restarts PostgreSQL once (stopped; a `teleo worker` started meanwhile must fail with one line
naming the DSN without its password; started again). Killed workers are restarted: a host's own
`teleo worker` restarts its workers; the test restarts a killed host, and any host whose
`teleo worker` exited on its own (one that started while the database was down), as systemd's
`Restart=on-failure` would. The interleaving of jobs is the machine's: the seed fixes the plan.

Afterwards, with `stall_seconds = 4`:
- **exactly once**, on the remote: each source has either one proposal branch holding one commit
  that names it (`- Source:`; review fix commits name none) and no commit of main names it, or no
  branch, one commit of main's history naming it and one merge on main's first-parent line that
  brought it;
- every proposal was reviewed, every approved one has its merge job done;
- `git fsck --full` is clean in the remote and in every clone;
- no job is left waiting or running (a killed worker's job was retried once its heartbeat was
  `stall_seconds` old) and every job that failed has a later run of the same job that succeeded;
  an extraction interrupted by a kill shows two attempts or more;
- no log line carries the DSN's password; each host stops with exit 0 on SIGTERM.

No assertion is about time: every step waits for a condition, with generous deadlines (the only
sleeps are the plan's random pauses).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pipeline"))
sys.path.insert(0, str(HERE.parent / "review"))

from pg_workers import wait_for, worker_until  # noqa: E402
from race import ENV, add_sources, make_source  # noqa: E402
from remote_hosts import fsck, share  # noqa: E402

from conftest import SAMPLE_VAULT, git_init, teleo_command  # noqa: E402
from teleo.repo.branches import source_of  # noqa: E402
from teleo.vault import Vault  # noqa: E402

SOURCES = 30
HOSTS = 3
PER_HOST = 2
STALL_S = 4
SECRET = "fault-pw-5521"
LATENCY = "0.3,0.9"
"""The slowed offline model's latency range (s): long enough for a kill to land mid-call."""
DEADLINE_S = 900
"""For the whole run to settle; a healthy run on a loaded 2-core machine takes a few minutes at most."""
PIPELINE = f"""
[pipeline]
remote = "origin"
remote_attempts = 4
remote_backoff_s = 0.1
backend = "postgres"
stall_seconds = {STALL_S}
max_attempts = 8
backoff_s = 0.2
max_backoff_s = 2.0
"""
WORKER = HERE / "fault_worker.py"


# -- the hosts --------------------------------------------------------------------------------


@dataclass
class Host:
    number: int
    clone: Path
    env: dict
    logs: Path
    process: subprocess.Popen | None = None
    started: int = 0

    def start(self) -> None:
        self.started += 1
        log = self.logs / f"host{self.number}-{self.started}.log"
        with open(log, "wb") as out:
            self.process = subprocess.Popen([sys.executable, str(WORKER), "--concurrency", str(PER_HOST)],
                                            cwd=self.clone, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def workers(self) -> list[int]:
        """The pids of this host's worker processes (the children of its `teleo worker`)."""
        if self.process is None or self.process.poll() is not None:
            return []
        try:
            listed = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in listed.split()]

    def kill(self) -> list[int]:
        """SIGKILL this host's `teleo worker` (its workers die with it: PR_SET_PDEATHSIG); their pids."""
        children = self.workers()
        self.process.kill()
        self.process.wait()
        wait_for(lambda: not any(alive(pid) for pid in children), 60, f"host {self.number}'s workers to die with it")
        return children

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob(f"host{self.number}-*.log")))


def tend(hosts: list[Host], record: "Record") -> None:
    """Start again a host whose `teleo worker` exited on its own, as its service manager would
    (`Restart=on-failure`): one started while the database is down exits 1 at once, by design."""
    for host in hosts:
        if host.process is not None and host.process.poll() is not None:
            record.exits.append(f"host {host.number} exited {host.process.returncode}")
            host.start()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def make_fault_hosts(tmp: Path, env: dict, pipeline: str = PIPELINE, count: int = HOSTS
                     ) -> tuple[Path, list[Host], list[str]]:
    seed = tmp / "seed"
    shutil.copytree(SAMPLE_VAULT, seed)
    with open(seed / "teleo.toml", "a", encoding="utf-8") as config:
        config.write(pipeline)
    git_init(seed)
    waiting = [p for p in (seed / "inbox" / "archive").glob("*.md") if "status: unprocessed" in p.read_text()]
    files = dict(make_source(number, seed=184) for number in range(SOURCES - len(waiting)))
    add_sources(Vault.open(seed), files)
    remote, clones = share(seed, count)
    logs = tmp / "logs"
    logs.mkdir()
    hosts = [Host(n, clone, env, logs) for n, clone in enumerate(clones)]
    return remote, hosts, sorted([*files, *(str(p.relative_to(seed)) for p in waiting)])


# -- the queue, read afresh each time (the database restarts under the test) --------------------


def jobs(dsn: str) -> list:
    from teleo.pipeline.pg import PostgresQueue

    queue = PostgresQueue(dsn, check=False)
    try:
        return queue.jobs()
    finally:
        queue.close()


def job_row(dsn: str, kind: str, target: str):
    return next((j for j in jobs(dsn) if j.kind == kind and j.target == target), None)


def extractions_done(dsn: str) -> int:
    return len({j.target for j in jobs(dsn) if j.kind == "extract" and j.state == "done"})


def settled(dsn: str, sources: list[str]) -> bool:
    found = jobs(dsn)
    extracted = {j.target for j in found if j.kind == "extract" and j.state == "done"}
    return extracted == set(sources) and not [j for j in found if j.state in ("pending", "running")]


# -- the faults -------------------------------------------------------------------------------


@dataclass
class Fault:
    after: int
    """Fires once this many sources are extracted…"""
    pause: float
    """…and this many seconds later (a random moment within the run)."""
    what: str
    """"worker" (SIGKILL one worker), "host" (SIGKILL a host's teleo worker), "postgres" (restart it)."""


def plan(rng: random.Random) -> list[Fault]:
    kills = rng.randint(3, 5)
    moments = sorted(rng.sample(range(2, SOURCES - 6), kills + 1))
    kinds = ["worker"] * (kills - 1) + ["host", "postgres"]
    rng.shuffle(kinds)
    return [Fault(after, round(rng.uniform(0.0, 1.5), 2), what) for after, what in zip(moments, kinds)]


@dataclass
class Record:
    killed: list[str] = field(default_factory=list)
    interrupted: dict[str, str] = field(default_factory=dict)
    """Source → job id of the extractions that were running in a worker when it was killed."""
    restarted_postgres: int = 0
    down_at_start: list[str] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)
    """Hosts whose teleo worker exited on its own (and were started again)."""


def busy_workers(hosts: list[Host], busy: Path) -> dict[int, tuple[Host, str]]:
    """Worker pid → (its host, the source it is extracting right now)."""
    found = {}
    for host in hosts:
        for pid in host.workers():
            try:
                found[pid] = (host, (busy / str(pid)).read_text(encoding="utf-8"))
            except OSError:
                continue
    return found


def kill_a_worker(rng: random.Random, hosts: list[Host], busy: Path, dsn: str, record: Record) -> None:
    """SIGKILL one worker, in the middle of an extraction when one is running (waited for a while)."""
    try:
        chosen = wait_for(lambda: busy_workers(hosts, busy), 20, "a worker in the middle of an extraction")
    except AssertionError:
        chosen = {pid: (host, "") for host in hosts for pid in host.workers()}
    pid = rng.choice(sorted(chosen))
    host, source = chosen[pid]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not alive(pid), 30, f"worker {pid} to die")
    record.killed.append(f"worker {pid} of host {host.number}" + (f" during {source}" if source else ""))
    job = job_row(dsn, "extract", source) if source else None
    if job is not None and job.state == "running":  # its worker is dead: only the stall task can take it again
        record.interrupted[source] = job.id
    # its host's teleo worker starts it again
    wait_for(lambda: tend(hosts, record) or len(host.workers()) == PER_HOST, 120,
             f"host {host.number} to start its worker again")


def kill_a_host(rng: random.Random, hosts: list[Host], record: Record) -> None:
    host = rng.choice(hosts)
    children = host.kill()
    record.killed.append(f"host {host.number} (workers {children})")
    host.start()  # the host comes back


def restart_postgres(server, hosts: list[Host], record: Record) -> None:
    server.halt()
    try:
        down = subprocess.run([*teleo_command(), "worker"], cwd=hosts[0].clone, env=hosts[0].env,
                              capture_output=True, text=True, timeout=120)
        record.down_at_start = [str(down.returncode), down.stdout, down.stderr]
    finally:
        server.resume()
    record.restarted_postgres += 1


# -- what the remote holds --------------------------------------------------------------------


def git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, check=True).stdout


def commits(where: Path, *revs: str) -> list[tuple[str, list[str], str]]:
    """(commit, parents, message) of `git log revs`."""
    out = git(where, "log", "--format=%H%x00%P%x00%B%x1e", *revs, "--")
    found = []
    for record in out.split("\x1e"):
        record = record.strip("\n")
        if record:
            commit, parents, message = record.split("\x00", 2)
            found.append((commit, parents.split(), message))
    return found


def exactly_once(remote: Path, sources: list[str]) -> dict[str, str]:
    """Source → "open" or "merged" when it is done once (module doc); anything else says what is wrong."""
    on_main: dict[str, list[str]] = {}
    for commit, _, message in commits(remote, "main"):
        if source_of(message):
            on_main.setdefault(source_of(message), []).append(commit)
    brought: dict[str, int] = {}
    for merge, parents, _ in commits(remote, "--first-parent", "--merges", "main"):
        for _, _, message in commits(remote, f"{parents[0]}..{parents[1]}"):
            if source_of(message):
                brought[source_of(message)] = brought.get(source_of(message), 0) + 1
    on_branches: dict[str, list[tuple[str, str]]] = {}
    for branch in git(remote, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split():
        if branch == "main":
            continue
        for commit, _, message in commits(remote, f"main..{branch}"):
            if source_of(message):
                on_branches.setdefault(source_of(message), []).append((branch, commit))
    verdict = {}
    for source in sources:
        kept, landed, merges = on_branches.get(source, []), on_main.get(source, []), brought.get(source, 0)
        if len(kept) == 1 and not landed:
            verdict[source] = "open"
        elif not kept and len(landed) == 1 and merges == 1:
            verdict[source] = "merged"
        else:
            verdict[source] = f"branches {kept}, commits on main {landed}, merges bringing it {merges}"
    return verdict


# -- the test ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_workers_killed_and_postgres_restarted_leave_every_source_done_once(tmp_path, pg_server, pg_dsn):
    seed = int(os.environ.get("TELEO_FAULT_SEED") or random.SystemRandom().randrange(1_000_000))
    print(f"fault test seed: {seed} (replay with TELEO_FAULT_SEED={seed})")
    pg_server.restartable()  # skip (or fail in CI) now if this server cannot be restarted
    rng = random.Random(seed)
    faults = plan(rng)
    print("plan:", ", ".join(f"{f.what} after {f.after} (+{f.pause}s)" for f in faults))
    busy = tmp_path / "busy"
    env = {**os.environ, **ENV, "TELEO_PG_DSN": f"{pg_dsn} password={SECRET}", "COLUMNS": "200",
           "TELEO_FAULT_BUSY": str(busy), "TELEO_FAULT_LATENCY": LATENCY}
    remote, hosts, sources = make_fault_hosts(tmp_path, env)
    teleo = lambda *args: subprocess.run([*teleo_command(), *args], cwd=hosts[0].clone, env=env,  # noqa: E731
                                         capture_output=True, text=True, timeout=300)
    said = [teleo("queue", "init"), teleo("run", "--no-inbox")]
    assert said[-1].returncode == 0, said[-1].stdout + said[-1].stderr
    assert f"queued {SOURCES} extract jobs" in said[-1].stdout
    record = Record()
    try:
        for host in hosts:
            host.start()
        for fault in faults:
            wait_for(lambda: tend(hosts, record) or extractions_done(pg_dsn) >= fault.after, DEADLINE_S,
                     f"{fault.after} extractions")
            time.sleep(fault.pause)  # the random moment; what follows waits on conditions
            if fault.what == "worker":
                kill_a_worker(rng, hosts, busy, pg_dsn, record)
            elif fault.what == "host":
                kill_a_host(rng, hosts, record)
            else:
                restart_postgres(pg_server, hosts, record)
        wait_for(lambda: tend(hosts, record) or settled(pg_dsn, sources), DEADLINE_S, "every job to finish")
        for host in hosts:
            host.process.send_signal(signal.SIGTERM)
        for host in hosts:
            assert host.process.wait(timeout=120) == 0, host.log_text()[-3000:]
    finally:
        for host in hosts:
            if host.process is not None and host.process.poll() is None:
                os.killpg(host.process.pid, signal.SIGKILL)
                host.process.wait()
    print("faults:", "; ".join(record.killed), f"; postgres restarted {record.restarted_postgres}×;",
          "; ".join(record.exits) or "no host exited on its own")
    print(f"interrupted mid-extraction and retried: {len(record.interrupted)}")
    logs = "\n".join(host.log_text() for host in hosts)

    # the faults happened as planned
    assert len(record.killed) == len(faults) - 1 and record.restarted_postgres == 1
    code, out, err = record.down_at_start
    assert code == "1" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: cannot reach the PostgreSQL queue at ") and "password=***" in err, err

    # every source done once on the remote
    verdict = exactly_once(remote, sources)
    wrong = {s: v for s, v in verdict.items() if v not in ("open", "merged")}
    assert not wrong, f"seed {seed}: {wrong}"

    # the queue: nothing left, nothing lost
    found = jobs(pg_dsn)
    assert not [j for j in found if j.state in ("pending", "running")]
    succeeded = {(j.kind, j.target) for j in found if j.state == "done"}
    lost = [(j.kind, j.target, j.error) for j in found if j.state == "failed" and (j.kind, j.target) not in succeeded]
    assert not lost, f"seed {seed}: {lost}"
    for source, job_id in record.interrupted.items():
        [job] = [j for j in found if j.id == job_id]
        assert job.state == "done" and job.attempts >= 2, (source, job)
    proposals = {j.result.get("branch") for j in found if j.kind == "extract" and j.state == "done"}
    reviewed = {j.target: j.result.get("status") for j in found if j.kind == "review" and j.state == "done"}
    assert proposals - {None} <= set(reviewed), f"seed {seed}: proposals never reviewed: {proposals - set(reviewed)}"
    merged = {j.target for j in found if j.kind == "merge" and j.state == "done"}
    approved = {branch for branch, status in reviewed.items() if status == "approved"}
    assert approved <= merged, f"seed {seed}: approved, never merged: {approved - merged}"
    assert "merged" in set(verdict.values())
    print("sources:", {state: list(verdict.values()).count(state) for state in ("open", "merged")},
          "jobs:", {kind: sum(1 for j in found if j.kind == kind) for kind in ("extract", "review", "merge")},
          "attempts > 1:", sum(1 for j in found if j.attempts > 1))

    # git: clean everywhere
    for where in [remote, *(host.clone for host in hosts)]:
        checked = fsck(where)
        assert checked.returncode == 0, (where, checked.stdout + checked.stderr)
    assert SECRET not in logs + "".join(s.stdout + s.stderr for s in said) + out + err


@pytest.mark.slow
def test_a_worker_whose_remote_is_unreachable_retries_then_fails_the_job_with_gits_message(tmp_path, pg_dsn):
    """`teleo worker` on a clone whose shared remote is gone: git is tried `remote_attempts` times
    within each attempt of the job, the job is retried by the queue, then failed with git's own
    words — shown by `teleo queue status`; nothing is written, the worker keeps running."""
    env = {**os.environ, **ENV, "TELEO_PG_DSN": f"{pg_dsn} password={SECRET}", "COLUMNS": "400", "NO_COLOR": "1"}
    pipeline = PIPELINE.replace("max_attempts = 8", "max_attempts = 2").replace("remote_attempts = 4", "remote_attempts = 2")
    remote, [host], sources = make_fault_hosts(tmp_path, env, pipeline, count=1)
    gone = tmp_path / "moved-away.git"
    git(host.clone, "remote", "set-url", "origin", str(gone))
    teleo = lambda *args: subprocess.run([*teleo_command(), *args], cwd=host.clone, env=env,  # noqa: E731
                                         capture_output=True, text=True, timeout=300)
    assert teleo("queue", "init").returncode == 0
    queued = teleo("extract", sources[0])
    assert "queued 1 extract job" in queued.stdout, queued.stdout + queued.stderr
    before = git(remote, "for-each-ref")
    def failed():
        shown = json.loads(teleo("queue", "status", "--format", "json").stdout)
        return [j for j in shown["jobs"] if j["state"] == "failed"]
    [job], code, out, err = worker_until([*teleo_command(), "worker"], host.clone, env, failed, 300, "the job to fail")
    assert code == 0, err[-3000:]
    assert job["attempts"] == 2  # the queue's retry, after git's own two tries
    assert job["error"].startswith("RemoteUnreachable: remote 'origin' unreachable after 2 attempts: "), job
    assert f"'{gone}' does not appear to be a git repository" in job["error"], job  # git's words
    table = teleo("queue", "status").stdout
    assert "failed" in table and "does not appear to be a git repository" in table, table
    assert err.count("does not appear to be a git repository") >= 2, err[-3000:]  # each attempt logged
    assert git(remote, "for-each-ref") == before
    assert git(host.clone, "branch", "--list", "extract/*") == ""
    assert SECRET not in out + err
