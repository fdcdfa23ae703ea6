"""People's contributions (`teleo contribute`, reference §4.9): a source, a claim or a challenge of a
claim, proposed on `contrib/<handle>/<slug>`, gated before anything is written, reviewed and merged
like any proposal; the person credited in the claim's `attribution` block (reference §2.9).

Entry point: `contribute(vault, contribution)` (`propose.py`); the files in `draft.py`.
"""

from teleo.contrib.models import (
    ChallengeDraft,
    ClaimDraft,
    Contribution,
    ContributionOutcome,
    DraftFinding,
    SourceDraft,
)
from teleo.contrib.propose import ContributionRefused, contribute

__all__ = [
    "ChallengeDraft", "ClaimDraft", "Contribution", "ContributionOutcome", "ContributionRefused", "DraftFinding",
    "SourceDraft", "contribute",
]
