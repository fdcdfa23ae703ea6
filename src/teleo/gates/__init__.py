"""Quality gates: small rules with ids and severities, used by lint, extraction and review.

Entry point: `check(vault, paths)`.
"""

from teleo.gates.check import Report, Summary, check
from teleo.gates.findings import Finding, Severity
from teleo.gates.registry import RULES

__all__ = ["Finding", "RULES", "Report", "Severity", "Summary", "check"]
