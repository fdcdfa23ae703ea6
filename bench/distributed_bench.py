"""Workers on several hosts: the PostgreSQL queue (Procrastinate) beside the SQLite lease table (issue 18.6).

    python bench/distributed_bench.py [--sources 200] [--latency 0.5] [--workers 1 2 4 8] [--repeat 3]
                                      [--dsn DSN] [--quick] [--json]

The same simulated model (it sleeps `latency` seconds, then answers a null result or one grounded
claim: `extract_bench.SimulatedProvider`) behind both backends, in the same run, on the same
machine:

- **postgres, 2 hosts**: a bare repository is the shared git remote and two clones of it are the
  hosts (`[pipeline] remote`): every extraction fetches, extracts from the remote main's tip and
  pushes its branch leased (`extract_on_remote`). The sources are enqueued first (not timed);
  then each host starts as `teleo worker --drain --concurrency k` does (`service.serve`, a fresh
  interpreter per host: its imports, the database check, the warm-up and the fork of its workers
  are all counted). 1 worker runs on one host; 2, 4, 8 are split evenly over the two.
- **sqlite, 1 host** (the baseline): the lease table lives in the vault's own `.teleo/queue.sqlite`
  and its workers are the processes `teleo extract` forks on that machine — two hosts cannot
  share it, so it runs on one host with all the workers, no remote, as `teleo extract` does (a
  fresh interpreter calling `extract_all`).

Figures, per backend and worker count (median of `--repeat` passes, each on fresh vaults and a
fresh database):
- **share of ideal** = ideal ÷ time from launch; ideal = sources × latency ÷ workers (the model's
  time alone, printed); from launch = the host processes started (fresh interpreters) → the last
  job finished (from the job tables). The workers' exit after it is printed apart ("tail").
  Target: ≥ 85 % at 8 workers on PostgreSQL (exit 1 when it fails).
- **job p50/p95**: a job's time from its start to its end in the job table, less the model's
  latency (the engine's and git's cost per job: context, proposal, commit, and on postgres the
  fetch and the leased push — a push that runs beside the worker's next job, `pipeline.turn`);
  **cadence**: workers × steady ÷ sources, less the model's latency — the mean time a worker
  spends per job beyond the model between its first job's start and the last job's end, the
  serial cost that bounds the throughput (a push beside the next job is not in it); **between**: per job, the time a worker slot spent outside any job
  during the steady part (workers × steady − the jobs' durations, ÷ sources: taking the next job,
  recording the last one, the uneven end; below zero when pushes overlap the next jobs).
- **enqueue → start** p50/p95, measured apart with jobs arriving one at a time: on postgres, idle
  `teleo worker`s on the two hosts (largest worker count) take a job enqueued by another process
  (LISTEN/NOTIFY); on sqlite a new source is taken by a new `teleo extract` (enqueue, fork the
  workers, lease): from the call to the first lease.
- CPU seconds of the run: the hosts, their workers and git (the remote's side of each fetch and
  push included: it runs on this machine too), and apart the PostgreSQL server's (private cluster
  only); per job (all of it ÷ sources, start-up included) and as cores (÷ the time from launch);
  the load average, because the machine is shared. The CPU per job does not depend on the load the
  way the wall-clock shares do: sources × CPU per job ÷ cores is a floor under the time from launch
  whatever else runs.

PostgreSQL: `--dsn` (or `TELEO_TEST_PG_DSN`) names a server the bench may create databases on;
else a private cluster is started in a temporary folder with `scripts/pg-cluster` and stopped at
the end. Everything is written under a temporary folder, never into the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from extract_bench import Factory, make_vault  # noqa: E402

TARGET = 0.85
"""Share of ideal from launch at the largest worker count, on PostgreSQL."""
HOSTS = 2
TRICKLE = 12
"""Jobs that arrive one at a time, for enqueue → start."""
GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}


# -- PostgreSQL ----------------------------------------------------------------------------------


class Server:
    """The server the passes create their databases on: given, or a private cluster started here."""

    def __init__(self, dsn: str | None) -> None:
        self.folder: Path | None = None
        if dsn:
            self.admin = dsn
            return
        cluster = REPO / "scripts" / "pg-cluster"
        if subprocess.run([str(cluster), "bin"], capture_output=True).returncode != 0:
            raise SystemExit("PostgreSQL is not installed (no initdb/pg_ctl): install it, or pass --dsn")
        self.folder = Path(tempfile.mkdtemp(prefix="distributed-bench-pg-"))
        started = subprocess.run([str(cluster), "start", str(self.folder)], capture_output=True, text=True)
        if started.returncode != 0:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise SystemExit(f"could not start a private PostgreSQL cluster: {started.stderr.strip()[-500:]}")
        self.admin = started.stdout.strip().splitlines()[-1]

    def database(self) -> str:
        """A fresh database with the queue's schema; its DSN."""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        from teleo.pipeline.pg import init_schema

        name = f"teleo_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        dsn = make_conninfo(**{**conninfo_to_dict(self.admin), "dbname": name})
        init_schema(dsn)
        return dsn

    def drop(self, dsn: str) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{conninfo_to_dict(dsn)["dbname"]}" WITH (FORCE)')

    def cpu(self) -> float | None:
        """CPU seconds of the private cluster's server processes so far (None for a server given by DSN):
        the postmaster's own and its finished children's (it waits for them), plus its live children's."""
        if self.folder is None:
            return None
        try:
            postmaster = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        tick = os.sysconf("SC_CLK_TCK")

        def fields(pid: int) -> list[str]:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

        try:
            own = fields(postmaster)
        except OSError:
            return None
        total = sum(int(x) for x in own[11:15])  # utime, stime, cutime, cstime
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    mine = fields(int(entry.name))
                except OSError:
                    continue
                if mine[1] == str(postmaster):  # ppid
                    total += int(mine[11]) + int(mine[12])
        return total / tick

    def close(self) -> None:
        if self.folder is not None:
            subprocess.run([str(REPO / "scripts" / "pg-cluster"), "stop", str(self.folder)], capture_output=True)
            shutil.rmtree(self.folder, ignore_errors=True)


