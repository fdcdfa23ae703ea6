"""Reference §4.6's other two edges: an entity reaches beliefs through the claims that cite it, and
a sector resting on a claim (its Market Thesis) is flagged for its `tracked_by` agent."""

from __future__ import annotations

from cascade_helpers import (
    BELIEF_PATH,
    CLAIM_PATH,
    EXTEND_BLOCK,
    ROOT_CLAIM,
    THIRD_CLAIM,
    THIRD_PATH,
    append,
    base_files,
    findings_of,
    write_plan,
)

from teleo.cascade import plan_cascade, read_flags
from teleo.cascade.resolve import plan_resolution
from teleo.vault import Vault

ENTITY = "tidewater-turbines"
ENTITY_PATH = f"entities/space-development/{ENTITY}.md"
IDLE_ENTITY_PATH = "entities/space-development/nobody-cites-me.md"
SECTOR_PATH = "sectors/space-development/tidal-power.md"


def entity(name: str) -> str:
    return f"""\
---
type: entity
entity_type: company
name: "{name}"
domain: space-development
status: active
tracked_by: astra
created: 2026-01-05
---

# {name}

## Timeline

- 2026-01-05 — founded.
"""


SECTOR = f"""\
---
type: sector
name: "Tidal power"
domain: space-development
description: "Who builds tidal arrays, and why predictability is the product."
tracked_by: astra
status: emerging
created: 2026-01-07
---

# Tidal power

## Market Thesis

Predictable output is what buyers pay for.

**Key claim dependencies:**
- [[{ROOT_CLAIM}]] — the predictability the thesis sells

## Competitive Landscape

| Entity | Thesis dependency |
|---|---|
| [[{ENTITY}]] | [[{THIRD_CLAIM}]] |
"""


def vault_with(make_vault) -> Vault:
    files = base_files()
    files[CLAIM_PATH] += f"\nThe first commercial array is run by [[{ENTITY}]].\n"
    files[ENTITY_PATH] = entity("Tidewater Turbines")
    files[IDLE_ENTITY_PATH] = entity("Nobody Cites Me")
    files[SECTOR_PATH] = SECTOR
    return make_vault(files)


def test_an_entity_change_reaches_beliefs_through_the_claims_that_cite_it(make_vault):
    vault = vault_with(make_vault)
    append(vault.root, ENTITY_PATH, "- 2026-03-01 — raised a second round.\n")
    plan = plan_cascade(Vault.open(vault.root), [ENTITY_PATH], commit="0123456789ab", when="2026-03-10", why="entity update")
    flags = {flag.target: flag for flag in plan.flags}
    assert BELIEF_PATH in flags
    assert flags[BELIEF_PATH].changed[0].chain == [ENTITY_PATH, CLAIM_PATH, BELIEF_PATH]
    quiet = plan_cascade(Vault.open(vault.root), [IDLE_ENTITY_PATH], commit="0123456789ab", when="2026-03-10", why="x")
    assert quiet.flags == []


def test_a_sector_resting_on_a_changed_claim_is_flagged_for_its_tracker(make_vault):
    vault = vault_with(make_vault)
    baseline = findings_of(Vault.open(vault.root))
    append(vault.root, CLAIM_PATH, EXTEND_BLOCK)
    plan = plan_cascade(Vault.open(vault.root), [CLAIM_PATH], commit="0123456789ab", when="2026-03-10", why="merge")
    sector = next(flag for flag in plan.flags if flag.target == SECTOR_PATH)
    assert (sector.target_kind, sector.agent, sector.priority) == ("sector", "astra", "normal")
    assert SECTOR_PATH not in plan.under_review and SECTOR_PATH not in plan.files  # flags inform; the sector is not edited
    assert "1 sector" in plan.summary()
    write_plan(vault.root, plan.files)
    after = Vault.open(vault.root)
    assert {f[1] for f in findings_of(after) - baseline} <= {CLAIM_PATH}  # the edit's own source link; flags lint clean
    assert any(flag.target_kind == "sector" for flag in read_flags(after)[0])

    resolution = plan_resolution(after, [sector.id], when="2026-04-01")
    assert resolution.restored == {} and "last_evaluated: 2026-04-01" in resolution.files[SECTOR_PATH]


def test_a_link_outside_the_market_thesis_is_no_dependency(make_vault):
    vault = vault_with(make_vault)
    append(vault.root, THIRD_PATH, EXTEND_BLOCK)
    plan = plan_cascade(Vault.open(vault.root), [THIRD_PATH], commit="0123456789ab", when="2026-03-10", why="merge")
    assert SECTOR_PATH not in {flag.target for flag in plan.flags}
