"""What one queued job does, whichever backend queued it: extract a source, review a proposal,
merge a proposal — through the entry points the commands use.

`perform(vault, kind, target, runtime)` → `Performed(ok, result, error, follow)`: `ok` False means
the attempt failed and should be retried (the queue decides how often); `follow` lists the jobs to
enqueue next (an extraction that made a proposal → its review; an approved review → its merge)
when the job was enqueued with those stages in `then` — also when a retry finds the proposal
already made (its first attempt died before it could enqueue the review).

**Hosts sharing a git remote** (`[pipeline] remote`, `teleo.pipeline.remote`): the jobs are then
`extract_on_remote` (the branch pushed leased on its absence), `review_on_remote` (verdicts pushed)
and `merge_on_remote` (main moved by a leased push, redone on a lost race); a lost compare-and-swap
(`RemoteConflict`) or an unreachable remote fails the attempt, and the retry finds the winner's
work. Without a remote: `extract_source`, `review`, `merge_all(vault, [branch])` on this clone.

**With `[forge]`** the forge's repository is that remote (`PipelineSettings`), and the review and
merge jobs go through the forge (`teleo.pipeline.forge_jobs`): the review job opens (or finds) the
pull request and posts the verdicts as reviews; the merge job merges through the forge's API at the
head the gate judged (`merge_on_forge`) instead of pushing main.

Every job is idempotent, so a retry after a crash changes nothing that was done: an extraction
whose proposal exists (here or on the remote) is *skipped*, a review of a head with verdicts
records none again, a head is never merged twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from teleo.vault import Vault


@dataclass
class Runtime:
    """What a worker process keeps between jobs: its vault, settings, how it builds a provider, a stub for tests."""

    vault: Vault
    provider_factory: Callable[[Vault], Any] | None = None
    provider_name: str | None = None
    model: str | None = None
    number: int = 1
    extract: Callable | None = None
    """Replaces `pipeline.job.extract_source` on a single host (tests and benches); same signature."""
    settings: Any = None
    turn: Any = None
    """The worker process's `pipeline.turn.Turn` (None: one job at a time, nothing handed over)."""
    _provider: Any = None
    _remote: Any = False
    _forge: Any = None

    def provider(self) -> Any:
        if self._provider is None:
            if self.provider_factory is not None:
                self._provider = self.provider_factory(self.vault)
            else:
                from teleo.llm import provider_from_config

                self._provider = provider_from_config(self.vault, self.provider_name, self.model)
        return self._provider

    def remote(self) -> Any:
        """The shared git remote (`[pipeline] remote`), or None on a single host."""
        if self._remote is False:
            from teleo.pipeline.remote import remote_of

            self._remote = remote_of(self.vault, self.settings)
        return self._remote

    def forge(self) -> Any:
        """The forge client of `[forge]` (made once; `ForgeConfigError` when its token is not set)."""
        if self._forge is None:
            from teleo.pipeline.forge_jobs import make_forge_client

            self._forge = make_forge_client(self.vault)
        return self._forge


@dataclass
class Performed:
    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    follow: list[tuple[str, str]] = field(default_factory=list)
    """(kind, target) of the jobs to enqueue now."""


def perform(vault: Vault, kind: str, target: str, runtime: Runtime, *, then: tuple[str, ...] = ()) -> Performed:
    try:
        if kind == "extract":
            return _extract(vault, target, runtime, then)
        if kind == "review":
            return _review(vault, target, runtime, then)
        if kind == "merge":
            return _merge(vault, target, runtime)
    except Exception as exc:  # noqa: BLE001 - a lost compare-and-swap, an unreachable remote, a bug: one line, retried
        return Performed(False, {"status": "failed"}, f"{type(exc).__name__}: {exc}")
    return Performed(False, error=f"unknown job kind {kind!r}")


