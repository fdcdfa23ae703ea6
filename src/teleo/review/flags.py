"""Committing flag resolutions: `teleo flags resolve`, and proposing them (`propose_resolution`).

The flags are resolved where `teleo flags` reads them (`cascade.flags.flags_repository`: main's
tip in a git repository with a main branch, else the files on disk). The plan is `cascade.resolve.plan_resolution` (pure); this module writes it the way every
change to main is written: one commit by compare-and-swap on main's tip (re-planned on the
new tip after a lost swap), with the resolving agent's `Pentagon-Agent` trailer, then the
working tree brought up to date. A belief revised or abandoned on re-review cascades in turn:
a second commit flags what rests on it, as after a merge. Without a git repository (or with
`worktree=True`) the files on disk are rewritten atomically instead.

`propose_resolution` (the MCP tool `resolve_flag`, `teleo flags resolve --propose`) writes the same
plan as a proposal of kind `flags` (`teleo.repo.kinds.FLAGS`) instead: one commit on
`flags/<agent>/<flag-id>` off main's tip, `main` and the working tree untouched. The evaluator
reviews it and `teleo merge` lands it; the merge's cascade then starts only from the beliefs it
revised or abandoned. Only the flag's own agent proposes its resolution, and only when every
file it edits lies in that agent's territory; a second call for a flag with an open proposal
returns that proposal (the same target status) or is refused (another one).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Field

from teleo.cascade import plan_cascade
from teleo.cascade.listing import MAIN, flags_repository
from teleo.cascade.flags import read_flags
from teleo.cascade.resolve import RECASCADE, ResolutionPlan, find_flag, plan_resolution
from teleo.extract.writer import inside
from teleo.notes import atomic_write
from teleo.repo.agents import agent_trailer
from teleo.repo.branches import BranchConflict, is_merged, propose, read_proposal, tip
from teleo.repo.kinds import FLAGS
from teleo.vault.tree import TreeVault
from teleo.repo.discover import vault_prefix
from teleo.repo.mainline import TRAILER_RESOLUTION, WorktreeSync, commit_onto, sync_worktree
from teleo.review.merge import CascadeOutcome, run_cascade
from teleo.vault import Vault

class ResolveOutcome(BaseModel):
    plan: ResolutionPlan
    written_to: str
    """"main" (a commit) or "worktree" (files on disk)."""
    commit: str | None = None
    worktree: str = ""
    """What happened to the working tree after the commit."""
    files: list[str] = Field(default_factory=list)
    cascade: CascadeOutcome | None = None
    """The cascade of the beliefs revised or abandoned (a second commit, `Cascade-Of` the first)."""

    def changed_beliefs(self) -> list[str]:
        return sorted(path for path, status in self.plan.restored.items() if status in RECASCADE)


def resolve_flags(
    vault: Vault, wanted: list[str], *, resolution: str | None = None, target_status: str = "active",
    agent: str | None = None, worktree: bool = False, today: str | None = None,
) -> ResolveOutcome:
    """Resolve the flags named in `wanted`; nothing is written when one of them names no flag or
    an edit is refused."""
    when = today or dt.date.today().isoformat()
    repo = flags_repository(vault, worktree=worktree)
    ref = MAIN
    if repo is None:  # where `teleo flags` reads them from too
        return _on_disk(vault, wanted, when, resolution, target_status)
    prefix = vault_prefix(repo, vault.root)
    plans: list[ResolutionPlan] = []

    def build(base) -> dict[str, bytes]:
        plan = plan_resolution(TreeVault.at(vault, base, repo=repo), wanted, when=when,
                               resolution=resolution, target_status=target_status)
        plans.append(plan)
        return {prefix + path: text.encode("utf-8") for path, text in plan.files.items()} if plan.writable else {}

    first = build(tip(repo, ref))
    outcome = ResolveOutcome(plan=plans[-1], written_to="main")
    if not first:
        return outcome
    done = commit_onto(repo, ref, build, _message(vault, plans[-1], agent))
    outcome.plan = plans[-1]
    if done is None:  # someone resolved them meanwhile
        return outcome
    outcome.commit = done[1]
    outcome.files = sorted(outcome.plan.files)
    if outcome.changed_beliefs():  # the commit's trailer says so, and `teleo merge` finishes it if this is killed
        outcome.cascade = run_cascade(vault, repo, ref, prefix, outcome.commit, what=_what(outcome))
    try:
        synced = sync_worktree(repo, ref)
    except Exception as exc:  # noqa: BLE001 - the commit stands; the working tree is caught up next time
        synced = WorktreeSync(status="refused", message=f"working tree not updated: {exc}")
    outcome.worktree = synced.message or synced.status
    return outcome


def _on_disk(vault: Vault, wanted: list[str], when: str, resolution: str | None, target_status: str) -> ResolveOutcome:
    plan = plan_resolution(vault, wanted, when=when, resolution=resolution, target_status=target_status)
    outcome = ResolveOutcome(plan=plan, written_to="worktree")
    if not plan.writable:
        return outcome
    for path, text in sorted(plan.files.items()):
        atomic_write(vault.root / path, text)
        outcome.files.append(path)
    if outcome.changed_beliefs():
        cascade = plan_cascade(Vault.open(vault.root), outcome.changed_beliefs(), commit="uncommitted", when=when,
                               why=_what(outcome))
        for path, text in sorted(cascade.files.items()):
            atomic_write(vault.root / path, text)
        outcome.cascade = CascadeOutcome(merge="uncommitted", summary=cascade.summary(), flags=len(cascade.flags),
                                         under_review=list(cascade.under_review))
    return outcome


def _what(outcome: ResolveOutcome) -> str:
    changes = ", ".join(f"{path.rsplit('/', 1)[-1].removesuffix('.md')} {outcome.plan.restored[path]}"
                        for path in outcome.changed_beliefs())
    return f"re-reviewed: {changes}"


def _message(vault: Vault, plan: ResolutionPlan, agent: str | None) -> str:
    agents = plan.agents()
    who = agent or (agents[0] if len(agents) == 1 else vault.config.vault.evaluator)
    count = len(plan.resolved)
    lines = [f"flags: resolve {count} flag{'s' if count != 1 else ''} of {', '.join(agents)}", ""]
    lines += [f"- {flag.id}" for flag in plan.resolved]
    lines += [f"- {path}: status {status}" for path, status in sorted(plan.restored.items())]
    owed = [f"{TRAILER_RESOLUTION}: cascade owed"] if any(s in RECASCADE for s in plan.restored.values()) else []
    lines += ["", *owed, agent_trailer(who, vault.config.agents), ""]
    return "\n".join(lines)


# -- a resolution as a proposal ---------------------------------------------------------------

_STATUS_LINE = re.compile(r"^- Status: (\S+)$", re.MULTILINE)


class ResolutionRefused(ValueError):
    """The resolution cannot be proposed; the message names the flag, file or rule."""


class UnknownFlag(ResolutionRefused):
    """The name matches no flag, or several."""


class ResolutionProposal(BaseModel):
    flag: str
    """The flag's whole id."""
    status: Literal["proposed", "already proposed", "already resolved"]
    branch: str | None = None
    commit: str | None = None
    """The proposal's head commit."""
    target_status: str = "active"
    files: list[str] = Field(default_factory=list)
    """Vault paths the proposal changes."""
    restored: dict[str, str] = Field(default_factory=dict)
    """Belief path → the status it gets once merged."""


