"""Entity extraction (issue 15.1): lookup keys, the data mapping, the writer's grounding, dedupe,
significance and parent updates — on a vault written for these tests."""

from __future__ import annotations

import datetime as dt

import pytest
from entity_fixtures import (
    DAO,
    DAO_PATH,
    LAUNCH_SOURCE,
    PLATFORM_PATH,
    PROPOSAL_SOURCE,
    TEST_SOURCE,
    base_files,
    proposal_page,
)

from teleo.contract.extraction import EntityDraft, ExtractionResult, TimelineEntry
from teleo.extract.context import build_request, source_text
from teleo.extract.data import data_fields, entities_from_data
from teleo.extract.writer import build_proposal
from teleo.gates.entities import EntityIndex, handle_key, name_key, slugify, url_key
from teleo.notes import parse_document
from teleo.notes.schema import ENTITY_TYPES

TODAY = dt.date(2026, 1, 20)


@pytest.fixture
def vault(make_vault):
    return make_vault(base_files())


def propose(vault, source: str, result: ExtractionResult | None = None):
    note = vault.note(source)
    if result is None:
        result = entities_from_data(build_request(vault, source, k=0))
    return build_proposal(vault, note, result, text=source_text(note), agent="rio", domain="internet-finance",
                          provider="offline", model="offline", today=TODAY)


def fm(text: str) -> dict:
    return parse_document(text).data


def test_the_contract_knows_every_entity_type_of_the_schema():
    from typing import get_args

    from teleo.contract.extraction import EntityType

    assert get_args(EntityType) == ENTITY_TYPES


def test_identity_keys_are_normalised():
    assert name_key("Meta-DAO") == name_key("metadao") == name_key("MetaDAO") == "metadao"
    assert handle_key("@QuorumDAO") == handle_key("https://x.com/quorumdao/") == "quorumdao"
    assert url_key("https://www.QuorumDAO.example/") == url_key("quorumdao.example") == "quorumdao.example"
    assert slugify("QuorumDAO: Fund a bridge audit?") == "quorumdao-fund-a-bridge-audit"


def test_lookup_searches_every_entities_folder_by_name_handle_and_website(make_vault):
    other = base_files()[DAO_PATH].replace("domain: internet-finance", "domain: entertainment")
    vault = make_vault({"entities/entertainment/quorum.md": other})
    index = EntityIndex.of(vault)
    path = "entities/entertainment/quorum.md"
    assert [r.path for r in index.find("Quorum DAO")] == [path]
    assert [r.path for r in index.find("nothing", handles=["@QUORUMDAO"])] == [path]
    assert [r.path for r in index.find("nothing", website="http://quorumdao.example/")] == [path]
    assert index.find("Lanternfish") == []


def test_data_fields_read_frontmatter_extras_then_the_data_sections(make_vault):
    page = proposal_page().replace("event_type: proposal\n", "event_type: proposal\nproject: Quorum Treasury\n")
    vault = make_vault({PROPOSAL_SOURCE: page})
    fields = data_fields(vault.note(PROPOSAL_SOURCE))
    assert fields["project"] == "Quorum Treasury"  # the frontmatter wins
    assert fields["status"] == "Passed" and fields["completed"] == "2025-04-05"
    assert fields["proposer"] == "Pr0poserWa11et"  # backticks dropped
    assert fields["event_type"] == "proposal"


def test_a_proposal_yields_a_decision_market_first_then_the_parent_timeline_and_key_decision(vault):
    request = build_request(vault, PROPOSAL_SOURCE, k=0)
    assert DAO in [e.title for e in request.entities]
    result = entities_from_data(request)
    assert not result.claims  # a claim only for a novel mechanism: not judged offline
    [market] = result.entities
    assert (market.action, market.entity_type, market.status, market.parent) == (
        "create", "decision_market", "passed", DAO)
    files = propose(vault, PROPOSAL_SOURCE, result)
    new = "entities/internet-finance/quorumdao-fund-a-bridge-audit.md"
    assert files.entities_created == [new] and files.entities_updated == [DAO_PATH]
    data = fm(files.files[new])
    assert data["parent_entity"] == f"[[{DAO}]]"
    assert (data["proposal_date"], data["resolution_date"], data["status"]) == ("2025-04-02", "2025-04-05", "passed")
    assert data["tracked_by"] == "rio" and data["created"] == "2026-01-20"
    parent = files.files[DAO_PATH]
    assert "- **2025-04-02** — [[quorumdao-fund-a-bridge-audit]] passed" in parent
    assert "| 2025-04-02 | [[quorumdao-fund-a-bridge-audit]] | Pr0poserWa11et |  | Passed |" in parent
    assert "- [[quorumdao-fund-a-bridge-audit]] — decision market" in parent.split("Relevant Entities:")[1]
    assert fm(parent)["last_updated"] == "2026-01-20"
    source = fm(files.files[PROPOSAL_SOURCE])
    assert source["status"] == "processed"
    assert source["entities_created"] == ["quorumdao-fund-a-bridge-audit"] and source["entities_updated"] == [DAO]


