"""The entity merge (`teleo.extract.entity_merge`): a proposal that only appended entity lines merges onto
a main that changed the same file; anything else is a real conflict (None). Texts written for these tests."""

from __future__ import annotations

from entity_fixtures import DAO_NOTE

from teleo.extract.entity_merge import merge_entity
from teleo.extract.entity_writer import add_key_decision, add_relevant_entity, add_timeline
from teleo.extract.writer import append_block
from teleo.notes import parse_document, set_field

PATH = "entities/internet-finance/quorumdao.md"
BASE = DAO_NOTE


def sibling(text: str, slug: str, date: str, *, updated: str = "2026-12-06") -> str:
    """What the entity writer does to a parent for one new decision market."""
    text = add_timeline(text, [f"- **{date}** \u2014 [[{slug}]] passed"], append_block)
    text = add_relevant_entity(text, f"- [[{slug}]] \u2014 decision market")
    cells = {"date": date, "proposal": f"[[{slug}]]", "proposer": "Pr0poser", "category": "Treasury", "outcome": "Passed"}
    text = add_key_decision(text, cells, slug, append_block)
    return set_field(parse_document(text), "last_updated", updated)


def lines_of(text: str, needle: str) -> int:
    return sum(1 for line in text.splitlines() if needle in line)


def test_two_siblings_appending_to_one_parent_merge_with_every_line_once():
    first = sibling(BASE, "quorumdao-fund-an-audit", "2025-04-02")
    second = sibling(BASE, "quorumdao-hire-a-designer", "2025-05-01")
    merged = merge_entity(PATH, BASE, first, second)
    assert merged is not None
    for slug in ("quorumdao-fund-an-audit", "quorumdao-hire-a-designer"):
        assert lines_of(merged, f"[[{slug}]] passed") == 1  # timeline
        assert lines_of(merged, f"- [[{slug}]] \u2014 decision market") == 1  # relevant entities
        assert lines_of(merged, f"| [[{slug}]] |") == 1  # key decisions row
    body = parse_document(merged).body
    timeline = body[body.index("## Timeline"):body.index("## Key Decisions")]
    assert timeline.index("quorumdao-fund-an-audit") < timeline.index("quorumdao-hire-a-designer")  # main's first
    table = body[body.index("## Key Decisions"):body.index("Relevant Entities")]
    assert "| 2025-05-01 | [[quorumdao-hire-a-designer]] | Pr0poser | Treasury | Passed |" in table
    assert lines_of(merged, "[[futardio]]") == 1 and lines_of(merged, "DAO launched its first market") == 1
    assert parse_document(merged).data["last_updated"] == "2026-12-06"
    # the same result as the writer applying the second sibling on the first's text
    assert merged == sibling(first, "quorumdao-hire-a-designer", "2025-05-01")


def test_a_line_main_already_holds_is_not_repeated():
    first = sibling(BASE, "quorumdao-fund-an-audit", "2025-04-02")
    both = sibling(first, "quorumdao-hire-a-designer", "2025-05-01")
    merged = merge_entity(PATH, BASE, both, first)
    assert merged == both


def test_the_later_last_updated_wins_and_handles_are_joined():
    first = set_field(parse_document(sibling(BASE, "quorumdao-a", "2025-04-02", updated="2026-12-07")), "handles",
                      ["@quorumdao", "@quorum_ops"])
    second = set_field(parse_document(sibling(BASE, "quorumdao-b", "2025-05-01", updated="2026-12-05")), "handles",
                       ["@quorumdao", "@quorum_treasury"])
    data = parse_document(merge_entity(PATH, BASE, first, second)).data
    assert data["last_updated"] == "2026-12-07"
    assert data["handles"] == ["@quorumdao", "@quorum_ops", "@quorum_treasury"]


def test_a_field_main_left_alone_takes_the_proposals_value():
    first = sibling(BASE, "quorumdao-a", "2025-04-02")
    second = set_field(parse_document(sibling(BASE, "quorumdao-b", "2025-05-01")), "status", "inactive")
    assert parse_document(merge_entity(PATH, BASE, first, second)).data["status"] == "inactive"


def test_a_field_both_changed_differently_is_a_real_conflict():
    first = set_field(parse_document(sibling(BASE, "quorumdao-a", "2025-04-02")), "funding_target", "$350,000.00")
    second = set_field(parse_document(sibling(BASE, "quorumdao-b", "2025-05-01")), "funding_target", "$375,000.00")
    assert merge_entity(PATH, BASE, first, second) is None


