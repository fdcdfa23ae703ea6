"""Corpus statistics: a health report of a vault (`teleo stats`, reference §7).

Entry point: `vault_stats(vault)` → `VaultStats` (pydantic, JSON-serialisable).
"""

from teleo.stats.collect import vault_stats
from teleo.stats.models import SECTIONS, VaultStats

__all__ = ["SECTIONS", "VaultStats", "vault_stats"]
