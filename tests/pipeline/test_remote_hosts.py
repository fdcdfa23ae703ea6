"""Workers on several hosts sharing one git remote (issue 18.2): extraction, review and merge as jobs.

A bare repository is the remote; each host is a clone of it (tests/pipeline/remote_hosts.py).
Races are run by real processes (that file as a script), and each ends with `git fsck --full`
in the remote and every clone.
"""

from __future__ import annotations

import subprocess

import pytest
from remote_hosts import fsck, make_hosts, remote_refs, results, run_host

from teleo.pipeline.remote import (
    ALREADY_DONE,
    extract_on_remote,
    merge_all_on_remote,
    merge_on_remote,
    open_remote_proposals,
    publish_main,
    remote_of,
    review_on_remote,
)
from teleo.pipeline.workers import PipelineSettings
from teleo.repo.branches import branch_head
from teleo.repo.discover import open_repository
from teleo.repo.remote import Remote, RemoteConflict, RemoteError, RemoteUnreachable
from teleo.repo.trailers import trailer
from teleo.vault.tree import TreeVault


def all_clean(hosts) -> None:
    for path in (hosts.remote, *hosts.clones):
        result = fsck(path)
        assert result.returncode == 0, (path, result.stderr)


def first_parent_merges(remote) -> list[str]:
    """The `Teleo-Proposal` of each merge on the remote's main, along its first-parent line, oldest first."""
    out = subprocess.run(["git", "-C", str(remote), "log", "--first-parent", "--format=%B%x1e", "main"],
                         capture_output=True, text=True, check=True).stdout
    found = [trailer(message.strip(), "Teleo-Proposal") for message in out.split("\x1e")]
    return [branch for branch in reversed(found) if branch]


def status_on_remote_main(hosts, clone: int, source: str) -> str:
    vault = hosts.vault(clone)
    Remote.open(open_repository(vault.root), "origin").fetch()
    tree = TreeVault.at(vault, "refs/remotes/origin/main")
    return str(tree.note(source).data.get("status"))


def test_the_configured_remote_is_read_from_teleo_toml(tmp_path):
    hosts = make_hosts(tmp_path, 1, sources=1)
    vault = hosts.vault(0)
    remote = remote_of(vault)
    assert remote is not None and remote.name == "origin" and remote.attempts == 2
    vault.config.pipeline["remote"] = ""
    assert remote_of(vault) is None  # unset: the single-host pipeline, nothing pushed
    vault.config.pipeline["remote"] = "shared"
    with pytest.raises(RemoteError, match="no git remote named 'shared'"):
        remote_of(vault)
    vault.config.pipeline["remote"] = 7
    with pytest.raises(ValueError, match="pipeline.remote"):
        PipelineSettings.from_vault(vault)


def test_a_source_done_on_the_remote_is_already_done_and_a_rerun_changes_nothing(tmp_path):
    hosts = make_hosts(tmp_path, 3, sources=2)
    source = hosts.sources[0]
    first = extract_on_remote(hosts.vault(0), source)
    assert first.status == "proposed", first.error
    before = remote_refs(hosts.remote)
    assert before[f"refs/heads/{first.branch}"] == first.commit

    for clone in (0, 1):  # the same host again, and another host
        again = extract_on_remote(hosts.vault(clone), source)
        assert again.status == "skipped" and again.error.startswith(ALREADY_DONE), again
        assert "proposed on " + first.branch in again.error
    assert remote_refs(hosts.remote) == before

    # reviewed on one host, merged on another: the verdicts travel with the remote
    review = review_on_remote(hosts.vault(1), first.branch)
    assert review.status == "approved", review
    merged = merge_on_remote(hosts.vault(0), first.branch)
    assert merged.status == "merged", merged.reasons
    after_merge = remote_refs(hosts.remote)
    assert f"refs/heads/{first.branch}" not in after_merge  # deleted with the push that moved main
    assert first_parent_merges(hosts.remote) == [first.branch]
    assert status_on_remote_main(hosts, 2, source) == "processed"

    # a third host that never saw the branch: the remote's main names the source
    third = extract_on_remote(hosts.vault(2), source)
    assert third.status == "skipped" and "merged on main" in third.error
    # its clone's main and working tree followed the remote (the similar claims come from the working tree)
    assert "status: processed" in (hosts.clones[2] / source).read_text(encoding="utf-8")
    assert merge_on_remote(hosts.vault(1), first.branch).status == "already"
    assert remote_refs(hosts.remote) == after_merge
    all_clean(hosts)


