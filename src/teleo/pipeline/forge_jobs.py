"""The review and merge jobs of a queue's workers when `[forge]` is configured: pull requests and merges on the forge.

With `[forge]` the forge's repository is the hosts' shared remote (`PipelineSettings`: `[pipeline] remote`
is `[forge] remote`), so an extraction job pushes its proposal branch there as on any shared remote
(`remote.extract_on_remote`). Then:

- **The review job** (`review_on_forge`, after `remote.review_on_remote` pushed the verdicts): the
  proposal's pull request is found, else opened with the reference's title and body, and each agent's
  verdict on the head is posted once as a review with its marker (`teleo.forge.sync`, no merge).
- **The merge job** (`merge_on_forge`, instead of `remote.merge_on_remote`): fetch (verdicts too); the
  proposal is judged against the remote's main by the merge gate, fed the forge's verdicts (people's
  reviews, markers of `[forge] accounts`), and merged **through the forge's API at exactly the head
  judged** — the forge makes the merge commit, its branch protection applies, and main is never pushed
  by the worker. The head in the API call is the compare-and-swap: a branch that moved meanwhile is
  refused with a 409 (`stale`), nothing is merged, and the round is redone from a new fetch — the new
  head has no verdicts yet, so the proposal is left open (`not_ready`, the 409 in its reasons) until its
  review. A proposal no longer on the remote, or whose head is on the remote's main, is `already`: a
  rerun calls nothing on the forge that writes. After a merge the cascade is committed and pushed to
  the forge's main (`remote.cascades_on_remote`, from the owed-cascade record the sync pushed); a main
  that refuses it keeps the record for the next merge job, on any host.

The queue runs one merge at a time across the hosts (`pg.locks`); the forge's API leases the head only,
not its main, so a merge made by hand on the forge at that very moment can land between the fetch and
the API call — the gate judged the proposal on the main before it (documented in docs/deploy.md).
"""

from __future__ import annotations

import time
from typing import Any

from teleo.repo.remote import Remote, set_local
from teleo.vault import Vault

MAIN = "main"
STALE_ROUNDS = 3
"""Rounds of a merge job whose API call met a moved head (each from a new fetch)."""


def make_forge_client(vault: Vault, *, transport: Any = None) -> Any:
    """The forge client of `[forge]` (`ForgeConfigError` naming the variable when its token is not set)."""
    from teleo.forge.settings import ForgeSettings
    from teleo.forge.sync import make_forge

    return make_forge(ForgeSettings.from_vault(vault), transport=transport)


def review_on_forge(vault: Vault, branch: str, *, remote: Remote, forge: Any) -> dict:
    """Open (or find) the proposal's pull request and post the verdicts on its head as reviews; returns what
    was done (`pr`, `opened`, `posted`, `reasons`). Raises `ForgeError` / `ForgeConfigError` (the job fails and
    is retried: the review itself is stored and is not done again)."""
    from teleo.forge.sync import sync_forge

    branch = branch.removeprefix("refs/heads/")
    report = sync_forge(vault, [branch], forge=forge, merge=False, remote=remote, base=remote.tracking(MAIN))
    [done] = report.proposals
    if done.merge == "failed":
        from teleo.forge.base import ForgeError

        raise ForgeError("; ".join(done.reasons) or "the forge sync failed")
    return {"pr": done.pr, "url": done.url, "opened": done.opened, "posted": done.posted, "reasons": done.reasons}


def merge_on_forge(vault: Vault, branch: str, *, remote: Remote, forge: Any, rounds: int = STALE_ROUNDS):
    """Merge the remote's proposal `branch` through the forge's API when the merge gate passes (module doc).

    Returns a `MergeOutcome`: `merged` (its `commit` the forge's merge commit), `already`, `not_ready`,
    `conflict` (the forge refused to merge: it stays open) or `failed` (retried by the queue)."""
    from teleo.forge.settings import ForgeSettings
    from teleo.review.merge import MergeOutcome

    settings = ForgeSettings.from_vault(vault)
    branch = branch.removeprefix("refs/heads/")
    stale: list[str] = []
    for attempt in range(1, rounds + 1):
        remote.fetch(verdicts=True)
        head = remote.head(branch)
        if head is None:
            outcome = MergeOutcome(branch=branch, status="already", reasons=stale + [
                f"not on the remote '{remote.name}': merged or removed"])
            _settle(vault, remote, outcome)
            return outcome
        set_local(remote.repo, branch, head)
        outcome = _merge_round(vault, branch, head, remote, forge, settings)
        if outcome is not None:
            outcome.reasons[:0] = stale
            if outcome.status == "already":
                _settle(vault, remote, outcome)
            return outcome
        stale.append(f"round {attempt}: {settings.label} refused the merge of {head[:12]} with a 409 (the branch "
                     f"moved past the head judged); nothing was merged")
        time.sleep(min(1.0, 0.1 * attempt))
    return MergeOutcome(branch=branch, status="failed", reasons=stale)


