"""Proposal branches made by hand on a host whose main follows a shared remote (`[pipeline] remote`).

`teleo flags resolve --propose`, `teleo research`, `teleo contribute` and `teleo synthesize` (and the
MCP tools that propose) commit a proposal branch on the clone. The workers on the other hosts see only
the remote, so such a branch is published the way a worker publishes its extraction: pushed with the
compare-and-swap of `teleo.repo.remote.Remote.push`, leased on the branch being absent from the remote
(or on the remote holding an ancestor of it: a fast-forward of this clone's own earlier push). On the
PostgreSQL backend its review job is enqueued with the merge after it (`enqueue.enqueue_stages`), so it
flows through review and merge like a worker's proposal.

The command first follows the shared main (`remote.follow_shared_main`: the clone's own commits
published, main at the remote's tip), so the proposal forks from the main the other hosts see. A push
refused (another host's proposal holds that name) is one line naming both heads; the clone's branch is
left as it is — nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from teleo.pipeline.remote import SharedMain
from teleo.repo.branches import branch_head
from teleo.repo.remote import RefUpdate, RemoteConflict, RemoteError
from teleo.pipeline.workers import PipelineSettings


@dataclass
class PublishedProposals:
    """What became of the branches a command made: on the remote, refused, and the jobs enqueued."""

    remote: str
    pushed: list[tuple[str, str]] = field(default_factory=list)
    """(branch, commit) pushed now."""
    there: list[tuple[str, str]] = field(default_factory=list)
    """(branch, commit) the remote already held at that commit (nothing pushed)."""
    refused: list[str] = field(default_factory=list)
    """One line per branch not published (kept on this clone)."""
    enqueued: object | None = None
    """The `enqueue.Enqueued` review jobs (PostgreSQL backend), else None."""
    queue_error: str = ""
    """Why the review jobs could not be enqueued (the branches are on the remote all the same)."""

    def as_json(self) -> dict:
        return {"remote": self.remote, "pushed": [{"branch": b, "commit": c} for b, c in self.pushed],
                "already_there": [{"branch": b, "commit": c} for b, c in self.there], "refused": self.refused,
                "enqueued": self.enqueued.as_json() if self.enqueued is not None else None,
                "queue_error": self.queue_error}


def publish_proposals(shared: SharedMain, branches: list[str], *, command: str = "this command",
                      settings: PipelineSettings | None = None) -> PublishedProposals:
    """Push each of `branches` (the clone's heads) to the shared remote by compare-and-swap, then, on the
    postgres backend, enqueue each one's review (its merge after an approval). Never raises: a push refused
    or not reaching the remote, a queue that cannot be reached, are reported in the result (module doc)."""
    remote = shared.remote
    done = PublishedProposals(remote=remote.name)
    for branch in dict.fromkeys(branches):
        commit = branch_head(remote.repo, branch)
        if commit is None:
            continue
        held = remote.head(branch)
        if held == commit:
            done.there.append((branch, commit))
            continue
        expected = held if held is not None and _contains(remote.repo, commit, held) else None
        try:
            remote.push([RefUpdate(f"refs/heads/{branch}", commit, expected=expected)])
        except RemoteConflict:
            done.refused.append(_refusal(shared, branch, commit, command))
            continue
        except RemoteError as exc:  # unreachable after its retries, or refused by a hook or permissions
            done.refused.append(f"{command}: {branch} ({commit[:12]}) is committed on this clone but not on "
                                f"{remote.name}: {exc} — the branch is kept here; push it with "
                                f"git push {remote.name} {branch}")
            continue
        done.pushed.append((branch, commit))
    on_remote = [b for b, _ in done.pushed + done.there]
    if on_remote:
        _enqueue_reviews(shared, on_remote, done, settings)
    return done


def _contains(repo, commit: str, ancestor: str) -> bool:
    try:
        return repo.descendant_of(repo[commit].id, repo[ancestor].id)
    except (KeyError, ValueError):
        return False


def _refusal(shared: SharedMain, branch: str, commit: str, command: str) -> str:
    """The one line of a push whose lease was lost: the remote holds another head of that name."""
    remote = shared.remote
    try:
        remote.fetch()
        other = remote.head(branch)
    except RemoteError:
        other = None
    theirs = f"at {other[:12]}" if other else "(it moved while this one was pushed)"
    return (f"{command}: {branch} ({commit[:12]}) was not pushed to {remote.name}: {remote.name} holds {branch} {theirs}, "
            f"another proposal of that name — the branch is kept on this clone as it is; compare them "
            f"(git log {remote.name}/{branch}) and delete or rename one")


def _enqueue_reviews(shared: SharedMain, branches: list[str], done: PublishedProposals,
                     settings: PipelineSettings | None) -> None:
    from teleo.pipeline.queue import QueueError

    try:
        settings = settings or PipelineSettings.from_vault(shared.vault)
    except ValueError as exc:
        done.queue_error = str(exc)
        return
    if settings.backend != "postgres":
        return  # the sqlite backend runs no job for a shared remote (`refuse_local_stages`)
    from teleo.pipeline.enqueue import enqueue_stages

    try:
        done.enqueued = enqueue_stages(shared.vault, settings, ("review", "merge"), branches=branches)
    except QueueError as exc:
        done.queue_error = str(exc)
