"""The entity gates (reference §4.10's checklist) as lint rules and in the proposal gate."""

from __future__ import annotations

import pytest
from entity_fixtures import DAO, DAO_PATH, base_files

from teleo.gates import check
from teleo.gates.proposal import new_errors
from teleo.vault.tree import TreeVault

MARKET = "entities/internet-finance/quorumdao-fund-a-bridge-audit.md"


def market(*, parent: str = DAO, status: str = "passed", proposed: str = "2025-04-02", resolved: str = "2025-04-05",
           name: str = "QuorumDAO: Fund a bridge audit", url: str = "https://www.futard.io/proposal/Qm7") -> str:
    resolution = f"resolution_date: {resolved}\n" if resolved else ""
    return f"""\
---
type: entity
entity_type: decision_market
name: "{name}"
domain: internet-finance
status: {status}
tracked_by: rio
created: 2026-01-20
parent_entity: "[[{parent}]]"
proposal_url: {url}
proposal_date: {proposed}
{resolution}---

# {name}

## Overview

Pay an outside firm to audit the treasury bridge.
"""


def rules_of(make_vault, files: dict[str, str], path: str = MARKET) -> dict[str, list[str]]:
    vault = make_vault(base_files(**files))
    report = check(vault, [path])
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        if finding.rule.startswith("entity-"):
            found.setdefault(finding.rule, []).append(finding.message)
    return found


def test_a_well_formed_decision_market_passes(make_vault):
    assert rules_of(make_vault, {MARKET: market()}) == {}


@pytest.mark.parametrize("text, rule, words", [
    (market(parent="nobody-tracks-this"), "entity-parent", "is not an existing entity"),
    (market(resolved="2025-03-30"), "entity-dates", "is before proposal_date"),
    (market(status="active"), "entity-status", "status active but the market resolved on 2025-04-05"),
    (market(status="emerging"), "entity-status", "active, passed or failed, not 'emerging'"),
    (market(name="QuorumDAO: Testing the indexer"), "entity-significance", "a test or spam entry"),
    (market(name="Unknown: Fund a bridge audit"), "entity-significance", "belongs to no named project"),
])
def test_each_gate_fails_on_its_case(make_vault, text, rule, words):
    found = rules_of(make_vault, {MARKET: text})
    assert rule in found, found
    assert any(words in message for message in found[rule])


def test_a_parent_that_is_no_entity_fails(make_vault):
    found = rules_of(make_vault, {MARKET: market(parent="_map")})
    assert "entity-parent" in found


def test_duplicates_by_name_handle_or_website_across_entities_folders(make_vault):
    copy = base_files()[DAO_PATH].replace("name: QuorumDAO", "name: Quorum Collective").replace(
        "domain: internet-finance", "domain: entertainment")
    vault = make_vault(base_files(**{"entities/entertainment/quorum-collective.md": copy}))
    report = check(vault, [DAO_PATH, "entities/entertainment/quorum-collective.md"], rules=["entity-duplicate"])
    messages = sorted(f"{f.file}: {f.message}" for f in report.findings)
    assert any("handle 'quorumdao'" in m and m.startswith(DAO_PATH) for m in messages)
    assert any("url 'quorumdao.example'" in m for m in messages)


def test_the_proposal_gate_blocks_a_new_bad_entity_but_not_an_old_error_of_an_updated_one(make_vault):
    bad_parent = market(parent="nobody-tracks-this")
    vault = make_vault(base_files(**{"entities/internet-finance/old-test-market.md": market(
        name="QuorumDAO: Testing the old indexer", url="https://www.futard.io/proposal/old")}), git=True)
    tree = TreeVault.at(vault)
    errors = new_errors(tree, {MARKET: bad_parent})
    assert [f.rule for f in errors] == ["entity-parent"]
    dup = market(name="QuorumDAO treasury", url="https://quorumdao.example")  # the DAO's website
    assert "entity-duplicate" in [f.rule for f in new_errors(tree, {MARKET: dup})]
    old = "entities/internet-finance/old-test-market.md"
    edited = vault.note(old).doc.text.replace("## Overview", "## Timeline\n\n- **2025-04-06** — noted\n\n## Overview")
    assert new_errors(tree, {old: edited}) == []  # its significance error was there before
