"""A research session on a copy of the teleo-codex corpus: its real beliefs, network.json, musings and journal."""

from __future__ import annotations

import json

import pytest
from conftest import copy_corpus, corpus_available, git_init
from research_fixture import ESSAY, JSONL, NOTES_TXT, TWEETS, git

from teleo.research import research
from teleo.vault import Vault

pytestmark = [pytest.mark.corpus, pytest.mark.skipif(not corpus_available(), reason="teleo-codex corpus not found")]


def test_a_session_of_rio_and_of_theseus_on_the_corpus(tmp_path):
    root = copy_corpus(tmp_path / "codex")
    git_init(root)
    for agent in ("rio", "theseus"):
        folder = root / "inbox-raw" / agent
        folder.mkdir(parents=True)
        (folder / "t.json").write_text(json.dumps(TWEETS))
        (folder / "m.jsonl").write_text("\n".join(json.dumps(r) for r in JSONL))
        (folder / "e.md").write_text(ESSAY)
        (folder / "n.txt").write_text(NOTES_TXT)
    vault = Vault.open(root)
    journal_before = (root / "agents/rio/research-journal.md").read_text()
    rio = research(vault, "rio", date="2026-12-06")
    assert rio.keystone == "Belief 1: Markets beat votes for information aggregation" and 5 <= len(rio.sources) <= 15
    journal = git(root, "show", f"{rio.branch}:agents/rio/research-journal.md")
    assert journal.startswith(journal_before.rstrip("\n")) and journal.count("## Session ") == journal_before.count(
        "## Session ") + 1  # appended, nothing rewritten
    musing = git(root, "show", f"{rio.branch}:{rio.musing}")
    assert "[carried from research-2026-03-11]" in musing  # the previous session's active threads
    theseus = research(vault, "theseus", date="2026-12-06")
    assert theseus.keystone.startswith("Belief 1: AI alignment is the greatest outstanding problem")
    assert theseus.disconfirmation_target.startswith("If safety spending approaches parity")  # as its beliefs.md writes it
    assert git(root, "status", "--porcelain").strip() == "?? inbox-raw/"