def propose_resolution(
    vault: Vault, name: str, *, agent: str | None, resolution: str | None = None, target_status: str = "active",
    today: str | None = None,
) -> ResolutionProposal:
    """Propose `agent`'s resolution of the flag `name` on `flags/<agent>/<id>` (see the module doc);
    `agent` None: the flag's own agent.

    Raises `ResolutionRefused` for a vault without a main branch, a name that matches no flag (or
    several), another agent's flag, an edit outside the agent's territory or one that would not
    leave a valid note, and a different resolution of a flag already proposed."""
    repo = flags_repository(vault)
    if repo is None:
        raise ResolutionRefused(f"{vault.root} has no git repository with a main branch: a flag resolution is "
                                "proposed on a branch off main (or resolve on disk with teleo flags resolve)")
    main = tip(repo, MAIN)
    base = TreeVault.at(vault, main, repo=repo)
    flag = find_flag(read_flags(base)[0], name)
    if flag is None:
        raise UnknownFlag(f"flag '{name}' names no flag, or several (teleo flags / list_flags shows each id)")
    if agent is not None and flag.agent.lower() != agent.lower():
        raise ResolutionRefused(f"flag {flag.id} is {flag.agent}'s: only {flag.agent} resolves it, after re-reading "
                                f"{flag.target}")
    if flag.status != "open":
        return ResolutionProposal(flag=flag.id, status="already resolved", target_status=target_status)
    branch = FLAGS.branch_name(agent=flag.agent, slug=flag.id)
    waiting = _open_proposal(repo, branch, main, flag.id, target_status)
    if waiting is not None:
        return waiting
    plan = plan_resolution(base, [flag.id], when=today or dt.date.today().isoformat(), resolution=resolution,
                           target_status=target_status)
    if not plan.writable or not plan.resolved:
        raise ResolutionRefused("not resolved: " + "; ".join(plan.problems + [f"unknown flag {u}" for u in plan.unknown]))
    territory = vault.config.territory(flag.agent)
    outside = [path for path in sorted(plan.files) if not inside(path, territory)]
    if outside:
        raise ResolutionRefused(f"resolving {flag.id} would edit {', '.join(outside)}, outside {flag.agent}'s territory "
                                f"({', '.join(territory)}): the flag points at a note {flag.agent} does not own")
    prefix = vault_prefix(repo, vault.root)
    changes = {prefix + path: text.encode("utf-8") for path, text in plan.files.items()}
    try:
        commit = propose(repo, branch, main, changes, _proposal_message(vault, plan, flag.agent, target_status))
    except BranchConflict:  # another call made it meanwhile
        waiting = _open_proposal(repo, branch, tip(repo, MAIN), flag.id, target_status)
        if waiting is None:
            raise
        return waiting
    return ResolutionProposal(flag=flag.id, status="proposed", branch=branch, commit=commit,
                              target_status=target_status, files=sorted(plan.files), restored=plan.restored)


