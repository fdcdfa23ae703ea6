"""`teleo research` end to end: the real command line on a temp vault with real git, then review and merge."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import teleo_command
from research_fixture import git, research_vault

pytestmark = pytest.mark.slow
DATE = "2026-03-11"
AGENT_NOTES = ("**Why this matters:**", "**What surprised me:**", "**What I expected but didn't find:**",
               "**KB connections:**", "**Extraction hints:**", "**Context:**")


def teleo(root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*teleo_command(), *args], cwd=root, capture_output=True, text=True, timeout=300)


def test_a_session_from_the_dumps_is_one_commit_on_its_branch_and_merges_after_review(tmp_path):
    root = research_vault(tmp_path / "vault")
    main, head, status = git(root, "rev-parse", "main"), git(root, "symbolic-ref", "HEAD"), git(root, "status", "--porcelain")
    run = teleo(root, "research", "rio", "--date", DATE, "--format", "json")
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)
    branch = f"rio/research-{DATE}"
    assert outcome["branch"] == branch and outcome["researcher"] == "offline"
    # main, HEAD, the index and the working tree untouched
    assert git(root, "rev-parse", "main") == main and git(root, "symbolic-ref", "HEAD") == head
    assert git(root, "status", "--porcelain") == status
    # one commit, the reference's message and trailer
    assert git(root, "rev-list", "--count", f"main..{branch}").strip() == "1"
    count = len(outcome["sources"])
    assert 5 <= count <= 15
    assert git(root, "log", "-1", "--format=%B", branch) == (
        f"rio: research session {DATE} — {count} sources archived\n\nPentagon-Agent: Rio <HEADLESS>\n\n")
    changed = git(root, "diff", "--name-only", f"main...{branch}").split()
    sources = [p for p in changed if p.startswith("inbox/archive/")]
    assert sorted(changed) == sorted([*sources, f"agents/rio/musings/research-{DATE}.md", "agents/rio/research-journal.md"])
    assert len(sources) == count  # never extracts: no claim, entity or enrichment
    for path in sources:
        text = git(root, "show", f"{branch}:{path}")
        assert "\nstatus: unprocessed\n" in text and "\n## Content\n" in text
        assert all(label in text for label in AGENT_NOTES) and "\n## Curator Notes" in text
        assert "[[fake link]]" not in text and "<script" not in text.split("---\n", 2)[2] and "\u202e" not in text
    musing = git(root, "show", f"{branch}:agents/rio/musings/research-{DATE}.md")
    assert "\ntype: musing\n" in musing and "**Belief 1 (keystone):** Markets beat votes" in musing
    follow = musing[musing.index("## Follow-up Directions"):]
    assert all(f"### {part}" in follow for part in ("Active Threads", "Dead Ends", "Branching Points"))
    assert "already archived as inbox/archive/2026-01-12-okafor" in musing  # the dump's copy of an archived source
    journal = git(root, "show", f"{branch}:agents/rio/research-journal.md")
    assert f"## Session {DATE}\n**Question:**" in journal and f"**Sources archived this session:** {count} (" in journal
    # the archived files pass the vault's gates where they live
    git(root, "checkout", "-q", branch)
    lint = teleo(root, "lint", *changed, "--format", "json")
    findings = [f for f in json.loads(lint.stdout)["findings"] if f["severity"] in ("error", "warning")]
    assert lint.returncode == 0 and findings == []
    git(root, "checkout", "-q", "main")
    # a proposal of kind research: listed, reviewed by the evaluator alone, merged
    listed = json.loads(teleo(root, "proposals", "--format", "json").stdout)["proposals"]
    assert [(p["branch"], p["kind"], p["agent"]) for p in listed] == [(branch, "research", "rio")]
    review = teleo(root, "review", branch)
    assert review.returncode == 0, review.stdout + review.stderr
    merge = teleo(root, "merge")
    assert merge.returncode == 0, merge.stdout + merge.stderr
    assert (root / f"agents/rio/musings/research-{DATE}.md").is_file()
    # the next day, every dump item is archived already: too few left, refused, nothing written
    again = teleo(root, "research", "rio", "--date", "2026-03-12")
    assert again.returncode == 1 and "inbox-raw/rio/ holds 0 new item(s)" in again.stderr
    assert "Traceback" not in again.stderr and git(root, "branch", "--list", "rio/research-2026-03-12") == ""


def test_a_second_concurrent_session_is_refused_by_the_command(tmp_path):
    root = research_vault(tmp_path / "vault")
    # the holder keeps the lock until the test closes its stdin (a fixed sleep could end before a slow
    # `teleo research` tried the lock, and the session would then run)
    holder = subprocess.Popen([sys.executable, "-c", "import sys\nfrom teleo.vault import Vault\n"
                               "from teleo.research.session import agent_lock\n"
                               "with agent_lock(Vault.open(sys.argv[1]), 'rio'):\n    print('held', flush=True)\n"
                               "    sys.stdin.read()\n", str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        run = teleo(root, "research", "rio", "--date", DATE)
        assert run.returncode == 1
        assert f"a research session of rio is already running on this vault (pid {holder.pid}" in run.stderr
        assert git(root, "branch", "--list", "rio/*") == ""
    finally:
        holder.kill()
        holder.wait()
    assert teleo(root, "research", "rio", "--date", DATE).returncode == 0  # the dead holder's lock is gone


def test_help_has_an_example_and_bad_input_is_one_line(tmp_path):
    root = research_vault(tmp_path / "vault")
    helped = teleo(root, "research", "--help")
    assert helped.returncode == 0 and "teleo research rio" in helped.stdout and "inbox-raw" in helped.stdout
    (root / "agents/rio/network.json").write_text('{"accounts": [{"username": "ok"}, {"username": "no way"}]}')
    git(root, "commit", "-qam", "a bad handle")
    run = teleo(root, "research", "rio", "--date", DATE)
    assert run.returncode == 1 and "agents/rio/network.json: field 'accounts[1].username'" in run.stderr
    assert "Traceback" not in run.stderr
