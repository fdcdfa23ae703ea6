"""What one queued job does, whichever backend queued it: extract a source, review a proposal,
merge the approved proposals — each through the entry point the commands use.

`perform(vault, kind, target, runtime)` → `Performed(ok, result, error, follow)`: `ok` False means
the attempt failed and should be retried (the queue decides how often); `follow` lists the jobs to
enqueue next (an extraction that made a proposal → its review; an approved review → the merge)
when the job was enqueued with those stages in `then`.

Every job is idempotent, so a retry after a crash changes nothing that was done: an extraction
whose `extract/<slug>` branch exists is *skipped* (done), a review of a head that has verdicts
records none again, a merge never merges a head twice (`teleo.review`, `teleo.repo.mainline`).

**The shared remote (issue 18.2) plugs in here**: `before_job` (bring the clone's main and the
proposal refs up to the remote's) and `publish_proposal` (push the branch with compare-and-swap;
raising makes the attempt fail and be retried) are the seam. Until the remote module exists they
do nothing: a single host, or hosts sharing one repository, need nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from teleo.vault import Vault


@dataclass
class Runtime:
    """What a worker process keeps between jobs: its vault, how it builds a provider, a stub for tests."""

    vault: Vault
    provider_factory: Callable[[Vault], Any] | None = None
    provider_name: str | None = None
    model: str | None = None
    number: int = 1
    extract: Callable | None = None
    """Replaces `pipeline.job.extract_source` (tests and benches); same signature."""
    _provider: Any = None

    def provider(self) -> Any:
        if self._provider is None:
            if self.provider_factory is not None:
                self._provider = self.provider_factory(self.vault)
            else:
                from teleo.llm import provider_from_config

                self._provider = provider_from_config(self.vault, self.provider_name, self.model)
        return self._provider


@dataclass
class Performed:
    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    follow: list[tuple[str, str]] = field(default_factory=list)
    """(kind, target) of the jobs to enqueue now."""


def before_job(vault: Vault) -> None:
    """SEAM for the shared remote: refresh the clone from the remote before a job reads main."""


def publish_proposal(vault: Vault, branch: str) -> None:
    """SEAM for the shared remote: push `branch` with compare-and-swap (raise to retry the job)."""


def perform(vault: Vault, kind: str, target: str, runtime: Runtime, *, then: tuple[str, ...] = ()) -> Performed:
    before_job(vault)
    if kind == "extract":
        return _extract(vault, target, runtime, then)
    if kind == "review":
        return _review(vault, target, runtime, then)
    if kind == "merge":
        return _merge(vault)
    return Performed(False, error=f"unknown job kind {kind!r}")


def _extract(vault: Vault, source: str, runtime: Runtime, then: tuple[str, ...]) -> Performed:
    from teleo.pipeline.workers import outcome_result

    extract = runtime.extract
    if extract is None:
        from teleo.pipeline.job import extract_source as extract
    try:
        outcome = extract(vault, source, provider=runtime.provider(), worker=runtime.number)
        result = outcome_result(outcome)
    except Exception as exc:  # noqa: BLE001 - extract_source never raises; a stub or a provider's constructor may
        return Performed(False, {"status": "failed"}, f"{type(exc).__name__}: {exc}")
    if result["status"] not in ("proposed", "null", "skipped"):
        return Performed(False, result, result.get("error") or "failed")
    if result.get("branch"):  # skipped too: an earlier attempt may have committed, then died before pushing
        publish_proposal(vault, result["branch"])
    follow = [("review", result["branch"])] if "review" in then and result.get("branch") else []
    return Performed(True, result, follow=follow)


def _review(vault: Vault, branch: str, runtime: Runtime, then: tuple[str, ...]) -> Performed:
    from teleo.review import review, reviewer_from_config

    try:
        outcome = review(vault, branch, reviewer=reviewer_from_config(vault, runtime.provider_name, runtime.model))
    except Exception as exc:  # noqa: BLE001 - one line in the job's record, retried
        return Performed(False, {"status": "failed"}, f"{type(exc).__name__}: {exc}")
    result = {"status": outcome.status, "branch": branch, "tokens": outcome.tokens, "cost": outcome.cost}
    if outcome.status == "failed":
        return Performed(False, result, outcome.message or "review failed")
    follow = [("merge", "main")] if "merge" in then and outcome.status == "approved" else []
    return Performed(True, result, follow=follow)


def _merge(vault: Vault) -> Performed:
    from teleo.review import merge_all

    try:
        report = merge_all(vault)
    except Exception as exc:  # noqa: BLE001
        return Performed(False, {"status": "failed"}, f"{type(exc).__name__}: {exc}")
    merged = [m.branch for m in report.merged]
    failed = [m.branch for m in report.merges if m.status == "failed"]
    result = {"status": "merged" if merged else "nothing", "merged": merged, "failed": failed,
              "worktree": report.worktree}
    if failed:
        return Performed(False, result, f"merge failed for {', '.join(failed)}")
    return Performed(True, result)
