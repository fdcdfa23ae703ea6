"""The LLM path gets the entity contract through the prompt: the rules, the known entities, the data fields."""

from __future__ import annotations

import json

from entity_fixtures import DAO, PROPOSAL_SOURCE, base_files

from teleo.contract.extraction import ExtractionResult
from teleo.extract.context import build_request
from teleo.extract.prompt import contract_schema, render_prompt


def test_the_prompt_carries_the_entity_rules_the_known_entities_and_the_fields(make_vault):
    vault = make_vault(base_files())
    request = build_request(vault, PROPOSAL_SOURCE, k=0)
    system, user = render_prompt(request, nonce="n0nce")
    assert "# Entities" in system and "No invented values" in system and "decision_market" in system
    assert "entities" in json.loads(contract_schema())["properties"]
    known = user.split("Known entities this source names", 1)[1].split("<source-n0nce>", 1)[0]
    assert f"- {DAO} — QuorumDAO (company, internet-finance, status active)" in known
    assert "- status: Passed" in known and "- proposer: Pr0poserWa11et" in known


def test_a_model_answer_with_entities_validates_against_the_contract():
    answer = {
        "claims": [], "enrichments": [],
        "entities": [{"action": "create", "name": "QuorumDAO: Fund a bridge audit", "entity_type": "decision_market",
                      "status": "passed", "parent": DAO, "fields": {"proposal_date": "2025-04-02"},
                      "timeline": [{"date": "2025-04-02", "event": "proposed"}], "significance": "a treasury decision"}],
        "source_update": {"key_facts": [], "notes": ""},
    }
    result = ExtractionResult.model_validate(answer)
    assert result.problems() == [] and not result.is_null
