"""Agent gates: belief grounding (files and aggregate beliefs.md), position criteria and counts, staleness."""

from __future__ import annotations

import datetime as dt

from teleo.gates import Severity, check
from teleo.gates.rules.agents import parse_date
from teleo.vault import Vault

TODAY = dt.date(2026, 11, 26)
CLAIMS = [f"claim number {word} states a mechanism clearly" for word in ("one", "two", "three", "four", "five")]


def claim_files() -> dict[str, str]:
    return {f"domains/internet-finance/{t}.md": "---\ntype: claim\n---\n\n# t\n" for t in CLAIMS}


def run(vault: Vault, rule: str):
    return [f for f in check(vault, rules=[rule], today=TODAY).findings if f.rule == rule]


# -- belief-grounding: per-belief files ------------------------------------------


def belief(level: str, depends: list[str], grounding: list[str] = ()) -> str:
    """depends_on on line 6."""
    lines = ["---", "type: belief", "agent: rio", "domain: internet-finance", f"level: {level}", "depends_on:"]
    lines += [f'  - "{d}"' for d in depends]
    lines += ["created: 2026-03-01", "---", "", "# markets beat votes", "", "## Grounding", ""]
    lines += [f"- [[{g}]] -- why" for g in grounding]
    lines += ["", "## Challenges Considered", "", f"- [[{CLAIMS[4]}]] -- not grounding", ""]
    return "\n".join(lines)


def test_belief_file_grounded(make_vault):
    files = claim_files() | {"agents/rio/beliefs/markets beat votes.md": belief("belief", CLAIMS[:2], [CLAIMS[2]])}
    assert run(make_vault(files), "belief-grounding") == []


def test_belief_file_axiom_needs_five(make_vault):
    text = belief("axiom", [f"[[{CLAIMS[0]}]]", "a claim that does not exist"], CLAIMS[1:3])
    files = claim_files() | {"agents/rio/beliefs/markets beat votes.md": text}
    [finding] = run(make_vault(files), "belief-grounding")
    assert finding.line == 6 and finding.field == "depends_on"
    assert "grounded in 3 resolving claims" in finding.message and "at least 5" in finding.message
    assert "2 more" in finding.suggestion


def test_belief_file_default_level_is_belief(make_vault):
    text = belief("weird-level", [CLAIMS[0]])
    files = claim_files() | {"agents/rio/beliefs/markets beat votes.md": text}
    [finding] = run(make_vault(files), "belief-grounding")
    assert "a belief needs at least 3" in finding.message


def test_belief_file_unconvinced_needs_none(make_vault):
    files = claim_files() | {"agents/rio/beliefs/markets beat votes.md": belief("unconvinced", [])}
    assert run(make_vault(files), "belief-grounding") == []


# -- belief-grounding: aggregate beliefs.md --------------------------------------

BELIEFS_DOC = f"""# Rio's Beliefs

## Active Beliefs

### 1. Markets beat votes for information aggregation

Argument.

**Grounding:**
- [[{CLAIMS[0]}]] -- one
- [[{CLAIMS[1]}]] -- two
- [[{CLAIMS[2]}]] -- three

**Challenges considered:** [[{CLAIMS[3]}]] does not count.

---

### 2. Ownership alignment turns network effects generative

**Grounding:** [[{CLAIMS[0]}]], [[a claim nobody wrote]]

**Challenges considered:** [[{CLAIMS[1]}]], [[{CLAIMS[2]}]]

### 3. A belief with no grounding at all

Just prose.

## Belief Evaluation Protocol
"""


def test_beliefs_doc_sections(make_vault):
    findings = run(make_vault(claim_files() | {"agents/rio/beliefs.md": BELIEFS_DOC}), "belief-grounding")
    assert [(f.line, f.severity) for f in findings] == [(18, Severity.WARNING), (24, Severity.WARNING)]
    assert "belief 2" in findings[0].message and "grounded in 1 resolving claims" in findings[0].message
    assert "belief 3" in findings[1].message and "no **Grounding:**" in findings[1].message
    assert findings[1].suggestion


# -- position-criteria -----------------------------------------------------------

COMPLETE_POSITION = """---
type: position
agent: rio
domain: internet-finance
status: active
outcome: pending
confidence: moderate
time_horizon: "2030"
depends_on:
  - "[[markets beat votes]]"
performance_criteria: "MetaDAO hosts more than 50 launches by 2030"
proposed_by: rio
created: 2026-03-01
---

# metadao wins

## Performance Criteria

**Validates if:** more than 50 launches.

**Invalidates if:** fewer than 10 launches by 2028.
"""


def test_position_complete(make_vault):
    assert run(make_vault({"agents/rio/positions/metadao wins.md": COMPLETE_POSITION}), "position-criteria") == []


def test_position_criteria_in_sections_only(make_vault):
    text = COMPLETE_POSITION.replace('time_horizon: "2030"\n', "").replace(
        'performance_criteria: "MetaDAO hosts more than 50 launches by 2030"\n', ""
    ) + "\n**Time horizon:** 2030.\n"
    assert run(make_vault({"agents/rio/positions/metadao wins.md": text}), "position-criteria") == []


def test_position_missing_everything(make_vault):
    text = "---\ntype: position\nagent: rio\nstatus: active\ndepends_on: []\n---\n\n# vague hope\n\nProse.\n"
    vault = make_vault({"agents/rio/positions/vague hope.md": text})
    findings = run(vault, "position-criteria")
    assert {f.field for f in findings} == {"invalidation_criteria"}
    assert all(f.suggestion for f in findings)
    # presence of the required fields is reported once, by schema-required, as errors
    required = {f.field: f for f in run(vault, "schema-required")}
    assert {"performance_criteria", "time_horizon", "depends_on"} <= set(required)
    assert required["depends_on"].line == 5


