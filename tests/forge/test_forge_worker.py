"""The queue's workers with `[forge]`: proposals pushed to the forge's repository (the hosts' shared remote), pull
requests opened and verdicts posted by the review job, merges made through the forge's API by the merge job.

Real git (a bare repository is the forge's git side and the shared remote, clones are the hosts), the respx
fake of GitHub's and Forgejo's APIs (tests/forge/forge_fakes.py). The jobs run through `perform` as a worker
runs them; `test_worker_jobs_on_postgres_*` run them from the PostgreSQL queue with Procrastinate's worker
(skipped, saying why, without PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import respx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pipeline"))
sys.path.insert(0, str(HERE.parent / "review"))
from forge_fakes import BOT, FakeForge  # noqa: E402
from remote_hosts import fsck, make_hosts, remote_refs  # noqa: E402

from teleo.forge.reviews import marker  # noqa: E402
from teleo.pipeline.perform import Runtime, perform  # noqa: E402
from teleo.pipeline.workers import PipelineSettings  # noqa: E402
from teleo.repo.trailers import trailer  # noqa: E402

TOKEN = "worker-forge-token"
ENV = "TELEO_TEST_FORGE_TOKEN"
URLS = {"github": "https://api.github.test", "forgejo": "https://git.example.test"}
API = {"github": "https://api.github.test", "forgejo": "https://git.example.test/api/v1"}


def forge_table(kind: str, *, remote: str = "origin") -> str:
    return (f'\n[forge]\nkind = "{kind}"\nrepo = "acme/kb"\nurl = "{URLS[kind]}"\nremote = "{remote}"\n'
            f'token_env = "{ENV}"\naccounts = ["{BOT}"]\n')


@pytest.fixture(params=["github", "forgejo"])
def kind(request, monkeypatch) -> str:
    if request.param == "github":
        pytest.importorskip("githubkit")
    monkeypatch.setenv(ENV, TOKEN)
    return request.param


def git_out(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, check=True).stdout.strip()


def writes(fake: FakeForge) -> list[tuple[str, str]]:
    """The requests that change something on the forge (anything but a GET)."""
    return [(method, path) for method, path, _ in fake.calls if method != "GET"]


# -- how the forge and [pipeline] remote relate -----------------------------------------------------------


def test_with_a_forge_the_postgres_workers_shared_remote_is_the_forges(make_vault, monkeypatch):
    monkeypatch.setenv("TELEO_PG_DSN", "postgresql://teleo@db.invalid/teleo")
    vault = make_vault({}, config='[pipeline]\nbackend = "postgres"\n' + forge_table("forgejo", remote="forge"))
    assert PipelineSettings.from_vault(vault).remote == "forge"  # implied: the workers push to the forge
    vault.config.pipeline["remote"] = "forge"
    assert PipelineSettings.from_vault(vault).remote == "forge"
    vault.config.pipeline["backend"] = "sqlite"
    del vault.config.pipeline["remote"]
    assert PipelineSettings.from_vault(vault).remote == ""  # one host: teleo run merges through `forge sync`


def test_a_pipeline_remote_that_is_not_the_forges_is_refused_in_one_line_naming_both(make_vault):
    vault = make_vault({}, config='[pipeline]\nremote = "origin"\n' + forge_table("github", remote="forge"))
    with pytest.raises(ValueError) as refused:
        PipelineSettings.from_vault(vault)
    said = str(refused.value)
    assert "\n" not in said and "field 'pipeline.remote'" in said and "[forge] remote = 'forge'" in said


def test_teleo_worker_refuses_the_contradiction_and_a_missing_token_in_one_line(make_vault, monkeypatch):
    from typer.testing import CliRunner

    from teleo.cli.app import app

    monkeypatch.setenv("TELEO_PG_DSN", "postgresql://teleo@db.invalid/teleo")
    monkeypatch.delenv(ENV, raising=False)
    vault = make_vault({}, config='[pipeline]\nbackend = "postgres"\nremote = "upstream"\n' + forge_table("forgejo"))
    runner = CliRunner()
    contradiction = runner.invoke(app, ["--vault", str(vault.root), "worker", "--drain"])
    assert contradiction.exit_code == 2 and "pipeline.remote" in contradiction.output
    assert "Traceback" not in contradiction.output
    (vault.root / "teleo.toml").write_text(
        (vault.root / "teleo.toml").read_text(encoding="utf-8").replace('remote = "upstream"\n', ""), encoding="utf-8")
    no_token = runner.invoke(app, ["--vault", str(vault.root), "worker", "--drain"])
    assert no_token.exit_code == 2 and ENV in " ".join(no_token.output.split()), no_token.output
    assert "Traceback" not in no_token.output


# -- the jobs, as a worker runs them -------------------------------------------------------------------------


class ForgeHosts:
    """Two hosts sharing the forge's repository (the bare remote), each with a worker's runtime."""

    def __init__(self, tmp_path: Path, kind: str, sources: int = 1, config: str = ""):
        self.hosts = make_hosts(tmp_path, 2, sources=sources, config=config + forge_table(kind))
        self.fake = FakeForge(kind, self.hosts.remote, base_url=API[kind])
        self.runtimes = [Runtime(self.hosts.vault(n), settings=PipelineSettings.from_vault(self.hosts.vault(n)))
                         for n in range(2)]

    def job(self, host: int, kind: str, target: str, then: tuple[str, ...] = ()):
        done = perform(self.runtimes[host].vault, kind, target, self.runtimes[host], then=then)
        assert done.ok, (kind, target, done.error, done.result)
        return done

    def forge_main(self) -> str:
        return self.fake.git("rev-parse", "refs/heads/main")


def test_worker_jobs_push_open_review_and_merge_through_the_forges_api(tmp_path, kind):
    setup = ForgeHosts(tmp_path, kind)
    [source] = setup.hosts.sources
    main_before = setup.forge_main()
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        made = setup.job(0, "extract", source, ("review", "merge"))
        branch = made.result["branch"]
        assert made.follow == [("review", branch)] and setup.fake.branch_head(branch) == made.result["commit"]
        assert setup.fake.calls == []  # the extraction pushes to the forge's repository; no API call
        reviewed = setup.job(1, "review", branch, ("merge",))  # on the other host
        assert reviewed.result["status"] == "approved" and reviewed.follow == [("merge", branch)]
        assert reviewed.result["forge"]["opened"] and reviewed.result["forge"]["pr"] == 1
        head = reviewed.result["head"]
        [opened] = setup.fake.posted("POST", "/repos/acme/kb/pulls")
        assert opened["head"] == branch and opened["title"].endswith(Path(source).stem)
        posted = setup.fake.posted("POST", "/pulls/1/reviews")
        assert posted and {r["commit_id"] for r in posted} == {head}
        assert marker("leo", "approve") in "\n".join(r["body"] for r in posted)
        assert setup.forge_main() == main_before  # a review merges nothing
        merged = setup.job(0, "merge", branch)
    assert merged.result["status"] == "merged", merged.result["reasons"]
    # the forge made the merge, at exactly the head judged; the worker never pushed a merge of its own
    assert setup.fake.merged == [(1, head)]
    [call] = setup.fake.posted("PUT" if kind == "github" else "POST", "/pulls/1/merge")
    assert call["sha" if kind == "github" else "head_commit_id"] == head
    merge = merged.result["commit"]
    assert git_out(setup.hosts.remote, "log", "-1", "--format=%an", merge) == "Forge"
    assert git_out(setup.hosts.remote, "rev-parse", f"{merge}^2") == head
    assert trailer(git_out(setup.hosts.remote, "log", "-1", "--format=%B", merge), "Teleo-Head") == head
    first_parents = git_out(setup.hosts.remote, "rev-list", "--first-parent", f"{main_before}..main").split()
    assert merge in first_parents and len(first_parents) <= 2  # the forge's merge, and its cascade when it made one
    refs = remote_refs(setup.hosts.remote)
    assert f"refs/heads/{branch}" not in refs and not [r for r in refs if "cascade-owed" in r]
    assert git_out(setup.hosts.clones[0], "rev-parse", "main") == setup.forge_main()  # the host followed
    assert "status: processed" in git_out(setup.hosts.remote, "show", f"main:{source}")
    for path in (setup.hosts.remote, *setup.hosts.clones):
        assert fsck(path).returncode == 0, path


def test_a_rerun_of_every_job_changes_nothing_on_the_forge_or_the_remote(tmp_path, kind):
    setup = ForgeHosts(tmp_path, kind)
    [source] = setup.hosts.sources
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        branch = setup.job(0, "extract", source, ("review", "merge")).result["branch"]
        setup.job(1, "review", branch, ("merge",))
        setup.job(0, "merge", branch)
        before, calls = remote_refs(setup.hosts.remote), writes(setup.fake)
        for host in (0, 1):  # the retry after a crash, on this host or another
            assert setup.job(host, "extract", source, ("review", "merge")).result["status"] == "skipped"
            again = setup.job(host, "merge", branch)
            assert again.result["status"] == "already", again.result
            assert setup.job(host, "review", branch).result["status"] == "gone"
    assert remote_refs(setup.hosts.remote) == before and writes(setup.fake) == calls
    assert setup.fake.merged and len(setup.fake.merged) == 1  # never merged twice


def test_a_rerun_of_an_open_proposals_jobs_opens_and_posts_nothing_again(tmp_path, kind):
    setup = ForgeHosts(tmp_path, kind)
    [source] = setup.hosts.sources
    setup.fake.merge_answer = None
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        branch = setup.job(0, "extract", source, ("review", "merge")).result["branch"]
        setup.job(1, "review", branch, ("merge",))
        calls = writes(setup.fake)
        again = setup.job(0, "review", branch, ("merge",))
    assert again.result["forge"] == {**again.result["forge"], "opened": False, "posted": [], "pr": 1}
    assert writes(setup.fake) == calls


def test_a_head_that_moves_before_the_merge_call_is_a_409_nothing_is_merged_and_it_is_left_open(tmp_path, kind):
    setup = ForgeHosts(tmp_path, kind)
    [source] = setup.hosts.sources
    main_before = setup.forge_main()
    moved: list[str] = []
    merge_call = setup.fake.merge

    def a_push_lands_first(number: int, body: dict):
        """Someone pushes to the pull request's branch between the gate and the merge call (once)."""
        if not moved:
            branch = setup.fake.pulls[number]["branch"]
            old = setup.fake.branch_head(branch)
            new = setup.fake.git("commit-tree", f"{old}^{{tree}}", "-p", old, stdin="a commit pushed to the PR\n")
            setup.fake.git("update-ref", f"refs/heads/{branch}", new, old)
            moved.append(new)
        return merge_call(number, body)

    setup.fake.merge = a_push_lands_first
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        branch = setup.job(0, "extract", source, ("review", "merge")).result["branch"]
        setup.job(1, "review", branch, ("merge",))
        left = setup.job(0, "merge", branch)
        # the 409 is reported; the new head has no verdicts: left open for its review, not retried for ever
        assert left.result["status"] == "not_ready", left.result
        reasons = " ".join(left.result["reasons"])
        assert "409" in reasons and "nothing was merged" in reasons and "no verdict" in reasons
        assert setup.fake.merged == [] and setup.forge_main() == main_before
        assert setup.fake.branch_head(branch) == moved[0] and setup.fake.pulls[1]["state"] == "open"
        before, calls = remote_refs(setup.hosts.remote), writes(setup.fake)
        rerun = setup.job(1, "merge", branch)
    assert rerun.result["status"] == "not_ready" and setup.fake.merged == []
    assert remote_refs(setup.hosts.remote) == before and writes(setup.fake) == calls


