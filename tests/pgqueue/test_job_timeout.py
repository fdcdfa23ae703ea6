"""A job on the PostgreSQL backend is bounded by `[pipeline] timeout_s` (issue 18.6 c): a job whose model call
never answers fails its attempt saying so, its worker process (whose thread cannot be stopped) is started again
by `teleo worker`, and the attempt is retried — or the job failed once `max_attempts` are spent."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from pg_workers import Hang, HangOnce, is_running, serve_entry
from pipeline_helpers import FakeFactory, branches, fsck_clean, make_sources_vault, source_path

from teleo.pipeline import PipelineSettings


def _run(tmp_path: Path, dsn: str, extract, max_attempts: int, timeout_s: float = 2):
    from teleo.pipeline.pg import PostgresQueue, init_schema

    init_schema(dsn)
    root = tmp_path / "vault"
    make_sources_vault(root, 1)
    settings = PipelineSettings(backend="postgres", dsn=dsn, stall_seconds=30, max_attempts=max_attempts,
                                backoff_s=0.1, timeout_s=timeout_s)
    queue = PostgresQueue(dsn, settings=settings)
    assert queue.enqueue("extract", source_path(0))
    host = mp.get_context("spawn").Process(target=serve_entry, args=(str(root), settings, extract, FakeFactory()))
    host.start()
    try:
        host.join(240)
        assert host.exitcode == 0, host.exitcode
        [job] = queue.jobs("extract")
    finally:
        if host.is_alive():
            host.kill()
        queue.close()
    return root, job


def test_a_job_that_never_answers_is_failed_saying_it_timed_out(tmp_path, pg_dsn):
    marker = tmp_path / "started"
    root, job = _run(tmp_path, pg_dsn, Hang(str(marker)), max_attempts=1)
    assert marker.exists()  # it did start, and hung
    assert job.state == "failed"
    assert "timed out after 2 s" in (job.error or "") and "timeout_s" in job.error
    assert branches(root) == ["main"]


def test_a_timed_out_attempt_is_retried_by_a_restarted_worker(tmp_path, pg_dsn):
    marker = tmp_path / "hung"
    # the retry runs a real extraction under the same limit: 10 s, not 2, so that a loaded machine
    # cannot time it out too (it takes ~0.1 s on a warm worker)
    root, job = _run(tmp_path, pg_dsn, HangOnce(str(marker)), max_attempts=2, timeout_s=10)
    hung = marker.read_text()
    assert job.state == "done" and job.attempts == 2, job
    assert job.result["status"] == "null"
    assert branches(root) == ["extract/2026-01-04-report-000", "main"]
    assert fsck_clean(root)[0]
    assert not is_running(hung)  # the hung worker process is gone, its thread with it