def test_one_source_extracted_on_two_hosts_at_once_lands_once(tmp_path):
    hosts = make_hosts(tmp_path, 2, sources=1)
    source = hosts.sources[0]
    barrier = tmp_path / "barrier"
    # worker numbers differ, so do the commits (the same commit twice would be the same work: git says up to date)
    processes = [run_host("extract", str(clone), source, str(number + 1), str(barrier), "2")
                 for number, clone in enumerate(hosts.clones)]
    outcomes = [results(process)[0] for process in processes]
    winners = [o for o in outcomes if o["ok"] and o["status"] == "proposed"]
    losers = [o for o in outcomes if not o["ok"]]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0]["error"] == RemoteConflict.__name__ and losers[0]["retryable"] is True
    refs = remote_refs(hosts.remote)
    assert refs[f"refs/heads/{winners[0]['branch']}"] == winners[0]["commit"]

    # the retry of the losing job: already done, nothing written; its clone no longer holds its own losing commit
    loser_clone = hosts.clones[outcomes.index(losers[0])]
    retry = extract_on_remote(hosts.vault(hosts.clones.index(loser_clone)), source)
    assert retry.status == "skipped" and retry.error.startswith(ALREADY_DONE)
    assert remote_refs(hosts.remote) == refs
    assert branch_head(open_repository(loser_clone), winners[0]["branch"]) in (None, winners[0]["commit"])
    all_clean(hosts)


def test_a_proposal_made_but_never_pushed_is_published_by_the_next_run(tmp_path):
    hosts = make_hosts(tmp_path, 1, sources=1)
    vault, source = hosts.vault(0), hosts.sources[0]
    from teleo.pipeline.job import extract_source

    made = extract_source(vault, source, base="refs/remotes/origin/main")  # a worker killed before its push
    assert made.status == "proposed"
    assert f"refs/heads/{made.branch}" not in remote_refs(hosts.remote)
    again = extract_on_remote(vault, source)
    assert (again.status, again.commit) == ("proposed", made.commit)
    assert remote_refs(hosts.remote)[f"refs/heads/{made.branch}"] == made.commit


def test_a_proposal_another_process_of_the_clone_committed_first_is_published(tmp_path, monkeypatch):
    hosts = make_hosts(tmp_path, 1, sources=1)
    vault, source = hosts.vault(0), hosts.sources[0]
    from teleo.pipeline import remote as remote_jobs

    real, first = remote_jobs.extract_source, {}

    def other_process_first(vault, rel, **options):
        first["outcome"] = real(vault, rel, **{**options, "worker": 7})  # committed, not pushed yet
        return real(vault, rel, **options)

    monkeypatch.setattr(remote_jobs, "extract_source", other_process_first)
    outcome = extract_on_remote(vault, source)
    assert first["outcome"].status == "proposed"
    assert (outcome.status, outcome.commit) == ("proposed", first["outcome"].commit)
    assert source in outcome.files
    assert remote_refs(hosts.remote)[f"refs/heads/{outcome.branch}"] == outcome.commit


def _prepare(hosts, count: int, start: int = 0) -> list[str]:
    branches = []
    for source in hosts.sources[start:start + count]:
        outcome = extract_on_remote(hosts.vault(0), source)
        assert outcome.status == "proposed", outcome.error
        branches.append(outcome.branch)
    assert set(branches) <= set(open_remote_proposals(hosts.vault(1)))
    for branch in branches:
        assert review_on_remote(hosts.vault(1), branch).status == "approved"
    return branches


def test_two_hosts_merging_different_proposals_at_once_both_land(tmp_path):
    hosts = make_hosts(tmp_path, 2, sources=6)
    branches = _prepare(hosts, 6)
    processes = [run_host("merge", str(hosts.clones[0]), *branches[0::2]),
                 run_host("merge", str(hosts.clones[1]), *branches[1::2])]
    outcomes = [o for process in processes for o in results(process)]
    assert all(o["ok"] and o["status"] == "merged" for o in outcomes), outcomes
    print("\nrounds:", [o["reasons"][-1] for o in outcomes])
    merges = first_parent_merges(hosts.remote)
    assert sorted(merges) == sorted(branches)  # each proposal merged once: nothing lost, nothing twice
    refs = remote_refs(hosts.remote)
    assert not [ref for ref in refs if ref.startswith("refs/heads/extract/")]
    for source in hosts.sources:
        assert status_on_remote_main(hosts, 0, source) in ("processed", "null-result")
    all_clean(hosts)


