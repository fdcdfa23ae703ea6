"""`teleo worker` on PostgreSQL (issue 18.1, 18.3): a worker SIGKILLed mid-job has its job retried by
the stall task; SIGTERM stops a worker cleanly; the database down at start is one line naming the
DSN without its password; three sources go through `teleo extract` → `teleo worker`."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pg_workers import Hang, wait_for, worker_entry, worker_until
from pipeline_helpers import FakeFactory, branches, fsck_clean, make_sources_vault, source_path

from teleo.pipeline import PipelineSettings

SECRET = "s3cret-pw-7781"


def test_a_worker_killed_mid_job_has_its_job_retried_by_the_stall_task(tmp_path, pg_dsn):
    from teleo.pipeline.pg import PostgresQueue, init_schema

    init_schema(pg_dsn)
    root = tmp_path / "vault"
    make_sources_vault(root, 1)
    settings = PipelineSettings(backend="postgres", dsn=pg_dsn, stall_seconds=2, max_attempts=3, backoff_s=0.1)
    queue = PostgresQueue(pg_dsn, settings=settings)
    assert queue.enqueue("extract", source_path(0))
    started = tmp_path / "started"
    ctx = mp.get_context("spawn")
    first = ctx.Process(target=worker_entry, args=(str(root), settings, Hang(str(started)), FakeFactory()))
    first.start()
    try:
        wait_for(started.exists, 120, "the first worker to start the job")
        [job] = queue.jobs("extract")
        assert job.state == "running"
        os.kill(first.pid, signal.SIGKILL)
        first.join()
        time.sleep(1)
        assert queue.jobs("extract")[0].state == "running"  # nobody beats for it, nobody has noticed yet
        second = ctx.Process(target=worker_entry, args=(str(root), settings, None, FakeFactory()))
        second.start()
        try:
            done = wait_for(lambda: [j for j in queue.jobs("extract") if j.state == "done"], 120, "the retried job")
            assert done[0].result["status"] == "null"  # the fake provider: nothing arguable in source 0
            assert done[0].attempts == 2  # the killed attempt, then the retry
            os.kill(second.pid, signal.SIGTERM)  # a graceful stop: exit 0
            second.join(60)
            assert second.exitcode == 0
        finally:
            if second.is_alive():
                second.kill()
    finally:
        if first.is_alive():
            first.kill()
        queue.close()
    assert branches(root) == ["extract/2026-01-04-report-000", "main"]
    assert fsck_clean(root)[0]


def _teleo(root: Path, env: dict, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    from conftest import teleo_command

    return subprocess.run([*teleo_command(), *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout)


def _env(dsn: str) -> dict:
    return {**os.environ, "TELEO_PG_DSN": dsn, "NO_COLOR": "1", "COLUMNS": "200"}


@pytest.mark.slow
def test_teleo_worker_extracts_three_sources_enqueued_by_teleo_extract(tmp_path, pg_dsn):
    root = tmp_path / "vault"
    make_sources_vault(root, 3, extra={"teleo.toml": '[pipeline]\nbackend = "postgres"\nstall_seconds = 6\n'})
    env = _env(f"{pg_dsn} password={SECRET}")  # the test cluster trusts its socket: the password is only carried
    said = []
    said.append(_teleo(root, env, "queue", "init"))
    assert said[-1].returncode == 0, said[-1].stderr
    said.append(_teleo(root, env, "extract"))
    assert said[-1].returncode == 0, said[-1].stderr
    assert "queued 3 extract jobs on postgres" in said[-1].stdout
    said.append(_teleo(root, env, "extract"))
    assert "3 already waiting or running" in said[-1].stdout
    from conftest import teleo_command

    def finished():
        status = _teleo(root, env, "queue", "status", "--format", "json")
        said.append(status)
        counts = json.loads(status.stdout)["counts"]
        return counts["done"] == 3 and counts
    _, code, out, err = worker_until([*teleo_command(), "worker"], root, env, finished, 240, "three extractions")
    assert code == 0, err[-2000:]
    assert err.count("teleo.extract[") >= 3 and "Traceback" not in err
    assert branches(root) == [f"extract/2026-01-04-report-{i:03d}" for i in range(3)] + ["main"]
    assert fsck_clean(root)[0]
    for done in said:
        assert SECRET not in done.stdout + done.stderr
    assert SECRET not in out + err
    assert "password=***" in said[0].stdout  # where the queue is, said without its password


@pytest.mark.slow
def test_teleo_run_chains_extract_review_and_merge_jobs(tmp_path, pg_dsn):
    root = tmp_path / "vault"
    make_sources_vault(root, 2, extra={"teleo.toml": '[pipeline]\nbackend = "postgres"\n'})
    env = _env(pg_dsn)
    assert _teleo(root, env, "queue", "init").returncode == 0
    ran = _teleo(root, env, "run")
    assert ran.returncode == 0, ran.stderr
    assert "queued 2 extract jobs" in ran.stdout
    worker = _teleo(root, env, "worker", "--drain", "--concurrency", "2", timeout=300)
    assert worker.returncode == 0, worker.stderr[-2000:]
    status = json.loads(_teleo(root, env, "queue", "status", "--format", "json").stdout)
    kinds = sorted((j["kind"], j["state"]) for j in status["jobs"])
    assert kinds.count(("extract", "done")) == 2
    assert kinds.count(("review", "done")) == 2  # each proposal's review, enqueued by its extraction
    merges = [j for j in status["jobs"] if j["kind"] == "merge"]
    assert len(merges) == sum(1 for j in status["jobs"] if j["kind"] == "review" and j["status"] == "approved")
    assert all(j["state"] == "done" for j in merges) and "merged" in {j["status"] for j in merges}
    assert status["counts"]["pending"] == status["counts"]["running"] == status["counts"]["failed"] == 0
    log = subprocess.run(["git", "-C", str(root), "log", "--format=%s", "main"], capture_output=True, text=True).stdout
    assert "Merge pull request" in log


@pytest.mark.parametrize("command", [["worker"], ["extract"], ["run"], ["queue", "status"], ["queue", "init"]])
def test_the_database_down_at_start_is_one_line_naming_the_dsn_without_its_password(tmp_path, command):
    from pg_harness import driver

    driver()
    root = tmp_path / "vault"
    make_sources_vault(root, 1, extra={"teleo.toml": '[pipeline]\nbackend = "postgres"\n'})
    done = _teleo(root, _env(f"postgresql://teleo:{SECRET}@127.0.0.1:1/teleo"), *command, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot reach the PostgreSQL queue at postgresql://teleo:***@127.0.0.1:1/teleo: ")
    assert SECRET not in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_a_database_without_the_queue_says_to_run_queue_init(tmp_path, pg_dsn):
    root = tmp_path / "vault"
    make_sources_vault(root, 1, extra={"teleo.toml": '[pipeline]\nbackend = "postgres"\n'})
    done = _teleo(root, _env(pg_dsn), "worker", timeout=60)
    assert done.returncode == 1
    assert "no Teleo queue in the database" in done.stderr and "teleo queue init" in done.stderr


def test_workers_on_two_hosts_sharing_a_git_remote_take_the_queued_jobs(tmp_path, pg_dsn):
    """Two clones of a bare remote, a worker on each: every source extracted once, on the remote,
    reviewed and merged there by compare-and-swap; nothing failed; fsck clean everywhere."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
    from remote_hosts import fsck, make_hosts, remote_refs

    from teleo.pipeline.pg import PostgresQueue, init_schema

    init_schema(pg_dsn)
    hosts = make_hosts(tmp_path, count=2, sources=4)
    settings = PipelineSettings.from_vault(hosts.vault(0))
    settings.backend, settings.dsn, settings.stall_seconds = "postgres", pg_dsn, 10
    queue = PostgresQueue(pg_dsn, settings=settings)
    for source in hosts.sources:
        assert queue.enqueue("extract", source, then=("review", "merge"))
    ctx = mp.get_context("spawn")
    workers = [ctx.Process(target=worker_entry, args=(str(clone), settings, None, None)) for clone in hosts.clones]
    for worker in workers:
        worker.start()
    try:
        def settled():
            jobs = queue.jobs()
            extracted = [j for j in jobs if j.kind == "extract" and j.state == "done"]
            return len(extracted) == len(hosts.sources) and not [j for j in jobs if j.state in ("pending", "running")]
        wait_for(settled, 300, "every job of the four sources")
        for worker in workers:
            os.kill(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.join(60)
            assert worker.exitcode == 0
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
    jobs = queue.jobs()
    queue.close()
    assert [j for j in jobs if j.state == "failed"] == []
    made = {j.target: j.result.get("branch") for j in jobs if j.kind == "extract"}
    assert sorted(made) == hosts.sources and all(made.values())
    refs = remote_refs(hosts.remote)
    log = subprocess.run(["git", "-C", str(hosts.remote), "log", "--format=%B", "main"], capture_output=True,
                         text=True).stdout
    for source, branch in made.items():  # each source once on the remote: its branch open, or merged into main
        assert (f"refs/heads/{branch}" in refs) != (f"Merge pull request" in log and branch in log), source
    for where in [hosts.remote, *hosts.clones]:
        assert fsck(where).returncode == 0, where