# -- the hosts -----------------------------------------------------------------------------------


def git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def make_hosts(tmp: Path, sources: int) -> list[Path]:
    """A vault of `sources` (+ the trickled ones), its bare repository (the remote), two clones."""
    seed = tmp / "seed"
    make_vault(seed, sources + TRICKLE)
    remote = tmp / "remote.git"
    git("clone", "-q", "--bare", str(seed), str(remote))
    clones = [tmp / f"host{n}" for n in range(HOSTS)]
    for clone in clones:
        git("clone", "-q", str(remote), str(clone))
    return clones


def source(i: int) -> str:
    return f"inbox/archive/2026-01-04-report-{i:03d}.md"


HOST_CODE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from distributed_bench import host_main
host_main(*json.loads(sys.argv[2]))
"""


def host_main(clone: str, dsn: str, workers: int, latency: float, drain: bool) -> None:
    """One host: `teleo worker --concurrency workers [--drain]` with the simulated model (a fresh interpreter)."""
    from teleo.pipeline.service import WorkerSpec, configure_logging, serve
    from teleo.pipeline.workers import PipelineSettings
    from teleo.vault import Vault

    import logging

    configure_logging(dsn, logging.WARNING)
    vault = Vault.open(Path(clone))
    settings = PipelineSettings(backend="postgres", dsn=dsn, remote="origin", stall_seconds=60)
    sys.exit(serve(vault, settings, concurrency=workers, drain=drain, spec=WorkerSpec(provider_factory=Factory(latency))))


def start_host(clone: Path, dsn: str, workers: int, latency: float, drain: bool, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-c", HOST_CODE, str(HERE), json.dumps([str(clone), dsn, workers,
                                 latency, drain])], cwd=clone, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**os.environ, **GIT_ENV}, start_new_session=True)


def split(workers: int) -> list[int]:
    """Workers per host: one host for one worker, else evenly over the two."""
    if workers == 1:
        return [1]
    return [workers // HOSTS + (1 if n < workers % HOSTS else 0) for n in range(HOSTS)]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- postgres: one pass --------------------------------------------------------------------------


def pg_timeline(dsn: str, task: str = "teleo.extract") -> list[dict]:
    """Each job's deferred, started and finished epoch times and the worker that ran it (the events table)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT j.id, j.status, j.worker_id,"
            " EXTRACT(EPOCH FROM MIN(e.at) FILTER (WHERE e.type = 'deferred')),"
            " EXTRACT(EPOCH FROM MAX(e.at) FILTER (WHERE e.type = 'started')),"
            " EXTRACT(EPOCH FROM MAX(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed')))"
            " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id"
            " WHERE j.task_name = %s GROUP BY j.id ORDER BY j.id", (task,)).fetchall()
    return [{"id": r[0], "status": r[1], "worker": r[2], "deferred": float(r[3] or 0), "started": float(r[4] or 0),
             "finished": float(r[5] or 0)} for r in rows]


