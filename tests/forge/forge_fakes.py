"""An HTTP fake of GitHub's and Forgejo/Gitea's pull-request APIs, built with respx from the shapes
their documentation gives (only the fields Teleo reads, plus a few it does not).

GitHub (REST, docs.github.com/en/rest/pulls): `GET|POST /repos/{o}/{r}/pulls`,
`GET|POST /repos/{o}/{r}/pulls/{n}/reviews` (state `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`,
`DISMISSED`; event `APPROVE`, `REQUEST_CHANGES`, `COMMENT`), `GET /repos/{o}/{r}/issues/{n}/comments`,
`PUT /repos/{o}/{r}/pulls/{n}/merge` (`sha`; 409 "Head branch was modified…").
Forgejo/Gitea (`/api/v1`, swagger): the same under `/api/v1`, reviews `APPROVED`, `REQUEST_CHANGES`,
`COMMENT` with `dismissed`, `POST …/pulls/{n}/merge` with `head_commit_id` (409 "head out of date"),
`POST …/pulls` answering 409 when a pull request for the branch exists.

The head of a pull request is what the branch holds in the bare repository standing for the forge's
git side (read at every request, as the forge does).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import httpx
import respx

OWNER, NAME = "acme", "kb"
BOT = "teleo-bot"


class FakeForge:
    def __init__(self, kind: str, bare: Path, *, base_url: str):
        self.kind, self.bare, self.base_url = kind, bare, base_url.rstrip("/")
        self.pulls: dict[int, dict] = {}
        self.reviews: dict[int, list[dict]] = {}
        self.comments: dict[int, list[dict]] = {}
        self.calls: list[tuple[str, str, dict | None]] = []
        self.fail_next: list[httpx.Response] = []
        """Answers given, in order, to the next requests instead of the fake's own."""
        self.merge_answer: httpx.Response | None = None
        self.merged: list[tuple[int, str]] = []
        self.next_id = 1000
        self.token_seen: list[str] = []

    # -- git side ----------------------------------------------------------------------------

    def branch_head(self, branch: str) -> str:
        out = subprocess.run(["git", "--git-dir", str(self.bare), "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
                             capture_output=True, text=True)
        return out.stdout.strip()

    # -- shapes ---------------------------------------------------------------------------------

    def pull_json(self, number: int) -> dict:
        pull = self.pulls[number]
        sha = self.branch_head(pull["branch"]) or pull["sha"]
        repo = {"full_name": f"{OWNER}/{NAME}", "name": NAME}
        return {"id": 90000 + number, "number": number, "state": pull["state"], "title": pull["title"],
                "body": pull["body"], "html_url": f"https://forge.example/{OWNER}/{NAME}/pull/{number}",
                "user": {"login": BOT, "id": 7},
                "head": {"ref": pull["branch"], "sha": sha, "label": f"{OWNER}:{pull['branch']}", "repo": repo},
                "base": {"ref": "main", "sha": "0" * 40, "label": f"{OWNER}:main", "repo": repo},
                "merged": pull["state"] == "closed", "draft": False}

    def review_json(self, number: int, login: str, state: str, commit: str, body: str, dismissed: bool = False) -> dict:
        self.next_id += 1
        review = {"id": self.next_id, "user": {"login": login, "id": 8}, "body": body, "commit_id": commit,
                  "submitted_at": "2026-12-06T09:00:00Z", "html_url": f"https://forge.example/r/{self.next_id}"}
        if self.kind == "github":
            review["state"] = "DISMISSED" if dismissed else state
            review["pull_request_url"] = f"{self.base_url}/repos/{OWNER}/{NAME}/pulls/{number}"
        else:
            review.update(state=state, dismissed=dismissed, stale=False, official=True,
                          pull_request_url=f"https://forge.example/{OWNER}/{NAME}/pulls/{number}")
        return review

    # -- helpers for tests ------------------------------------------------------------------------

    def add_pull(self, branch: str, title: str = "existing", body: str = "") -> int:
        number = len(self.pulls) + 1
        self.pulls[number] = {"branch": branch, "title": title, "body": body, "state": "open",
                              "sha": self.branch_head(branch)}
        return number

    def add_review(self, number: int, login: str, event: str, commit: str, body: str = "", dismissed: bool = False) -> None:
        state = {"approve": "APPROVED", "request_changes": "CHANGES_REQUESTED" if self.kind == "github" else "REQUEST_CHANGES",
                 "comment": "COMMENTED" if self.kind == "github" else "COMMENT"}[event]
        self.reviews.setdefault(number, []).append(self.review_json(number, login, state, commit, body, dismissed))

    def add_comment(self, number: int, login: str, body: str) -> None:
        self.next_id += 1
        self.comments.setdefault(number, []).append({"id": self.next_id, "user": {"login": login}, "body": body,
                                                     "created_at": "2026-12-06T09:00:00Z"})

    def posted(self, method: str, fragment: str) -> list[dict | None]:
        return [body for m, path, body in self.calls if m == method and path.endswith(fragment)]

    # -- the routes -------------------------------------------------------------------------------

    def install(self, router: respx.MockRouter) -> None:
        router.route(url__startswith=self.base_url).mock(side_effect=self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.token_seen.append(request.headers.get("authorization", ""))
        body = json.loads(request.content) if request.content else None
        path = request.url.path.removeprefix(httpx.URL(self.base_url).path.rstrip("/"))
        self.calls.append((request.method, path, body))
        if self.fail_next:
            return self.fail_next.pop(0)
        repo = f"/repos/{OWNER}/{NAME}"
        if path == f"{repo}/pulls" and request.method == "GET":
            return self.list_pulls(request)
        if path == f"{repo}/pulls" and request.method == "POST":
            return self.create_pull(body)
        found = re.fullmatch(rf"{repo}/pulls/(\d+)/reviews", path)
        if found and request.method == "GET":
            return self.page(request, self.reviews.get(int(found.group(1)), []))
        if found and request.method == "POST":
            return self.create_review(int(found.group(1)), body)
        found = re.fullmatch(rf"{repo}/issues/(\d+)/comments", path)
        if found:
            return httpx.Response(200, json=self.comments.get(int(found.group(1)), []))
        found = re.fullmatch(rf"{repo}/pulls/(\d+)/merge", path)
        if found and request.method in ("PUT", "POST"):
            return self.merge(int(found.group(1)), body)
        return httpx.Response(404, json={"message": "Not Found"})

    def page(self, request: httpx.Request, items: list) -> httpx.Response:
        size = int(request.url.params.get("per_page") or request.url.params.get("limit") or 30)
        page = int(request.url.params.get("page") or 1)
        return httpx.Response(200, json=items[(page - 1) * size: page * size])

    def list_pulls(self, request: httpx.Request) -> httpx.Response:
        head = request.url.params.get("head")
        pulls = [self.pull_json(n) for n, p in self.pulls.items() if p["state"] == "open"]
        if head and self.kind == "github":
            pulls = [p for p in pulls if p["head"]["label"] == head]
        return self.page(request, pulls)

    def create_pull(self, body: dict) -> httpx.Response:
        branch = body["head"]
        if not self.branch_head(branch):
            return httpx.Response(422, json={"message": "Validation Failed"})
        if any(p["branch"] == branch and p["state"] == "open" for p in self.pulls.values()):
            if self.kind == "github":
                return httpx.Response(422, json={"message": "A pull request already exists"})
            return httpx.Response(409, json={"message": "pull request already exists for these targets"})
        number = self.add_pull(branch, body["title"], body.get("body", ""))
        return httpx.Response(201, json=self.pull_json(number))

    def create_review(self, number: int, body: dict) -> httpx.Response:
        event = body["event"]
        if event in ("APPROVE", "APPROVED") and self.pulls[number].get("own", False):
            return httpx.Response(422, json={"message": "Can not approve your own pull request"})
        state = {"APPROVE": "APPROVED", "APPROVED": "APPROVED", "REQUEST_CHANGES": (
            "CHANGES_REQUESTED" if self.kind == "github" else "REQUEST_CHANGES"), "COMMENT": (
            "COMMENTED" if self.kind == "github" else "COMMENT")}[event]
        review = self.review_json(number, BOT, state, body.get("commit_id") or "", body.get("body", ""))
        self.reviews.setdefault(number, []).append(review)
        return httpx.Response(200, json=review)

    def merge(self, number: int, body: dict) -> httpx.Response:
        if self.merge_answer is not None:
            return self.merge_answer
        expected = body.get("sha") if self.kind == "github" else body.get("head_commit_id")
        head = self.branch_head(self.pulls[number]["branch"])
        if expected and expected != head:
            message = "Head branch was modified. Review and try the merge again." if self.kind == "github" \
                else "head out of date"
            return httpx.Response(409, json={"message": message})
        self.pulls[number]["state"] = "closed"
        self.merged.append((number, head))
        title = body.get("commit_title") if self.kind == "github" else body.get("MergeTitleField")
        message = body.get("commit_message") if self.kind == "github" else body.get("MergeMessageField")
        commit = self.git_merge(head, f"{title}\n\n{message}")
        if self.kind == "github":
            return httpx.Response(200, json={"sha": commit, "merged": True, "message": "Pull Request successfully merged"})
        self.git("update-ref", "-d", f"refs/heads/{self.pulls[number]['branch']}")  # delete_branch_after_merge
        return httpx.Response(200)

    def git(self, *args: str, stdin: str | None = None) -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": "Forge", "GIT_AUTHOR_EMAIL": "forge@example.test",
               "GIT_COMMITTER_NAME": "Forge", "GIT_COMMITTER_EMAIL": "forge@example.test"}
        return subprocess.run(["git", "--git-dir", str(self.bare), *args], input=stdin, capture_output=True, text=True,
                              check=True, env=env).stdout.strip()

    def git_merge(self, head: str, message: str) -> str:
        """A merge commit of `head` into main, as the forge makes it (a three-way merge: main may have moved
        since the proposal forked, as after another pull request's merge)."""
        main = self.git("rev-parse", "refs/heads/main")
        tree = self.git("merge-tree", "--write-tree", main, head).splitlines()[0]
        commit = self.git("commit-tree", tree, "-p", main, "-p", head, stdin=message)
        self.git("update-ref", "refs/heads/main", commit, main)
        return commit
