"""A worker process pushes an extraction's branch while its next job runs (issue 18.6, `pipeline.turn`):
the first push is held on the remote (a pre-receive hook) until the worker's next model call has
started — which happens only if the worker took its next job while that push was still going.
Without it the hook gives up after two minutes and says so, and the test fails."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
from pathlib import Path

from pg_workers import MarkingFactory, wait_for, worker_entry

from teleo.pipeline import PipelineSettings

HOOK = """#!/bin/sh
# The first push waits (up to 120 s) for the worker's second model call, and records whether it came.
cat > /dev/null
marks='{marks}'
if mkdir "$marks/first-push" 2>/dev/null; then
  i=0
  while [ ! -e "$marks/model-2" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
  if [ -e "$marks/model-2" ]; then echo beside > "$marks/first-push/how"; else echo alone > "$marks/first-push/how"; fi
fi
exit 0
"""


def test_the_first_push_lands_while_the_same_worker_runs_its_next_job(tmp_path, pg_dsn):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
    from remote_hosts import fsck, make_hosts, remote_refs

    from teleo.pipeline.pg import PostgresQueue, init_schema

    init_schema(pg_dsn)
    hosts = make_hosts(tmp_path, count=1, sources=2)
    marks = tmp_path / "marks"
    marks.mkdir()
    hook = hosts.remote / "hooks" / "pre-receive"
    hook.write_text(HOOK.format(marks=marks), encoding="utf-8")
    hook.chmod(0o755)
    settings = PipelineSettings.from_vault(hosts.vault(0))
    settings.backend, settings.dsn, settings.stall_seconds = "postgres", pg_dsn, 30
    queue = PostgresQueue(pg_dsn, settings=settings)
    for source in hosts.sources:
        assert queue.enqueue("extract", source)
    worker = mp.get_context("spawn").Process(target=worker_entry,
                                             args=(str(hosts.clones[0]), settings, None, MarkingFactory(str(marks))))
    worker.start()
    try:
        wait_for(lambda: all(j.state == "done" for j in queue.jobs("extract")), 300, "both extractions")
        os.kill(worker.pid, signal.SIGTERM)
        worker.join(60)
        assert worker.exitcode == 0
    finally:
        if worker.is_alive():
            worker.kill()
    jobs = queue.jobs("extract")
    queue.close()
    assert (marks / "first-push" / "how").read_text().strip() == "beside"
    branches = {j.result["branch"] for j in jobs}
    assert len(branches) == 2 and all(f"refs/heads/{b}" in remote_refs(hosts.remote) for b in branches)
    for where in (hosts.remote, hosts.clones[0]):
        assert fsck(where).returncode == 0, where