def pg_pass(server: Server, workers: int, sources: int, latency: float, trickle: bool) -> dict:
    from teleo.pipeline.pg import PostgresQueue

    with tempfile.TemporaryDirectory(prefix="distributed-bench-") as tmp:
        clones = make_hosts(Path(tmp), sources)
        dsn = server.database()
        try:
            queue = PostgresQueue(dsn)
            for i in range(sources):
                queue.enqueue("extract", source(i))
            queue.close()
            load = os.getloadavg()[0]
            cpu, db_cpu = children_cpu(), server.cpu()
            launched = time.time()
            hosts = [start_host(clones[n], dsn, k, latency, True, Path(tmp) / f"host{n}.log")
                     for n, k in enumerate(split(workers))]
            codes = [host.wait() for host in hosts]
            exited = time.time()
            cpu = children_cpu() - cpu
            db_cpu = server.cpu() - db_cpu if db_cpu is not None else None
            timeline = pg_timeline(dsn)
            if any(codes) or len([j for j in timeline if j["status"] == "succeeded"]) != sources:
                logs = "\n".join(p.read_text(errors="replace")[-1500:] for p in Path(tmp).glob("host*.log"))
                raise SystemExit(f"postgres pass failed (exit codes {codes}, "
                                 f"{sum(j['status'] == 'succeeded' for j in timeline)}/{sources} done):\n{logs}")
            row = figures("postgres", workers, sources, latency, launched, timeline, exited, cpu, load)
            row["hosts"] = len(split(workers))
            row["db_cpu_s"] = round(db_cpu, 2) if db_cpu is not None else None
            if db_cpu is not None:
                row["cpu_per_job_ms"] = round(1000 * (cpu + db_cpu) / sources, 1)
            if trickle:
                row["enqueue_to_start"] = pg_trickle(clones, dsn, workers, latency, sources, Path(tmp))
            return row
        finally:
            server.drop(dsn)


def pg_trickle(clones: list[Path], dsn: str, workers: int, latency: float, first: int, tmp: Path) -> list[float]:
    """Idle workers on the hosts; jobs enqueued one at a time by this process: started − enqueued, each."""
    import psycopg

    from teleo.pipeline.pg import PostgresQueue

    hosts = [start_host(clones[n], dsn, k, latency, False, tmp / f"trickle{n}.log") for n, k in enumerate(split(workers))]
    try:
        def registered() -> int:
            with psycopg.connect(dsn, autocommit=True) as conn:
                return conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0]

        wait_until(lambda: registered() >= workers, 300, "the trickle workers to register")
        queue = PostgresQueue(dsn)
        for i in range(first, first + TRICKLE):
            time.sleep(0.2 + 0.3 * ((i * 7919) % 10) / 10)  # arrivals off any polling rhythm
            queue.enqueue("extract", source(i))
            wait_until(lambda: all(j.state == "done" for j in queue.jobs("extract")), 120, f"trickled job {i}")
        queue.close()
    finally:
        for host in hosts:
            host.send_signal(signal.SIGTERM)
        for host in hosts:
            host.wait(timeout=120)
    trickled = [j for j in pg_timeline(dsn) if j["deferred"] >= 0][-TRICKLE:]
    return [j["started"] - j["deferred"] for j in trickled]


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


