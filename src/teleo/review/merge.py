"""Merging approved proposals into main, then the cascade and the index.

`decide(view)` is the merge gate, read fresh at merge time and never from
stored text: the deterministic gates pass on the head commit *now* (against
main's current tip — so a territory violation blocks whatever the verdicts
say), the reviewer selection has no shortfall, and every selected reviewer's
verdict **on the head commit** (from `teleo.repo.verdicts`) is `approve`. A
proposer's own verdict is never among the required ones.

`merge_proposal(vault, branch)`: when `decide` says ready, a merge commit on
main by compare-and-swap (`teleo.repo.mainline.merge_into`) onto exactly the
tip the gates judged — if main moved meanwhile, the proposal is judged again
on the new tip (so two proposals adding the same claim cannot both pass) — the branch
deleted (compare-and-swap on its head), then the cascade for the files the
merge changed, committed on main as one `cascade: …` commit with trailers
`Cascade-Of: <merge>` and `Pentagon-Agent: <Evaluator> <id>`.

`merge_all(vault)` merges every ready open proposal, then finishes what a
killed run left behind: merged branches still present are deleted, merges
whose cascade is still owed get it (`pending_cascades`: a record written before the merge
moved main, removed once its cascade is committed or changes nothing), the checked-out
working tree is brought up to date (`sync_worktree`) and the index synced.

When main is checked out its working tree must follow every merge, so a run
starts with a sync (a run killed after its swaps is caught up here); if that
sync is refused — uncommitted changes in the way of what main already holds —
nothing is merged and the refusal says how to finish. A proposal that would
overwrite an uncommitted change (a file it changes that is edited, staged or
untracked in the working tree) waits, with the reason and the fix; the others
merge.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Collection, Mapping
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from teleo.notes import Kind
from teleo.repo.agents import agent_trailer
from teleo.repo.branches import BranchError, base_ref, changed_paths, is_merged, open_proposals, tip
from teleo.repo.kinds import kind_of
from teleo.vault.tree import TreeVault
from teleo.repo.discover import open_repository, vault_prefix
from teleo.repo.mainline import (
    TRAILER_CASCADE,
    TRAILER_HEAD,
    TRAILER_PROPOSAL,
    TRAILER_RESOLUTION,
    MainMoved,
    MergeConflict,
    WorktreeSync,
    cascade_done,
    commit_onto,
    delete_branch,
    merge_into,
    pending_cascades,
    sync_worktree,
)
from teleo.repo.trailers import trailer
from teleo.repo.verdicts import GATES_REVIEWER, Verdict, verdicts_for
from teleo.repo.worktree import CATCH_UP, LocalChanges, in_the_way_reason
from teleo.review.context import NoSuchBranch, ProposalView, ReviewError, entity_resolver, load_view
from teleo.review.gates import run_gates
from teleo.review.selection import select_reviewers
from teleo.vault import Vault

MAX_JUDGEMENTS = 100
"""How often a merge is judged again because main moved under it before giving up."""


class MergeDecision(BaseModel):
    branch: str
    head: str
    ready: bool
    reasons: list[str] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list)
    approvals: list[str] = Field(default_factory=list)


class CascadeOutcome(BaseModel):
    merge: str
    commit: str | None = None
    summary: str = ""
    flags: int = 0
    under_review: list[str] = Field(default_factory=list)
    error: str | None = None


class MergeOutcome(BaseModel):
    branch: str
    head: str = ""
    status: Literal["merged", "already", "not_ready", "conflict", "failed"]
    commit: str | None = None
    reasons: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)
    """Vault-relative paths the merge changed."""
    claims: list[str] = Field(default_factory=list)
    """New claim files the merge brought to main."""
    enriched: list[str] = Field(default_factory=list)
    """Existing claim files the merge changed (enrichments)."""
    cascade: CascadeOutcome | None = None


class MergeReport(BaseModel):
    merges: list[MergeOutcome] = Field(default_factory=list)
    cascades: list[CascadeOutcome] = Field(default_factory=list)
    """Cascades of merges made earlier (a run killed between merge and cascade)."""
    cleaned: list[str] = Field(default_factory=list)
    """Merged branches deleted."""
    worktree: str = ""
    worktree_moved: bool = True
    """False when a checked-out main's working tree was left behind (`worktree` says why and how to finish)."""
    worktree_fix: list[str] = Field(default_factory=list)
    """Then: the shell commands that finish the catch-up and keep the changes in the way, in order."""
    index: str = ""

    @property
    def merged(self) -> list[MergeOutcome]:
        return [m for m in self.merges if m.status == "merged"]

    def flags(self) -> int:
        return sum(c.flags for c in self._all_cascades())

    def _all_cascades(self) -> list[CascadeOutcome]:
        return [m.cascade for m in self.merges if m.cascade] + self.cascades


