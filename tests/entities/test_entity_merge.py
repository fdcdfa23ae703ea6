"""The entity merge (`teleo.extract.entity_merge`): a proposal that only appended entity lines merges onto
a main that changed the same file; anything else is a real conflict (None). Texts written for these tests."""

from __future__ import annotations

from teleo.extract.entity_merge import merge_entity
from teleo.extract.entity_writer import add_key_decision, add_relevant_entity, add_timeline
from teleo.extract.writer import append_block
from teleo.notes import parse_document, set_field

PATH = "entities/internet-finance/quorumdao.md"
BASE = """\
---
type: entity
entity_type: company
name: QuorumDAO
domain: internet-finance
handles: ["@quorumdao"]
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


def test_only_entity_notes_and_only_with_a_common_base():
    first = sibling(BASE, "quorumdao-a", "2025-04-02")
    second = sibling(BASE, "quorumdao-b", "2025-05-01")
    assert merge_entity(PATH, None, first, second) is None  # both created the file: not an append
    claim = BASE.replace("type: entity", "type: claim")  # was no entity at the fork
    assert merge_entity("domains/internet-finance/a claim.md", claim, first, second) is None
