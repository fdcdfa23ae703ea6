"""Raw research dumps (`inbox-raw/<agent>/`, what `teleo research` reads) are raw material, not notes.

The reference keeps them on the research host, out of git (§4.1: "dropped to a server-side
`inbox-raw/{agent}/`"; its research job stages only `inbox/archive/`, the musing and the journal).
So every walk of the vault skips the folder at the vault's root — the disk walk (lint, stats,
graph, show), the index's scan (search) and the walk of a git tree (review, extraction, the
cascade) — and `teleo init` git-ignores it. The real command line on a temp vault with real git.
"""

from __future__ import annotations

import json
import subprocess

import pygit2
from conftest import teleo_command

from teleo.index.scan import scan
from teleo.vault import Vault
from teleo.vault.tree import TreeVault

DUMP = "# A raw dump\n\nSome text that links [[nowhere at all]] and reads like a note.\n"


def teleo(root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*teleo_command(), *args], cwd=root, capture_output=True, text=True, timeout=300)


def git(root, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def _vault_with_dumps(tmp_path):
    root = tmp_path / "vault"
    made = teleo(tmp_path, "init", str(root))
    assert made.returncode == 0, made.stderr
    (root / "inbox-raw" / "rio").mkdir(parents=True)
    (root / "inbox-raw" / "rio" / "dump.md").write_text(DUMP, encoding="utf-8")
    (root / "inbox-raw" / "rio" / "tweets.json").write_text("[]\n", encoding="utf-8")
    return root


def test_init_ignores_the_raw_dumps_so_git_sees_nothing_to_commit(tmp_path):
    root = _vault_with_dumps(tmp_path)
    assert "inbox-raw/" in (root / ".gitignore").read_text(encoding="utf-8").split()
    assert git(root, "status", "--porcelain") == ""


def test_no_command_that_walks_notes_counts_a_raw_dump(tmp_path):
    root = _vault_with_dumps(tmp_path)
    lint = teleo(root, "lint", "--format", "json")
    assert lint.returncode == 0, lint.stderr
    assert not [f for f in json.loads(lint.stdout)["findings"] if "inbox-raw" in f["file"]]
    stats = json.loads(teleo(root, "stats", "--format", "json").stdout)
    assert "inbox-raw" not in stats["files"]["by_top_folder"]
    assert stats["files"]["skipped_files"] == {}
    assert teleo(root, "index").returncode == 0
    search = teleo(root, "search", "raw dump nowhere", "--mode", "text", "--format", "json")
    assert search.returncode == 0, search.stderr
    assert "inbox-raw" not in search.stdout
    graph = teleo(root, "graph", "--out", str(tmp_path / "public"))
    assert graph.returncode == 0, graph.stderr
    assert all("inbox-raw" not in p.read_text(encoding="utf-8") for p in (tmp_path / "public").glob("*.json"))
    shown = teleo(root, "show", "dump")
    assert shown.returncode != 0 and "inbox-raw" not in shown.stdout


def test_every_walk_skips_the_folder_at_the_vault_root_only(tmp_path):
    """The disk walk, the index's scan and a git tree's walk agree — even on dumps someone committed
    (`git add -f`); a folder of that name deeper in the vault is an ordinary folder."""
    root = _vault_with_dumps(tmp_path)
    deeper = root / "domains" / "health" / "inbox-raw" / "kept.md"
    deeper.parent.mkdir(parents=True)
    deeper.write_text("# kept\n\nAn ordinary note in an ordinary folder.\n", encoding="utf-8")
    git(root, "add", "-f", "inbox-raw", "domains")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "dumps committed by hand")
    vault = Vault.open(root)
    on_disk = vault.markdown_paths()
    assert "domains/health/inbox-raw/kept.md" in on_disk
    assert not [p for p in on_disk if p.startswith("inbox-raw/")]
    assert not [p for p in vault.walk_problems() if p.path.startswith("inbox-raw/")]
    assert sorted(scan(str(root))) == on_disk
    tree = TreeVault.at(vault, repo=pygit2.Repository(str(root)))
    assert tree.markdown_paths() == on_disk