# -- from the PostgreSQL queue, with Procrastinate's worker ---------------------------------------------------


def moving_once(fake: FakeForge, slug: str, moved: list[str]):
    """The fake's merge call, after which someone pushed to the pull request of `slug`'s branch (once): a 409."""
    merge_call = fake.merge

    def merge(number: int, body: dict):
        branch = fake.pulls[number]["branch"]
        if slug in branch and not moved:
            old = fake.branch_head(branch)
            new = fake.git("commit-tree", f"{old}^{{tree}}", "-p", old, stdin="a commit pushed to the PR\n")
            fake.git("update-ref", f"refs/heads/{branch}", new, old)
            moved.append(new)
        return merge_call(number, body)

    return merge


def drain(setup: ForgeHosts, host: int, settings: PipelineSettings) -> None:
    """`teleo worker --drain` on `host`, in this process (so that the respx fake answers its requests)."""
    from teleo.pipeline.service import WorkerSpec, run_worker

    assert run_worker(setup.hosts.vault(host), settings, 1, True, WorkerSpec()) == 0


def test_worker_jobs_on_postgres_merge_through_the_forge_a_409_is_left_open_and_a_rerun_changes_nothing(
        tmp_path, kind, pg_dsn, monkeypatch):
    from teleo.pipeline.pg import PostgresQueue, init_schema

    init_schema(pg_dsn)
    monkeypatch.setenv("TELEO_PG_DSN", pg_dsn)
    setup = ForgeHosts(tmp_path, kind, sources=2, config='backend = "postgres"\nbackoff_s = 0.1\n')
    settings = PipelineSettings.from_vault(setup.hosts.vault(0))
    assert settings.backend == "postgres" and settings.remote == "origin"
    merging, stale = setup.hosts.sources
    moved: list[str] = []
    setup.fake.merge = moving_once(setup.fake, Path(stale).stem, moved)
    main_before = setup.forge_main()
    queue = PostgresQueue(pg_dsn, settings=settings)
    try:
        for source in setup.hosts.sources:
            assert queue.enqueue("extract", source, then=("review", "merge"))
        with respx.mock(assert_all_called=False) as router:
            setup.fake.install(router)
            drain(setup, 0, settings)
            jobs = {(j.kind, j.target): j for j in queue.jobs()}
            assert all(j.state == "done" for j in jobs.values()), [(j.kind, j.target, j.state, j.error) for j in jobs.values()]
            branch = {s: jobs["extract", s].result["branch"] for s in setup.hosts.sources}
            assert {jobs["review", b].result["status"] for b in branch.values()} == {"approved"}
            done, left = jobs["merge", branch[merging]].result, jobs["merge", branch[stale]].result
            # merged through the forge's API at the head judged; the forge's merge commit is on its main
            assert done["status"] == "merged", done
            [(number, head)] = setup.fake.merged
            assert setup.fake.pulls[number]["branch"] == branch[merging]
            assert head == jobs["review", branch[merging]].result["head"]
            assert git_out(setup.hosts.remote, "log", "-1", "--format=%an", done["commit"]) == "Forge"
            assert done["commit"] in git_out(setup.hosts.remote, "rev-list", "--first-parent", "main").split()
            # the head moved before the merge call: 409, nothing merged, the proposal left open
            assert left["status"] == "not_ready" and moved, left
            assert "409" in " ".join(left["reasons"]) and setup.fake.branch_head(branch[stale]) == moved[0]
            assert len(setup.fake.posted("POST", "/repos/acme/kb/pulls")) == 2
            before, calls = remote_refs(setup.hosts.remote), writes(setup.fake)
            assert before["refs/heads/main"] != main_before

            # run again, on the other host: every job finds its work done and changes nothing
            for source in setup.hosts.sources:
                assert queue.enqueue("extract", source)
            for target in branch.values():
                assert queue.enqueue("merge", target)
            drain(setup, 1, settings)
        again = [j for j in queue.jobs() if j.id not in {k.id for k in jobs.values()}]
        assert len(again) == 4 and all(j.state == "done" for j in again), [(j.kind, j.state, j.error) for j in again]
        assert {j.result["status"] for j in again if j.kind == "extract"} == {"skipped"}
        assert {j.target: j.result["status"] for j in again if j.kind == "merge"} == {
            branch[merging]: "already", branch[stale]: "not_ready"}
        assert remote_refs(setup.hosts.remote) == before and writes(setup.fake) == calls
        assert len(setup.fake.merged) == 1
    finally:
        queue.close()
    for path in (setup.hosts.remote, *setup.hosts.clones):
        assert fsck(path).returncode == 0, path


