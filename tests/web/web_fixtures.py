"""Fixtures of the web tests (imported by name: `from web_fixtures import ...`). A small vault: two domains, a source, claims that link, challenge and
depend on each other, an agent, hostile notes, a merge and an open proposal with a verdict."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import write_files
from teleo.web import create_app

CONFIG = """
[vault]
name = "Web test vault"
evaluator = "leo"

[agents.leo]
role = "evaluator"
[agents.mira]
role = "proposer"

[domains.energy]
folder = "domains/energy"
agent = "mira"
[domains.markets]
folder = "domains/markets"
agent = "leo"
"""

SOURCE = "inbox/archive/2026-01-10-okoye-grid-storage-survey.md"
CLAIM_A = "domains/energy/grid batteries shift solar output into the evening peak which cuts peaker plant hours.md"
CLAIM_B = "domains/energy/cheap storage lowers the value of new gas peakers because they run fewer hours each year.md"
CLAIM_C = "domains/markets/capacity auctions overpay for firm power when storage bids are excluded from them.md"
XSS = "domains/markets/hostile note with script payloads in it for the sanitiser to neutralise.md"
SPACED = "domains/energy/_map.md"

FILES: dict[str, str] = {
    "teleo.toml": CONFIG,
    SOURCE: """
        ---
        type: source
        title: "Grid storage survey: two years of battery dispatch"
        author: "Ada Okoye"
        url: https://example.org/okoye/storage
        date: 2026-01-10
        domain: energy
        format: report
        status: processed
        processed_by: mira
        claims_extracted:
          - "grid batteries shift solar output into the evening peak which cuts peaker plant hours"
        enrichments:
          - "cheap storage lowers the value of new gas peakers because they run fewer hours each year"
        ---

        # Grid storage survey

        Batteries charged at midday discharged between six and nine in the evening on most days.
        Over the two years, peaker plants in the surveyed region ran forty percent fewer hours than before the batteries arrived.
        """,
    CLAIM_A: """
        ---
        type: claim
        domain: energy
        description: "Midday solar stored in batteries is sold into the evening peak, so gas peakers run less."
        confidence: likely
        source: "Okoye survey"
        created: 2026-01-12
        depends_on:
          - "cheap storage lowers the value of new gas peakers because they run fewer hours each year"
        ---

        # grid batteries shift solar output into the evening peak which cuts peaker plant hours

        The survey shows a steady daily cycle. See [[cheap storage lowers the value of new gas peakers because they run fewer hours each year|the peaker economics]]
        and [[a claim that does not exist anywhere]]. Code stays code: `[[not a link]]`.

        ## Evidence

        > Over the two years, peaker plants in the surveyed region ran forty percent fewer hours than before the batteries arrived.

        (from [[2026-01-10-okoye-grid-storage-survey]], line 20)

        > Peakers were replaced by unicorns in every region surveyed.

        (from [[2026-01-10-okoye-grid-storage-survey]], line 21)

        Topics:
        - [[domains/energy/_map]]
        """,
    CLAIM_B: """
        ---
        type: claim
        domain: energy
        description: "A peaker's revenue depends on its hours; storage takes the hours."
        confidence: experimental
        source: "Mira's reading of dispatch data"
        created: 2026-01-13
        challenged_by:
          - "[[capacity auctions overpay for firm power when storage bids are excluded from them]]"
        ---

        # cheap storage lowers the value of new gas peakers because they run fewer hours each year

        Fewer hours means less revenue; see [[grid batteries shift solar output into the evening peak which cuts peaker plant hours]].
        """,
    CLAIM_C: """
        ---
        type: claim
        domain: markets
        description: "Auctions that only accept firm thermal bids pay more than ones that let storage compete."
        confidence: speculative
        source: "Leo"
        created: 2026-01-14
        ---

        # capacity auctions overpay for firm power when storage bids are excluded from them

        Auctions shape what gets built. This pushes against [[cheap storage lowers the value of new gas peakers because they run fewer hours each year]].
        """,
    XSS: """
        ---
        type: claim
        domain: markets
        description: "<img src=x onerror=alert('desc')> described"
        confidence: speculative
        source: "<script>alert('source')</script>"
        created: 2026-01-15
        evil: "javascript:alert('fm')"
        ---

        # hostile note with script payloads in it for the sanitiser to neutralise

        <script>alert('body')</script>

        <img src=x onerror="alert('img')">

        <a href="javascript:alert('href')" onclick="alert('click')">click me</a> and [md link](javascript:alert('md'))

        <div onmouseover="alert('div')" style="background:url(javascript:alert(1))">hover</div>

        <iframe src="https://evil.example/"></iframe><svg onload="alert('svg')"></svg>

        [[capacity auctions overpay for firm power when storage bids are excluded from them|<b onmouseover=alert(1)>alias</b>]]
        """,
    SPACED: """
        ---
        type: topic-map
        domain: energy
        description: "Energy claims"
        ---

        # Energy

        - [[grid batteries shift solar output into the evening peak which cuts peaker plant hours]]
        - [[cheap storage lowers the value of new gas peakers because they run fewer hours each year]]
        """,
    "agents/mira/identity.md": """
        # Mira

        **Mission:** understand how storage changes power markets. Start at [[domains/energy/_map]].
        """,
    "agents/mira/beliefs.md": """
        # Mira's Beliefs

        ### 1. Storage eats the peak

        **Grounding:**
        - [[grid batteries shift solar output into the evening peak which cuts peaker plant hours]]
        """,
    "agents/mira/beliefs/storage eats the evening peak within a decade in sunny grids.md": """
        ---
        type: belief
        agent: mira
        description: "Storage takes the evening peak."
        confidence: likely
        ---

        # storage eats the evening peak within a decade in sunny grids

        Grounded in [[grid batteries shift solar output into the evening peak which cuts peaker plant hours]].
        """,
    "agents/mira/positions/no new gas peakers will be financed in sunny grids after 2030.md": """
        ---
        type: position
        agent: mira
        description: "No new peakers after 2030."
        ---

        # no new gas peakers will be financed in sunny grids after 2030

        Because [[cheap storage lowers the value of new gas peakers because they run fewer hours each year]].
        """,
}


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True, text=True).stdout


def build_vault(root: Path) -> Path:
    """The vault, committed: an initial commit, a merged branch by mira (with her trailer), an open proposal."""
    root.mkdir(parents=True, exist_ok=True)
    first = {k: v for k, v in FILES.items() if k != CLAIM_C}
    write_files(root, first)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    git(root, "checkout", "-q", "-b", "mira/auctions")
    write_files(root, {CLAIM_C: FILES[CLAIM_C]})
    git(root, "add", "-A")
    git(root, "commit", "-qm", "mira: add the capacity auction claim\n\nPentagon-Agent: Mira <M-1>")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "mira/auctions", "-m", "Merge branch 'mira/auctions'")
    _proposal(root)
    return root


def _proposal(root: Path) -> None:
    from teleo.repo.branches import propose, tip
    from teleo.repo.discover import open_repository
    from teleo.repo.verdicts import Verdict, store_verdict

    repo = open_repository(root)
    base = tip(repo, "refs/heads/main")
    text = "---\ntype: claim\ndomain: energy\ndescription: \"x\"\nconfidence: speculative\n---\n\n# proposed claim about storage\n"
    head = propose(
        repo, "extract/2026-01-10-okoye-grid-storage-survey", base,
        {"domains/energy/storage proposals arrive as branches before they reach main in this vault.md": text.encode()},
        f"mira: extract from {SOURCE}\n\n- Source: {SOURCE}\n- Domain: energy\n",
    )
    store_verdict(repo, Verdict(reviewer="leo", role="evaluator", head=head, branch="extract/2026-01-10-okoye-grid-storage-survey",
                                verdict="request_changes", text="<script>alert('verdict')</script> needs evidence"))


@pytest.fixture(scope="module")
def web_vault(tmp_path_factory) -> Path:
    return build_vault(tmp_path_factory.mktemp("web") / "vault")


@pytest.fixture(scope="module")
def client(web_vault) -> TestClient:
    app = create_app(web_vault, watch=False, sync_interval=0.0, write_token="s3cret-token")
    with TestClient(app) as test_client:
        yield test_client