def decide(view: ProposalView, extra: Mapping[str, Verdict] | None = None) -> MergeDecision:
    """The merge gate (module doc). `extra`: verdicts on the head from elsewhere (a forge's reviews,
    `teleo.forge`) for reviewers the store has none from; the store's records win."""
    decision = MergeDecision(branch=view.branch, head=view.head_id, ready=False)
    findings = run_gates(view)
    if findings:
        decision.reasons += [f"gate {f.criterion}: {f.path + ': ' if f.path else ''}{f.message}" for f in findings[:10]]
    selection = select_reviewers(view)
    decision.required = selection.agents
    if selection.shortfall:
        decision.reasons.append(selection.shortfall)
    stored = {**{k: v for k, v in (extra or {}).items() if v.head == view.head_id},
              **verdicts_for(view.repo, view.head_id, [GATES_REVIEWER, *view.vault.config.agents])}
    for agent in selection.agents:
        verdict = stored.get(agent)
        if verdict is None:
            decision.reasons.append(f"no verdict from {agent} on {view.head_id[:12]}")
        elif verdict.verdict != "approve":
            decision.reasons.append(f"{agent}: {verdict.verdict.replace('_', ' ')}")
        else:
            decision.approvals.append(agent)
    decision.ready = not decision.reasons
    return decision


def merge_message(view: ProposalView, decision: MergeDecision) -> str:
    title = view.proposal.subject.removesuffix(".md") or view.branch
    lines = [f"Merge pull request '{title}' from {view.branch} into {view.ref.removeprefix('refs/heads/')}", ""]
    lines += [f"- Approved by {agent} on {view.head_id[:12]}" for agent in decision.approvals]
    lines += [f"- Entity lines appended to main's {path} (a sibling changed it first)" for path in view.settled]
    lines += [f"- {created} not created: the same entity as {twin}, which a sibling created first; merged as an update of it"
              for created, twin in view.folded]
    lines += ["", f"{TRAILER_PROPOSAL}: {view.branch}", f"{TRAILER_HEAD}: {view.head_id}"]
    return "\n".join(lines) + "\n"


def merge_proposal(vault: Vault, branch: str, *, cascade: bool = True, listed: bool = False,
                   local: LocalChanges | None = None) -> MergeOutcome:
    """Judge the proposal against main's tip and merge it onto exactly that tip; judge again if main moved.

    `listed`: the branch came from the list of open proposals, so its disappearance means another
    run merged (or removed) it meanwhile — reported as `already`, not as a failure.
    `local`: the checked-out working tree's uncommitted changes; a proposal that would overwrite one waits.
    """
    for _ in range(MAX_JUDGEMENTS):
        try:
            view = load_view(vault, branch)
        except NoSuchBranch as exc:
            if listed:
                return MergeOutcome(branch=branch, status="already", reasons=["merged or removed by another run"])
            return MergeOutcome(branch=branch, status="failed", reasons=[str(exc)])
        except ReviewError as exc:
            return MergeOutcome(branch=branch, status="failed", reasons=[str(exc)])
        outcome = MergeOutcome(branch=view.branch, head=view.head_id, status="not_ready")
        if is_merged(view.repo, view.head, view.main):
            outcome.status = "already"
            delete_branch(view.repo, view.branch, view.head_id)
            return outcome
        decision = decide(view)
        if not decision.ready:
            outcome.reasons = decision.reasons
            return outcome
        blocked = local.in_the_way([view.prefix + p for p in view.files] + view.outside, view.main.tree) if local else {}
        if blocked:
            outcome.reasons = [in_the_way_reason(blocked, catch_up(vault))]
            return outcome
        try:
            result = merge_into(view.repo, view.ref, view.head_id, merge_message(view, decision), judged=str(view.main.id),
                                resolve=entity_resolver(view.prefix), overrides=view.overrides)
        except MainMoved:
            continue
        except MergeConflict as exc:
            outcome.status, outcome.reasons = "conflict", [str(exc)]
            return outcome
        except BranchError as exc:
            outcome.status, outcome.reasons = "failed", [str(exc)]
            return outcome
        break
    else:
        return MergeOutcome(branch=branch, status="failed", reasons=[f"main kept moving ({MAX_JUDGEMENTS} judgements)"])
    outcome.status, outcome.commit = result.status, result.commit
    delete_branch(view.repo, view.branch, view.head_id)
    if result.status != "merged":
        return outcome
    outcome.changed = [p[len(view.prefix):] for p in result.changed if p.startswith(view.prefix)]
    for path in outcome.changed:
        if path in view.files and view.files[path] is not None and view.after.note(path).kind is Kind.CLAIM:
            (outcome.enriched if view.base.exists(path) else outcome.claims).append(path)
    if cascade:
        outcome.cascade = run_cascade(vault, view.repo, view.ref, view.prefix, result.commit)
    return outcome


