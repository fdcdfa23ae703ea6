"""`teleo show` and the note report behind it; the CLI commands end to end (--format json)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from index_fixtures import NOTES, age, commit, git, vault  # noqa: F401 (fixture)

from teleo.index import Index
from teleo.index.report import note_report

HEALTH = "domains/health/preventive care saves money only when targeted at high risk groups.md"
ALIGNMENT = "domains/ai-alignment/AI alignment is a coordination problem not a technical problem.md"
FUTARCHY = "core/mechanisms/futarchy solves trustless joint ownership.md"
MARKETS = "domains/internet-finance/prediction markets aggregate dispersed information.md"
ESSAY = "inbox/archive/2026-01-03-hanson-futarchy-essay.md"


def teleo(root, *args, check=True):
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "teleo.cli.app", "--vault", str(root), *args], capture_output=True, text=True, env=env,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_report_links_both_ways_and_sources(vault):
    with Index.open(vault) as index:
        index.sync()
        report = note_report(index, MARKETS)
        assert {(l.source, l.field) for l in report.backlinks} == {
            (HEALTH, "depends_on"), (FUTARCHY, None), (ESSAY, "enrichments_applied"),
        }
        assert [(s.path, s.how) for s in report.sources] == [(ESSAY, "enriched")]
        assert report.source_text == "Hayek 1945; Wolfers and Zitzewitz 2004"

        health = note_report(index, HEALTH)
        assert [(l.raw, l.path) for l in health.depends_on] == [
            ("prediction markets aggregate dispersed information", MARKETS),
            ("an unpublished actuarial estimate", None),
        ]
        assert [l.source for l in health.backlinks] == ["domains/health/_map.md"]

        alignment = note_report(index, ALIGNMENT)
        assert [l.path for l in alignment.challenged_by] == [FUTARCHY]
        assert [l.source for l in note_report(index, FUTARCHY).challenges] == [ALIGNMENT]
        assert [(s.path, s.how) for s in note_report(index, FUTARCHY).sources] == [(ESSAY, "extracted")]
        assert [l.raw for l in note_report(index, "entities/internet-finance/metadao.md").unresolved] == ["a note nobody wrote"]


def test_show_resolves_loosely_and_reads_history_with_agents(make_vault):
    vault = make_vault(NOTES)
    git(vault.root, "init", "-q", "-b", "main")
    commit(vault.root, "initial")
    target = vault.root / MARKETS
    target.write_text(target.read_text() + "\nMore evidence.\n")
    commit(vault.root, "rio: enrich prediction markets claim\n\nPentagon-Agent: Rio <1234-abcd>", MARKETS)
    target.write_text(target.read_text() + "\nEven more.\n")
    commit(vault.root, "auto-fix: tidy\n\nPentagon-Agent: Auto-Fix <HEADLESS>", MARKETS)
    age(vault.root)

    shown = json.loads(teleo(vault.root, "show", "PREDICTION Markets aggregate dispersed information", "--format", "json").stdout)
    assert shown["note"]["path"] == MARKETS and shown["note"]["confidence"] == "proven"
    assert shown["note"]["data"]["created"] == "2026-01-05"
    assert [(c["subject"].split(":")[0], c["agent"]) for c in shown["history"]] == [
        ("auto-fix", "auto-fix"), ("rio", "rio"), ("initial", None),
    ]
    assert shown["history"][1]["agent_id"] == "1234-abcd"
    assert {b["source"] for b in shown["backlinks"]} == {HEALTH, FUTARCHY, ESSAY}

    text = teleo(vault.root, "show", "prediction-markets-aggregate-dispersed-information").stdout
    for expected in ("Backlinks (3 from 3 notes)", "enrich prediction markets claim", "rio", "enriched", "History (3 commits)"):
        assert expected in text


def test_show_outside_git_and_unknown_titles(vault):
    shown = json.loads(teleo(vault.root, "show", HEALTH, "--format", "json").stdout)
    assert shown["history"] == [] and shown["history_note"] == "not a git repository"
    missing = teleo(vault.root, "show", "preventive care saves money only when targeted", check=False)
    assert missing.returncode == 1
    assert "did you mean 'preventive care saves money only when targeted at high risk groups'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_index_search_similar_commands(vault):
    stats = json.loads(teleo(vault.root, "index", "--format", "json").stdout)
    assert stats["added"] == 8 and stats["embedded"] == 7 and stats["pending_embeddings"] == 0
    again = json.loads(teleo(vault.root, "index", "--format", "json").stdout)
    assert again["unchanged"] == 8 and again["added"] == again["updated"] == 0

    found = json.loads(teleo(vault.root, "search", "futarchy", "--type", "claim", "--format", "json").stdout)
    assert found["hits"][0]["path"] == FUTARCHY
    assert {"title", "type", "domain", "confidence", "snippet"} <= set(found["hits"][0])
    assert all(h["kind"] == "claim" for h in found["hits"])
    weird = teleo(vault.root, "search", 'AI "alignment OR (', "--mode", "text", "--format", "json")
    assert json.loads(weird.stdout)["hits"]

    near = json.loads(teleo(vault.root, "similar", "FUTARCHY solves trustless joint ownership", "-k", "2", "--format", "json").stdout)
    assert near["note"] == FUTARCHY and FUTARCHY not in [h["path"] for h in near["hits"]]
    text = json.loads(teleo(vault.root, "similar", "betting on outcomes pools private knowledge", "--format", "json").stdout)
    assert text["hits"][0]["path"] == MARKETS

    plain = teleo(vault.root, "search", "screening").stdout
    assert "preventive care saves money" in plain and "likely" in plain and "health" in plain


@pytest.mark.parametrize("command", ["index", "search", "similar", "show"])
def test_help_has_examples(command):
    from typer.testing import CliRunner

    from teleo.cli.app import app

    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "Examples" in result.output


def test_index_figures_add_up_to_the_notes(vault):
    """Issue 12.5: '0 added, 0 updated, 0 removed, 35 unchanged / 40 touched' for 75 notes. Every
    note is counted once in the headline: added + updated + unchanged = notes; re-read files whose
    bytes did not change are unchanged, and said so."""
    import re

    teleo(vault.root, "index", "--no-embed")
    paths = sorted(p for p in vault.root.rglob("*.md") if ".teleo" not in p.parts)
    for path in paths[:3]:  # a new mtime, the same bytes
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    out = teleo(vault.root, "index", "--no-embed").stdout
    notes = int(re.search(r"of (\d+) notes", out).group(1))
    added, updated, unchanged = (int(re.search(rf"(\d+) {word}", out).group(1)) for word in ("added", "updated", "unchanged"))
    assert notes == 8
    assert added + updated + unchanged == notes, out
    assert "3 with the same bytes under a new time" in out, out
