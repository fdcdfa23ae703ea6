"""The memo of notes parsed from git blobs (`vault.tree.ParsedNotes`): least recently used evicted,
bounded by the largest tree walked — so a vault larger than any fixed bound is not re-parsed whole on
every new tip of main (docs/scale.md: at 120k notes a memo of 100,000 cleared when full re-parsed all of
them per review and per merge). Parses are counted; nothing is timed."""

from __future__ import annotations

import pygit2
import pytest

import teleo.vault.tree as tree_module
from teleo.vault import Vault
from teleo.vault.tree import ParsedNotes, TreeVault

SIG = pygit2.Signature("Test", "test@example.org", 1_700_000_000, 0)


def test_the_least_recently_used_note_goes_first():
    memo = ParsedNotes(floor=3)
    for key in ("a", "b", "c"):
        memo.put((key, "1"), key)
    assert memo.get(("a", "1")) == "a"  # a is now the most recently used
    memo.put(("d", "1"), "d")
    assert memo.get(("b", "1")) is None  # b was the least recently used
    assert [memo.get((k, "1")) for k in ("a", "c", "d")] == ["a", "c", "d"]
    assert len(memo) == 3


def test_the_bound_follows_the_largest_tree_walked_and_never_shrinks():
    memo = ParsedNotes(floor=4, per_tree=1.5)
    assert memo.capacity == 4
    memo.fit(10)
    assert memo.capacity == 15
    memo.fit(2)  # a smaller tree later: the larger one may still be read
    assert memo.capacity == 15
    for number in range(20):
        memo.put((str(number), "x"), number)
    assert len(memo) == 15 and memo.get(("0", "x")) is None and memo.get(("19", "x")) == 19


def test_clear_empties_it():
    memo = ParsedNotes(floor=2)
    memo.put(("a", "1"), "a")
    memo.clear()
    assert len(memo) == 0 and memo.get(("a", "1")) is None


def _commit(repo: pygit2.Repository, files: dict[str, str], parent: pygit2.Oid | None) -> pygit2.Oid:
    index = pygit2.Index()
    if parent is not None:
        index.read_tree(repo[parent].tree)
    for path, text in files.items():
        index.add(pygit2.IndexEntry(path, repo.create_blob(text.encode()), pygit2.GIT_FILEMODE_BLOB))
    tree = index.write_tree(repo)
    return repo.create_commit("refs/heads/main", SIG, SIG, "notes", tree, [parent] if parent else [])


@pytest.fixture
def counted(counted_parses, monkeypatch):
    monkeypatch.setattr(tree_module, "_PARSED", ParsedNotes(floor=10))  # a tree of 30 notes outgrows it
    return counted_parses


def test_a_new_tip_of_a_tree_larger_than_the_floor_parses_only_what_changed(tmp_path, counted):
    root = tmp_path / "vault"
    repo = pygit2.init_repository(str(root), initial_head="main")
    notes = {f"domains/health/note {n}.md": f"# note {n}\n\nText {n}.\n" for n in range(30)}
    first = _commit(repo, notes, None)
    vault = Vault.open(root)
    for path in TreeVault.at(vault, repo=repo).markdown_paths():
        TreeVault.at(vault, repo=repo).note(path)
    assert len(counted) == 30
    _commit(repo, {"domains/health/note 7.md": "# note 7\n\nChanged.\n"}, first)
    counted.clear()
    second = TreeVault.at(vault, repo=repo)
    assert [second.note(p).path for p in second.markdown_paths()] == sorted(notes)
    assert counted == ["domains/health/note 7.md"]