def test_a_test_proposal_is_no_entity_only_a_timeline_line_on_its_parent(vault):
    result = entities_from_data(build_request(vault, TEST_SOURCE, k=0))
    [draft] = result.entities
    assert draft.action == "update" and draft.name == DAO
    files = propose(vault, TEST_SOURCE, result)
    assert files.entities_created == [] and files.entities_updated == [DAO_PATH]
    assert "Testing the indexer" in files.files[DAO_PATH]


def test_a_proposal_already_tracked_is_updated_not_duplicated(vault):
    first = propose(vault, PROPOSAL_SOURCE)
    market = first.entities_created[0]
    tracked = first.files[market].replace("status: passed", "status: active").replace("resolution_date: 2025-04-05\n", "")
    again = vault.__class__.open(vault.root)
    (again.root / market).parent.mkdir(parents=True, exist_ok=True)
    (again.root / market).write_text(tracked, encoding="utf-8")
    again = vault.__class__.open(vault.root)
    files = propose(again, PROPOSAL_SOURCE)
    assert files.entities_created == [] and market in files.entities_updated
    data = fm(files.files[market])
    assert data["status"] == "passed" and data["resolution_date"] == "2025-04-05"


def test_a_launch_creates_the_company_and_its_fundraise_under_it(vault):
    files = propose(vault, LAUNCH_SOURCE)
    company = "entities/internet-finance/lanternfish.md"
    market = "entities/internet-finance/lanternfish-futardio-fundraise.md"
    assert files.entities_created == [company, market]
    data = fm(files.files[company])
    assert (data["entity_type"], data["status"], data["parent"]) == ("company", "active", "[[futardio]]")
    assert data["handles"] == ["@lanternfishnet"] and data["website"] == "https://lanternfish.example"
    assert data["funding_target"] == "$400,000.00" and data["amount_raised"] == "$400,000.00"
    assert "- **2025-05-14** — Raise closed, status Complete" in files.files[company]
    deal = fm(files.files[market])
    assert (deal["parent_entity"], deal["status"], deal["category"]) == ("[[lanternfish]]", "passed", "fundraise")
    assert "[[lanternfish-futardio-fundraise]]" in files.files[company]  # the parent's timeline and Key Decisions
    assert PLATFORM_PATH in files.entities_updated  # the platform lists its new child


def test_no_invented_values_each_is_found_in_the_source_or_dropped(vault):
    draft = EntityDraft(
        action="create", name="QuorumDAO: Fund a bridge audit", entity_type="decision_market", status="failed",
        parent=DAO, significance="a treasury decision",
        fields={"proposal_date": "2025-04-02", "pass_volume": "$9,999,999", "proposer": "Pr0poserWa11et"},
        handles=["@madeup"], timeline=[TimelineEntry(date="2031-01-01", event="an invented event")],
    )
    invented = EntityDraft(action="create", name="Zephyr Capital", entity_type="fund", significance="big",
                           summary="a fund")
    files = propose(vault, PROPOSAL_SOURCE, ExtractionResult(entities=[draft, invented]))
    reasons = " | ".join(d.reason for d in files.dropped)
    assert "status 'failed' is not what the source says" in reasons
    assert "pass_volume '$9,999,999' is not in the source" in reasons
    assert "a handle is not in the source" in reasons and "a timeline date is not in the source" in reasons
    assert "the name is not in the source" in reasons
    [path] = files.entities_created
    data = fm(files.files[path])
    assert "pass_volume" not in data and "handles" not in data and data["proposer"] == "Pr0poserWa11et"
    assert data["status"] == "active"  # the ungrounded 'failed' dropped, not replaced by a guess
    assert "2031" not in files.files[path]


def test_a_creation_matching_an_existing_entity_updates_it_and_another_domain_gains_secondary_domains(make_vault):
    config = """\
        [agents.leo]
        role = "evaluator"
        [agents.rio]
        role = "proposer"
        territory = ["domains/internet-finance/", "entities/internet-finance/", "entities/entertainment/", "inbox/archive/"]
        [agents.clay]
        role = "proposer"
        [domains.internet-finance]
        folder = "domains/internet-finance"
        agent = "rio"
        [domains.entertainment]
        folder = "domains/entertainment"
        agent = "clay"
        """
    moved = base_files()[DAO_PATH].replace("domain: internet-finance", "domain: entertainment")
    files = base_files()
    del files[DAO_PATH]
    vault = make_vault({**files, "entities/entertainment/quorum-collective.md": moved}, config=config)
    draft = EntityDraft(action="create", name="QuorumDAO", entity_type="company", significance="tracked DAO",
                        website="https://quorumdao.example", summary="a DAO",
                        timeline=[TimelineEntry(date="2025-04-02", event="proposed a bridge audit")])
    out = propose(vault, PROPOSAL_SOURCE, ExtractionResult(entities=[draft]))
    assert out.entities_created == [] and out.entities_updated == ["entities/entertainment/quorum-collective.md"]
    data = fm(out.files["entities/entertainment/quorum-collective.md"])
    assert data["secondary_domains"] == ["internet-finance"]
    assert any("not created: entities/entertainment/quorum-collective.md is the same entity" in d.reason
               for d in out.dropped)