def test_position_invalidation_missing_points_at_section(make_vault):
    text = COMPLETE_POSITION.replace("**Invalidates if:** fewer than 10 launches by 2028.\n", "")
    [finding] = run(make_vault({"agents/rio/positions/metadao wins.md": text}), "position-criteria")
    assert finding.field == "invalidation_criteria" and finding.line == 18


# -- position-active-count -------------------------------------------------------


def position(n: int, status: str = "active", agent: str = "rio") -> str:
    return f"---\ntype: position\nagent: {agent}\nstatus: {status}\ncreated: 2026-03-{n:02d}\n---\n\n# p{n}\n"


def test_active_count_within_limit(make_vault):
    files = {f"agents/rio/positions/p{n}.md": position(n) for n in range(1, 6)}
    files["agents/rio/positions/p6.md"] = position(6, status="closed")
    files["agents/clay/positions/c1.md"] = position(7, agent="clay")
    assert run(make_vault(files), "position-active-count") == []


def test_active_count_over_limit_flags_newest(make_vault):
    files = {f"agents/rio/positions/p{n}.md": position(n, "adopted" if n == 3 else "active") for n in range(1, 8)}
    findings = run(make_vault(files), "position-active-count")
    assert [f.file for f in findings] == ["agents/rio/positions/p6.md", "agents/rio/positions/p7.md"]
    assert findings[0].line == 4 and "7 active/adopted positions" in findings[0].message
    assert "status: closed" in findings[0].suggestion


# -- stale -----------------------------------------------------------------------


def musing(status: str, created: str, updated: str | None = None) -> str:
    lines = ["---", "type: musing", "agent: rio", "title: idea", f"status: {status}", f"created: {created}"]
    if updated:
        lines.append(f"updated: {updated}")
    return "\n".join(lines + ["---", "", "Idea.", ""])


def test_stale_fresh_notes_pass(make_vault):
    files = {
        "agents/rio/musings/a.md": musing("seed", "2026-01-01", updated="2026-11-00"),  # 00 → 11-01: 25 days
        "agents/rio/musings/b.md": musing("developing", "2025-01-01"),  # only seeds go stale
        "agents/rio/musings/c.md": musing("seed", "not a date"),  # schema-date's job
        "sectors/internet-finance/dex.md": "---\ntype: sector\nlast_updated: 2026-10-01\ncreated: 2025-01-01\n---\n",
        "entities/internet-finance/metadao.md": "---\ntype: entity\ncreated: 2026-09-01\n---\n",
    }
    assert run(make_vault(files), "stale") == []


def test_stale_old_notes(make_vault):
    files = {
        "agents/rio/musings/a.md": musing("seed", "2026-01-01", updated="2026-10-00"),
        "sectors/internet-finance/dex.md": "---\ntype: sector\ncreated: 2026-09-01\n---\n",
        "entities/internet-finance/metadao.md": (
            "---\ntype: entity\nlast_updated: 2026-08-01\ncreated: 2025-01-01\n---\n"
        ),
    }
    findings = {f.file: f for f in run(make_vault(files), "stale")}
    assert set(findings) == set(files)
    seed = findings["agents/rio/musings/a.md"]
    assert seed.severity == Severity.INFO and seed.line == 7 and seed.field == "updated"
    assert "56 days ago" in seed.message and "after 30 days" in seed.message
    assert findings["sectors/internet-finance/dex.md"].field == "created"
    entity = findings["entities/internet-finance/metadao.md"]
    assert entity.line == 3 and "after 90 days" in entity.message and entity.suggestion


def test_parse_date():
    assert parse_date("2026-00-00") == dt.date(2026, 1, 1)
    assert parse_date("2026-02-31") is None
    assert parse_date(dt.date(2026, 1, 2)) == dt.date(2026, 1, 2)
    assert parse_date(["2026-01-01"]) is None and parse_date(True) is None and parse_date(None) is None


# -- odd input -------------------------------------------------------------------

ODD_VALUES = ["", "null", "[]", "{}", "[a, [b, c]]", "{a: 1}", "42", "true", "2026-13-45", "[[x]]"]
ODD_KEYS = (
    "title", "description", "confidence", "challenged_by", "status", "claims_extracted", "enrichments",
    "enrichments_applied", "notes", "processed_by", "author", "date", "level", "depends_on", "agent",
    "time_horizon", "performance_criteria", "invalidation_criteria", "created", "updated", "last_updated",
)


def test_odd_frontmatter_values_never_raise(make_vault):
    files = {}
    for index, value in enumerate(ODD_VALUES):
        fm = "\n".join(f"{key}: {value}" for key in ODD_KEYS)
        for kind, folder in (
            ("claim", "domains/health"), ("source", "inbox/archive"), ("belief", "agents/rio/beliefs"),
            ("position", "agents/rio/positions"), ("musing", "agents/rio/musings"), ("sector", "sectors/health"),
            ("entity", "entities/health"), ("conviction", "convictions"),
        ):
            body = "# \n\n### 1. x\n**Grounding:**\n"
            files[f"{folder}/odd {kind} {index}.md"] = f"---\ntype: {kind}\n{fm}\n---\n\n{body}"
    files["agents/rio/beliefs.md"] = "### 1. a\n\n**Grounding:** [[]] [[ ]]\n\n### 2.\n"
    report = check(make_vault(files), today=TODAY)
    assert report.summary.files == len(files)