class Killed(BaseException):
    """The worker process dying at that instant (not an error a job catches)."""


def test_a_worker_killed_right_after_the_forges_merge_leaves_the_rerun_its_branch_and_cascade(tmp_path, kind,
                                                                                             monkeypatch):
    import teleo.forge.sync
    import teleo.review.merge

    setup = ForgeHosts(tmp_path, kind)
    [source] = setup.hosts.sources
    cascaded: list[str] = []
    real_cascade = teleo.review.merge.run_cascade

    def spy(vault, repo, ref, prefix, merge, **options):
        cascaded.append(merge)
        return real_cascade(vault, repo, ref, prefix, merge, **options)

    def killed(*args, **options):
        raise Killed

    monkeypatch.setattr(teleo.review.merge, "run_cascade", spy)
    with respx.mock(assert_all_called=False) as router:
        setup.fake.install(router)
        branch = setup.job(0, "extract", source, ("review", "merge")).result["branch"]
        setup.job(1, "review", branch, ("merge",))
        with monkeypatch.context() as patched:  # dies after the API merged, before its branch and cascade
            patched.setattr(teleo.forge.sync, "_owe_cascade", killed)
            with pytest.raises(Killed):
                setup.job(0, "merge", branch)
        [(_, head)] = setup.fake.merged
        merge = setup.forge_main()
        assert cascaded == [] and not [r for r in remote_refs(setup.hosts.remote) if "cascade-owed" in r]
        rerun = setup.job(1, "merge", branch)  # the stall task's retry, on another host
        assert rerun.result["status"] == "already" and rerun.result["commit"] == merge, rerun.result
        assert cascaded == [merge]  # the cascade the dead job never did
        assert f"refs/heads/{branch}" not in remote_refs(setup.hosts.remote)  # GitHub had kept it
        before, calls = remote_refs(setup.hosts.remote), writes(setup.fake)
        assert setup.job(0, "merge", branch).result["status"] == "already"
    assert remote_refs(setup.hosts.remote) == before and writes(setup.fake) == calls
    assert len(setup.fake.merged) == 1


