"""A job run again after its worker died keeps the chain going (found by the fault test, issue 18.4).

A worker killed after its extraction was written (pushed) but before the job's completion and its
follow-up (the review job) were recorded leaves the job running; the stall task retries it, and
the retry finds the proposal already made ("skipped"). That retry must still enqueue the review,
or the proposal stays open for ever with no job to review it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from pipeline_helpers import FakeFactory, git, make_sources_vault, source_path  # noqa: E402
from remote_hosts import make_hosts  # noqa: E402

from teleo.pipeline import PipelineSettings  # noqa: E402
from teleo.pipeline.perform import Runtime, perform  # noqa: E402


def test_an_extraction_run_again_on_one_host_still_asks_for_its_review(tmp_path):
    vault = make_sources_vault(tmp_path / "vault", 2)
    runtime = Runtime(vault, FakeFactory(), settings=PipelineSettings())
    first = perform(vault, "extract", source_path(1), runtime, then=("review", "merge"))
    assert first.ok and first.result["status"] == "proposed"
    branch = first.result["branch"]
    assert first.follow == [("review", branch)]
    again = perform(vault, "extract", source_path(1), runtime, then=("review", "merge"))  # the retry after a crash
    assert again.ok and again.result["status"] == "skipped"
    assert again.follow == [("review", branch)]
    assert perform(vault, "extract", source_path(1), runtime).follow == []  # no later stage asked: none
    git(vault.root, "update-ref", "refs/heads/main", first.result["commit"])  # merged (fast-forward)
    merged = perform(vault, "extract", source_path(1), runtime, then=("review", "merge"))
    assert merged.ok and merged.result["status"] == "skipped" and merged.follow == []


def test_a_skipped_extraction_without_a_proposal_asks_for_nothing(tmp_path):
    vault = make_sources_vault(tmp_path / "vault", 1, extra={"inbox/archive/2026-01-04-report-000.md": "---\ntype: source\n"
                               "title: \"Launch report 0\"\ndomain: space-development\nformat: report\n"
                               "status: processed\n---\n\n# Launch report 0\n"})
    runtime = Runtime(vault, FakeFactory(), settings=PipelineSettings())
    done = perform(vault, "extract", source_path(0), runtime, then=("review", "merge"))
    assert done.ok and done.result["status"] == "skipped" and done.follow == []


def test_an_extraction_run_again_on_a_shared_remote_still_asks_for_its_review(tmp_path):
    hosts = make_hosts(tmp_path, count=2, sources=1)
    [source] = hosts.sources
    runtimes = [Runtime(hosts.vault(n), settings=PipelineSettings.from_vault(hosts.vault(n))) for n in range(2)]
    first = perform(hosts.vault(0), "extract", source, runtimes[0], then=("review", "merge"))
    assert first.ok and first.result["status"] in ("proposed", "null"), first
    branch = first.result["branch"]
    assert first.follow == [("review", branch)]
    for number in (0, 1):  # the retry, on this host or another: the remote has it, "already done"
        again = perform(hosts.vault(number), "extract", source, runtimes[number], then=("review", "merge"))
        assert again.ok and again.result["status"] == "skipped", again
        assert again.follow == [("review", branch)]