def test_an_edited_line_is_no_append_and_waits():
    first = sibling(BASE, "quorumdao-a", "2025-04-02")
    edited = sibling(BASE, "quorumdao-b", "2025-05-01").replace("its first market", "its first two markets")
    assert merge_entity(PATH, BASE, first, edited) is None
    overview = sibling(BASE, "quorumdao-b", "2025-05-01").replace("A DAO whose", "The DAO whose")
    assert merge_entity(PATH, BASE, first, overview) is None
    removed = sibling(BASE, "quorumdao-b", "2025-05-01").replace("- [[futardio]] \u2014 platform\n", "")
    assert merge_entity(PATH, BASE, first, removed) is None


def test_only_entity_notes():
    first = sibling(BASE, "quorumdao-a", "2025-04-02")
    second = sibling(BASE, "quorumdao-b", "2025-05-01")
    claim = BASE.replace("type: entity", "type: claim")  # was no entity at the fork
    assert merge_entity("domains/internet-finance/a claim.md", claim, first, second) is None


# -- a file both created: the second creation becomes an update (fold_creation) ---------------------------

LIVE = "inbox/archive/2025-05-10-futardio-launch-lanternfish.md"
DONE = "inbox/archive/2025-05-14-futardio-launch-lanternfish.md"
COMPANY = "entities/internet-finance/lanternfish.md"
MARKET = "entities/internet-finance/lanternfish-futardio-fundraise.md"


def two_pages_of_one_raise(make_vault, **second):
    """Both pages extracted from the same main (neither entity exists yet): two creations of each file."""
    import datetime as dt

    from entity_fixtures import base_files, launch_page

    from teleo.extract.context import build_request, source_text
    from teleo.extract.data import entities_from_data
    from teleo.extract.writer import build_proposal

    vault = make_vault(base_files(**{LIVE: launch_page(status="Live"), DONE: launch_page(status="Complete", **second)}))
    out = []
    for source in (LIVE, DONE):
        result = entities_from_data(build_request(vault, source, k=0))
        out.append(build_proposal(vault, vault.note(source), result, text=source_text(vault.note(source)), agent="rio",
                                  domain="internet-finance", provider="offline", model="offline",
                                  today=dt.date(2026, 1, 20)).files)
    return out


def test_the_second_page_of_a_raise_becomes_an_update_of_the_entity_the_first_created(make_vault):
    first, second = two_pages_of_one_raise(make_vault)
    assert MARKET in first and MARKET in second
    market = merge_entity(MARKET, None, first[MARKET], second[MARKET])
    assert market is not None
    data = parse_document(market).data
    assert (data["status"], data["created"]) == ("passed", parse_document(first[MARKET]).data["created"])
    assert data["proposal_url"] == parse_document(first[MARKET]).data["proposal_url"]
    assert market.count("# Lanternfish: Futardio Fundraise") == 1  # one entity, no second body
    company = merge_entity(COMPANY, None, first[COMPANY], second[COMPANY])
    assert company is not None
    assert parse_document(company).data["status"] == parse_document(second[COMPANY]).data["status"]
    for line in (l for text in (first[COMPANY], second[COMPANY]) for l in text.splitlines() if l.startswith("- **")):
        assert company.splitlines().count(line) == 1  # every timeline line of both pages, once


def test_a_resolved_market_is_not_reopened_by_an_older_page(make_vault):
    first, second = two_pages_of_one_raise(make_vault)
    assert parse_document(merge_entity(MARKET, None, second[MARKET], first[MARKET])).data["status"] == "passed"


def test_another_raise_under_the_same_slug_is_a_real_conflict(make_vault):
    first, second = two_pages_of_one_raise(make_vault, url="https://www.futard.io/launch/AnOtHeRrAiSe999")
    assert merge_entity(MARKET, None, first[MARKET], second[MARKET]) is None  # another proposal URL: another object
    contradicting = second[MARKET].replace("$400,000.00", "$500,000.00")
    assert merge_entity(MARKET, None, first[MARKET], contradicting) is None  # funding target stated differently


def test_values_holding_the_same_digits_are_not_the_same_value():
    from teleo.extract.entity_writer import _same

    assert _same("$750,000.00", "750000") and _same("N/A", "n/a")
    assert not _same("[[p2p]]", "[[p2p-protocol]]") and not _same("Q3 2025", "2025")


def test_a_refused_fold_says_which_field_contradicts(make_vault):
    import pytest

    from teleo.extract.entity_merge import Contradiction, fold, rename_links

    first, second = two_pages_of_one_raise(make_vault)
    contradicting = second[MARKET].replace("$400,000.00", "$500,000.00")
    with pytest.raises(Contradiction, match="(funding_target|amount_raised) is '\\$400,000.00' on main and '\\$500,000.00'"):
        fold(MARKET, first[MARKET], contradicting)
    assert rename_links("[[a-b]] [[a-b|A]] [[a-bc]]", {"a-b": "x"}) == "[[x]] [[x|A]] [[a-bc]]"