def _merge_round(vault: Vault, branch: str, head: str, remote: Remote, forge: Any, settings: Any):
    """One sync of `branch` with merging; None when the forge answered 409 (stale: fetch and judge again)."""
    from teleo.forge.sync import sync_forge
    from teleo.review.merge import MergeOutcome

    report = sync_forge(vault, [branch], forge=forge, settings=settings, remote=remote, base=remote.tracking(MAIN))
    [done] = report.proposals
    if done.merge == "stale" or (done.merge == "skipped" and done.pr is not None):
        return None  # a 409, or the pull request's head is not the one fetched: the branch moved
    status = {"merged": "merged", "not_ready": "not_ready", "refused": "conflict", "failed": "failed"}.get(done.merge)
    if done.merge == "skipped":  # its head is on the remote's main already, or the forge's branch moved on
        status = "already" if done.pushed == "up to date" else "not_ready"
    outcome = MergeOutcome(branch=branch, head=head, status=status or "failed", reasons=list(done.reasons))
    if done.pr is not None:
        outcome.reasons.append(f"pull request #{done.pr} on {settings.label}: {done.url}")
    if done.merge == "merged":
        outcome.commit = done.commit
        _cascade(vault, remote, outcome, owed=done.cascade_owed)
    return outcome


def _cascade(vault: Vault, remote: Remote, outcome: Any, *, owed: bool) -> None:
    """The merge's cascade, committed and pushed to the forge's main (`cascades_on_remote`); one that cannot
    be pushed (a protected main) keeps its record on the remote, said in the reasons."""
    from teleo.pipeline.remote import cascades_on_remote
    from teleo.repo.remote import RemoteError

    if not owed:
        return
    try:
        done = cascades_on_remote(vault, remote=remote)
    except RemoteError as exc:
        outcome.reasons.append(f"merged on the forge; its cascade waits for the next merge job: {exc}")
        return
    outcome.cascade = next((c for c in done if c.merge == outcome.commit), None)
    for other in done:
        if other.merge != outcome.commit:
            outcome.reasons.append(f"owed cascade of {other.merge[:12]}: {other.error or other.summary}")


def _settle(vault: Vault, remote: Remote, outcome: Any) -> None:
    """A proposal found merged already: what a worker killed between the forge's merge and the rest of its job
    left undone — the branch the forge kept (GitHub) deleted, leased on its head, and the merge's cascade when
    main holds none (`cascades_on_remote(also=…)`: it commits nothing when there is nothing to flag, and then
    nothing is pushed). After a complete job there is neither: a rerun writes nothing."""
    from teleo.pipeline.remote import cascades_on_remote
    from teleo.repo.remote import RefUpdate, RemoteError

    merge = _uncascaded_merge(remote, outcome.branch)
    head, tip = remote.head(outcome.branch), remote.head(MAIN)
    try:
        if head is not None and tip is not None and (head == tip or remote.repo.descendant_of(tip, head)):
            remote.push([RefUpdate(f"refs/heads/{outcome.branch}", None, expected=head)])
            outcome.reasons.append(f"its branch, merged, deleted from the remote '{remote.name}'")
        if merge is not None:
            outcome.commit = merge
            for done in cascades_on_remote(vault, remote=remote, also=(merge,)):
                if done.merge == merge and (done.error or done.commit):
                    outcome.cascade = done
                    outcome.reasons.append(f"its cascade, missing, done: {done.error or done.summary}")
    except RemoteError as exc:
        outcome.reasons.append(f"merged; what follows its merge waits for the next merge job: {exc}")


def _uncascaded_merge(remote: Remote, branch: str, depth: int = 200) -> str | None:
    """The merge of `branch` on the remote main's first-parent line (`Teleo-Proposal`, within `depth` commits of
    the tip) when no `Cascade-Of` commit of it follows it there; else None."""
    from teleo.repo.mainline import TRAILER_CASCADE, TRAILER_PROPOSAL
    from teleo.repo.trailers import trailer

    tip = remote.head(MAIN)
    commit = remote.repo.get(tip) if tip else None
    cascaded: set[str] = set()
    for _ in range(depth):
        if commit is None:
            return None
        message = commit.message or ""
        if trailer(message, TRAILER_PROPOSAL) == branch:
            return None if str(commit.id) in cascaded else str(commit.id)
        if trailer(message, TRAILER_CASCADE):
            cascaded.add(trailer(message, TRAILER_CASCADE))
        commit = commit.parents[0] if commit.parents else None
    return None
