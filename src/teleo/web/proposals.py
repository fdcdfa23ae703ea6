"""Open proposals (`extract/*` branches not merged into main), their diffs and their verdicts.

Verdicts come from `teleo.repo.verdicts` when that module exists (the review
stage); without it every proposal says "no verdicts".
"""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import quote

from teleo.repo.branches import BranchError, Proposal, base_ref, open_proposals, read_proposal, tip, valid_branch
from teleo.web.models import ProposalPage, ProposalRow, ProposalsPage, Verdict
from teleo.web.state import WebState

MAX_DIFF_CHARS = 400_000


class NoProposal(Exception):
    pass


def _row(proposal: Proposal) -> ProposalRow:
    return ProposalRow(
        branch=proposal.branch, href="/proposals/" + quote(proposal.branch, safe="/"), head=proposal.head,
        source=proposal.source, agent=proposal.agent, domain=proposal.domain, created=proposal.created,
        subject=proposal.subject, files=proposal.files,
    )


def proposal_rows(state: WebState) -> tuple[list[ProposalRow], str | None]:
    return state.git_cached("proposals", lambda: _read_rows(state))


def _read_rows(state: WebState) -> tuple[list[ProposalRow], str | None]:
    repo = state.repository() if state.is_git else None
    if repo is None:
        return [], "not a git repository"
    try:
        rows = [_row(p) for p in open_proposals(repo)]
    except (BranchError, KeyError, ValueError) as exc:
        return [], f"proposals unavailable: {exc}"
    except Exception as exc:  # pygit2 errors: an unborn HEAD, no main branch
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
    proposal = read_proposal(repo, branch, base)
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
    """The recorded verdicts on `branch`, when the review stage is installed."""
    try:
        module = importlib.import_module("teleo.repo.verdicts")
    except ImportError:
        return [], "no verdicts"
    reader = next(
        (getattr(module, name) for name in ("read_verdicts", "verdicts_for", "list_verdicts", "load_verdicts")
         if callable(getattr(module, name, None))),
        None,
    )
    if reader is None:
        return [], "no verdicts"
    records: Any = None
    for args in ((state.repository(), branch), (state.root, branch), (state.vault, branch)):
        try:
            records = reader(*args)
            break
        except TypeError:
            continue
        except Exception as exc:
            return [], f"verdicts unavailable: {exc}"
    verdicts = [_verdict(r, head) for r in (records or [])]
    return verdicts, None if verdicts else "no verdicts"


def _verdict(record: Any, head: str) -> Verdict:
    data = record.model_dump(mode="json") if hasattr(record, "model_dump") else dict(getattr(record, "__dict__", {}) or {})
    if isinstance(record, dict):
        data = dict(record)
    commit = data.get("commit") or data.get("head") or data.get("head_commit")
    value = data.get("verdict") or data.get("decision")
    return Verdict(
        reviewer=str(data.get("reviewer") or data.get("agent") or "") or None,
        verdict=str(value.value if hasattr(value, "value") else value) if value is not None else None,
        commit=str(commit) if commit else None, current=(str(commit) == head) if commit else None,
        detail={k: v for k, v in data.items() if isinstance(v, (str, int, float, bool)) or v is None},
    )
