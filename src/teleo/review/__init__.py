"""Review and merge: the institution around the agents (reference §4.4–4.5, §5, §8.5–8.6).

Entry points: `review(vault, branch) -> ReviewOutcome` (gates, reviewer selection, reviewer
agents, verdicts, the fix loop) and `merge_all(vault) -> MergeReport` (the merge gate, CAS merges
into main, the cascade, the index); `resolve_flags(vault, ids)` closes cascade flags once their
owner has re-read what they point at, and `propose_resolution(vault, id, agent=)` proposes that on
a `flags/<agent>/<id>` branch instead, for review and merge like any proposal. Verdicts live in git (`teleo.repo.verdicts`); writes to main
go through `teleo.repo.mainline`.
"""

from teleo.review.context import ProposalView, ReviewError, load_view
from teleo.review.engine import (
    PeerCount,
    ReviewOutcome,
    SelfReview,
    findings_by_criterion,
    peer_counts,
    review,
    review_all,
    status_counts,
)
from teleo.review.flags import ResolutionProposal, ResolutionRefused, ResolveOutcome, propose_resolution, resolve_flags
from teleo.review.merge import (
    MergeDecision,
    MergeOutcome,
    MergeReport,
    decide,
    merge_all,
    merge_decisions,
    merge_proposal,
)
from teleo.review.reviewer import (
    ModelReviewer,
    OfflineReviewer,
    Reviewer,
    reviewer_from_config,
)
from teleo.review.selection import Selection, select_reviewers

__all__ = [
    "MergeDecision", "MergeOutcome", "PeerCount", "peer_counts", "status_counts", "findings_by_criterion", "MergeReport", "ModelReviewer", "OfflineReviewer", "ProposalView", "ReviewError",
    "ResolveOutcome", "ReviewOutcome", "Reviewer", "Selection", "SelfReview", "decide", "load_view", "merge_all",
    "merge_decisions", "merge_proposal", "propose_resolution", "ResolutionProposal", "ResolutionRefused", "resolve_flags", "review", "review_all", "reviewer_from_config", "select_reviewers",
]
