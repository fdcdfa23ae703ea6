"""End to end with the real command line on a vault with real git: a futardio proposal page →
`teleo extract` (offline: no model) → a proposal branch with the decision market and its parent's
update → `teleo review` → `teleo merge` → the cascade flags the belief resting on the claim that
cites the updated parent (entity → claim → belief)."""

from __future__ import annotations

import pytest
from conftest import git_init, write_files
from entity_fixtures import (
    BELIEF_PATH,
    CLAIM_PATH,
    DAO_PATH,
    LAUNCH_SOURCE,
    PROPOSAL_SOURCE,
    TEST_SOURCE,
    base_files,
    git_out,
    teleo_json,
)

from teleo.notes import parse_document

pytestmark = pytest.mark.slow
MARKET = "entities/internet-finance/quorumdao-fund-a-bridge-audit.md"
BRANCH = "extract/2025-04-02-futardio-proposal-fund-a-bridge-audit"


teleo, git = teleo_json, git_out


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "vault"
    root.mkdir()
    write_files(root, base_files())
    git_init(root)
    return root


def test_a_proposal_page_becomes_a_decision_market_reviewed_merged_and_cascaded(root):
    extracted = teleo(root, "extract", PROPOSAL_SOURCE)
    [job] = extracted["jobs"]
    assert job["status"] == "proposed" and job["branch"] == BRANCH
    changed = sorted(git(root, "diff", "--name-only", f"main..{BRANCH}").split())
    assert changed == sorted([MARKET, DAO_PATH, PROPOSAL_SOURCE])
    market = parse_document(git(root, "show", f"{BRANCH}:{MARKET}")).data
    assert (market["entity_type"], market["status"], market["parent_entity"]) == (
        "decision_market", "passed", "[[quorumdao]]")
    assert "[[quorumdao-fund-a-bridge-audit]]" in git(root, "show", f"{BRANCH}:{DAO_PATH}")

    reviewed = teleo(root, "review")
    [review] = reviewed["reviews"]
    assert review["status"] == "approved", review
    assert review["verdicts"][0]["reviewer"] == "gates" and review["verdicts"][0]["verdict"] == "approve"

    merged = teleo(root, "merge")
    [merge] = merged["merges"]
    assert merge["status"] == "merged"
    cascade = merge["cascade"]
    assert cascade["under_review"] == [BELIEF_PATH], cascade
    flags = git(root, "ls-tree", "-r", "--name-only", "main", "agents/rio/flags/").split()
    assert len(flags) == 1
    flag = parse_document(git(root, "show", f"main:{flags[0]}")).data
    [changed] = flag["changed"]
    assert changed["path"] == DAO_PATH  # entity → claim citing it → belief
    assert changed["chain"] == [DAO_PATH, CLAIM_PATH, BELIEF_PATH]
    assert parse_document(git(root, "show", f"main:{BELIEF_PATH}")).data["status"] == "under_review"


def test_a_launch_and_a_test_proposal_on_the_command_line(root):
    extracted = teleo(root, "extract", LAUNCH_SOURCE, TEST_SOURCE)
    jobs = {job["source"]: job for job in extracted["jobs"]}
    assert jobs[LAUNCH_SOURCE]["status"] == "proposed" and jobs[TEST_SOURCE]["status"] == "proposed"
    launch = git(root, "diff", "--name-only", "main..extract/2025-05-10-futardio-launch-lanternfish").split()
    assert "entities/internet-finance/lanternfish.md" in launch
    assert "entities/internet-finance/lanternfish-futardio-fundraise.md" in launch
    test = git(root, "diff", "--name-only", "main..extract/2025-04-03-futardio-proposal-testing-the-indexer").split()
    assert sorted(test) == sorted([DAO_PATH, TEST_SOURCE])  # no entity for a test: a line on its parent