# -- sqlite: one pass ----------------------------------------------------------------------------


SQLITE_CODE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from distributed_bench import sqlite_main
print(json.dumps(sqlite_main(*json.loads(sys.argv[2]))))
"""


def sqlite_main(root: str, workers: int, latency: float) -> dict:
    """`teleo extract` on one host (a fresh interpreter): extract_all, then the job table's times."""
    from teleo.pipeline import JobStore, PipelineSettings, extract_all, queue_path
    from teleo.vault import Vault

    vault = Vault.open(Path(root))
    called = time.time()
    report = extract_all(vault, provider_factory=Factory(latency), settings=PipelineSettings(workers=workers),
                         limit=None)
    returned = time.time()
    if not report.ok:
        raise SystemExit(f"sqlite pass failed: {json.dumps(report.totals())}")
    store = JobStore(queue_path(vault.root))
    rows = store.conn.execute("SELECT owner, leased_at, updated_at, state FROM jobs").fetchall()
    store.close()
    return {"called": called, "returned": returned, "jobs": [list(r) for r in rows]}


def sqlite_pass(workers: int, sources: int, latency: float, trickle: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="distributed-bench-sqlite-") as tmp:
        root = Path(tmp) / "vault"
        make_vault(root, sources)
        load = os.getloadavg()[0]
        cpu = children_cpu()
        launched = time.time()
        done = subprocess.run([sys.executable, "-c", SQLITE_CODE, str(HERE), json.dumps([str(root), workers, latency])],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, env={**os.environ, **GIT_ENV})
        exited = time.time()
        cpu = children_cpu() - cpu
        if done.returncode != 0:
            raise SystemExit(f"sqlite pass failed: {done.stderr.strip()[-1500:]}")
        run = json.loads(done.stdout.strip().splitlines()[-1])
        timeline = [{"worker": owner, "started": leased or 0.0, "finished": updated or 0.0, "status": state}
                    for owner, leased, updated, state in run["jobs"]]
        if sum(j["status"] == "done" for j in timeline) != sources:
            raise SystemExit(f"sqlite pass: {sum(j['status'] == 'done' for j in timeline)}/{sources} done")
        row = figures("sqlite", workers, sources, latency, launched, timeline, exited, cpu, load)
        row["hosts"] = 1
        row["interpreter_s"] = round(run["called"] - launched, 3)
        if trickle:
            row["enqueue_to_start"] = sqlite_trickle(workers, latency, Path(tmp))
        return row


def sqlite_trickle(workers: int, latency: float, tmp: Path) -> list[float]:
    """A new source each time, taken by a new extract_all (as `teleo extract` in a long-lived shell would): call → lease."""
    from teleo.pipeline import JobStore, PipelineSettings, extract_all, queue_path
    from teleo.vault import Vault

    root = tmp / "trickle"
    make_vault(root, TRICKLE)
    vault = Vault.open(root)
    found = []
    for i in range(TRICKLE):
        called = time.time()
        extract_all(vault, [source(i)], provider_factory=Factory(latency), settings=PipelineSettings(workers=workers))
        store = JobStore(queue_path(root))
        leased = store.conn.execute("SELECT leased_at FROM jobs WHERE source = ?", (source(i),)).fetchone()[0]
        store.close()
        found.append(leased - called)
    return found


