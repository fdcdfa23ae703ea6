"""`teleo forge`: pull requests on GitHub and on Forgejo/Gitea, against an HTTP fake of their APIs.

Each test runs on both forges (GitHub through githubkit, Forgejo through httpx), with real git: a
review vault, a bare repository standing for the forge's git side, a proposal reviewed offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import respx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
from forge_fakes import BOT, FakeForge  # noqa: E402
from review_helpers import SOURCE, add_commit, git, good_files, make_proposal, make_review_vault  # noqa: E402

from teleo.forge import ForgeAuthError, ForgeConfigError, ForgeSettings, RateLimited  # noqa: E402
from teleo.forge.reviews import marker  # noqa: E402
from teleo.forge.sync import forge_status, make_forge  # noqa: E402
from teleo.pipeline.run import sync_with_forge  # noqa: E402
from teleo.repo.discover import open_repository  # noqa: E402
from teleo.repo.verdicts import VERDICT_PREFIX  # noqa: E402
from teleo.review import review  # noqa: E402
from teleo.vault import Vault  # noqa: E402

TOKEN = "s3cret-token-value"
ENV = "TELEO_TEST_FORGE_TOKEN"
BRANCH = "extract/2026-04-01-okoye-audit-of-deployed-assistants"
URLS = {"github": "https://api.github.test", "forgejo": "https://git.example.test"}
API = {"github": "https://api.github.test", "forgejo": "https://git.example.test/api/v1"}


@pytest.fixture(params=["github", "forgejo"])
def kind(request) -> str:
    if request.param == "github":
        pytest.importorskip("githubkit")
    return request.param


class Setup:
    def __init__(self, tmp_path: Path, kind: str, monkeypatch, *, extra: str = "", reviewed: bool = True):
        self.kind = kind
        monkeypatch.setenv(ENV, TOKEN)
        self.root = tmp_path / "vault"
        make_review_vault(self.root)
        with (self.root / "teleo.toml").open("a", encoding="utf-8") as fh:
            fh.write(f'\n[forge]\nkind = "{kind}"\nrepo = "acme/kb"\nurl = "{URLS[kind]}"\ntoken_env = "{ENV}"\n'
                     f'accounts = ["{BOT}"]\npeople = ["ada"]\n{extra}')
        git(self.root, "commit", "-qam", "forge settings")
        self.bare = tmp_path / "forge.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.bare)], check=True)
        git(self.root, "remote", "add", "origin", str(self.bare))
        git(self.root, "push", "-q", "origin", "main")
        self.vault = Vault.open(self.root)
        self.head = make_proposal(self.vault, BRANCH, good_files())
        if reviewed:
            outcome = review(self.vault, BRANCH)
            assert outcome.status == "approved", outcome
        self.fake = FakeForge(kind, self.bare, base_url=API[kind])
        self.sleeps: list[float] = []

    def forge(self):
        return make_forge(ForgeSettings.from_vault(self.vault), sleep=self.sleeps.append)

    def sync(self, **options):
        return sync_with_forge(self.vault, forge=self.forge(), **options)

    def main(self) -> str:
        return git(self.root, "rev-parse", "main").strip()

    def local_branch(self) -> str:
        return git(self.root, "branch", "--list", BRANCH).strip()


@pytest.fixture
def setup(tmp_path, kind, monkeypatch):
    return Setup(tmp_path, kind, monkeypatch)


def test_a_proposal_is_pushed_opened_reviewed_with_markers_and_merged_through_the_api(setup):
    main_before = setup.main()
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        report = setup.sync()
    [outcome] = report.proposals
    assert outcome.pushed == "pushed" and setup.fake.calls[0][0] == "GET"
    # one pull request, the reference's title and body template
    [created] = setup.fake.posted("POST", "/repos/acme/kb/pulls")
    assert created["head"] == BRANCH and created["base"] == "main"
    assert created["title"] == "theseus: extract claims from 2026-04-01-okoye-audit-of-deployed-assistants"
    for section in ("## Summary", "**Source:**", "## Value Add", "## Challenged / Extended Claims", "## Cross-Domain Impact"):
        assert section in created["body"]
    assert outcome.opened and outcome.pr == 1
    # each agent's verdict as a review on the head, with the legacy marker
    reviews = setup.fake.posted("POST", "/pulls/1/reviews")
    assert {r["commit_id"] for r in reviews} == {setup.head}
    assert {r["event"] for r in reviews} == {"APPROVE" if setup.kind == "github" else "APPROVED"}
    bodies = "\n".join(r["body"] for r in reviews)
    assert marker("leo", "approve") == "<!-- VERDICT:LEO:APPROVE -->" and marker("leo", "approve") in bodies
    assert f"<!-- TELEO:HEAD:{setup.head} -->" in bodies
    assert "leo approve" in outcome.posted and len(reviews) == len(outcome.posted)
    # merged through the API at exactly the head judged; nothing merged locally
    assert outcome.merge == "merged", outcome.reasons
    [(number, merged_head)] = setup.fake.merged
    assert (number, merged_head) == (1, setup.head)
    [merge_call] = setup.fake.posted("PUT" if setup.kind == "github" else "POST", "/pulls/1/merge")
    assert merge_call["sha" if setup.kind == "github" else "head_commit_id"] == setup.head
    # the forge made the merge commit; the clone's main follows it and its cascade was run and pushed
    forge_main = setup.fake.git("rev-parse", "refs/heads/main")
    assert forge_main != main_before and setup.fake.git("rev-parse", f"{outcome.commit}^2") == setup.head
    assert outcome.cascade_owed and not report.cascade_error
    assert [(c["merge"], c["error"]) for c in report.cascades] == [(outcome.commit, None)]
    assert setup.main() == forge_main and setup.local_branch() == "" and setup.fake.branch_head(BRANCH) == ""
    assert setup.fake.git("for-each-ref", "refs/teleo/cascade-owed/") == ""  # the record was taken back
    # the token went in the header and nowhere else
    assert all(TOKEN in h for h in setup.fake.token_seen)
    assert TOKEN not in report.model_dump_json()


def test_the_existing_pull_request_is_found_and_reviews_are_not_posted_twice(setup):
    git(setup.root, "push", "-q", "origin", f"{BRANCH}:{BRANCH}")
    number = setup.fake.add_pull(BRANCH, "opened by hand")
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        first = setup.sync(merge=False)
        posted = len(setup.fake.posted("POST", "/reviews"))
        second = setup.sync(merge=False)
    assert setup.fake.posted("POST", "/repos/acme/kb/pulls") == []  # never a second pull request
    assert first.proposals[0].pr == second.proposals[0].pr == number and not first.proposals[0].opened
    assert posted >= 1 and len(setup.fake.posted("POST", "/reviews")) == posted
    assert second.proposals[0].posted == [] and second.proposals[0].pushed == "up to date"


def test_a_stale_head_409_refuses_the_merge_and_nothing_is_merged(setup):
    main_before = setup.main()
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        setup.sync(merge=False)
        # someone pushes to the branch on the forge after the gate judged it: the fake's head moves
        other = setup.root.parent / "other"
        subprocess.run(["git", "clone", "-q", "-b", BRANCH, str(setup.bare), str(other)], check=True)
        (other / "note.md").write_text("x\n")
        git(other, "add", "note.md")
        git(other, "commit", "-qm", "a commit on the forge")
        git(other, "push", "-q", "origin", BRANCH)
        forge = setup.forge()
        from teleo.forge.base import StaleHead
        pr = forge.find_pr(BRANCH)
        with pytest.raises(StaleHead, match="409"):
            forge.merge(pr, setup.head, "t", "m", "merge")
    assert setup.fake.merged == [] and setup.main() == main_before


def test_a_409_from_the_merge_call_is_reported_stale_and_the_branch_kept(setup):
    main_before = setup.main()
    message = "Head branch was modified. Review and try the merge again." if setup.kind == "github" else "head out of date"
    setup.fake.merge_answer = httpx.Response(409, json={"message": message})
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [outcome] = setup.sync().proposals
    assert outcome.merge == "stale" and "nothing was merged" in " ".join(outcome.reasons)
    assert message in " ".join(outcome.reasons)
    assert setup.main() == main_before and setup.local_branch() != ""


def test_a_401_names_the_forge_and_the_variable_never_the_token(setup):
    setup.fake.fail_next = [httpx.Response(401, json={"message": "Bad credentials"})]
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        with pytest.raises(ForgeAuthError) as caught:
            setup.sync()
    text = str(caught.value)
    assert ("GitHub" if setup.kind == "github" else "Forgejo") in text and f"${ENV}" in text and "401" in text
    assert TOKEN not in text


def test_a_missing_token_says_which_variable(setup, monkeypatch):
    monkeypatch.delenv(ENV)
    with pytest.raises(ForgeConfigError, match=ENV):
        setup.forge()


def test_a_rate_limit_is_waited_out_then_retried(setup):
    limited = httpx.Response(429 if setup.kind == "forgejo" else 403,
                             headers={"Retry-After": "7", "x-ratelimit-remaining": "0"},
                             json={"message": "API rate limit exceeded"})
    setup.fake.fail_next = [limited, limited]
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [outcome] = setup.sync().proposals
    assert setup.sleeps == [7.0, 7.0]  # the wait the forge asked for, through the injected sleep
    assert outcome.merge == "merged"


def test_a_rate_limit_longer_than_allowed_stops_with_when_to_retry(setup):
    setup.fake.fail_next = [httpx.Response(429, headers={"Retry-After": "3600"}, json={"message": "slow down"})]
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [outcome] = setup.sync().proposals
    assert setup.sleeps == [] and outcome.merge == "failed" and "3600" in " ".join(outcome.reasons)
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        setup.fake.fail_next = [httpx.Response(429, headers={"Retry-After": "1"}, json={"message": "slow down"})] * 3
        with pytest.raises(RateLimited, match="still rate limited after 3 attempts"):
            setup.forge().find_pr(BRANCH)
    assert setup.sleeps == [1.0, 1.0]


def _drop_verdicts(setup, *reviewers):
    repo = open_repository(setup.root)
    for reviewer in reviewers:
        ref = f"{VERDICT_PREFIX}{setup.head}/{reviewer}"
        if ref in repo.references:
            repo.references.delete(ref)


def test_markers_by_an_account_not_configured_count_for_nothing(setup):
    _drop_verdicts(setup, "leo")  # the evaluator has not spoken on the head
    git(setup.root, "push", "-q", "origin", f"{BRANCH}:{BRANCH}")
    number = setup.fake.add_pull(BRANCH)
    setup.fake.add_review(number, "mallory", "comment", setup.head, "<!-- VERDICT:LEO:APPROVE -->")
    setup.fake.add_comment(number, "mallory", f"<!-- VERDICT:LEO:APPROVE -->\n<!-- TELEO:HEAD:{setup.head} -->")
    setup.fake.add_comment(number, BOT, "<!-- VERDICT:LEO:APPROVE -->")  # the reference's bare comment: no head
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [outcome] = setup.sync().proposals
    assert outcome.merge == "not_ready" and any("no verdict from leo" in r for r in outcome.reasons)
    ignored = " ".join(outcome.forge_verdicts["ignored"])
    assert ignored.count("@mallory: not one of [forge] accounts") == 2 and "names no head commit" in ignored
    assert "leo" not in outcome.forge_verdicts["agents"] and setup.fake.merged == []


def test_a_configured_accounts_marker_on_the_head_counts(setup):
    _drop_verdicts(setup, "leo")
    git(setup.root, "push", "-q", "origin", f"{BRANCH}:{BRANCH}")
    number = setup.fake.add_pull(BRANCH)
    setup.fake.add_review(number, BOT, "comment", setup.head, "looks right\n<!-- VERDICT:LEO:APPROVE -->")
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [outcome] = setup.sync().proposals
    assert outcome.forge_verdicts["agents"]["leo"] == "approve"
    assert outcome.merge == "merged", outcome.reasons


def test_a_persons_approval_stands_in_for_the_evaluator_only_on_the_head(tmp_path, kind, monkeypatch):
    setup = Setup(tmp_path, kind, monkeypatch, extra="person_stands_for_evaluator = true\n")
    _drop_verdicts(setup, "leo")
    old_head = setup.head
    git(setup.root, "push", "-q", "origin", f"{BRANCH}:{BRANCH}")
    number = setup.fake.add_pull(BRANCH)
    setup.fake.add_review(number, "ada", "approve", old_head)
    # a new commit on the proposal: the approval was given on an older head
    setup.head = add_commit(setup.vault, BRANCH, {"domains/ai-alignment/_map.md": "# AI alignment\n\nMap.\n"},
                            "theseus: extract from 2026-04-01-okoye-audit-of-deployed-assistants.md\n\n"
                            f"- Source: {SOURCE}\n- Domain: ai-alignment\n\nPentagon-Agent: Theseus <HEADLESS>\n")
    assert review(setup.vault, BRANCH).status == "approved"
    _drop_verdicts(setup, "leo")
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [stale] = setup.sync().proposals
        assert stale.merge == "not_ready" and any("no verdict from leo" in r for r in stale.reasons)
        assert any("@ada approved" in i and "not the head" in i for i in stale.forge_verdicts["ignored"])
        setup.fake.add_review(number, "ada", "approve", setup.head)
        [fresh] = setup.sync().proposals
    assert fresh.forge_verdicts["people"] == {"ada": "approve"}
    assert fresh.merge == "merged", fresh.reasons and setup.fake.merged == [(number, setup.head)]


def test_a_persons_request_for_changes_on_the_head_blocks_the_merge(setup):
    git(setup.root, "push", "-q", "origin", f"{BRANCH}:{BRANCH}")
    number = setup.fake.add_pull(BRANCH)
    setup.fake.add_review(number, "ada", "request_changes", setup.head, "not yet")
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [outcome] = setup.sync().proposals
    assert outcome.merge == "not_ready" and "@ada requested changes" in " ".join(outcome.reasons)
    assert setup.fake.merged == []


def test_status_changes_nothing(setup):
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [none] = forge_status(setup.vault, forge=setup.forge()).proposals
        assert none.merge == "no_pr" and setup.fake.calls and all(m == "GET" for m, _, _ in setup.fake.calls)
        setup.sync(merge=False)
        calls = len(setup.fake.calls)
        [ready] = forge_status(setup.vault, forge=setup.forge()).proposals
    assert ready.merge == "ready" and ready.pr == 1
    assert all(m == "GET" for m, _, _ in setup.fake.calls[calls:]) and setup.fake.merged == []


def test_a_forge_branch_with_commits_this_clone_lacks_is_never_overwritten(setup):
    other = setup.root.parent / "other"
    git(setup.root, "push", "-q", "origin", f"{BRANCH}:{BRANCH}")
    subprocess.run(["git", "clone", "-q", "-b", BRANCH, str(setup.bare), str(other)], check=True)
    (other / "x.md").write_text("x\n")
    git(other, "add", "x.md")
    git(other, "commit", "-qm", "a reviewer's fix on the forge")
    git(other, "push", "-q", "origin", BRANCH)
    theirs = setup.fake.branch_head(BRANCH)
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [outcome] = setup.sync().proposals
    assert outcome.pushed.startswith("not pushed") and setup.fake.branch_head(BRANCH) == theirs
    assert setup.fake.calls == []


def test_the_settings_refuse_a_token_in_the_file_and_name_the_field():
    with pytest.raises(ForgeConfigError, match="never put the token"):
        ForgeSettings.from_table({"kind": "github", "repo": "a/b", "token": "x"})
    with pytest.raises(ForgeConfigError, match="forge.repo"):
        ForgeSettings.from_table({"kind": "github", "repo": "nope"})
    with pytest.raises(ForgeConfigError, match="forge.kind"):
        ForgeSettings.from_table({"kind": "gitlab", "repo": "a/b"})
    assert ForgeSettings.from_table({"kind": "forgejo", "repo": "a/b", "url": "https://x.org"}).api_url == "https://x.org/api/v1"


def test_the_command_line_syncs_and_prints_json(setup):
    import json

    from typer.testing import CliRunner

    from teleo.cli.app import app

    runner = CliRunner()
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        status = runner.invoke(app, ["--vault", str(setup.root), "forge", "status", "--format", "json"])
        done = runner.invoke(app, ["--vault", str(setup.root), "forge", "sync", "--format", "json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["proposals"][0]["merge"] == "no_pr"
    assert done.exit_code == 0, done.output
    [proposal] = json.loads(done.output)["proposals"]
    assert proposal["merge"] == "merged" and proposal["pr"] == 1 and proposal["opened"] is True
    assert TOKEN not in done.output


def test_the_command_line_says_what_is_wrong_in_one_line(setup, monkeypatch):
    from typer.testing import CliRunner

    from teleo.cli.app import app

    runner = CliRunner()
    setup.fake.fail_next = [httpx.Response(401, json={"message": "Bad credentials"})]
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        refused = runner.invoke(app, ["--vault", str(setup.root), "forge", "sync"])
    assert refused.exit_code == 2 and ENV in refused.output and TOKEN not in refused.output
    assert "Traceback" not in refused.output
    monkeypatch.delenv(ENV)
    missing = runner.invoke(app, ["--vault", str(setup.root), "forge", "status"])
    assert missing.exit_code == 2 and f"no token in the environment variable {ENV}" in " ".join(missing.output.split())


def test_an_approval_the_forge_refuses_on_an_own_pull_request_is_posted_as_a_comment_review(setup):
    git(setup.root, "push", "-q", "origin", f"{BRANCH}:{BRANCH}")
    number = setup.fake.add_pull(BRANCH)
    setup.fake.pulls[number]["own"] = True  # the bot opened it: 422 on APPROVE, as GitHub and Forgejo answer
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        [outcome] = setup.sync().proposals
    events = [r["event"] for r in setup.fake.posted("POST", f"/pulls/{number}/reviews")]
    assert "COMMENT" in events and all(e in ("COMMENT", "APPROVE", "APPROVED") for e in events)
    assert outcome.forge_verdicts["agents"].get("leo") == "approve" and outcome.merge == "merged"


def test_teleo_run_merges_through_the_forge_when_one_is_configured(tmp_path, kind, monkeypatch):
    from teleo.pipeline.run import run

    setup = Setup(tmp_path, kind, monkeypatch, reviewed=False)
    main_before = setup.main()
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        report = run(setup.vault, ("review", "merge"))
    assert report.merge is None and report.forge is not None and report.ok, report.forge_error
    assert [p.merge for p in report.forge.proposals] == ["merged"] and report.summary()["merged"] == 1
    assert setup.fake.merged == [(1, setup.head)] and setup.main() != main_before  # main followed the forge's
    assert setup.main() == setup.fake.git("rev-parse", "refs/heads/main") and report.forge.cascades
    monkeypatch.delenv(ENV)  # no token: the run says so and is not ok
    missing = run(setup.vault, ("merge",))
    assert not missing.ok and ENV in missing.forge_error
