"""`review(vault, branch)`: gates, reviewers, verdicts and the fix loop for one proposal.

1. **Gates** (`teleo.review.gates`) on the head commit. Their verdict is
   stored under the reserved reviewer `gates` (approve when clean).
2. A blocking gate finding stops the review. On *request changes* the fixer
   (`teleo.review.fixer`) may commit a repair on the branch — a new head, so
   every verdict starts over — up to `max_fixes` rounds; on *reject*, or when
   the fixer can do nothing, the proposal stays open with its verdict.
3. **Selection** (`teleo.review.selection`); a shortfall blocks.
4. Each required reviewer that has no verdict on this head yet reviews it
   through the reviewer seam (`teleo.review.reviewer`); its verdict is stored
   (`teleo.repo.verdicts`). A request for changes goes to the fixer as above.

Explicit `reviewers` run only those agents; asking a proposer to review its
own proposal raises `SelfReview`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from teleo.gates import Severity, check
from teleo.llm.base import ProviderError
from teleo.llm.ledger import add_usage
from teleo.repo.verdicts import (
    GATES_REVIEWER,
    ClaimFinding,
    Verdict,
    store_verdict,
    verdicts_for,
)
from teleo.review.context import NoSuchBranch, ProposalView, ReviewError, load_view
from teleo.review.fixer import fix_proposal
from teleo.review.gates import gate_verdict, run_gates, similar_claims
from teleo.review.reviewer import OfflineReviewer, Reviewer, ReviewRequest
from teleo.review.selection import ReviewerSlot, Selection, select_reviewers
from teleo.vault import Vault

MAX_FIXES = 2
IDENTITY_FILE = "agents/{agent}/identity.md"

Status = Literal["approved", "changes_requested", "rejected", "blocked", "failed"]


class SelfReview(ValueError):
    """An agent was asked to review its own proposal."""


class ReviewOutcome(BaseModel):
    branch: str
    head: str
    status: Status
    proposers: list[str] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list)
    selection: Selection | None = None
    """Who was asked and why (peers with their domain, link overlap and basis; notes) — once the gates passed."""
    verdicts: list[Verdict] = Field(default_factory=list)
    """The verdicts on the final head (stored ones included)."""
    fixes: list[str] = Field(default_factory=list)
    """Fix commits made on the branch."""
    message: str = ""
    tokens: int = 0
    cost: float | None = None
    calls: int = 0


def review(
    vault: Vault,
    branch: str,
    *,
    reviewer: Reviewer | None = None,
    reviewers: list[str] | None = None,
    max_fixes: int = MAX_FIXES,
    again: bool = False,
    base: str | None = None,
) -> ReviewOutcome:
    """Review the proposal on `branch` (see the module doc) against `base` (default: main's tip)."""
    reviewer = reviewer or OfflineReviewer()
    view = load_view(vault, branch, base=base)
    if reviewers:
        own = sorted(set(reviewers) & set(view.proposers))
        if own:
            raise SelfReview(f"{', '.join(own)} proposed {branch} and cannot review it")
    outcome = ReviewOutcome(branch=view.branch, head=view.head_id, status="failed", proposers=view.proposers)
    for round_number in range(1, max_fixes + 2):
        status, findings = _one_round(view, reviewer, reviewers, outcome, again=again)
        outcome.status = status
        outcome.head = view.head_id
        stored = verdicts_for(view.repo, view.head_id, reviewer_names(view, reviewers))
        outcome.verdicts = sorted(stored.values(), key=lambda v: v.reviewer)
        if status != "changes_requested" or round_number > max_fixes:
            break
        fixed = fix_proposal(view, findings, round_number=round_number, provider=getattr(reviewer, "provider", None))
        add_usage(outcome, fixed.calls)
        if fixed.commit is None:
            outcome.message += ("; " if outcome.message else "") + "the fixer found nothing safe to change" + (
                f" ({'; '.join(fixed.refused[:3])})" if fixed.refused else "")
            break
        outcome.fixes.append(fixed.commit)
        view = load_view(vault, branch, base=base)
    return outcome


def _one_round(view: ProposalView, reviewer: Reviewer, only: list[str] | None, outcome: ReviewOutcome,
               *, again: bool) -> tuple[Status, list[ClaimFinding]]:
    names = reviewer_names(view, only)
    existing = verdicts_for(view.repo, view.head_id, names)
    findings = run_gates(view)
    verdict = gate_verdict(findings)
    if again or GATES_REVIEWER not in existing or existing[GATES_REVIEWER].verdict != verdict:
        store_verdict(view.repo, Verdict(
            reviewer=GATES_REVIEWER, role="gates", head=view.head_id, branch=view.branch, verdict=verdict,
            findings=findings, text=_gates_text(findings)))
    if findings:
        outcome.message = _gates_text(findings)
        return ("rejected" if verdict == "reject" else "changes_requested"), findings
    selection = select_reviewers(view)
    outcome.required = selection.agents
    outcome.selection = selection
    if selection.shortfall:
        outcome.message = selection.shortfall
        return "blocked", []
    asked = [slot for slot in selection.slots if only is None or slot.agent in only]
    asked += [ReviewerSlot(agent=name, role="peer") for name in only or [] if name not in selection.agents]
    all_findings: list[ClaimFinding] = []
    for slot in asked:
        if not again and slot.agent in existing:
            continue
        request = build_request(view, slot.agent, slot.role, selection)
        try:
            answer = reviewer.review(request)
        except ProviderError as exc:
            add_usage(outcome, exc.calls)
            outcome.message = f"{slot.agent}: review failed: {exc}"
            return "failed", []
        add_usage(outcome, answer.calls)
        result = answer.output
        store_verdict(view.repo, Verdict(
            reviewer=slot.agent, role=slot.role, head=view.head_id, branch=view.branch, verdict=result.verdict,
            findings=result.findings, text=_with_selection_notes(result.text, slot, selection),
            provider=reviewer.name, model=reviewer.model))
        all_findings.extend(result.findings)
    current = verdicts_for(view.repo, view.head_id, names)
    votes = [current[a].verdict for a in selection.agents if a in current]
    if "reject" in votes:
        return "rejected", all_findings
    if "request_changes" in votes:
        return "changes_requested", [f for f in all_findings if f.severity == "blocking"] or all_findings
    if len(votes) == len(selection.agents):
        return "approved", []
    outcome.message = "waiting for " + ", ".join(a for a in selection.agents if a not in current)
    return "blocked", []


def reviewer_names(view: ProposalView, only: list[str] | None = None) -> list[str]:
    """Whose verdicts a review or a merge reads: the gates, the vault's agents, and any reviewer asked by name."""
    return [GATES_REVIEWER, *view.vault.config.agents, *(only or [])]


def build_request(view: ProposalView, agent: str, role: str, selection: Selection) -> ReviewRequest:
    """The request for one reviewer: its identity and role over the material every reviewer of the view shares."""
    identity = view.after.read_bytes(IDENTITY_FILE.format(agent=agent))
    return _request_material(view).model_copy(update={
        "reviewer": agent, "role": role,
        "identity": identity.decode("utf-8", errors="replace") if identity else "",
    })


def _request_material(view: ProposalView) -> ReviewRequest:
    """Diff, claims, similar titles and lint advice of the proposal — made once per view, not once per reviewer."""
    made = view.memo.get("request")
    if made is not None:
        return made
    notes = view.changed_notes()
    new = set(view.new_paths())
    advice = [
        ClaimFinding(path=f.file, criterion=f.rule, message=f.message, line=f.line)
        for f in check(view.after, [n.path for n in notes]).findings
        if f.severity is Severity.WARNING and f.rule != "claim-quality"  # the reviewer judges that itself
    ] if notes else []
    source = _proposal_source_text(view)
    made = view.memo["request"] = ReviewRequest(
        reviewer="", role="evaluator", branch=view.branch, head=view.head_id,
        diff=view.diff(), claims={n.path: n.doc.text for n in notes},
        similar={n.path: similar_claims(view, n) for n in notes if n.path in new},
        advice=advice, new_claims=sorted(p for p in new if any(n.path == p for n in notes)),
        sources={n.path: source for n in notes if n.path in new} if source is not None else {},
        before={n.path: text.decode("utf-8", errors="replace") for n in notes if n.path not in new
                and (text := view.base.read_bytes(n.path)) is not None},
    )
    return made


def _proposal_source_text(view: ProposalView) -> str | None:
    """The source text of the proposal's source note (what its new claims quote), or None."""
    from teleo.extract.context import source_text
    from teleo.notes import Kind

    path = view.proposal.source
    if not path or not view.after.exists(path):
        return None
    note = view.after.note(path)
    return source_text(note).text if note.kind is Kind.SOURCE else None


def _with_selection_notes(text: str, slot: ReviewerSlot, selection: Selection) -> str:
    """The evaluator's verdict says who else reviewed and why no (other) peer did, when the selection noted it."""
    if slot.role != "evaluator" or not selection.notes:
        return text
    peers = ", ".join(f"{p.agent} ({p.basis})" for p in selection.peers) or "none"
    return f"{text}\n\nReviewer selection — peers: {peers}. " + "; ".join(selection.notes) + "."


def _gates_text(findings: list[ClaimFinding]) -> str:
    if not findings:
        return "The deterministic gates passed (schema, links, grounding, duplicates, territory, source lifecycle, commits)."
    lines = [f"The deterministic gates found {len(findings)} blocking problem(s):"]
    lines += [f"- {f.path or '(proposal)'}: {f.criterion}: {f.message}" for f in findings[:50]]
    return "\n".join(lines)


class PeerCount(BaseModel):
    """How often `agent` reviewed proposals of `domain` as a peer, and on what basis."""

    domain: str
    agent: str
    reviews: int = 0
    links: int = 0
    """Links of those proposals' claims into the agent's territory, summed."""
    bases: list[str] = Field(default_factory=list)


def peer_counts(outcomes: list[ReviewOutcome]) -> list[PeerCount]:
    """Peer verdicts per (domain, agent) over `outcomes`: the selected peers whose verdict is on the head, sorted."""
    rows: dict[tuple[str, str], PeerCount] = {}
    for outcome in outcomes:
        given = {v.reviewer for v in outcome.verdicts if v.role == "peer"}
        for slot in outcome.selection.peers if outcome.selection else []:
            if slot.agent not in given:
                continue  # selected, but the proposal stopped before (a shortfall) or it did not answer
            key = (slot.domain or "-", slot.agent)
            row = rows.setdefault(key, PeerCount(domain=key[0], agent=slot.agent))
            row.reviews += 1
            row.links += slot.overlap
            if slot.basis and slot.basis not in row.bases:
                row.bases.append(slot.basis)
    return [rows[key] for key in sorted(rows)]


def status_counts(outcomes: list[ReviewOutcome]) -> dict[str, int]:
    """How many outcomes have each status, in the order approved, changes_requested, rejected, blocked, failed.

    Approved and changes_requested are always there (the two figures a reader asks for), the others when
    they occur.
    """
    order = ("approved", "changes_requested", "rejected", "blocked", "failed")
    found = {status: sum(1 for o in outcomes if o.status == status) for status in order}
    extra = sorted({o.status for o in outcomes} - set(order))
    kept = {status: n for status, n in found.items() if n or status in ("approved", "changes_requested")}
    return kept | {status: sum(1 for o in outcomes if o.status == status) for status in extra}


def findings_by_criterion(outcomes: list[ReviewOutcome]) -> list[dict[str, Any]]:
    """The blocking findings of the proposals not approved, grouped by criterion, most frequent first (with an example)."""
    groups: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        if outcome.status == "approved":
            continue
        for verdict in outcome.verdicts:
            for finding in verdict.findings:
                if finding.severity != "blocking":
                    continue
                group = groups.setdefault(finding.criterion, {"reason": finding.criterion, "count": 0,
                                                              "example": finding.message})
                group["count"] += 1
    return sorted(groups.values(), key=lambda g: (-g["count"], g["reason"]))


def review_all(
    vault: Vault,
    branches: list[str] | None = None,
    *,
    reviewer: Reviewer | None = None,
    reviewers: list[str] | None = None,
    again: bool = False,
    max_fixes: int = MAX_FIXES,
    on_review=None,
) -> list[ReviewOutcome]:
    """Review `branches` (default: every open proposal, oldest first); one failure never stops the rest."""
    from teleo.repo.branches import BranchError, open_proposals
    from teleo.repo.discover import open_repository

    listed = branches is None
    if branches is None:
        repo = open_repository(vault.root)
        if repo is None:
            raise ReviewError(f"{vault.root} is not inside a git repository with a working tree")
        branches = [p.branch for p in open_proposals(repo, agents=vault.config.agents)]
    outcomes = []
    for branch in branches:
        try:
            outcome = review(vault, branch, reviewer=reviewer, reviewers=reviewers, again=again, max_fixes=max_fixes)
        except SelfReview:
            raise
        except NoSuchBranch as exc:
            if listed:
                continue  # merged (and deleted) by another run since the list was read
            outcome = ReviewOutcome(branch=branch, head="", status="failed", message=str(exc))
        except (ReviewError, BranchError) as exc:
            outcome = ReviewOutcome(branch=branch, head="", status="failed", message=str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken proposal must not stop the others
            outcome = ReviewOutcome(branch=branch, head="", status="failed", message=f"{type(exc).__name__}: {exc}")
        outcomes.append(outcome)
        if on_review is not None:
            on_review(outcome)
    return outcomes
