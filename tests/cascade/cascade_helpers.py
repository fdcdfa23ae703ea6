"""A small vault for the cascade tests: claims, belief files, a `beliefs.md`, positions.

Imported by name (`from cascade_helpers import ...`). Every note is written for these tests.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from teleo.gates import check

ROOT_CLAIM = "tidal power output is predictable years ahead because it follows orbital mechanics"
SECOND_CLAIM = "grid operators value predictable supply above cheap intermittent supply at high renewable shares"
THIRD_CLAIM = "storage costs fall about twenty percent for each doubling of installed capacity"
UNRELATED = "urban beekeeping raises local pollination rates within two kilometres of the hives"
BELIEF = "predictable renewables deserve a capacity premium"
DERIVED_BELIEF = "tidal projects will win long-term grid contracts before wind does"
POSITION = "a tidal array will sign a twenty-year capacity contract by end of 2028"
POSITION_ON_POSITION = "tidal developers will outbid offshore wind for coastal leases by 2030"

CLAIM_PATH = f"domains/space-development/{ROOT_CLAIM}.md"
SECOND_PATH = f"domains/space-development/{SECOND_CLAIM}.md"
THIRD_PATH = f"domains/space-development/{THIRD_CLAIM}.md"
UNRELATED_PATH = f"domains/health/{UNRELATED}.md"
BELIEF_PATH = f"agents/astra/beliefs/{BELIEF}.md"
DERIVED_PATH = f"agents/astra/beliefs/{DERIVED_BELIEF}.md"
POSITION_PATH = f"agents/astra/positions/{POSITION}.md"
POSITION2_PATH = f"agents/astra/positions/{POSITION_ON_POSITION}.md"
BELIEFS_DOC = "agents/astra/beliefs.md"


def claim(title: str, domain: str = "space-development", confidence: str = "experimental", extra: str = "") -> str:
    return f"""\
---
type: claim
domain: {domain}
description: "A fixture claim written for the cascade tests, with enough words to pass the description gate."
confidence: {confidence}
source: "Fixture written for the Teleo test suite, 2026"
created: 2026-01-05
{extra}---

# {title}

The argument for this claim is made here in a couple of plain sentences, with a figure: 12 percent.

Topics: [[_map]]
"""


def belief(title: str, depends: list[str], grounding: list[str] | None = None, *, status: str = "active",
           extra: str = "") -> str:
    entries = "".join(f'  - "[[{d}]]"\n' for d in depends)
    links = "".join(f"- [[{g}]] — grounding\n" for g in (grounding if grounding is not None else depends))
    return f"""\
---
type: belief
agent: astra
domain: space-development
description: "A fixture belief for the cascade tests."
level: hypothesis
confidence: moderate
depends_on:
{entries}created: 2026-01-06
status: {status}
{extra}---

# {title}

The conclusion of this belief is stated here and must never be edited by the cascade.

## Grounding

{links}
## Challenges Considered

Storage could make predictability worthless; the premium would then vanish.
"""


def position(title: str, depends: list[str], *, status: str = "active") -> str:
    entries = "".join(f'  - "[[{d}]]"\n' for d in depends)
    return f"""\
---
type: position
agent: astra
domain: space-development
description: "A fixture position for the cascade tests."
status: {status}
outcome: pending
confidence: moderate
depends_on:
{entries}time_horizon: "end of 2028"
performance_criteria: "A signed contract of twenty years or more"
invalidation_criteria: "No such contract by 2028-12-31"
proposed_by: astra
created: 2026-01-07
---

# {title}

The position's argument, which the cascade never edits.
"""


BELIEFS_MD = f"""\
# Astra's Beliefs

## Active Beliefs

### 1. Predictable renewables deserve a capacity premium *(keystone — [full file](beliefs/predictable%20renewables%20deserve%20a%20capacity%20premium.md))*

Summary of the belief file.

**Grounding:** [[{ROOT_CLAIM}]], [[{SECOND_CLAIM}]]

---

### 2. Storage will not close the predictability gap before 2030

Batteries are cheap per kilowatt but not per week of storage.

**Grounding:**
- [[{THIRD_CLAIM}]] — the learning rate
- [[{SECOND_CLAIM}]] — what operators pay for

**Disconfirmation target:** a week-long storage product under fifty dollars per kilowatt-hour.
See also [[{UNRELATED}]] (outside the grounding block: not a dependency).
"""

MAP = f"# space development\n\n- [[{ROOT_CLAIM}]]\n- [[{SECOND_CLAIM}]]\n- [[{THIRD_CLAIM}]]\n"


def base_files() -> dict[str, str]:
    """Claim → belief → derived belief → position → position, plus a beliefs.md and an unrelated claim."""
    return {
        CLAIM_PATH: claim(ROOT_CLAIM),
        SECOND_PATH: claim(SECOND_CLAIM),
        THIRD_PATH: claim(THIRD_CLAIM),
        UNRELATED_PATH: claim(UNRELATED, domain="health"),
        "domains/space-development/_map.md": MAP,
        "domains/health/_map.md": f"# health\n\n- [[{UNRELATED}]]\n",
        BELIEF_PATH: belief(BELIEF, [ROOT_CLAIM, SECOND_CLAIM]),
        DERIVED_PATH: belief(DERIVED_BELIEF, [BELIEF], grounding=[]),
        POSITION_PATH: position(POSITION, [DERIVED_BELIEF]),
        POSITION2_PATH: position(POSITION_ON_POSITION, [POSITION], status="proposed"),
        BELIEFS_DOC: BELIEFS_MD,
    }


EXTEND_BLOCK = """
### Additional Evidence (extend)
*Source: [[2026-03-10-fixture-source]] | Added: 2026-03-10 | Extractor: offline*

A second tidal site matched its forecast output to within two percent.
"""

CHALLENGE_BLOCK = """
### Additional Evidence (challenge)
*Source: [[2026-03-10-fixture-source]] | Added: 2026-03-10 | Extractor: offline*

One site lost a quarter of its output to turbine fouling, which no tide table predicts.
"""


def append(root: Path, path: str, text: str) -> None:
    full = root / path
    full.write_text(full.read_text(encoding="utf-8") + text, encoding="utf-8")


def commit_all(root: Path, message: str = "change") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", message], check=True, env=env)
    return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def write_plan(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text, encoding="utf-8")


def findings_of(vault) -> set[tuple[str, str, str]]:
    """(rule, file, message) of every finding, to compare lint before and after."""
    return {(f.rule, f.file, f.message) for f in check(vault).findings}
