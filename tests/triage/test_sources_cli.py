"""`teleo sources` end to end: the real command line on a temp vault with real git."""

from __future__ import annotations

import json

from triage_helpers import (
    CLAIMS,
    SOURCES,
    git,
    head,
    make_vault,
    path_of,
    show_bytes,
    source,
    status_on_main,
    teleo,
)


def listing(root, *args) -> dict:
    result = teleo(root, "sources", "list", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_list_counts_per_status_and_filters(tmp_path):
    root = make_vault(tmp_path / "v")
    everything = listing(root)
    assert everything["read_from"] == "main" and everything["total"] == len(SOURCES)
    assert everything["counts"] == {"unprocessed": 2, "processing": 0, "processed": 1, "null-result": 5,
                                    "enrichment": 0, "entity-data": 0, "invalid": 1}
    assert everything["no_status_field"] == 1
    by_path = {s["path"]: s for s in everything["sources"]}
    assert by_path[path_of("nostatus")]["status"] == "unprocessed" and by_path[path_of("nostatus")]["written_status"] is None
    assert by_path[path_of("freetext")]["status"] is None
    assert by_path[path_of("freetext")]["written_status"] == "complete (13 pages)"
    assert by_path[path_of("null-health")]["judged"] == "2026-03-01"
    assert by_path[path_of("null-health")]["judged_from"] == "last_attempted"
    assert by_path[path_of("null-ai")]["agent"] == "theseus"

    null_health = listing(root, "--status", "null-result", "--domain", "health")
    assert {s["path"] for s in null_health["sources"]} == {path_of(n) for n in ("null-health", "null-late", "null-undated")}
    assert null_health["counts"]["null-result"] == 3 and null_health["counts"]["unprocessed"] == 0
    assert {s["path"] for s in listing(root, "--agent", "theseus")["sources"]} == {path_of("nostatus"), path_of("null-ai")}
    assert {s["path"] for s in listing(root, "--source-format", "data")["sources"]} == {path_of("queued"), path_of("null-late")}
    assert listing(root, "--status", "invalid")["listed"] == 1
    assert listing(root, "--since", "2026-01-05")["listed"] == 0 and listing(root, "--until", "2026-01")["listed"] == len(SOURCES)

    text = teleo(root, "sources")  # the group alone lists too
    assert text.returncode == 0
    assert "Sources by status (9 listed of 9, from main)" in text.stdout
    assert "status: complete (13 pages)" in text.stdout  # what is written, for a status outside the lifecycle
    counts = teleo(root, "sources", "list", "--counts", "--status", "null-result")
    assert "null-result" in counts.stdout and "someone-null-health" not in counts.stdout


def test_bad_input_gets_a_clear_message_and_exit_2(tmp_path):
    root = make_vault(tmp_path / "v")
    before = head(root)
    cases = [
        (("sources", "list", "--status", "done"), "--status 'done' is no source status (one of unprocessed"),
        (("sources", "list", "--since", "2026-1"), "--since '2026-1' is not a date"),
        (("sources", "reset", "no-such-source", "--reason", "x"), "no source named 'no-such-source' on main"),
        (("sources", "reset", "domains/health/health claim created before.md", "--reason", "x"),
         "is not a source note (it reads as claim"),
        (("sources", "park", path_of("queued"), "--reason", "   "), "--reason must say why"),
        (("sources", "park", path_of("queued")), "Missing option '--reason'"),
        (("sources", "park", path_of("queued"), "--reason", "x", "--as", "nobody"), "--as 'nobody' is no agent"),
        (("sources", "requeue-null", "--apply", "--dry-run"), "choose one"),
    ]
    for args, message in cases:
        result = teleo(root, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in " ".join(result.stderr.split()), (args, result.stderr)
    outside = make_vault(tmp_path / "plain", {path_of("queued"): SOURCES[path_of("queued")]}, git=False)
    result = teleo(outside, "sources", "park", path_of("queued"), "--reason", "x")
    assert result.returncode == 2 and "is not in a git repository" in result.stderr
    assert teleo(outside, "sources", "list", "--format", "json").returncode == 0  # reading needs no git
    assert head(root) == before


def test_reset_is_one_commit_with_the_reason_and_changes_the_status_line_only(tmp_path):
    path, text = source("odd", status='"processed"', extra=(
        "# a comment the edit must keep\nprocessed_by: vida\nprocessed_date: 2026-02-01\n"
        "claims_extracted:\n  - \"first claim\"\n  - second claim\n"
        "extraction_notes: |\n  a block scalar\n  over two lines\n'quoted key': kept\n"))
    old = text.replace("\n", "\r\n").encode()
    root = make_vault(tmp_path / "v", {**SOURCES, path: old})
    before = head(root)
    result = teleo(root, "sources", "reset", path, "--reason", "re-extract with the new prompt [[not a link]]")
    assert result.returncode == 0, result.stderr
    assert f"reset {path}: processed → unprocessed" in result.stdout
    assert git(root, "rev-list", "--count", f"{before}..main").strip() == "1"
    message = git(root, "log", "-1", "--format=%B", "main")
    assert message.startswith("sources: reset 2026-01-04-someone-odd → unprocessed\n")
    assert "Reason: re-extract with the new prompt [ [not a link] ]" in message  # the reason kept, its link defused
    assert f"- {path}: processed → unprocessed" in message
    assert "Teleo-Triage: reset" in message and "Pentagon-Agent: Vida <HEADLESS>" in message
    assert git(root, "diff", "--name-only", before, "main").split("\n")[0] == path
    new = show_bytes(root, path)
    assert new == old.replace(b'status: "processed"\r\n', b"status: unprocessed\r\n")  # every other byte kept
    assert (root / path).read_bytes() == new  # the checked-out working tree followed
    assert git(root, "status", "--porcelain") == ""


def test_illegal_moves_are_refused_naming_the_allowed_ones_and_nothing_is_committed(tmp_path):
    root = make_vault(tmp_path / "v")
    before = head(root)
    result = teleo(root, "sources", "reset", path_of("queued"), "--reason", "x")
    assert result.returncode == 1
    err = " ".join(result.stderr.split())
    assert f"{path_of('queued')}:9: status 'unprocessed': reset moves a source to unprocessed, but from unprocessed" in err
    assert "→ entity-data (teleo sources park)" in err and "nothing committed" in err
    result = teleo(root, "sources", "park", path_of("processed"), "--reason", "x")
    assert result.returncode == 1
    assert "from processed the lifecycle allows only: → unprocessed (teleo sources reset)" in " ".join(result.stderr.split())
    result = teleo(root, "sources", "unpark", path_of("null-ai"), "--reason", "x")
    assert result.returncode == 1 and "→ entity-data (teleo sources park)" in " ".join(result.stderr.split())
    result = teleo(root, "sources", "reset", path_of("freetext"), "--reason", "x")
    assert result.returncode == 1
    assert f"{path_of('freetext')}:9: status 'complete (13 pages)': its status is no state of the source lifecycle" in \
        " ".join(result.stderr.split())
    # several sources, one refused: none moves
    result = teleo(root, "sources", "reset", path_of("processed"), path_of("queued"), "--reason", "x", "--format", "json")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["commit"] is None and payload["moves"] == [] and [r["path"] for r in payload["refused"]] == [path_of("queued")]
    assert head(root) == before and status_on_main(root, path_of("processed")) == "processed"


def test_parked_sources_are_skipped_by_extraction_until_unparked(tmp_path):
    sources = {p: t for p, t in SOURCES.items() if p in (path_of("queued"), path_of("nostatus"))}
    root = make_vault(tmp_path / "v", sources)
    result = teleo(root, "sources", "park", "2026-01-04-someone-queued", "--reason", "launch data: entities, not claims")
    assert result.returncode == 0, result.stderr
    assert status_on_main(root, path_of("queued")) == "entity-data"
    assert "Reason: launch data: entities, not claims" in git(root, "log", "-1", "--format=%B", "main")
    assert listing(root)["counts"]["entity-data"] == 1
    result = teleo(root, "extract", "--provider", "offline", "--format", "json")
    assert result.returncode == 0, result.stderr
    made = git(root, "branch", "--list", "extract/*")
    assert "someone-nostatus" in made and "someone-queued" not in made
    again = teleo(root, "extract", path_of("queued"), "--provider", "offline", "--format", "json")  # named: still not taken
    assert "someone-queued" not in git(root, "branch", "--list", "extract/*"), again.stdout
    assert (f"not extracted: {path_of('queued')} is parked (status entity-data on main): `teleo sources unpark` puts "
            "it back in the queue") in " ".join(again.stderr.split())

    result = teleo(root, "sources", "unpark", path_of("queued"), "--reason", "entity extraction reads it now")
    assert result.returncode == 0, result.stderr
    assert status_on_main(root, path_of("queued")) == "unprocessed"
    assert teleo(root, "extract", "--provider", "offline").returncode == 0
    assert "someone-queued" in git(root, "branch", "--list", "extract/*")
    # its proposal is open now: a move would conflict with the proposal's own status edit
    before = head(root)
    result = teleo(root, "sources", "park", path_of("queued"), "--reason", "x")
    assert result.returncode == 1 and "an extraction proposal of this source is open on extract/" in result.stderr
    assert head(root) == before


def test_requeue_null_is_a_dry_run_until_applied_and_picks_the_grown_domains(tmp_path):
    root = make_vault(tmp_path / "v")
    before = head(root)
    result = teleo(root, "sources", "requeue-null", "--min-new-claims", "2", "--format", "json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["dry_run"] is True and plan["commit"] is None and head(root) == before
    by_path = {c["path"]: c for c in plan["candidates"]}
    assert set(by_path) == {path_of(n) for n in ("null-health", "null-ai", "null-late", "null-undated", "null-nodomain")}
    health = by_path[path_of("null-health")]
    assert (health["judged"], health["judged_from"], health["gained"], health["undated"]) == ("2026-03-01", "last_attempted", 4, 1)
    ai = by_path[path_of("null-ai")]  # the claim of the same day and the partial `2026-03-00` are not after it
    assert (ai["judged"], ai["judged_from"], ai["gained"]) == ("2026-03-01", "processed_date", 2)
    assert by_path[path_of("null-late")]["gained"] == 1
    undated = by_path[path_of("null-undated")]
    assert undated["judged_from"] == "git" and undated["gained"] == 0  # judged at its commit, today
    assert by_path[path_of("null-nodomain")]["held_by"] == "no domain"
    assert sorted(c["path"] for c in plan["candidates"] if c["chosen"]) == sorted([path_of("null-health"), path_of("null-ai")])

    text = teleo(root, "sources", "requeue-null", "--min-new-claims", "3")
    assert "1 of 5 null results would go back to the queue — dry run, nothing written; --apply commits them" in text.stdout
    assert "keep (fewer than 3)" in text.stdout and head(root) == before

    result = teleo(root, "sources", "requeue-null", "--min-new-claims", "3", "--apply", "--reason", "weekly re-check")
    assert result.returncode == 0, result.stderr
    assert git(root, "rev-list", "--count", f"{before}..main").strip() == "1"
    message = git(root, "log", "-1", "--format=%B", "main")
    assert message.startswith("sources: requeue-null 2026-01-04-someone-null-health → unprocessed")
    assert "the domain gained at least 3 claims since the source was judged a null result; weekly re-check" in message
    assert (f"- {path_of('null-health')}: null-result → unprocessed (health gained 4 claims since 2026-03-01 "
            "(last_attempted))") in message
    assert "Teleo-Triage: requeue-null" in message
    assert status_on_main(root, path_of("null-health")) == "unprocessed"
    assert status_on_main(root, path_of("null-ai")) == "null-result"
    again = json.loads(teleo(root, "sources", "requeue-null", "--min-new-claims", "3", "--format", "json").stdout)
    assert again["chosen"] == 0 and len(again["candidates"]) == 4


def test_a_parked_null_result_is_never_requeued(tmp_path):
    root = make_vault(tmp_path / "v", {**{p: SOURCES[p] for p in (path_of("null-health"),)}, **CLAIMS})
    assert teleo(root, "sources", "park", path_of("null-health"), "--reason", "data page").returncode == 0
    plan = json.loads(teleo(root, "sources", "requeue-null", "--min-new-claims", "1", "--format", "json").stdout)
    assert plan["candidates"] == []