def test_a_merge_that_loses_the_race_for_main_is_redone_on_the_new_tip(tmp_path, monkeypatch):
    hosts = make_hosts(tmp_path, 2, sources=2)
    mine, theirs = _prepare(hosts, 2)
    vault = hosts.vault(0)
    remote = remote_of(vault)
    real_push, calls = Remote.push, []

    def push_after_the_other_host(self, updates):
        calls.append([u.ref for u in updates])
        if len(calls) == 1:  # between our fetch and our push, the other host moves main
            assert merge_on_remote(hosts.vault(1), theirs).status == "merged"
        return real_push(self, updates)

    monkeypatch.setattr(Remote, "push", push_after_the_other_host)
    outcome = merge_on_remote(vault, mine, remote=remote)
    assert outcome.status == "merged", outcome.reasons
    assert "in round 2" in outcome.reasons[-1]
    assert first_parent_merges(hosts.remote) == [theirs, mine]
    parent = subprocess.run(["git", "-C", str(hosts.remote), "rev-parse", "main^1"], capture_output=True,
                            text=True, check=True).stdout.strip()
    their_merge = subprocess.run(["git", "-C", str(hosts.remote), "log", "--first-parent", "--format=%H",
                                  "--grep", f"Teleo-Proposal: {theirs}", "main"],
                                 capture_output=True, text=True, check=True).stdout.split()[0]
    assert parent == their_merge  # merged onto the new tip, never from the tip it had lost
    all_clean(hosts)


def test_an_unreachable_remote_fails_the_job_with_gits_message_and_writes_nothing(tmp_path):
    hosts = make_hosts(tmp_path, 1, sources=1)
    clone = hosts.clones[0]
    subprocess.run(["git", "-C", str(clone), "remote", "set-url", "origin", str(tmp_path / "gone.git")], check=True)
    with pytest.raises(RemoteUnreachable, match="unreachable after 2 attempts.*does not appear to be a git repository"):
        extract_on_remote(hosts.vault(0), hosts.sources[0])
    branches = subprocess.run(["git", "-C", str(clone), "branch", "--list", "extract/*"], capture_output=True,
                              text=True, check=True).stdout
    assert branches == ""


def test_the_merge_job_merges_what_is_ready_and_leaves_the_rest_open(tmp_path):
    hosts = make_hosts(tmp_path, 2, sources=2)
    branches = [extract_on_remote(hosts.vault(0), source).branch for source in hosts.sources]
    assert review_on_remote(hosts.vault(0), branches[1]).status == "approved"
    outcomes = {o.branch: o for o in merge_all_on_remote(hosts.vault(1)).merges}
    assert outcomes[branches[1]].status == "merged"
    assert outcomes[branches[0]].status == "not_ready"
    assert any("no verdict" in reason for reason in outcomes[branches[0]].reasons)
    assert open_remote_proposals(hosts.vault(0)) == [branches[0]]
    all_clean(hosts)


def test_a_cascade_that_failed_is_owed_on_the_remote_and_done_by_the_next_merge_job(tmp_path, monkeypatch):
    hosts = make_hosts(tmp_path, 2, sources=2)
    (branch,) = _prepare(hosts, 1)
    import teleo.cascade

    def broken(*args, **kwargs):
        raise RuntimeError("the cascade broke")

    with monkeypatch.context() as patched:
        patched.setattr(teleo.cascade, "plan_cascade", broken)
        merged = merge_on_remote(hosts.vault(0), branch)
    assert merged.status == "merged" and "the cascade broke" in merged.cascade.error
    owed = f"refs/teleo/cascade-owed/{merged.commit}"
    assert remote_refs(hosts.remote)[owed] == merged.commit  # the debt travels with main

    again = merge_on_remote(hosts.vault(1), branch)  # a merge job (one per proposal) settles the debt too
    assert again.status == "already"
    assert any(f"owed cascade of {merged.commit[:12]}" in reason for reason in again.reasons), again.reasons
    assert owed not in remote_refs(hosts.remote)

    with monkeypatch.context() as patched:  # and a merge-all job, first thing
        patched.setattr(teleo.cascade, "plan_cascade", broken)
        second = merge_on_remote(hosts.vault(0), _prepare(hosts, 1, start=1)[0])
    owed = f"refs/teleo/cascade-owed/{second.commit}"
    assert owed in remote_refs(hosts.remote)
    report = merge_all_on_remote(hosts.vault(1))
    assert [c.merge for c in report.cascades] == [second.commit]
    assert report.cascades[0].error is None
    assert owed not in remote_refs(hosts.remote)
    assert merge_all_on_remote(hosts.vault(0)).cascades == []  # done once, on one host
    all_clean(hosts)


