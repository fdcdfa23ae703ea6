"""The home page's merges name the agent whose proposal was merged, not the machine's git identity
(issue 12, point 4): the merge's own trailer or subject first (`Commit.agent`), else the first agent
named by the commits the merge brought in (an `auto-fix` on top names none)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from conftest import write_files
from teleo.vault import Vault
from teleo.web import create_app

CONFIG = """
[vault]
name = "Merges"
evaluator = "leo"

[agents.leo]
role = "evaluator"
[agents.theseus]
role = "proposer"
[agents.rio]
role = "proposer"

[domains.ai-alignment]
folder = "domains/ai-alignment"
agent = "theseus"
[domains.internet-finance]
folder = "domains/internet-finance"
agent = "rio"
"""

MACHINE = "Machine Identity"


def git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": MACHINE, "GIT_AUTHOR_EMAIL": "machine@example.org",
           "GIT_COMMITTER_NAME": MACHINE, "GIT_COMMITTER_EMAIL": "machine@example.org"}
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def commit(root: Path, path: str, message: str) -> None:
    write_files(root, {path: f"# {Path(path).stem}\n"})
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def build(root: Path) -> None:
    write_files(root, {"teleo.toml": CONFIG})
    git(root, "init", "-q", "-b", "main")
    commit(root, "domains/ai-alignment/_map.md", "leo: seed the maps\n\nPentagon-Agent: Leo <HEADLESS>")
    # theseus by trailer, then an auto-fix on top: the merge still names theseus
    git(root, "checkout", "-q", "-b", "extract/a")
    commit(root, "domains/ai-alignment/a.md", "theseus: extract from a.md\n\nPentagon-Agent: Theseus <HEADLESS>")
    commit(root, "domains/ai-alignment/a2.md", "auto-fix: address review feedback on a.md\n\nPentagon-Agent: Auto-Fix <HEADLESS>")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "extract/a", "-m",
        "Merge pull request 'theseus: extract from a.md' from extract/a into main\n\nTeleo-Proposal: extract/a")
    # rio by subject prefix only
    git(root, "checkout", "-q", "-b", "extract/b")
    commit(root, "domains/internet-finance/b.md", "rio: extract from b.md")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "extract/b", "-m", "Merge branch 'extract/b'")
    # a branch naming no agent: never attributed to main's own commits (leo's seed)
    git(root, "checkout", "-q", "-b", "misc")
    commit(root, "notes.md", "add notes")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "misc", "-m", "Merge branch 'misc'")


def test_merged_agent_walks_the_merged_branch(tmp_path):
    from teleo.repo.history import mainline_ids, merged_agent, read_log

    build(tmp_path)
    commits = read_log(tmp_path)
    by_id = {c.id: c for c in commits}
    mainline = mainline_ids(commits[0], by_id)
    known = {"leo", "theseus", "rio"}
    merges = {c.subject.split("'")[1] if "'" in c.subject else c.subject: c for c in commits if c.is_merge}
    assert merged_agent(merges["misc"], by_id, mainline, known) is None
    assert merged_agent(merges["extract/b"], by_id, mainline, known) == "rio"
    assert merged_agent(merges["theseus: extract from a.md"], by_id, mainline, known) == "theseus"


def test_home_page_names_the_proposal_agent_not_the_git_author(tmp_path):
    build(tmp_path)
    with TestClient(create_app(Vault.open(tmp_path), watch=False)) as client:  # no watcher left running after
        merges = client.get("/api/home").json()["merges"]
        html = client.get("/").text
    assert [m["agent"] for m in merges] == [None, "rio", "theseus"]
    section = html[html.index('id="merges"'):html.index('id="proposals"')]
    assert '<a href="/agents/theseus">theseus</a>' in section
    assert '<a href="/agents/rio">rio</a>' in section
    assert section.count(MACHINE) == 1  # only the merge naming no agent shows who made it
