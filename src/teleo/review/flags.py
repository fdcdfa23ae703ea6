"""Committing flag resolutions: `teleo flags resolve`.

The plan is `cascade.resolve.plan_resolution` (pure); this module writes it the way every
change to main is written: one commit by compare-and-swap on main's tip (re-planned on the
new tip after a lost swap), with the resolving agent's `Pentagon-Agent` trailer, then the
working tree brought up to date. Without a git repository (or with `worktree=True`) the files
on disk are rewritten atomically instead.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from teleo.cascade.resolve import ResolutionPlan, plan_resolution
from teleo.extract.propose import agent_id, display_name
from teleo.notes import atomic_write
from teleo.repo.branches import DEFAULT_BASE, TreeVault, open_repository, tip, vault_prefix
from teleo.repo.mainline import WorktreeSync, commit_onto, sync_worktree
from teleo.vault import Vault


class ResolveOutcome(BaseModel):
    plan: ResolutionPlan
    written_to: str
    """"main" (a commit) or "worktree" (files on disk)."""
    commit: str | None = None
    worktree: str = ""
    """What happened to the working tree after the commit."""
    files: list[str] = Field(default_factory=list)


def resolve_flags(
    vault: Vault, wanted: list[str], *, resolution: str | None = None, target_status: str = "active",
    agent: str | None = None, worktree: bool = False, today: str | None = None,
) -> ResolveOutcome:
    """Resolve the flags named in `wanted`; nothing is written when one of them names no flag or
    an edit is refused."""
    when = today or dt.date.today().isoformat()
    repo = None if worktree else open_repository(vault.root)
    ref = f"refs/heads/{DEFAULT_BASE}"
    if repo is None or ref not in repo.references:  # where `teleo flags` reads them from too
        return _on_disk(vault, wanted, when, resolution, target_status)
    prefix = vault_prefix(repo, vault.root)
    plans: list[ResolutionPlan] = []

    def build(base) -> dict[str, bytes]:
        plan = plan_resolution(TreeVault(vault, repo, base.tree, prefix=prefix), wanted, when=when,
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
    return outcome


def _message(vault: Vault, plan: ResolutionPlan, agent: str | None) -> str:
    agents = plan.agents()
    who = agent or (agents[0] if len(agents) == 1 else vault.config.vault.evaluator)
    count = len(plan.resolved)
    lines = [f"flags: resolve {count} flag{'s' if count != 1 else ''} of {', '.join(agents)}", ""]
    lines += [f"- {flag.id}" for flag in plan.resolved]
    lines += [f"- {path}: status {status}" for path, status in sorted(plan.restored.items())]
    lines += ["", f"Pentagon-Agent: {display_name(who)} <{agent_id(vault, who)}>", ""]
    return "\n".join(lines)