def test_a_fix_made_in_review_is_pushed_leased_and_a_branch_moved_meanwhile_is_retried(tmp_path, monkeypatch):
    from remote_hosts import REMOTE_TABLE, share
    from review_helpers import CONFIG, EXISTING, NEW_TITLE, SOURCE, claim_text, make_proposal, make_review_vault, \
        processed_source

    import teleo.review
    from teleo.repo.branches import write_commit
    from teleo.repo.remote import RefUpdate
    from teleo.vault import Vault

    seed = make_review_vault(tmp_path / "seed", {"teleo.toml": CONFIG + REMOTE_TABLE})
    truncated = " ".join(EXISTING.split()[:7])  # a link cut short: the fixer completes it
    text = claim_text().replace(f"[[{EXISTING}]]", f"[[{truncated}]]")
    claim = f"domains/ai-alignment/{NEW_TITLE}.md"
    for branch in ("extract/audit", "extract/audit-two"):
        make_proposal(seed, branch, {claim: text, SOURCE: processed_source([NEW_TITLE])})
    remote, clones = share(seed.root, 2)
    one, two = Vault.open(clones[0]), Vault.open(clones[1])

    # the branch moves on the remote (another host) while this host reviews and fixes it
    real = teleo.review.review

    def branch_moved_on_the_remote_meanwhile(vault, branch, **options):
        done = real(vault, branch, **options)
        other = Remote.open(open_repository(two.root), "origin")
        other.fetch()
        head = other.head(branch)
        moved = write_commit(other.repo, other.repo[head], {"notes.md": b"# elsewhere\n"}, "rio: another change\n")
        other.push([RefUpdate(f"refs/heads/{branch}", moved, expected=head)])
        return done

    with monkeypatch.context() as patched:
        patched.setattr(teleo.review, "review", branch_moved_on_the_remote_meanwhile)
        before = remote_refs(remote)
        with pytest.raises(RemoteConflict):
            review_on_remote(one, "extract/audit-two")
    after = remote_refs(remote)
    assert after["refs/heads/extract/audit-two"] != before["refs/heads/extract/audit-two"]  # the other host's move
    assert [ref for ref in after if ref not in before and ref.startswith("refs/teleo/verdicts/")] == []  # all or nothing

    start = remote_refs(remote)["refs/heads/extract/audit"]
    outcome = review_on_remote(one, "extract/audit")
    assert outcome.status == "approved" and len(outcome.fixes) == 1
    refs = remote_refs(remote)
    assert refs["refs/heads/extract/audit"] == outcome.head != start  # the fix commit, pushed
    assert f"refs/teleo/verdicts/{outcome.head}/gates" in refs
    assert merge_on_remote(two, "extract/audit").status == "merged"  # judged on another host, with those verdicts
    for path in (remote, *clones):
        assert fsck(path).returncode == 0


