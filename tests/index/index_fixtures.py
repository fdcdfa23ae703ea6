"""Shared data, helpers and fixtures of the index tests.

A module with a unique name rather than a `conftest.py`: other test folders import
`conftest` by name, and a second `conftest` module would shadow theirs.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

NOTES = {
    "domains/health/preventive care saves money only when targeted at high risk groups.md": """
        ---
        type: claim
        domain: health
        description: Screening everyone costs more than it saves; targeting the few at high risk pays for itself
        confidence: likely
        source: Cohen 2008 review of cost-effectiveness studies
        created: 2026-02-01
        depends_on:
          - "[[prediction markets aggregate dispersed information]]"
          - an unpublished actuarial estimate
        ---

        # preventive care saves money only when targeted at high risk groups

        Hospitals and insurers spend on prevention broadly. The savings appear only for groups at high risk.

        Relevant Notes:
        - [[AI alignment is a coordination problem not a technical problem]] — same structure
        """,
    "domains/ai-alignment/AI alignment is a coordination problem not a technical problem.md": """
        ---
        type: claim
        domain: ai-alignment
        description: Getting AI right needs competing labs and nations to act together, which no institution can arrange
        confidence: likely
        source: TeleoHumanity Manifesto, Chapter 5
        created: 2026-02-16
        challenged_by:
          - "[[futarchy solves trustless joint ownership]]"
        ---

        # AI alignment is a coordination problem not a technical problem

        Labs race each other; a safety pledge by one lab is punished by the market. Coordination, not
        technique, is the bottleneck.
        """,
    "core/mechanisms/futarchy solves trustless joint ownership.md": """
        ---
        type: analysis
        domain: mechanisms
        description: Conditional markets let strangers hold an asset together without trusting a manager
        confidence: experimental
        source: Hanson 2013
        created: 2026-01-10
        ---

        # futarchy solves trustless joint ownership

        Token holders bet on proposals; the market price decides. See [[prediction markets aggregate dispersed information]].
        """,
    "domains/internet-finance/prediction markets aggregate dispersed information.md": """
        ---
        type: claim
        domain: internet-finance
        description: Prices in a betting market pool what many traders privately know into one public number
        confidence: proven
        source: Hayek 1945; Wolfers and Zitzewitz 2004
        created: 2026-01-05
        ---

        # prediction markets aggregate dispersed information

        Traders with private knowledge move the price until it reflects what they know, so the market
        price becomes an estimate better than any single expert's.
        """,
    "inbox/archive/2026-01-03-hanson-futarchy-essay.md": """
        ---
        type: source
        title: Shall we vote on values but bet on beliefs
        author: Robin Hanson (@robinhanson)
        url: https://example.org/futarchy
        date: 2026-01-03
        domain: internet-finance
        status: processed
        format: essay
        claims_extracted:
          - futarchy solves trustless joint ownership.md
        enrichments_applied:
          - prediction markets aggregate dispersed information
        ---

        ## Content

        Democracies fail at aggregating information. Markets could do better, if we vote on values and bet on beliefs.
        """,
    "inbox/archive/2026-02-01-someone-unread-report.md": """
        ---
        type: source
        title: An unread report on hospital budgets
        author: Someone (@someone)
        url: https://example.org/report
        date: 2026-02-01
        domain: health
        status: unprocessed
        ---

        ## Content

        Hospital budgets are dominated by chronic disease.
        """,
    "entities/internet-finance/metadao.md": """
        ---
        type: entity
        entity_type: company
        name: MetaDAO
        domain: internet-finance
        status: active
        tracked_by: rio
        created: 2026-01-01
        ---

        # MetaDAO

        Runs futarchy markets on Solana. Links to [[a note nobody wrote]].
        """,
    "domains/health/_map.md": """
        # Health

        - [[preventive care saves money only when targeted at high risk groups]]
        """,
}
"""A small vault in the teleo-codex layout: claims with links both ways, sources, an entity, a map."""


def age(root: Path, seconds: float = 3600) -> None:
    """Move every file's mtime into the past (so no stat is 'racily clean')."""
    past = time.time() - seconds
    for path in root.rglob("*.md"):
        os.utime(path, (past, past))


GIT_ENV = {"GIT_AUTHOR_NAME": "Teleo Agents", "GIT_AUTHOR_EMAIL": "agents@example.org",
           "GIT_COMMITTER_NAME": "Teleo Agents", "GIT_COMMITTER_EMAIL": "agents@example.org"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def commit(root: Path, message: str, *paths: str) -> None:
    git(root, "add", "--", *(paths or (".",)))
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def vault(make_vault):
    """The small vault of `NOTES`, files dated an hour ago (import this fixture into a test module)."""
    v = make_vault(NOTES)
    age(v.root)
    return v
