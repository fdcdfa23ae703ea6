"""A shared remote on the SQLite backend (issue 18.6 b): `teleo extract`, `teleo run`, `teleo review` and
`teleo merge` would extract, review and merge on the clone alone and never reach the remote, so they refuse
in one line saying what to set, and change nothing; `teleo run --until ingest` still publishes an ingest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from remote_hosts import make_hosts, remote_refs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_bad_input import run_teleo  # noqa: E402


def _local_refs(clone: Path) -> str:
    return subprocess.run(["git", "-C", str(clone), "for-each-ref"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("command", [["extract"], ["run"], ["run", "--until", "extract"], ["review"], ["merge"],
                                     ["merge", "--dry-run"]])
def test_a_stage_that_would_stay_on_the_clone_is_refused_naming_the_setting(tmp_path, command):
    hosts = make_hosts(tmp_path, 1, sources=2)
    clone = hosts.clones[0]
    remote_before, local_before = remote_refs(hosts.remote), _local_refs(clone)
    result = run_teleo(*command, cwd=clone)
    assert result.returncode != 0
    said = " ".join(result.stderr.split())
    assert "remote = 'origin' needs backend = \"postgres\"" in said, result.stderr
    assert "teleo worker" in said and "remove remote" in said
    assert remote_refs(hosts.remote) == remote_before and _local_refs(clone) == local_before


def test_an_ingest_alone_is_still_published(tmp_path):
    hosts = make_hosts(tmp_path, 1, sources=1)
    clone = hosts.clones[0]
    drop = clone / "inbox" / "queue" / "health"
    drop.mkdir(parents=True, exist_ok=True)
    (drop / "a-field-note.md").write_text("# A field note\n\nSleep loss raises blood pressure in most adults.\n",
                                          encoding="utf-8")
    before = remote_refs(hosts.remote)["refs/heads/main"]
    result = run_teleo("run", "--until", "ingest", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert remote_refs(hosts.remote)["refs/heads/main"] != before
