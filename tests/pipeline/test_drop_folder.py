"""`teleo run` archives the raw files dropped in inbox/queue/, removes them in the same commit, then extracts."""

from __future__ import annotations

import json
import subprocess

from pipeline_helpers import branches, make_sources_vault
from test_cli_extract import _app
from typer.testing import CliRunner

REPORT = (
    "Reusable boosters cut the marginal cost of a launch by more than half because the first stage is the most "
    "expensive part of the rocket. Operators that land and refly boosters now quote lower prices than expendable rivals.\n"
)


def _git(root, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def test_run_archives_dropped_files_and_removes_them_in_one_commit(tmp_path, monkeypatch):
    vault = make_sources_vault(tmp_path / "v", 0, extra={
        "inbox/queue/space-development/boosters.txt": REPORT,
        "inbox/queue/space-development/again.txt": REPORT,  # same text: a duplicate, dropped without a second note
        "inbox/queue/no-domain.txt": "A note with no domain folder and no domain option.\n",
        "inbox/queue/space-development/talk.md": (
            "---\ntitle: Landing legs and margins\nauthor: Ann Example\ndate: 2026-02-01\n---\n\n"
            "Landing legs add mass, yet operators keep them because a recovered booster is worth more than the payload lost.\n"
        ),
        "inbox/queue/not-a-domain/x.txt": "left alone: its folder is not a configured domain\n",
    })
    monkeypatch.chdir(vault.root)
    before = int(_git(vault.root, "rev-list", "--count", "HEAD"))
    result = CliRunner().invoke(_app(), ["run", "--provider", "offline", "--until", "extract", "--format", "json"])
    payload = json.loads(result.output)
    by_input = {item["input"]: item for item in payload["ingested"]}

    archived = by_input["inbox/queue/space-development/again.txt"]
    duplicate = by_input["inbox/queue/space-development/boosters.txt"]
    assert archived["status"] == "archived" and archived["path"].startswith("inbox/archive/")
    assert duplicate["duplicate_of"] == archived["path"]
    assert not by_input["inbox/queue/no-domain.txt"]["ok"]
    assert "inbox/queue/<domain>/" in by_input["inbox/queue/no-domain.txt"]["error"]
    assert "inbox/queue/not-a-domain/x.txt" not in by_input
    talk = by_input["inbox/queue/space-development/talk.md"]  # a markdown drop is not a duplicate of itself
    assert talk["status"] == "archived" and talk["path"].startswith("inbox/archive/2026-02-01-")
    assert result.exit_code == 1  # one file could not be ingested

    root = vault.root
    assert not (root / "inbox/queue/space-development/boosters.txt").exists()
    assert (root / "inbox/queue/no-domain.txt").exists() and (root / "inbox/queue/not-a-domain/x.txt").exists()
    assert _git(root, "status", "--porcelain") == ""
    assert int(_git(root, "rev-list", "--count", "HEAD")) == before + 3  # one commit per dropped file
    first = _git(root, "show", "--name-status", "--format=%s", "HEAD~2").split()
    assert "A" in first and archived["path"] in first and "inbox/queue/space-development/again.txt" in first

    assert payload["extract"]["totals"]["sources"] == 2
    assert [b for b in branches(root) if b.startswith("extract/")] != []


def test_no_inbox_leaves_the_drop_folder_alone(tmp_path, monkeypatch):
    vault = make_sources_vault(tmp_path / "v", 0, extra={"inbox/queue/space-development/boosters.txt": REPORT})
    monkeypatch.chdir(vault.root)
    result = CliRunner().invoke(_app(), ["run", "--no-inbox", "--provider", "offline", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ingested"] == []
    assert (vault.root / "inbox/queue/space-development/boosters.txt").exists()
