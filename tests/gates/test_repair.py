"""`teleo.gates.repair.repair`: the whole `teleo fix` workflow as a library call — the command line
only parses its arguments and renders the `RepairRun` it gets back."""

from __future__ import annotations

import subprocess

import pytest
from conftest import git_init, write_files

from teleo.gates.repair import RepairRun, repair
from teleo.vault import Vault

RIGHT = "remote monitoring lowers cardiovascular events through faster medication titration"
OTHER = "community health workers cut readmissions when they visit within a week of discharge"
SOURCE = "inbox/archive/2026-01-05-lee-home-monitoring-trial.md"


def claim(title: str, body: str) -> str:
    return (
        "---\ntype: claim\ndomain: health\ndescription: \"A description long enough to be a description of it.\"\n"
        "confidence: experimental\nsource: \"Fixture written for the Teleo test suite, 2026\"\ncreated: 2026-01-00\n---\n\n"
        f"# {title}\n\n{body}\n"
    )


FILES = {
    f"domains/health/{RIGHT}.md": claim(RIGHT, "Related: [[community health workers cut readmissions when]]."),
    f"domains/health/{OTHER}.md": claim(OTHER, f"Compare [[{RIGHT.title()}]]."),
    SOURCE: (
        "---\ntype: source\ntitle: \"Home monitoring trial\"\nauthor: \"A. Lee\"\nurl: https://example.org/trial\n"
        "date: 2026-01-05\ndomain: health\nformat: article\nstatus: unprocessed\n---\n\n# Home monitoring trial\n"
    ),
}


@pytest.fixture
def vault(tmp_path, monkeypatch) -> Vault:
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "test@example.org")
    root = tmp_path / "vault"
    write_files(root, FILES)
    git_init(root)
    return Vault.open(root)


def head(root) -> str:
    return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()


def test_dry_run_plans_every_repair_and_writes_nothing(vault):
    before = {p: (vault.root / p).read_bytes() for p in FILES}
    run = repair(vault, dry_run=True)
    assert isinstance(run, RepairRun)
    assert sorted(f.path for f in run.fixes) == sorted(FILES)
    assert run.totals == {"link-completed": 1, "link-rewritten": 1, "enum-coerced": 1}
    assert run.commit is None and run.skipped == [] and run.dry_run
    assert {p: (vault.root / p).read_bytes() for p in FILES} == before


def test_a_file_with_local_edits_is_skipped_and_the_rest_committed_once(vault):
    dirty = vault.root / f"domains/health/{OTHER}.md"
    dirty.write_text(dirty.read_text() + "\nA local edit.\n")
    start = head(vault.root)
    run = repair(vault)
    assert run.skipped == [f"domains/health/{OTHER}.md"]
    assert sorted(f.path for f in run.fixes) == sorted([f"domains/health/{RIGHT}.md", SOURCE])
    assert run.commit and run.commit == head(vault.root) != start
    assert run.message.startswith("teleo fix: 2 safe repairs in 2 files")
    assert "A local edit." in dirty.read_text() and f"[[{RIGHT.title()}]]" in dirty.read_text()
    assert "format: report" in (vault.root / SOURCE).read_text()


def test_without_commit_the_files_are_written_and_nothing_committed(vault):
    start = head(vault.root)
    run = repair(vault, commit=False)
    assert run.commit is None and head(vault.root) == start
    assert "format: report" in (vault.root / SOURCE).read_text()


def test_strip_mode_commits_with_the_reference_author(vault):
    run = repair(vault, [f"domains/health/{RIGHT}.md"], strip_broken=True)
    assert run.totals == {"link-stripped": 1}
    log = subprocess.run(["git", "-C", str(vault.root), "log", "-1", "--format=%an <%ae>%n%s"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert log[:2] == ["Teleo Agents <agents@livingip.xyz>", "auto-fix: strip 1 broken wiki links"]
