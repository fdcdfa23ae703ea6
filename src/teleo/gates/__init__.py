"""Quality gates: small rules with ids and severities, used by lint, extraction and review.

Entry points: `check(vault, paths)`; `safe_fixes(vault, paths)` (the repairs as texts) and
`repair(vault, paths)` (`teleo fix`: written and committed).
"""

from teleo.gates.check import Report, Summary, check
from teleo.gates.findings import Finding, Severity
from teleo.gates.fixes import FileFix, safe_fixes
from teleo.gates.registry import RULES
from teleo.gates.repair import RepairRun, repair

__all__ = ["FileFix", "Finding", "RULES", "RepairRun", "Report", "Severity", "Summary", "check", "repair", "safe_fixes"]