def run_cascade(
    vault: Vault, repo, ref: str, prefix: str, merge: str, *, changed: list[str] | None = None, what: str | None = None,
) -> CascadeOutcome:
    """Plan the cascade of commit `merge` on main's tip and commit it (once, by CAS).

    By default the changed notes are those `merge` changed and `what` is the proposal it merged —
    for a flag resolution (a direct one, trailer `Teleo-Resolution`, or the merge of a proposal whose
    kind cascades `revised-beliefs`) only the beliefs it revised or abandoned; a caller whose commit
    changed notes that must not cascade names them."""
    outcome = CascadeOutcome(merge=merge)
    try:
        from teleo.cascade import plan_cascade
    except ImportError:  # pragma: no cover - the cascade package ships with teleo
        outcome.error = "the cascade package is not available"
        return outcome
    merge_commit = repo[merge]
    if changed is None:
        changed = [p[len(prefix):] for p in changed_paths(repo, merge_commit.parents[0], merge_commit)
                   if p.startswith(prefix)]
        if _cascades_revised_beliefs_only(merge_commit.message or ""):
            changed = _revised_beliefs(vault, repo, prefix, merge_commit, changed)
            what = what or "re-review: " + ", ".join(PurePosixPath(p).stem for p in changed)
    branch = what or trailer(merge_commit.message or "", TRAILER_PROPOSAL) or "a proposal"
    when = dt.datetime.fromtimestamp(merge_commit.commit_time, dt.UTC).date().isoformat()
    evaluator = vault.config.vault.evaluator
    plans = []

    def build(base):
        if _cascaded(base, merge):
            return {}
        tree = TreeVault.at(vault, base, repo=repo)
        plan = plan_cascade(tree, changed, commit=merge, when=when, why=what or f"merged {branch}")
        plans.append(plan)
        return {prefix + path: text.encode("utf-8") for path, text in plan.files.items()}

    try:
        # the message needs the plan's summary: plan once to word it, then commit (the plan is redone on a lost swap)
        first = build(tip(repo, ref))
        if not first or not plans:
            outcome.summary = plans[-1].summary() if plans else "already cascaded"
            cascade_done(repo, merge)
            return outcome
        summary = plans[-1].summary()
        text = (f"cascade: {summary}\n\n- After {branch} ({merge[:12]})\n\n{TRAILER_CASCADE}: {merge}\n"
                f"{agent_trailer(evaluator, vault.config.agents)}\n")
        done = commit_onto(repo, ref, build, text)
    except Exception as exc:  # noqa: BLE001 - a failed cascade must not undo or hide the merge
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    cascade_done(repo, merge)
    plan = plans[-1]
    outcome.summary = plan.summary()
    if done is not None:
        outcome.commit = done[1]
        outcome.flags = len(plan.flags)
        outcome.under_review = list(plan.under_review)
    return outcome


def _cascades_revised_beliefs_only(message: str) -> bool:
    """A flag resolution's commit: a direct one (`Teleo-Resolution`) or a merge of a kind that cascades only revised beliefs."""
    if trailer(message, TRAILER_RESOLUTION) is not None:
        return True
    kind = kind_of(trailer(message, TRAILER_PROPOSAL) or "")
    return kind is not None and kind.cascade == "revised-beliefs"


def _revised_beliefs(vault: Vault, repo, prefix: str, commit, paths: list[str]) -> list[str]:
    """The beliefs a flag resolution took from `under_review` to revised or abandoned."""
    from teleo.cascade.plan import UNDER_REVIEW
    from teleo.cascade.resolve import RECASCADE, note_status

    before = TreeVault.at(vault, commit.parents[0], repo=repo)
    after = TreeVault.at(vault, commit, repo=repo)
    found = []
    for path in paths:
        if not path.endswith(".md") or not before.exists(path) or not after.exists(path):
            continue
        old, new = before.note(path), after.note(path)
        if new.kind is Kind.BELIEF and note_status(new) in RECASCADE and note_status(old) == UNDER_REVIEW:
            found.append(path)
    return found


