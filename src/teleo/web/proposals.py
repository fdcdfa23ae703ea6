"""Open proposals (branches of every proposal kind not merged into main), their diffs and their verdicts.

Verdicts come from `teleo.repo.verdicts` when that module exists (the review
stage); without it every proposal says "no verdicts".
"""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import quote

from teleo.repo.branches import Proposal, base_ref, open_proposals, read_proposal, tip, valid_branch
from teleo.repo.kinds import kind_named
from teleo.web.models import ProposalPage, ProposalRow, ProposalsPage, Verdict
from teleo.web.state import WebState

MAX_DIFF_CHARS = 400_000


class NoProposal(Exception):
    pass


def _row(proposal: Proposal) -> ProposalRow:
    return ProposalRow(
        branch=proposal.branch, href="/proposals/" + quote(proposal.branch, safe="/"), head=proposal.head,
        kind=proposal.kind, kind_label=getattr(kind_named(proposal.kind), "label", None),
        source=proposal.source, agent=proposal.agent or (f"{proposal.contributor} (person)" if proposal.contributor else None),
        domain=proposal.domain, created=proposal.created,
        subject=proposal.subject, files=proposal.files,
    )


def proposal_rows(state: WebState) -> tuple[list[ProposalRow], str | None]:
    return state.git_cached("proposals", lambda: _read_rows(state))


def _read_rows(state: WebState) -> tuple[list[ProposalRow], str | None]:
    repo = state.repository() if state.is_git else None
    if repo is None:
        return [], "not a git repository"
    try:
        rows = [_row(p) for p in open_proposals(repo, agents=state.vault.config.agents)]
    except Exception as exc:  # BranchError, and pygit2 errors: an unborn HEAD, no main branch
        return [], f"proposals unavailable: {exc}"
    return rows, None if rows else "no open proposals"


def proposals_page(state: WebState) -> ProposalsPage:
    rows, note = proposal_rows(state)
    return ProposalsPage(proposals=rows, note=note)


def proposal_page(state: WebState, branch: str) -> ProposalPage:
    if not valid_branch(branch):
        raise NoProposal(f"not a branch name: {branch}")
    return state.git_cached(f"proposal:{branch}", lambda: _read_page(state, branch))


def _read_page(state: WebState, branch: str) -> ProposalPage:
    repo = state.repository() if state.is_git else None
    if repo is None:
        raise NoProposal("not a git repository")
    try:
        base = tip(repo, base_ref(repo))
    except Exception as exc:
        raise NoProposal(f"no base branch: {exc}") from None
    proposal = read_proposal(repo, branch, base, agents=state.vault.config.agents)
    if proposal is None:
        raise NoProposal(f"no branch {branch}")
    head = repo.revparse_single(proposal.head)
    fork = repo.merge_base(head.id, base.id)
    diff = repo.diff(repo[fork], head) if fork is not None else head.tree.diff_to_tree(swap=True)
    patch = diff.patch or ""
    verdicts, note = verdicts_for(state, branch, proposal.head)
    return ProposalPage(
        proposal=_row(proposal), diff=patch[:MAX_DIFF_CHARS], diff_truncated=len(patch) > MAX_DIFF_CHARS,
        verdicts=verdicts, verdicts_note=note,
    )


def verdicts_for(state: WebState, branch: str, head: str) -> tuple[list[Verdict], str | None]:
    """The verdicts on `branch`: those on its head count, those on older commits are shown as void."""
    try:
        store = importlib.import_module("teleo.repo.verdicts")
    except ImportError:
        return [], "no verdicts"
    repo = state.repository()
    try:
        current = store.verdicts_for(repo, head)
        older = [v for v in store.all_verdicts(repo) if v.branch == branch and v.head != head]
    except Exception as exc:  # a damaged store must not take the page down
        return [], f"verdicts unavailable: {exc}"
    rows = [_verdict(v, True) for v in sorted(current.values(), key=lambda v: v.reviewer)]
    rows += [_verdict(v, False) for v in older]
    return rows, None if rows else "no verdicts"


def _verdict(record: Any, current: bool) -> Verdict:
    data = record.model_dump(mode="json")
    return Verdict(
        reviewer=data.get("reviewer"), verdict=data.get("verdict"), commit=data.get("head"), current=current,
        detail={k: v for k, v in data.items() if k not in ("reviewer", "verdict", "head")},
    )
