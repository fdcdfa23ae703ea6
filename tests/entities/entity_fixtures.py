"""A small internet-finance vault for the entity tests: a tracked DAO, a launch platform, a claim citing
the DAO, a belief resting on the claim, and futardio-style data pages. Every note is written for these
tests (names invented); nothing is copied from the corpus.

Imported by name (`from entity_fixtures import ...`).
"""

from __future__ import annotations

import json
import os
import subprocess

DAO = "quorumdao"
DAO_PATH = f"entities/internet-finance/{DAO}.md"
PLATFORM_PATH = "entities/internet-finance/futardio.md"
CLAIM = "conditional markets settle treasury decisions faster than token votes because traders price the outcome directly"
CLAIM_PATH = f"domains/internet-finance/{CLAIM}.md"
BELIEF = "futarchy governance will outlast token voting for treasury decisions"
BELIEF_PATH = f"agents/rio/beliefs/{BELIEF}.md"
PROPOSAL_SOURCE = "inbox/archive/2025-04-02-futardio-proposal-fund-a-bridge-audit.md"
LAUNCH_SOURCE = "inbox/archive/2025-05-10-futardio-launch-lanternfish.md"
TEST_SOURCE = "inbox/archive/2025-04-03-futardio-proposal-testing-the-indexer.md"

DAO_NOTE = f"""\
---
type: entity
entity_type: company
name: QuorumDAO
domain: internet-finance
handles: ["@quorumdao"]
website: https://quorumdao.example
status: active
tracked_by: rio
created: 2025-01-10
---

# QuorumDAO

A DAO whose treasury is governed by conditional markets.

## Timeline

- **2025-01-10** — DAO launched its first market

## Key Decisions
| Date | Proposal | Proposer | Category | Outcome |
|------|----------|----------|----------|---------|

---

Relevant Entities:
- [[futardio]] — platform
"""

PLATFORM_NOTE = """\
---
type: entity
entity_type: platform
name: Futardio
domain: internet-finance
website: https://futard.io
status: active
tracked_by: rio
created: 2025-01-01
---

# Futardio

A launchpad whose raises are governed by conditional markets.
"""

CLAIM_NOTE = f"""\
---
type: claim
domain: internet-finance
description: "A fixture claim: QuorumDAO's treasury markets resolved in three days where its earlier token votes took weeks."
confidence: experimental
source: "Fixture written for the Teleo entity tests, 2026"
created: 2025-02-01
---

# {CLAIM}

The [[{DAO}]] treasury settled its proposals in three days of trading, against weeks of token votes before.

Topics: [[_map]]
"""

BELIEF_NOTE = f"""\
---
type: belief
agent: rio
domain: internet-finance
description: "A fixture belief resting on the treasury claim."
level: hypothesis
confidence: moderate
depends_on:
  - "[[{CLAIM}]]"
created: 2025-02-02
status: active
---

# {BELIEF}

Markets settle treasury questions better than votes do; this belief rests on the claim.

## Grounding

- [[{CLAIM}]] — grounding
"""


def proposal_page(*, project: str = "QuorumDAO", proposal: str = "Fund a bridge audit", status: str = "Passed",
                  created: str = "2025-04-02", completed: str = "2025-04-05",
                  url: str = "https://www.futard.io/proposal/Qm7bridgeAuditProposal111") -> str:
    return f"""\
---
type: source
title: "Futardio: {proposal}"
author: "futard.io"
url: "{url}"
date: {created}
domain: internet-finance
format: data
status: unprocessed
tags: [futardio, governance]
event_type: proposal
---

## Proposal Details
- Project: {project}
- Proposal: {proposal}
- Status: {status}
- Created: {created}
- URL: {url}
- Description: Pay an outside firm 40,000 USDC to audit the treasury bridge before the next upgrade.

## Content

The treasury bridge moves funds between chains; an audit before the upgrade lowers the risk of a loss.

## Raw Data

- Proposal account: `Qm7bridgeAuditProposal111`
- Proposer: `Pr0poserWa11et`
- Autocrat version: 0.3
- Completed: {completed}
- Ended: {completed}
"""


def launch_page(*, project: str = "Lanternfish", status: str = "Complete", launched: str = "2025-05-10",
                closed: str = "2025-05-14", url: str = "https://www.futard.io/launch/LaNtErNfIsH222") -> str:
    return f"""\
---
type: source
title: "Futardio: {project} fundraise goes live"
author: "futard.io"
url: "{url}"
date: {launched}
domain: internet-finance
format: data
status: unprocessed
tags: [futardio]
event_type: launch
---

## Launch Details
- Project: {project}
- Description: Deep-sea sensor network paying node operators in its own token.
- Funding target: $400,000.00
- Total committed: $1,250,000.00
- Status: {status}
- Launch date: {launched}
- URL: {url}

## Links

- Website: https://lanternfish.example
- Twitter: https://x.com/lanternfishnet

## Raw Data

- Launch address: `LaNtErNfIsH222`
- Final raise: $400,000.00
- Closed: {closed}
"""


def base_files(**extra: str) -> dict[str, str]:
    files = {
        DAO_PATH: DAO_NOTE,
        PLATFORM_PATH: PLATFORM_NOTE,
        CLAIM_PATH: CLAIM_NOTE,
        BELIEF_PATH: BELIEF_NOTE,
        "domains/internet-finance/_map.md": f"# Internet finance\n\n- [[{CLAIM}]]\n",
        PROPOSAL_SOURCE: proposal_page(),
        LAUNCH_SOURCE: launch_page(),
        TEST_SOURCE: proposal_page(proposal="Testing the indexer", url="https://www.futard.io/proposal/TeSt333"),
    }
    files.update(extra)
    return files


def teleo_json(root, *args: str) -> dict:
    """`teleo -C root <args> --format json` on the real command line; it must succeed."""
    from conftest import teleo_command

    result = subprocess.run([*teleo_command(), "-C", str(root), *args, "--format", "json"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def git_out(root, *args: str) -> str:
    from conftest import GIT_IDENTITY  # commits need an identity the machine may not configure

    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_IDENTITY}).stdout
