"""The open extraction proposals of a vault, as `teleo proposals` lists them.

`open_proposals` in `teleo.repo.branches` reads the `extract/*` branches not merged into the
base, with repository paths; here they are given vault-relative paths like every other command
(the vault may be a folder inside a larger repository), and a null result is told apart.
"""

from __future__ import annotations

from teleo.repo.branches import Proposal, open_proposals
from teleo.repo.discover import require_repository, vault_prefix
from teleo.vault import Vault


def vault_proposals(vault: Vault, *, base: str | None = None) -> list[Proposal]:
    """The open proposals into `base` (default: main), oldest first, their files vault-relative.
    Raises `NotARepository`, and `BranchError` when the base cannot be read."""
    repo = require_repository(vault.root)
    found = open_proposals(repo, base=base, agents=vault.config.agents)
    prefix = vault_prefix(repo, vault.root)
    for proposal in found:
        proposal.files = [p[len(prefix):] if prefix and p.startswith(prefix) else p for p in proposal.files]
    return found


def is_null_result(proposal: Proposal) -> bool:
    """A proposal that changes its source alone: the extraction found nothing, and the source is
    marked null-result (`teleo extract` counts these apart from those with claims or enrichments)."""
    return proposal.source is not None and proposal.files == [proposal.source]