def _open_proposal(repo, branch: str, main, flag_id: str, target_status: str) -> ResolutionProposal | None:
    """The open proposal on `branch`, when it resolves the flag the same way; refused when it differs."""
    proposal = read_proposal(repo, branch, main)
    if proposal is None or is_merged(repo, repo[proposal.head], main):
        return None
    found = _STATUS_LINE.search(repo[proposal.head].message or "")
    proposed = found.group(1) if found else "?"
    if proposed != target_status:
        raise ResolutionRefused(f"flag {flag_id} already has a resolution proposal on {branch} (head "
                                f"{proposal.head[:12]}) giving its belief the status {proposed}, not {target_status}: "
                                "it waits for the evaluator's review; once merged or removed, propose again")
    return ResolutionProposal(flag=flag_id, status="already proposed", branch=branch, commit=proposal.head,
                              target_status=proposed, files=proposal.files)


def _proposal_message(vault: Vault, plan: ResolutionPlan, agent: str, target_status: str) -> str:
    """`<agent>: resolve flag <id>`, what it changes, `Teleo-Flag` and the agent's trailer (`kinds.FLAGS`)."""
    flag = plan.resolved[0]
    body = [("Flag", flag.id), ("Target", flag.target), ("Status", target_status)]
    body += [(path, f"status {status}") for path, status in sorted(plan.restored.items())]
    return FLAGS.message({"agent": agent, "flag": flag.id}, body,
                         [f"{FLAGS.trailer}: {flag.id}", agent_trailer(agent, vault.config.agents)])