def test_an_entity_outside_the_territory_is_not_touched(make_vault):
    moved = base_files()[DAO_PATH].replace("domain: internet-finance", "domain: entertainment")
    files = base_files()
    del files[DAO_PATH]
    vault = make_vault({**files, "entities/entertainment/quorum-collective.md": moved})
    draft = EntityDraft(action="update", name="QuorumDAO",
                        timeline=[TimelineEntry(date="2025-04-02", event="proposed a bridge audit")])
    out = propose(vault, PROPOSAL_SOURCE, ExtractionResult(entities=[draft], source_update={"notes": "x"}))
    assert "entities/entertainment/quorum-collective.md" not in out.files
    assert any("outside rio's territory" in d.reason for d in out.dropped)


def test_an_insignificant_creation_is_refused(vault):
    drafts = [
        EntityDraft(action="create", name="Project", entity_type="company", significance="x", summary="y"),
        EntityDraft(action="create", name="QuorumDAO: Testing the indexer", entity_type="decision_market",
                    parent=DAO, significance="x", fields={"proposal_date": "2025-04-03"}),
        EntityDraft(action="create", name="Bridge", entity_type="product", significance="x"),
    ]
    out = propose(vault, TEST_SOURCE, ExtractionResult(entities=drafts, source_update={"notes": "x"}))
    assert out.entities_created == []
    assert sum(d.reason.startswith("not significant") for d in out.dropped) == 3


def test_a_second_run_adds_no_timeline_line_twice(vault):
    first = propose(vault, TEST_SOURCE)
    (vault.root / DAO_PATH).write_text(first.files[DAO_PATH], encoding="utf-8")
    again = propose(vault.__class__.open(vault.root), TEST_SOURCE)
    assert DAO_PATH not in again.entities_updated
    assert any("nothing to update" in d.reason for d in again.dropped)


def test_a_creation_needs_a_type_and_a_reason():
    result = ExtractionResult(entities=[EntityDraft(action="create", name="Lanternfish")])
    assert result.problems() == [
        "entity 'Lanternfish': a creation needs entity_type",
        "entity 'Lanternfish': a creation needs significance (why it is worth tracking)",
    ]
    assert not result.is_null


def test_an_older_page_does_not_reopen_a_resolved_market_and_nothing_new_is_a_null_result(vault):
    first = propose(vault, PROPOSAL_SOURCE)
    market = first.entities_created[0]
    (vault.root / market).write_text(first.files[market], encoding="utf-8")
    older = proposal_page(status="Active", completed="")
    (vault.root / PROPOSAL_SOURCE).write_text(older, encoding="utf-8")
    again = propose(vault.__class__.open(vault.root), PROPOSAL_SOURCE)
    assert market not in again.files  # still passed
    assert any("is terminal" in d.reason for d in again.dropped)
    assert again.status == "null-result"
    notes = fm(again.files[PROPOSAL_SOURCE])["notes"]
    assert "already tracked" in notes


def test_a_proposal_title_repeating_its_project_is_not_named_twice(make_vault):
    page = proposal_page(proposal="QuorumDAO Treasury Top-up", url="https://www.futard.io/proposal/TopUp444")
    vault = make_vault(base_files(**{PROPOSAL_SOURCE: page}))
    [market] = entities_from_data(build_request(vault, PROPOSAL_SOURCE, k=0)).entities
    assert market.name == "QuorumDAO: Treasury Top-up"


def test_a_new_key_decisions_table_holds_its_rows_and_a_timeline_line_stays_in_the_list():
    """A row right under the header it creates (a blank line between them ends a markdown table), and a
    timeline line after the list's last entry, not after the provenance line that follows the list."""
    from teleo.extract.entity_writer import add_key_decision, add_timeline
    from teleo.extract.writer import append_block

    text = ("---\ntype: entity\n---\n\n# X\n\n## Timeline\n\n- **2025-01-01** \u2014 a\n\n*Source: [[s]]*\n\n---\n\n"
            "Relevant Entities:\n- [[p]] \u2014 parent\n")
    text = add_timeline(text, ["- **2025-02-02** \u2014 b"], append_block)
    assert "- **2025-01-01** \u2014 a\n- **2025-02-02** \u2014 b\n\n*Source: [[s]]*" in text
    text = add_key_decision(text, {"date": "2025-02-02", "proposal": "[[m]]", "outcome": "Active"}, "m", append_block)
    text = add_key_decision(text, {"date": "2025-03-03", "proposal": "[[n]]", "outcome": "Passed"}, "n", append_block)
    assert ("|------|----------|----------|--------|---------|\n| 2025-02-02 | [[m]] |  |  | Active |\n"
            "| 2025-03-03 | [[n]] |  |  | Passed |\n") in text