# -- figures -------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def figures(backend: str, workers: int, sources: int, latency: float, launched: float, timeline: list[dict],
            exited: float, cpu: float, load: float) -> dict:
    first = min(j["started"] for j in timeline)
    last = max(j["finished"] for j in timeline)
    ideal = sources * latency / workers
    took = last - launched
    durations = [j["finished"] - j["started"] for j in timeline]
    between = (workers * (last - first) - sum(durations)) / sources
    return {"backend": backend, "workers": workers, "sources": sources, "ideal_s": round(ideal, 3),
            "startup_s": round(first - launched, 3), "steady_s": round(last - first, 3), "from_launch_s": round(took, 3),
            "tail_s": round(exited - last, 3), "share_of_ideal": round(ideal / took, 4),
            "steady_share": round(ideal / (last - first), 4) if last > first else None,
            "job_p50_ms": round(1000 * (percentile(durations, 50) - latency), 1),
            "job_p95_ms": round(1000 * (percentile(durations, 95) - latency), 1),
            "cadence_ms": round(1000 * (workers * (last - first) / sources - latency), 1),
            "between_ms": round(1000 * between, 1), "cpu_s": round(cpu, 2),
            "cpu_per_job_ms": round(1000 * cpu / sources, 1), "load": round(load, 2)}


def cores(row: dict) -> float:
    """The CPU the run used per second of its time from launch (hosts, workers, git, PostgreSQL's server)."""
    return (row["cpu_s"] + (row.get("db_cpu_s") or 0)) / row["from_launch_s"]


