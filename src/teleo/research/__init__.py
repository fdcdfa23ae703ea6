"""Research sessions (reference §4.2): `teleo research AGENT` from the raw dumps already on disk.

Entry point: `research(vault, agent, date=, provider=, model=) -> ResearchOutcome` (`session.py`,
whose docstring is the specification). Raw dump formats: `dumps.py`; `network.json`: `network.py`.
"""

from teleo.research.session import ArchivedSource, ResearchBusy, ResearchError, ResearchOutcome, research

__all__ = ["ArchivedSource", "ResearchBusy", "ResearchError", "ResearchOutcome", "research"]
