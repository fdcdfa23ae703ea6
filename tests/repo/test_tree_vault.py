"""`TreeVault.at(vault, ref)`: the one way to read a vault as it is in git."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from teleo.repo.branches import BranchError
from teleo.repo.discover import NotARepository, open_repository
from teleo.vault import Vault
from teleo.vault.tree import TreeVault

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import git_init, write_files  # noqa: E402


def committed(root: Path, files: dict[str, str]) -> Vault:
    write_files(root, files)
    git_init(root)
    return Vault.open(root)


def test_at_reads_main_a_branch_a_commit_id_or_a_commit_never_the_working_tree(tmp_path):
    vault = committed(tmp_path / "v", {"teleo.toml": "", "notes/a.md": "# A\n"})
    repo = open_repository(vault.root)
    first = repo.references["refs/heads/main"].peel()
    (vault.root / "notes" / "a.md").write_text("# A edited, not committed\n", encoding="utf-8")
    (vault.root / "notes" / "b.md").write_text("# B\n", encoding="utf-8")
    for ref in (None, "main", "refs/heads/main", str(first.id), first):
        tree = TreeVault.at(vault, ref)
        assert tree.markdown_paths() == ["notes/a.md"] and tree.read_bytes("notes/a.md") == b"# A\n"
    assert TreeVault.at(vault) is TreeVault.at(vault, first)  # one tree, one vault per process
    assert TreeVault.at(TreeVault.at(vault), first) is TreeVault.at(vault)  # from a TreeVault: its disk vault


def test_at_a_vault_in_a_folder_of_the_repository(tmp_path):
    committed(tmp_path / "repo", {"vault/teleo.toml": "", "vault/notes/a.md": "# A\n", "other/x.md": "# X\n"})
    tree = TreeVault.at(Vault.open(tmp_path / "repo" / "vault"))
    assert tree.prefix == "vault/" and tree.markdown_paths() == ["notes/a.md"]


def test_at_says_what_is_missing(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "teleo.toml").write_text("", encoding="utf-8")
    with pytest.raises(NotARepository, match="not inside a git repository"):
        TreeVault.at(Vault.open(tmp_path / "plain"))
    vault = committed(tmp_path / "v", {"teleo.toml": "", "a.md": "# A\n"})
    with pytest.raises(BranchError, match="no-such-branch"):
        TreeVault.at(vault, "no-such-branch")


class CountingTree:
    """A pygit2 tree that records every lookup by path (iteration is free, as in the walk)."""

    def __init__(self, tree) -> None:
        self.tree, self.lookups = tree, []

    def __iter__(self):
        return iter(self.tree)

    def __getitem__(self, path):
        self.lookups.append(path)
        return self.tree[path]


def test_the_walk_keeps_every_blob_id_so_reading_the_notes_looks_nothing_up_by_path(tmp_path):
    # a lookup by path loads every tree on the way; a folder of thousands of notes made reading
    # all of them quadratic (bench/scale_bench.py: a review at 24k notes spent most of its time there)
    files = {"teleo.toml": "", **{f"domains/health/claim {n}.md": f"# claim {n}\n" for n in range(30)},
             "notes/a.md": "# A\n", ".drafts/hidden.md": "# hidden\n"}
    vault = committed(tmp_path / "v", files)
    repo = open_repository(vault.root)
    counting = CountingTree(repo.references["refs/heads/main"].peel().tree)
    tree = TreeVault(vault, repo, counting)
    notes = tree.notes()
    assert len(notes) == 31 and counting.lookups == []
    assert tree.read_bytes("domains/health/claim 7.md") == b"# claim 7\n" and counting.lookups == []
    assert tree.read_bytes(".drafts/hidden.md") == b"# hidden\n"  # not walked: looked up by path
    assert counting.lookups == [".drafts/hidden.md"]
    assert not tree.exists("domains/health/no such claim.md")