def median(rows: list[dict]) -> dict:
    """The pass with the median share of ideal (its other figures with it)."""
    return sorted(rows, key=lambda r: r["share_of_ideal"])[len(rows) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--repeat", type=int, default=3, help="passes per measurement; the median is reported")
    parser.add_argument("--backends", nargs="+", default=["postgres", "sqlite"], choices=["postgres", "sqlite"])
    parser.add_argument("--dsn", default=os.environ.get("TELEO_TEST_PG_DSN", ""),
                        help="a PostgreSQL server to create the passes' databases on (default: a private cluster)")
    parser.add_argument("--quick", action="store_true", help="40 sources, one pass: a smoke run, not a verdict to quote")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.sources, args.repeat = min(args.sources, 40), 1
    repeat = max(1, args.repeat)
    best = max(args.workers)
    load_before = os.getloadavg()[0]
    server = Server(args.dsn) if "postgres" in args.backends else None
    passes: dict[str, dict[int, list[dict]]] = {b: {w: [] for w in args.workers} for b in args.backends}
    try:
        for number in range(repeat):  # passes interleaved, so a burst of load on the machine hits every row alike
            for workers in args.workers:
                trickle = workers == best and number == 0
                for backend in args.backends:
                    row = (pg_pass(server, workers, args.sources, args.latency, trickle) if backend == "postgres"
                           else sqlite_pass(workers, args.sources, args.latency, trickle))
                    passes[backend][workers].append(row)
                    if not args.json:
                        print(f"  pass {number + 1}/{repeat}: {backend} {workers} worker(s): "
                              f"{row['share_of_ideal'] * 100:.1f}% of ideal (load {row['load']:.1f})", file=sys.stderr)
    finally:
        if server is not None:
            server.close()
    rows = [median(passes[b][w]) for b in args.backends for w in args.workers]
    latencies = {b: next(r["enqueue_to_start"] for r in passes[b][best] if "enqueue_to_start" in r) for b in args.backends}
    verdict = next((r["share_of_ideal"] for r in rows if r["backend"] == "postgres" and r["workers"] == best), None)
    passed = verdict is not None and verdict >= TARGET
    if args.json:
        print(json.dumps({"sources": args.sources, "latency_s": args.latency, "repeat": repeat, "rows": rows,
                          "passes": passes, "enqueue_to_start_s": latencies,
                          "target": f">= {TARGET:.0%} of ideal at {best} workers on postgres, from launch",
                          "pass": passed}, indent=2))
        return 0 if passed else 1
    print(f"{args.sources} sources, simulated model latency {args.latency * 1000:.0f} ms; cpus: {os.cpu_count()}; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; median of {repeat} pass(es)")
    print("baseline: ideal = sources × latency ÷ workers (the model's time alone); sqlite = one host, "
          "the lease table's own workers (`teleo extract`), no remote")
    print("postgres = 2 hosts (clones of one bare remote; 1 worker: one host), `teleo worker --drain` each, "
          "every branch pushed leased; from launch = host processes started → last job finished")
    print(f"{'backend':>8} {'workers':>7} {'hosts':>5} {'ideal s':>7} {'startup':>7} {'steady':>7} {'total s':>7} "
          f"{'share':>6} {'steady':>6} {'tail':>5} {'job p50':>7} {'job p95':>7} {'cadence':>7} {'between':>7} {'cpu s':>6} {'db cpu':>6}"
          f" {'cpu/job':>7} {'cores':>5}  every pass (load)")
    for r in rows:
        every = " ".join(f"{x['share_of_ideal'] * 100:.1f}% ({x['load']:.1f})" for x in passes[r["backend"]][r["workers"]])
        steady = f"{r['steady_share'] * 100:5.1f}%" if r["steady_share"] else "    -"
        db = f"{r['db_cpu_s']:.1f}" if r.get("db_cpu_s") is not None else "-"
        print(f"{r['backend']:>8} {r['workers']:>7} {r['hosts']:>5} {r['ideal_s']:>7.2f} {r['startup_s']:>7.2f} "
              f"{r['steady_s']:>7.2f} {r['from_launch_s']:>7.2f} {r['share_of_ideal'] * 100:>5.1f}% {steady} "
              f"{r['tail_s']:>5.2f} {r['job_p50_ms']:>5.0f}ms {r['job_p95_ms']:>5.0f}ms {r['cadence_ms']:>5.0f}ms {r['between_ms']:>5.0f}ms "
              f"{r['cpu_s']:>6.1f} {db:>6} {r['cpu_per_job_ms']:>5.0f}ms {cores(r):>5.2f}  {every}")
    print("cpu/job = the run's CPU (hosts, workers, git on both sides, PostgreSQL's server) ÷ sources, start-up "
          "included; cores = that CPU ÷ the time from launch (what the run kept busy of the machine's "
          f"{os.cpu_count()} cores beside everything else running on it)")
    for r in rows:
        if r["backend"] == "postgres" and r["workers"] == best:
            floor = r["sources"] * r["cpu_per_job_ms"] / 1000 / (os.cpu_count() or 1)
            print(f"at {best} workers on postgres: {r['sources']} jobs × {r['cpu_per_job_ms']:.0f} ms CPU = "
                  f"{r['sources'] * r['cpu_per_job_ms'] / 1000:.1f} CPU s, ≥ {floor:.1f} s of wall on {os.cpu_count()} "
                  f"cores with nothing else running, beside the ideal {r['ideal_s']:.1f} s "
                  f"(the {TARGET:.0%} target allows {r['ideal_s'] / TARGET:.1f} s from launch)")
    for backend, found in latencies.items():
        how = ("idle `teleo worker`s on 2 hosts, a job enqueued by another process" if backend == "postgres"
               else "a new `teleo extract` per arriving source (enqueue, fork its workers, lease)")
        print(f"enqueue → start, {backend} ({len(found)} jobs arriving one at a time, {best} workers; {how}): "
              f"p50 {percentile(found, 50) * 1000:.0f} ms, p95 {percentile(found, 95) * 1000:.0f} ms")
    if verdict is None:
        print("FAIL: postgres was not measured")
    else:
        print(f"{'PASS' if passed else 'FAIL'}: {verdict * 100:.1f}% of ideal at {best} workers on postgres over "
              f"{len(split(best))} hosts, counted from launch (target ≥ {TARGET:.0%})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
