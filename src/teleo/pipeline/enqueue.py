"""`teleo extract` and `teleo run` on a shared queue: enqueue the stages' jobs and return at once.

The jobs go through `JobQueue` (`queue.open_queue`), one per source (a source already waiting or
running is counted as a duplicate, not queued twice). `then` chains the later stages: an
extraction enqueued with `("review", "merge")` enqueues its proposal's review when it succeeds,
and an approved review that proposal's merge (`perform.py`). `teleo worker`s do the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from teleo.pipeline.backends import open_queue
from teleo.pipeline.queue import JobQueue, redact_dsn
from teleo.pipeline.workers import PipelineSettings
from teleo.vault import Vault


@dataclass
class Enqueued:
    backend: str
    queue: str
    """Where the jobs went (a DSN without its password)."""
    queued: list[tuple[str, str]] = field(default_factory=list)
    """(kind, target) of each job added."""
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    """(kind, target) of jobs already waiting or running: not added again."""
    already: list[str] = field(default_factory=list)
    """Sources with an open proposal already (nothing to extract)."""

    def as_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "queue": self.queue,
                "queued": [{"kind": k, "target": t} for k, t in self.queued],
                "duplicates": [{"kind": k, "target": t} for k, t in self.duplicates],
                "already_proposed": self.already}


def enqueue_stages(vault: Vault, settings: PipelineSettings, stages: Iterable[str], *,
                   sources: list[str] | None = None, limit: int | None = None, branches: list[str] | None = None,
                   queue: JobQueue | None = None) -> Enqueued:
    """Enqueue `stages` (extract, review, merge): every unprocessed source (or `sources`), every open
    proposal's review (or merge; `branches`: these proposals only); each job carrying the stages after it."""
    stages = tuple(s for s in stages if s in ("extract", "review", "merge"))
    own = queue is None
    queue = queue or open_queue(vault, settings)
    report = Enqueued(queue.backend, redact_dsn(settings.dsn) if queue.backend == "postgres" else ".teleo/queue.sqlite")
    try:
        if "extract" in stages:
            _extractions(vault, queue, report, sources, limit, _after(stages, "extract"))
        if "review" in stages or "merge" in stages:
            # every open proposal: reviewed (then merged when approved), or only merged when review is not asked
            kind = "review" if "review" in stages else "merge"
            for branch in branches if branches is not None else open_branches(vault, settings):
                _add(queue, report, kind, branch, _after(stages, kind))
    finally:
        if own:
            queue.close()
    return report


def _after(stages: tuple[str, ...], stage: str) -> tuple[str, ...]:
    return stages[stages.index(stage) + 1:]


def _extractions(vault: Vault, queue: JobQueue, report: Enqueued, sources: list[str] | None, limit: int | None,
                 then: tuple[str, ...]) -> None:
    from teleo.pipeline.jobs import find_sources

    for cand in find_sources(vault, sources):
        if cand.open_branch is not None:
            report.already.append(cand.source)
            continue
        if limit is not None and len(report.queued) >= limit:
            break
        _add(queue, report, "extract", cand.source, then, cand.source_hash)


def _add(queue: JobQueue, report: Enqueued, kind: str, target: str, then: tuple[str, ...], version: str = "") -> None:
    if queue.enqueue(kind, target, then=then, version=version):
        report.queued.append((kind, target))
    else:
        report.duplicates.append((kind, target))


def open_branches(vault: Vault, settings: PipelineSettings) -> list[str]:
    """The open proposals: the shared remote's when hosts share one (`[pipeline] remote`), else this clone's."""
    if settings.remote:
        from teleo.pipeline.remote import open_remote_proposals

        return open_remote_proposals(vault)
    from teleo.repo.branches import open_proposals
    from teleo.repo.discover import require_repository

    return [p.branch for p in open_proposals(require_repository(vault.root), agents=vault.config.agents)]
