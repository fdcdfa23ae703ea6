"""An entity's other names (`aliases:` — the reference's entity schema has no field for them) are searched
wherever its name is: a lookup by name, a mention in a source, a data page's project, the duplicate gate."""

from __future__ import annotations

import datetime as dt

from entity_fixtures import DAO, DAO_NOTE, DAO_PATH, base_files, proposal_page

from teleo.extract.context import build_request, source_text
from teleo.extract.data import entities_from_data
from teleo.extract.prompt import render_prompt
from teleo.extract.writer import build_proposal
from teleo.gates import check
from teleo.gates.entities import EntityIndex
from teleo.notes import parse_document

ALIASED = DAO_NOTE.replace("status: active\n", "status: active\naliases: [Quorum Collective, \"QDAO\"]\n")
PAGE = "inbox/archive/2025-06-01-futardio-proposal-renew-the-audit.md"


def test_an_alias_finds_the_entity_by_name_and_in_a_text(make_vault):
    vault = make_vault(base_files(**{DAO_PATH: ALIASED}))
    index = EntityIndex.of(vault)
    assert [r.path for r in index.find("Quorum Collective")] == [DAO_PATH]
    assert [r.path for r in index.find("quorum-collective")] == [DAO_PATH]  # normalised as a name is
    assert [r.path for r in index.mentioned("The QDAO treasury voted.")] == [DAO_PATH]
    assert index.find("Quorum Commons") == []


def test_without_the_alias_the_same_lookups_find_nothing(make_vault):
    vault = make_vault(base_files())
    index = EntityIndex.of(vault)
    assert index.find("Quorum Collective") == [] and index.mentioned("The QDAO treasury voted.") == []


def test_a_data_page_naming_the_project_by_an_alias_updates_that_entity(make_vault):
    page = proposal_page(project="Quorum Collective", proposal="Renew the audit", created="2025-06-01",
                         completed="2025-06-04", url="https://www.futard.io/proposal/ReNeWaUdIt555")
    vault = make_vault(base_files(**{DAO_PATH: ALIASED, PAGE: page}))
    request = build_request(vault, PAGE, k=0)
    known = {e.title: e for e in request.entities}
    assert known[DAO].aliases == ["Quorum Collective", "QDAO"]
    assert "also called Quorum Collective, QDAO" in render_prompt(request)[1]
    result = entities_from_data(request)
    [market] = result.entities
    assert (market.action, market.entity_type, market.parent) == ("create", "decision_market", DAO)
    files = build_proposal(vault, vault.note(PAGE), result, text=source_text(vault.note(PAGE)), agent="rio",
                           domain="internet-finance", provider="offline", model="offline", today=dt.date(2026, 1, 20))
    assert DAO_PATH in files.entities_updated
    assert f"[[{files.entities_created[0].rsplit('/', 1)[-1].removesuffix('.md')}]]" in files.files[DAO_PATH]
    assert parse_document(files.files[PAGE]).data["status"] == "processed"


def test_an_alias_that_is_another_entitys_name_is_a_duplicate(make_vault):
    other = DAO_NOTE.replace("name: QuorumDAO", "name: Quorum Collective").replace('handles: ["@quorumdao"]\n', "") \
        .replace("website: https://quorumdao.example\n", "")
    vault = make_vault(base_files(**{DAO_PATH: ALIASED, "entities/internet-finance/quorum-collective.md": other}))
    report = check(vault, rules=["entity-duplicate"])
    paths = {f.file for f in report.findings if f.rule == "entity-duplicate"}
    assert paths == {DAO_PATH, "entities/internet-finance/quorum-collective.md"}