def test_sources_ingested_on_a_host_reach_the_remote_replayed_onto_its_tip(tmp_path):
    from race import add_sources, make_source

    hosts = make_hosts(tmp_path, 2, sources=1)
    (branch,) = _prepare(hosts, 1)
    assert merge_on_remote(hosts.vault(1), branch).status == "merged"  # the remote's main moves on
    merged_tip = remote_refs(hosts.remote)["refs/heads/main"]

    new_path, new_text = make_source(5, seed=19)
    add_sources(hosts.vault(0), {new_path: new_text})  # the drop folder's commit, on a clone behind the remote
    pushed = publish_main(hosts.vault(0))
    assert pushed == remote_refs(hosts.remote)["refs/heads/main"]
    parent = subprocess.run(["git", "-C", str(hosts.remote), "rev-parse", "main^"], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert parent == merged_tip  # replayed onto the remote's tip, not merged
    assert publish_main(hosts.vault(0)) is None  # nothing left to push
    made = extract_on_remote(hosts.vault(1), new_path)  # another host finds the source on the remote
    assert made.status == "proposed", made.error

    # a job publishes the clone's own commits first, too
    other_path, other_text = make_source(6, seed=19)
    add_sources(hosts.vault(1), {other_path: other_text})
    assert extract_on_remote(hosts.vault(1), made.source).status == "skipped"
    assert extract_on_remote(hosts.vault(0), other_path).status == "proposed"
    all_clean(hosts)


def test_a_local_commit_that_conflicts_with_the_remote_is_kept_aside_not_pushed(tmp_path):
    from teleo.repo.mainline import commit_onto

    hosts = make_hosts(tmp_path, 2, sources=1)
    note = "agents/leo/identity.md"
    for clone, words in ((1, "remote"), (0, "local")):
        repo = open_repository(hosts.clones[clone])
        commit_onto(repo, "refs/heads/main", lambda base, w=words: {note: f"# Leo\n\nThe {w} words.\n".encode()},
                    f"leo: {words} identity\n")
        if clone == 1:
            assert publish_main(hosts.vault(1)) is not None
    before = remote_refs(hosts.remote)
    assert publish_main(hosts.vault(0)) is None  # cannot be replayed: both changed the same lines
    assert remote_refs(hosts.remote) == before
    kept = subprocess.run(["git", "-C", str(hosts.clones[0]), "for-each-ref", "--format=%(refname)",
                           "refs/teleo/unpushed/"], capture_output=True, text=True, check=True).stdout.split()
    assert len(kept) == 1
    assert "local words" in subprocess.run(["git", "-C", str(hosts.clones[0]), "show", f"{kept[0]}:{note}"],
                                           capture_output=True, text=True, check=True).stdout
    all_clean(hosts)


def test_teleo_run_on_a_host_publishes_what_it_ingested(tmp_path):
    from race import make_source

    from teleo.pipeline.run import run

    hosts = make_hosts(tmp_path, 2, sources=1)
    _, text = make_source(7, seed=20)
    dropped = tmp_path / "field-note.md"
    dropped.write_text(text.split("---\n", 2)[2], encoding="utf-8")  # the body only, as a person would drop it
    report = run(hosts.vault(0), stages=["ingest"], ingest_paths=[dropped], domain="health")
    archived = [entry for entry in report.ingested if entry.get("path")]
    assert archived, report.ingested
    path = archived[0]["path"]
    assert status_on_remote_main(hosts, 1, path) == "unprocessed"  # on the remote's main, seen from another host


def test_a_slow_extraction_of_a_source_merged_meanwhile_leaves_no_branch_behind(tmp_path, monkeypatch):
    hosts = make_hosts(tmp_path, 2, sources=1)
    source = hosts.sources[0]
    from teleo.pipeline import remote as remote_jobs

    real, calls = remote_jobs.extract_source, []

    def merged_elsewhere_meanwhile(vault, rel, **options):
        calls.append(rel)
        if len(calls) > 1:  # the other host's own extraction
            return real(vault, rel, **options)
        made = extract_on_remote(hosts.vault(1), rel, worker=9)  # another host: extracted, reviewed, merged, deleted
        assert review_on_remote(hosts.vault(1), made.branch).status == "approved"
        assert merge_on_remote(hosts.vault(1), made.branch).status == "merged"
        return real(vault, rel, **options)

    pushed: list[list[str]] = []
    real_push = Remote.push
    monkeypatch.setattr(remote_jobs, "extract_source", merged_elsewhere_meanwhile)
    monkeypatch.setattr(Remote, "push", lambda self, updates: (pushed.append([u.ref for u in updates]),
                                                               real_push(self, updates))[1])
    slow = extract_on_remote(hosts.vault(0), source)
    assert slow.status == "skipped" and slow.error.startswith(f"{ALREADY_DONE}: merged on main"), slow
    refs = remote_refs(hosts.remote)
    assert not [ref for ref in refs if ref.startswith("refs/heads/extract/")]  # its branch never stayed there
    # the slow job's one push carried main's lease (main at the tip it started from) and was refused whole
    assert "refs/heads/main" in [refs for refs in pushed if any("/extract/" in r for r in refs)][-1]
    assert len(first_parent_merges(hosts.remote)) == 1
    all_clean(hosts)
