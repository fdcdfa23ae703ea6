"""One queue interface, two backends (issue 18.1): enqueue a source job, claim it, finish or fail
it (retried until its attempts are spent), list it — and one job per source."""

from __future__ import annotations

import pytest

from teleo.pipeline import PipelineSettings
from teleo.pipeline.backends import open_queue
from teleo.pipeline.queue import JobQueue

SOURCE = "inbox/archive/2026-01-04-report-000.md"
OTHER = "inbox/archive/2026-01-04-report-001.md"


@pytest.fixture(params=["sqlite", "postgres"])
def queue(request, make_vault) -> JobQueue:
    settings = PipelineSettings(max_attempts=2, backoff_s=0.001)
    vault = make_vault({})
    if request.param == "postgres":
        dsn = request.getfixturevalue("pg_dsn")
        from teleo.pipeline.pg import init_schema

        init_schema(dsn)
        settings.backend, settings.dsn = "postgres", dsn
    opened = open_queue(vault, settings)
    yield opened
    opened.close()


def test_enqueue_claim_finish(queue):
    assert queue.enqueue("extract", SOURCE, version="a1")
    assert [(j.kind, j.target, j.state) for j in queue.jobs()] == [("extract", SOURCE, "pending")]
    job = queue.claim("host:1:1")
    assert (job.kind, job.target, job.state) == ("extract", SOURCE, "running")
    assert queue.claim("host:1:2") is None  # the only job is taken
    queue.finish(job, {"status": "proposed", "branch": "extract/x"})
    [done] = queue.jobs()
    assert (done.state, done.result["status"]) == ("done", "proposed")
    assert queue.counts() == {"pending": 0, "running": 0, "done": 1, "failed": 0}


def test_a_source_is_queued_once_while_it_waits_or_runs(queue):
    assert queue.enqueue("extract", SOURCE, version="a1")
    assert not queue.enqueue("extract", SOURCE, version="a1")  # waiting: refused
    assert queue.enqueue("extract", OTHER, version="b1")
    job = queue.claim("host:1:1")
    assert not queue.enqueue("extract", job.target, version="a1" if job.target == SOURCE else "b1")  # running: refused
    assert len(queue.jobs()) == 2


def test_a_failed_attempt_is_retried_then_failed_with_its_error(queue):
    import time

    queue.enqueue("extract", SOURCE, version="a1")
    first = queue.claim("host:1:1")
    assert queue.fail(first, "the model timed out") == "pending"
    assert queue.jobs()[0].error == "the model timed out"
    second = None
    deadline = time.time() + 10
    while second is None and time.time() < deadline:  # the backoff (1 ms here) must pass
        second = queue.claim("host:1:1")
    assert second is not None and second.target == SOURCE
    assert queue.fail(second, "the model timed out again") == "failed"  # max_attempts = 2
    [job] = queue.jobs()
    assert (job.state, job.error) == ("failed", "the model timed out again")
    assert queue.claim("host:1:1") is None
