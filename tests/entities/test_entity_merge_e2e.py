"""End to end with the real command line and real git: two sibling proposals (two proposal pages of one
DAO, extracted from the same main) both append to the DAO's entity file; one `teleo merge` pass merges
both, every appended line on main once, the verdicts those heads got kept. A proposal that edits a
line of the same file (no append) still waits with `merge-conflict`."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import git_init, teleo_command, write_files
from entity_fixtures import DAO_PATH, base_files, git_out, proposal_page, teleo_json

from teleo.notes import parse_document

pytestmark = pytest.mark.slow
FIRST = "inbox/archive/2025-04-02-futardio-proposal-fund-a-bridge-audit.md"
SECOND = "inbox/archive/2025-05-01-futardio-proposal-hire-a-designer.md"
SECOND_PAGE = proposal_page(proposal="Hire a designer", created="2025-05-01", completed="2025-05-04",
                            url="https://www.futard.io/proposal/HiReAdEsIgNeR444")
SLUGS = ("quorumdao-fund-a-bridge-audit", "quorumdao-hire-a-designer")


teleo, git = teleo_json, git_out


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "vault"
    root.mkdir()
    write_files(root, base_files(**{SECOND: SECOND_PAGE}))
    git_init(root)
    return root


def hand_edit(root, branch: str) -> None:
    """A proposal by rio that rewrites the DAO's first timeline line and appends one: not append-only."""
    git(root, "checkout", "-q", "-b", branch, "main")
    path = root / DAO_PATH
    text = path.read_text(encoding="utf-8").replace("DAO launched its first market", "DAO launched its first two markets")
    path.write_text(text.replace("launched its first two markets\n", "launched its first two markets\n"
                                 "- **2025-03-01** \u2014 DAO opened its second market\n"), encoding="utf-8")
    git(root, "commit", "-q", "-am", "rio: correct the QuorumDAO timeline\n\nPentagon-Agent: Rio <R1>")
    git(root, "checkout", "-q", "main")


def test_sibling_proposals_on_one_parent_merge_in_one_pass_and_a_real_conflict_waits(root):
    extracted = teleo(root, "extract", FIRST, SECOND)
    branches = sorted(job["branch"] for job in extracted["jobs"])
    assert [job["status"] for job in extracted["jobs"]] == ["proposed", "proposed"]
    for branch in branches:  # siblings: both change the DAO from the same main
        assert DAO_PATH in git(root, "diff", "--name-only", f"main..{branch}").split()
    hand_edit(root, "extract/quorumdao-timeline-fix")
    heads = {b: git(root, "rev-parse", b).strip() for b in [*branches, "extract/quorumdao-timeline-fix"]}

    reviewed = teleo(root, "review")
    assert {r["branch"]: r["status"] for r in reviewed["reviews"]} == {b: "approved" for b in heads}

    merged = teleo(root, "merge")
    status = {m["branch"]: m for m in merged["merges"]}
    assert [status[b]["status"] for b in branches] == ["merged", "merged"], merged
    waiting = status["extract/quorumdao-timeline-fix"]
    assert waiting["status"] == "not_ready"
    assert any("merge-conflict" in r and DAO_PATH in r for r in waiting["reasons"]), waiting

    dao = git(root, "show", f"main:{DAO_PATH}")
    for slug in SLUGS:
        assert sum(f"[[{slug}]] passed" in line for line in dao.splitlines()) == 1  # its timeline line
        assert dao.count(f"- [[{slug}]] \u2014 decision market") == 1  # Relevant Entities
        assert dao.count(f"| [[{slug}]] |") == 1  # its Key Decisions row
        assert git(root, "ls-tree", "--name-only", "main", f"entities/internet-finance/{slug}.md").strip()
    assert dao.count("DAO launched its first market") == 1 and "first two markets" not in dao
    assert parse_document(dao).data["last_updated"]

    # provenance: each merge names its proposal and the head its reviewers approved
    log = git(root, "log", "--first-parent", "--format=%H%x00%P%x00%B%x1e", "main").split("\x1e")
    merges = {}
    for entry in log:
        if "\x00" not in entry:
            continue
        _, parents, body = entry.strip().split("\x00", 2)
        for line in body.splitlines():
            if line.startswith("Teleo-Proposal: "):
                merges[line.removeprefix("Teleo-Proposal: ")] = (parents.split(), body)
    for branch in branches:
        parents, body = merges[branch]
        assert parents[1] == heads[branch] and f"Teleo-Head: {heads[branch]}" in body
    settled = [b for b in branches if "Entity lines appended to main's" in merges[b][1]]
    assert len(settled) == 1 and DAO_PATH in merges[settled[0]][1]  # the second, merged onto the first


LIVE = "inbox/archive/2025-05-10-futardio-launch-lanternfish.md"
DONE = "inbox/archive/2025-05-14-futardio-launch-lanternfish-network.md"


def test_two_pages_of_one_raise_the_second_becomes_an_update_of_what_the_first_created(tmp_path):
    """Same raise (launch URL), same project handle and website, the project named differently on the
    second page: each branch creates the project and its fundraise; the second merges as an update."""
    from entity_fixtures import launch_page

    root = tmp_path / "vault"
    root.mkdir()
    write_files(root, base_files(**{LIVE: launch_page(status="Live"),
                                    DONE: launch_page(project="Lanternfish Network", status="Complete",
                                                      closed="2025-05-18")}))  # launched 2025-05-10 too
    git_init(root)
    extracted = teleo(root, "extract", LIVE, DONE)
    assert sorted(job["status"] for job in extracted["jobs"]) == ["proposed", "proposed"]
    second = "extract/2025-05-14-futardio-launch-lanternfish-network"
    assert "entities/internet-finance/lanternfish-network-futardio-fundraise.md" in git(
        root, "diff", "--name-only", f"main..{second}").split()
    head = git(root, "rev-parse", second).strip()
    assert {r["status"] for r in teleo(root, "review")["reviews"]} == {"approved"}

    merged = teleo(root, "merge")
    assert [m["status"] for m in merged["merges"]] == ["merged", "merged"], [m["reasons"] for m in merged["merges"]]
    names = git(root, "ls-tree", "--name-only", "main", "entities/internet-finance/").split()
    assert not [n for n in names if "lanternfish-network" in n]  # no second entity
    market = parse_document(git(root, "show", "main:entities/internet-finance/lanternfish-futardio-fundraise.md")).data
    assert market["status"] == "passed"  # the second page's outcome: the raise completed
    assert market["aliases"] == ["Lanternfish Network: Futardio Fundraise"]
    company = parse_document(git(root, "show", "main:entities/internet-finance/lanternfish.md")).data
    assert company["aliases"] == ["Lanternfish Network"]
    source = parse_document(git(root, "show", f"main:{DONE}")).data
    assert "entities_created" not in source
    assert {"lanternfish", "lanternfish-futardio-fundraise"} <= set(source["entities_updated"])
    assert not [e for e in source["entities_updated"] if "network" in e]
    message = git(root, "log", "-1", "--format=%B", f"main^{{/Teleo-Proposal: {second}}}")
    assert f"Teleo-Head: {head}" in message and "not created: the same entity as" in message
    lint = subprocess.run([*teleo_command(), "-C", str(root), "lint", "--format", "json"], capture_output=True,
                          text=True, check=False)
    assert not [f for f in json.loads(lint.stdout)["findings"] if f["rule"].startswith("entity-")]
