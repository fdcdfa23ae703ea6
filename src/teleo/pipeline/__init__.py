"""The pipeline: extraction jobs, a leased queue, worker processes — `run(vault, stages, workers)`.

Entry points
------------
- `extract_all(vault, sources=None, *, workers, limit, provider, model, provider_factory, settings,
  on_progress) -> ExtractReport` — one job per unprocessed source, run by `workers` processes.
- `run(vault, stages=STAGES, workers=None, *, ingest_paths=(), domain=None, ...)
  -> RunReport` — ingest the given files, extract, review and merge (inbox to main; `stages` stops earlier).

Design
------
- **Selection** (`jobs.find_sources`): sources are read from the *parsed* frontmatter of the
  notes in `main`'s tip tree (`Kind.SOURCE` under `inbox/`, status unprocessed), never by
  grepping text and never from the working tree.
- **Lease table** (`store.JobStore`, `.teleo/queue.sqlite`, derived and rebuildable): one row per
  source `(source, source_hash, state pending|leased|done|failed, owner host:pid:worker,
  lease_expires, attempts, last_error, last_attempted, next_attempt_at)`. A lease is one
  conditional UPDATE inside `BEGIN IMMEDIATE`; a heartbeat extends it; expired leases and those
  of dead workers are reaped and the job is redone from scratch.
- **Commit point**: the proposal branch. `teleo.pipeline.job.extract_source` writes objects only
  and publishes `extract/<slug>` with a compare-and-swap ref update, so a killed worker leaves at
  most unreferenced objects; a retry after a crash that follows the ref update sees the open
  proposal ("skipped") and the job is marked done. Hence exactly one commit per source.
- **Workers** are processes (`workers.worker_main`), forked from a supervisor that first made what
  every job needs (imports, the synced index, the base tip's walk and resolver; the embedding model
  when the vault has claims) so they share it; spawned instead when forking is not safe (another
  thread running). A SIGKILL takes down one worker; the supervisor (`workers.Supervisor`) releases its leases at once and starts a
  replacement, SIGKILLs a worker whose job outlives `timeout_s` (default 600) and records the
  failed attempt. Failures retry with exponential backoff (`backoff_s · 2^(attempt-1)`, capped)
  up to `max_attempts` (default 3), then the job is `failed`.
- **`last_attempted`** is recorded in the job table (ISO UTC, at each lease), not in the source
  note: writing the note would touch main. The proposal's source update carries the processing
  date when a proposal is made.
- **Why not Huey as the authority**: Huey 3.5's `SqliteStorage.dequeue` deletes the task row in
  the dequeue transaction, so a worker SIGKILLed after dequeue loses the task — no
  exactly-once. The lease table is therefore the authority and also does retry scheduling
  (`next_attempt_at`), and workers poll it (a few ms per lease). Huey stays the intended
  *dispatch* layer for several hosts (RedisHuey waking workers), see TODO.

TODO (unfinished)
-----------------
1. Multi-host: the lease table is SQLite on one machine. For several hosts, move `JobStore` behind
   a backend protocol with a server implementation (Postgres `FOR UPDATE SKIP LOCKED`, or Redis
   with Huey/RedisHuey for dispatch and a Lua CAS for leases); the owner id already carries the host.
2. `[pipeline]` in `teleo.toml` sets the queue's knobs (`PipelineSettings`: workers, timeout_s,
   max_attempts, backoff_s, lease_ttl_s, …); flags override it (done).
3. Null results: re-queued when their domain has grown (§4.3) by `teleo sources requeue-null`
   (`teleo.triage.requeue`; done).
4. `teleo run` ingests the drop folder `inbox/queue/[<domain>/]` (done); schedules (the "cron" of
   ARCHITECTURE) — a `--every` loop or a systemd timer recipe — are not.
5. Branch cleanup after merge/close (§8.14) belongs with review; not done here.
6. Cost budget per run (stop leasing once the ledger's spend passes a cap).
7. Throughput (bench/extract_bench.py, counted from launch): 69–77 % of ideal at 8 workers and a
   0.5 s provider on the shared 2-core machine, not the 85 % of issue 17.2 (docs/architecture.md).
   What is left per job: ~9 ms of CPU (the commit 3.7 ms, the writer 1.8, the lint gate 0.7) and
   libgit2's four fsyncs of the ref move; a worker could overlap a job's commit with its next
   provider call (two leases per worker; not done).
8. `teleo extract` shows live progress on stderr; no per-job log tail yet.
"""

from teleo.pipeline.demo import run_demo
from teleo.pipeline.run import ExtractReport, RunReport, extract_all, prepare, run
from teleo.pipeline.store import Job, JobStore
from teleo.pipeline.workers import PipelineSettings, Progress, ProviderSpec, Supervisor, queue_path

__all__ = [
    "ExtractReport", "Job", "JobStore", "PipelineSettings", "Progress", "ProviderSpec", "RunReport",
    "Supervisor", "extract_all", "prepare", "queue_path", "run", "run_demo",
]
