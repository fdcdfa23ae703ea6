"""The pipeline end to end with worker processes, the real `extract_source` and a fake provider."""

from __future__ import annotations

import json
import random
import threading
import time

from pipeline_helpers import FakeFactory, branches, fsck_clean, git, make_sources_vault, source_path

from teleo.pipeline import JobStore, PipelineSettings, extract_all, queue_path
from teleo.pipeline.jobs import find_sources


def fast(**kw) -> PipelineSettings:
    base = dict(workers=2, backoff_s=0.05, max_backoff_s=0.2, lease_ttl_s=5, heartbeat_s=0.5, poll_s=0.02, tick_s=0.02)
    base.update(kw)
    return PipelineSettings(**base)


def test_sources_come_from_parsed_frontmatter_on_main(tmp_path):
    extra = {
        "inbox/archive/2026-01-04-done.md": "---\ntype: source\ntitle: x\nstatus: processed\n---\n\n# x\n",
        "inbox/archive/2026-01-04-body-mentions.md": "---\ntype: source\ntitle: y\nstatus: processed\n---\n\n# y\n\nstatus: unprocessed\n",
    }
    vault = make_sources_vault(tmp_path / "v", 3, extra=extra)
    (vault.root / "inbox/archive/2026-01-05-uncommitted.md").write_text(
        "---\ntype: source\ntitle: z\nstatus: unprocessed\n---\n\n# z\n", encoding="utf-8")
    found = [c.source for c in find_sources(vault)]
    assert found == [source_path(i) for i in range(3)]


def test_extract_all_makes_one_proposal_per_source_and_a_rerun_does_nothing(tmp_path):
    vault = make_sources_vault(tmp_path / "v", 6)
    seen = []
    report = extract_all(vault, workers=3, provider_factory=FakeFactory(), settings=fast(workers=3),
                         on_progress=seen.append)
    totals = report.totals()
    assert report.ok, report.as_json()
    assert totals["sources"] == 6 and totals["proposed"] == 3 and totals["null"] == 3
    assert totals["claims"] == 3 and totals["tokens"] == 6 * 120 and abs(totals["cost"] - 0.006) < 1e-9
    assert len(branches(vault.root)) == 7
    assert seen and seen[-1].counts["done"] == 6
    assert git(vault.root, "status", "--porcelain") == ""  # the working tree is never touched
    again = extract_all(vault, workers=2, provider_factory=FakeFactory(), settings=fast())
    assert again.jobs == [] and len(again.already) == 6
    json.dumps(again.as_json())


def test_limit_and_named_sources(tmp_path):
    vault = make_sources_vault(tmp_path / "v", 5)
    report = extract_all(vault, [source_path(4)], provider_factory=FakeFactory(), settings=fast(workers=1))
    assert [j.source for j in report.jobs] == [source_path(4)]
    report = extract_all(vault, limit=2, provider_factory=FakeFactory(), settings=fast())
    assert [j.source for j in report.jobs] == [source_path(0), source_path(1)]


def test_a_failing_provider_retries_with_backoff_then_fails(tmp_path):
    vault = make_sources_vault(tmp_path / "v", 2)
    report = extract_all(vault, provider_factory=FakeFactory(fail_always=True), settings=fast(max_attempts=3))
    assert not report.ok
    assert report.totals()["failed"] == 2
    for job in report.jobs:
        assert job.state == "failed" and job.attempts == 3 and job.last_attempted
        assert "always fails" in job.last_error
    assert branches(vault.root) == ["main"]


def test_a_job_past_its_timeout_is_killed_and_retried(tmp_path):
    vault = make_sources_vault(tmp_path / "v", 1)
    # the job would take a minute: only the supervisor's kill at 0.5 s ends it, however slow the machine
    report = extract_all(vault, provider_factory=FakeFactory(delay=(60.0, 60.0)),
                         settings=fast(workers=1, timeout_s=0.5, max_attempts=2))
    job = report.jobs[0]
    assert job.state == "failed" and job.attempts == 2 and "timed out" in job.last_error
    assert report.timeouts == 2
    assert branches(vault.root) == ["main"]


def test_crash_sigkill_workers_at_random_moments_every_source_exactly_once(tmp_path):
    n = 30
    vault = make_sources_vault(tmp_path / "v", n)
    rng = random.Random()
    kills: list[float] = []
    supervisor = {}

    def killer() -> None:
        sup = supervisor["sup"]
        time.sleep(rng.uniform(0.3, 0.8))  # let the workers start (spawn imports)
        for _ in range(rng.randint(3, 5)):
            time.sleep(rng.uniform(0.05, 0.4))
            alive = [p for p in sup.processes().values() if p.is_alive()]
            if not alive:
                return
            victim = rng.choice(alive)
            try:
                victim.kill()  # SIGKILL
                kills.append(time.time())
            except Exception:
                pass

    thread = None

    def on_start(sup) -> None:
        nonlocal thread
        supervisor["sup"] = sup
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()

    report = extract_all(vault, provider_factory=FakeFactory(delay=(0.02, 0.12)),
                         settings=fast(workers=3, max_attempts=10), on_start=on_start)
    thread.join()
    assert len(kills) >= 3, "the killer should have killed at least three workers"
    assert report.restarts >= 1
    root = vault.root
    main = git(root, "rev-parse", "main").strip()
    names = branches(root)
    assert names == sorted(["main"] + [f"extract/2026-01-04-report-{i:03d}" for i in range(n)])
    for name in (b for b in names if b != "main"):
        assert git(root, "rev-list", "--count", f"main..{name}").strip() == "1"
        assert git(root, "rev-parse", f"{name}^").strip() == main
        changed = git(root, "diff", "--name-only", f"main..{name}").split()
        assert any(p.startswith("inbox/archive/") for p in changed)
    clean, out = fsck_clean(root)
    assert clean, out
    store = JobStore(queue_path(root))
    assert store.counts() == {"pending": 0, "leased": 0, "done": n, "failed": 0}
    assert git(root, "status", "--porcelain") == ""
