"""Committing flag resolutions: `teleo flags resolve`.

The flags are resolved where `teleo flags` reads them (`cascade.flags.flags_repository`: main's
tip in a git repository with a main branch, else the files on disk). The plan is `cascade.resolve.plan_resolution` (pure); this module writes it the way every
change to main is written: one commit by compare-and-swap on main's tip (re-planned on the
new tip after a lost swap), with the resolving agent's `Pentagon-Agent` trailer, then the
working tree brought up to date. A belief revised or abandoned on re-review cascades in turn:
a second commit flags what rests on it, as after a merge. Without a git repository (or with
`worktree=True`) the files on disk are rewritten atomically instead.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from teleo.cascade import plan_cascade
from teleo.cascade.listing import MAIN, flags_repository
from teleo.cascade.resolve import RECASCADE, ResolutionPlan, plan_resolution
from teleo.notes import atomic_write
from teleo.repo.agents import agent_trailer
from teleo.repo.branches import tip
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