# -- the real command line: teleo run enqueues, teleo worker --drain on another host, the fake over HTTP ----------


class ServedForge:
    """The Forgejo fake behind a real HTTP server on 127.0.0.1, so that `teleo worker` processes reach it."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import httpx

        served = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                request = httpx.Request(self.command, f"{served.site}{self.path}", headers=dict(self.headers),
                                        content=self.rfile.read(length) if length else b"")
                with lock:  # the fake is one forge: one request at a time
                    response = served.fake.handle(request)
                body = response.content
                self.send_response(response.status_code)
                for name, value in response.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.site = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.fake: FakeForge | None = None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.mark.slow
def test_teleo_run_then_teleo_worker_on_another_host_merge_through_the_forge_and_a_rerun_changes_nothing(
        tmp_path, pg_dsn, monkeypatch):
    import os

    from conftest import teleo_command

    from teleo.pipeline.pg import PostgresQueue, init_schema

    init_schema(pg_dsn)
    served = ServedForge()
    try:
        table = forge_table("forgejo").replace(URLS["forgejo"], served.site)
        hosts = make_hosts(tmp_path, 2, sources=1, config='backend = "postgres"\n' + table)
        served.fake = FakeForge("forgejo", hosts.remote, base_url=f"{served.site}/api/v1")
        env = {**os.environ, "TELEO_PG_DSN": pg_dsn, ENV: TOKEN, "NO_COLOR": "1", "COLUMNS": "200"}

        def teleo(host: int, *args: str) -> subprocess.CompletedProcess:
            done = subprocess.run([*teleo_command(), *args], cwd=hosts.clones[host], env=env, capture_output=True,
                                  text=True, timeout=600)
            assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
            assert TOKEN not in done.stdout + done.stderr
            return done

        main_before = served.fake.git("rev-parse", "refs/heads/main")
        teleo(0, "run", "--no-inbox", "--limit", "1")  # enqueues: one extraction, its review and merge to follow
        teleo(1, "worker", "--drain")
        monkeypatch.setenv("TELEO_PG_DSN", pg_dsn)
        settings = PipelineSettings.from_vault(hosts.vault(0))
        queue = PostgresQueue(pg_dsn, settings=settings)
        try:
            jobs = {j.kind: j for j in queue.jobs()}
            assert sorted(jobs) == ["extract", "merge", "review"] and {j.state for j in jobs.values()} == {"done"}
            branch, head = jobs["review"].target, jobs["review"].result["head"]
            assert jobs["review"].result["forge"]["opened"] and jobs["merge"].result["status"] == "merged"
            assert served.fake.merged == [(1, head)]
            merge = jobs["merge"].result["commit"]
            assert served.fake.git("log", "-1", "--format=%an", merge) == "Forge"
            assert merge in served.fake.git("rev-list", "--first-parent", f"{main_before}..main").split()
            assert marker("leo", "approve") in "\n".join(r["body"] for r in served.fake.posted("POST", "/pulls/1/reviews"))
            before, calls = remote_refs(hosts.remote), writes(served.fake)

            # the same jobs again, run by the host that enqueued: nothing changes on the forge or the remote
            assert queue.enqueue("extract", jobs["extract"].target, then=("review", "merge"))
            assert queue.enqueue("merge", branch)
            teleo(0, "worker", "--drain")
            again = [j for j in queue.jobs() if j.id not in {k.id for k in jobs.values()}]
            assert sorted((j.kind, j.state, j.result["status"]) for j in again) == [
                ("extract", "done", "skipped"), ("merge", "done", "already")]
        finally:
            queue.close()
        assert remote_refs(hosts.remote) == before and writes(served.fake) == calls
    finally:
        served.close()