def _extract(vault: Vault, source: str, runtime: Runtime, then: tuple[str, ...]) -> Performed:
    from teleo.pipeline.workers import outcome_result

    remote = runtime.remote()
    options = {"provider": runtime.provider(), "worker": runtime.number}
    if remote is not None:
        from teleo.pipeline.remote import extract_on_remote

        outcome = extract_on_remote(vault, source, remote=remote, turn=runtime.turn, **options)
    else:
        extract = runtime.extract
        if extract is None:
            from teleo.pipeline.job import extract_source as extract
        outcome = extract(vault, source, **options)
    result = outcome_result(outcome)
    if result["status"] not in ("proposed", "null", "skipped"):
        return Performed(False, result, result.get("error") or "failed")
    made = result["status"] in ("proposed", "null") and result.get("branch")
    if result["status"] == "skipped" and result.get("branch"):
        made = _still_open(vault, result["branch"], remote)
    follow = [("review", result["branch"])] if "review" in then and made else []
    return Performed(True, result, follow=follow)


def _still_open(vault: Vault, branch: str, remote: Any) -> bool:
    """Whether a skipped extraction's proposal is open (on the remote when hosts share one).

    A retry after a worker died between writing the proposal and recording its job finds it made
    and is skipped; it must still ask for the review the dead attempt never enqueued (a review
    already done is not done again: its verdicts are stored on the head)."""
    if remote is not None:
        return remote.head(branch) is not None
    from teleo.repo.branches import base_ref, branch_head, is_merged, tip
    from teleo.repo.discover import open_repository

    repo = open_repository(vault.root)
    head = branch_head(repo, branch) if repo is not None else None
    return head is not None and not is_merged(repo, repo[head], tip(repo, base_ref(repo, None)))


def _review(vault: Vault, branch: str, runtime: Runtime, then: tuple[str, ...]) -> Performed:
    from teleo.review import review, reviewer_from_config
    from teleo.review.context import NoSuchBranch

    reviewer = reviewer_from_config(vault, runtime.provider_name, runtime.model)
    remote = runtime.remote()
    try:
        if remote is not None:
            from teleo.pipeline.remote import review_on_remote

            outcome = review_on_remote(vault, branch, remote=remote, reviewer=reviewer)
        else:
            outcome = review(vault, branch, reviewer=reviewer)
    except NoSuchBranch as exc:  # merged or removed meanwhile: nothing left to review
        return Performed(True, {"status": "gone", "branch": branch, "reason": str(exc)})
    result = {"status": outcome.status, "branch": branch, "head": outcome.head, "tokens": outcome.tokens,
              "cost": outcome.cost}
    if outcome.status == "failed":
        return Performed(False, result, outcome.message or "review failed")
    if remote is not None and vault.config.forge:  # the pull request opened, the verdicts posted as reviews
        from teleo.pipeline.forge_jobs import review_on_forge

        result["forge"] = review_on_forge(vault, branch, remote=remote, forge=runtime.forge())
    follow = [("merge", branch)] if "merge" in then and outcome.status == "approved" else []
    return Performed(True, result, follow=follow)


def _merge(vault: Vault, branch: str, runtime: Runtime) -> Performed:
    remote = runtime.remote()
    if remote is not None and vault.config.forge:  # through the forge's API: its main is the truth
        from teleo.pipeline.forge_jobs import merge_on_forge

        outcomes = [merge_on_forge(vault, branch, remote=remote, forge=runtime.forge())]
        worktree = ""
    elif remote is not None:
        from teleo.pipeline.remote import merge_on_remote

        outcomes = [merge_on_remote(vault, branch, remote=remote)]
        worktree = ""
    else:
        from teleo.review import merge_all

        report = merge_all(vault, [branch])
        outcomes, worktree = report.merges, report.worktree
    result = {"status": outcomes[0].status if outcomes else "nothing", "branch": branch,
              "commit": outcomes[0].commit if outcomes else None,
              "reasons": [r for m in outcomes for r in m.reasons][:10], "worktree": worktree}
    failed = [m for m in outcomes if m.status == "failed"]
    if failed:
        return Performed(False, result, "; ".join(failed[0].reasons) or "merge failed")
    return Performed(True, result)