def _cascaded(base, merge: str) -> bool:
    """A cascade of `merge` is on main: a `Cascade-Of` commit between `base` and `merge` (first parents)."""
    commit = base
    while str(commit.id) != merge:
        if trailer(commit.message or "", TRAILER_CASCADE) == merge:
            return True
        if not commit.parents:
            return False
        commit = commit.parents[0]
    return False


def ready_branches(vault: Vault) -> list[str]:
    repo = open_repository(vault.root)
    if repo is None:
        raise ReviewError(f"{vault.root} is not inside a git repository with a working tree")
    return [p.branch for p in open_proposals(repo, agents=vault.config.agents)]


def merge_decisions(vault: Vault, branches: list[str] | None = None) -> list[MergeDecision]:
    """What `merge_all` would decide for each of `branches` (default: every open proposal) and
    why, changing nothing (`teleo merge --dry-run`)."""
    return [decide(load_view(vault, branch)) for branch in (branches or ready_branches(vault))]


def merge_all(vault: Vault, branches: list[str] | None = None, *, cascade: bool = True, index: bool = True,
              on_merge=None) -> MergeReport:
    repo = open_repository(vault.root)
    if repo is None:
        raise ReviewError(f"{vault.root} is not inside a git repository with a working tree")
    report = MergeReport()
    report.cleaned = clean_merged(repo, vault.config.agents)
    ref = base_ref(repo)
    before = _sync(repo, ref, vault)  # a run killed after its swaps left the working tree behind
    if before.status == "refused":
        report.worktree, report.worktree_moved = f"nothing was merged: {before.message}", False
        report.worktree_fix = before.fix
        return report
    local = LocalChanges(repo, ref)
    listed = branches is None
    for branch in branches if branches is not None else [p.branch for p in open_proposals(repo, agents=vault.config.agents)]:
        try:
            outcome = merge_proposal(vault, branch, cascade=cascade, listed=listed, local=local)
        except Exception as exc:  # noqa: BLE001 - one proposal's failure must not stop the others
            outcome = MergeOutcome(branch=branch, status="failed", reasons=[f"{type(exc).__name__}: {exc}"])
        report.merges.append(outcome)
        if on_merge is not None:
            on_merge(outcome)
    if cascade:
        done = {m.commit for m in report.merges if m.cascade is not None}
        for merge in pending_cascades(repo, ref):
            if merge not in done:
                report.cascades.append(run_cascade(vault, repo, ref, vault_prefix(repo, vault.root), merge))
    synced = _sync(repo, ref, vault)
    report.worktree = synced.message or synced.status
    report.worktree_moved, report.worktree_fix = synced.status != "refused", synced.fix
    moved = "updated" in (before.status, synced.status) or report.merged or report.cascades
    if index and moved and synced.status in ("updated", "current"):
        report.index = _sync_index(vault)
    return report


def catch_up(vault: Vault) -> str:
    """The command that finishes a refused sync, as a person types it (the vault named when it is not the repository)."""
    repo = open_repository(vault.root)
    if repo is not None and vault.root.resolve() == Path(repo.workdir).resolve():
        return CATCH_UP
    return f"teleo --vault {shlex.quote(str(vault.root.resolve()))} merge"


def _sync(repo, ref: str, vault: Vault) -> WorktreeSync:
    try:
        return sync_worktree(repo, ref, catch_up=catch_up(vault))
    except Exception as exc:  # noqa: BLE001 - the merges stand; the working tree is caught up next time
        return WorktreeSync(status="refused", message=f"working tree not updated: {type(exc).__name__}: {exc}")


def clean_merged(repo, agents: Collection[str]) -> list[str]:
    """Delete proposal branches (every kind; `agents`: the vault's, `kinds.kind_of`) whose head is already on
    main (a run killed after merging) — never a branch that only looks like one (`feature/research-notes`)."""
    main = tip(repo, base_ref(repo))
    cleaned = []
    for name in list(repo.branches.local):
        if kind_of(name, agents) is None:
            continue
        try:
            head = repo.branches.local[name].peel()
        except (KeyError, ValueError):
            continue
        if head.id != main.id and repo.descendant_of(main.id, head.id) and delete_branch(repo, name, str(head.id)):
            cleaned.append(name)
    return cleaned


def _sync_index(vault: Vault) -> str:
    try:
        from teleo.index import Index

        fresh = Vault(vault.root, vault.config)
        with Index.open(fresh) as index:
            stats = index.sync()
        return f"index synced: {stats.added} added, {stats.updated} updated, {stats.removed} removed"
    except Exception as exc:  # noqa: BLE001 - the index is derived; a failure only costs a later rebuild
        return f"index not synced: {type(exc).__name__}: {exc}"
