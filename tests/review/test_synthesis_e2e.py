"""`teleo synthesis` → `teleo synthesize` → `teleo review` → `teleo merge`, end to end: the real command line
on a temp vault with real git (issue 16.2). Also the merge gate of a synthesis: one approving domain peer is
not enough, one per touched domain is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_helpers import ENV, claim, commit, git, new_vault  # noqa: E402

TELEO = str(Path(sys.executable).parent / "teleo")

HEALTH = [
    "price transparency lowers hospital charges for elective procedures",
    "price transparency helps patients compare clinics before surgery",
    "published price lists shift patients toward cheaper imaging centres",
    "hospitals that post prices negotiate lower rates with insurers",
    "price transparency rules reduce surprise billing after emergencies",
    "clinics compete on quality once price transparency is mandated",
]
FINANCE = [
    "price transparency on exchanges narrows bid ask spreads for retail traders",
    "order book price transparency attracts liquidity providers to new markets",
    "dark pools widen spreads because they hide price signals from the market",
    "price transparency in token launches reduces insider allocation abuse",
]


def teleo(root: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([TELEO, "--vault", str(root), *args], capture_output=True, text=True, env=ENV)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def vault(tmp_path) -> Path:
    files = dict(claim("health", t) for t in HEALTH)
    files.update(claim("internet-finance", t) for t in FINANCE)
    root = new_vault(tmp_path / "vault", files)
    commit(root, {"agents/vida/identity.md": "# Vida\n", "agents/rio/identity.md": "# Rio\n",
                  "agents/theseus/identity.md": "# Theseus\n"}, "agents")
    return root


def test_triggers_queue_draft_review_merge(vault):
    listed = teleo(vault, "synthesis", "--dry-run").stdout
    assert "new-claims" in listed and "fired" in listed
    assert not (vault / "agents/leo/synthesis-queue.md").exists()  # a dry run writes nothing

    before = git(vault, "rev-list", "--count", "main").strip()
    report = json.loads(teleo(vault, "synthesis", "--format", "json").stdout)
    assert int(git(vault, "rev-list", "--count", "main")) == int(before) + 1  # one commit
    [entry] = [e for e in report["triggers"] if e["trigger"] == "new-claims"]
    assert entry["domains"] == ["health", "internet-finance"]
    queue = (vault / "agents/leo/synthesis-queue.md").read_text()
    assert entry["id"] in queue and "swept: ''" in queue  # the sweep point did not move
    again = json.loads(teleo(vault, "synthesis", "--format", "json").stdout)
    assert again["commit"] is None and len(again["queued"]) == len(report["queued"])  # found again: not queued twice

    made = json.loads(teleo(vault, "synthesize", entry["id"][:6], "--format", "json").stdout)
    branch = f"synthesis/leo/{entry['id']}"
    assert made["status"] == "proposed" and made["branch"] == branch
    assert made["domain"] == "grand-strategy" and made["secondary_domains"] == ["health", "internet-finance"]
    assert "price transparency" in made["mechanism"]
    text = git(vault, "show", f"{branch}:{made['path']}")
    assert "secondary_domains: [health, internet-finance]" in text
    assert all(f"[[{t}]]" in text for t in made["depends_on"]) and len(made["depends_on"]) == 2
    assert git(vault, "log", "-1", "--format=%s", branch).startswith("leo: synthesize ")
    ledger = (vault / ".teleo/ledger.jsonl").read_text().splitlines()
    assert any(json.loads(line)["purpose"] == "synthesis" for line in ledger)
    assert teleo(vault, "synthesize", entry["id"], "-f", "json").stdout.count("already proposed") == 1

    listed = teleo(vault, "synthesis", "--dry-run").stdout
    assert f"proposed  {entry['id']} on {branch}" in listed

    teleo(vault, "review", branch, "--as", "vida")
    waiting = json.loads(teleo(vault, "merge", "--dry-run", "--format", "json").stdout)
    [decision] = [d for d in waiting["decisions"] if d["branch"] == branch] if "decisions" in waiting else [
        d for d in waiting if d["branch"] == branch]
    assert not decision["ready"] and any("rio" in r for r in decision["reasons"])
    assert sorted(decision["required"]) == ["rio", "vida"]

    teleo(vault, "review", branch, "--as", "rio")
    teleo(vault, "merge")
    assert (vault / made["path"]).exists()
    assert branch not in git(vault, "branch", "--list", branch)
    listed = teleo(vault, "synthesis", "--dry-run").stdout
    assert f"done      {entry['id']} → {made['path']}" in listed
    refused = teleo(vault, "synthesize", entry["id"], ok=False)
    assert "already synthesised on main" in refused.stderr + refused.stdout


def test_an_entry_of_one_domain_is_refused_with_the_reason(vault):
    path, text = claim("health", "care costs fall when hospitals share discharge data")
    blocks = "".join(f"\n### Additional Evidence (extend)\n*Source: [[s{i}]] | Added: 2026-03-1{i} | Extractor: t*\n\n"
                     f"Block {i}.\n" for i in range(3))
    commit(vault, {path: text + blocks})
    report = json.loads(teleo(vault, "synthesis", "-f", "json").stdout)
    [entry] = [e for e in report["triggers"] if e["trigger"] == "enriched"]
    if len(entry["domains"]) > 1:
        pytest.skip("the embedding model found a related claim in another domain")
    refused = teleo(vault, "synthesize", entry["id"], ok=False)
    assert refused.returncode != 0 and "one domain only" in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr


def test_unknown_entry_and_help(vault):
    refused = teleo(vault, "synthesize", "zzzz", ok=False)
    assert refused.returncode != 0 and "names no entry" in refused.stderr + refused.stdout
    for command in ("synthesis", "synthesize"):
        assert "Examples" in teleo(vault, command, "--help").stdout
