"""The lease table: exclusivity under racing workers, take-over of expired leases, retries and backoff."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time

from teleo.pipeline.store import JobStore


def _store(tmp_path) -> JobStore:
    return JobStore(tmp_path / ".teleo" / "queue.sqlite")


def test_racing_threads_never_share_a_job(tmp_path):
    store = _store(tmp_path)
    for i in range(200):
        store.upsert(f"s{i:03d}.md", "h")
    taken: dict[str, list[str]] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        own = JobStore(store.path)
        barrier.wait()
        while (job := own.lease(f"t:{n}", 60)) is not None:
            with lock:
                taken.setdefault(job.source, []).append(f"t:{n}")
            assert own.complete(job.source, f"t:{n}", {"status": "null"})
            time.sleep(0.001)  # let the other threads in (one thread could otherwise drain the table alone)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 200
    assert all(len(owners) == 1 for owners in taken.values())
    assert store.counts()["done"] == 200
    assert len({o for owners in taken.values() for o in owners}) > 1


def _race_one(path: str, n: int, start: float, out) -> None:
    store = JobStore(path)
    while time.time() < start:
        time.sleep(0.001)
    job = store.lease(f"p:{n}", 60, source="only.md")
    out.put((n, job.source if job else None))


def test_racing_processes_for_the_same_job_one_wins(tmp_path):
    store = _store(tmp_path)
    store.upsert("only.md", "h")
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start = time.time() + 0.5
    procs = [ctx.Process(target=_race_one, args=(str(store.path), n, start, out)) for n in range(6)]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join()
    winners = [n for n, source in results if source]
    assert len(winners) == 1
    assert store.get("only.md").owner == f"p:{winners[0]}"


def test_an_expired_lease_is_taken_over_and_the_old_owner_can_no_longer_finish(tmp_path):
    store = _store(tmp_path)
    store.upsert("a.md", "h")
    first = store.lease("w:1", 60, now=1000.0)
    assert first is not None and first.attempts == 1
    assert store.lease("w:2", 60, now=1030.0) is None  # still held
    second = store.lease("w:2", 60, now=1061.0)  # expired: taken over, redone from scratch
    assert second is not None and second.owner == "w:2" and second.attempts == 2
    assert not store.heartbeat("a.md", "w:1", 60)
    assert not store.complete("a.md", "w:1", {"status": "proposed"})
    assert store.complete("a.md", "w:2", {"status": "proposed"})
    assert store.get("a.md").state == "done"


def test_reap_releases_dead_owners_at_once(tmp_path):
    store = _store(tmp_path)
    store.upsert("a.md", "h")
    store.lease("host:1:1", 600)
    assert store.reap() == []
    assert store.reap(dead_owners=["host:1:1"]) == ["a.md"]
    job = store.get("a.md")
    assert job.state == "pending" and job.owner is None and "lease lost" in job.last_error


def test_failures_back_off_exponentially_then_fail_permanently(tmp_path):
    store = _store(tmp_path)
    store.upsert("a.md", "h")
    for attempt in (1, 2, 3):
        job = store.lease("w", 60, max_attempts=3, now=time.time() + 10_000 * attempt)
        assert job is not None and job.attempts == attempt and job.last_attempted
        before = time.time()
        state = store.fail("a.md", "w", f"boom {attempt}", max_attempts=3, backoff_s=10)
        after = time.time()
        row = store.get("a.md")
        assert row.last_error == f"boom {attempt}"
        if attempt < 3:
            assert state == "pending"
            wait = 10 * 2 ** (attempt - 1)  # 10 s, then 20 s, from the failure: a moment between before and after
            assert before + wait <= row.next_attempt_at <= after + wait, (attempt, row.next_attempt_at - before)
            assert store.lease("w", 60, max_attempts=3, now=after) is None  # not before the backoff
        else:
            assert state == "failed"
    assert store.lease("w", 60, max_attempts=3, now=time.time() + 10**6) is None
    assert store.retry_failed(["a.md"]) == 1 and store.get("a.md").attempts == 0


def test_a_changed_source_is_a_new_job(tmp_path):
    store = _store(tmp_path)
    store.upsert("a.md", "h1")
    store.lease("w", 60)
    store.complete("a.md", "w", {"status": "null"})
    assert store.upsert("a.md", "h1") == "done"
    assert store.upsert("a.md", "h2") == "pending"
    assert store.get("a.md").attempts == 0
