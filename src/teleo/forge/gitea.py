"""Forgejo and Gitea (one API, `/api/v1`) through a small httpx client.

The calls (Gitea's and Forgejo's swagger): `GET /repos/{o}/{r}/pulls?state=open` (find),
`POST /repos/{o}/{r}/pulls` (open; 409 when one exists for the branch — then found),
`GET|POST /repos/{o}/{r}/pulls/{n}/reviews` (reviews with `commit_id`, events `APPROVED`,
`REQUEST_CHANGES`, `COMMENT`), `GET /repos/{o}/{r}/issues/{n}/comments`, and
`POST /repos/{o}/{r}/pulls/{n}/merge` with `head_commit_id` (409 "head out of date" when the
branch moved). Authentication: `Authorization: token <token>`.
"""

from __future__ import annotations

from typing import Any

import httpx

from teleo.forge.base import (
    Comment,
    ForgeAuthError,
    ForgeError,
    MergeResult,
    OwnReview,
    PullRequest,
    Retry,
    pull_from_json,
    Review,
    ReviewEvent,
    StaleHead,
)
from teleo.forge.settings import ForgeSettings

_EVENTS = {"approve": "APPROVED", "request_changes": "REQUEST_CHANGES", "comment": "COMMENT"}
_STATES = {"APPROVED": "approved", "REQUEST_CHANGES": "changes_requested", "COMMENT": "commented",
           "PENDING": "pending", "REQUEST_REVIEW": "pending"}
LIMIT = 50


class GiteaForge:
    def __init__(self, settings: ForgeSettings, token: str, *, retry: Retry | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.label = settings.label
        self.retry = retry or Retry(self.label, settings.attempts, settings.max_wait_s)
        self._repo = f"/repos/{settings.repo}"
        self._client = httpx.Client(base_url=settings.api_url, timeout=settings.timeout_s, transport=transport,
                                    headers={"Authorization": f"token {token}", "Accept": "application/json"})

    def _request(self, what: str, method: str, path: str, *, expect: dict[int, type[ForgeError]] | None = None,
                 **kwargs: Any) -> Any:
        def call() -> httpx.Response:
            response = self._client.request(method, path, **kwargs)
            if self.retry.wait_from_headers(response.status_code, response.headers) is not None:
                raise _Limited(response)
            return response

        def wait_of(exc: BaseException) -> float | None:
            return self.retry.wait_from_headers(exc.response.status_code, exc.response.headers) \
                if isinstance(exc, _Limited) else None

        try:
            response = self.retry.run(call, wait_of)
        except httpx.HTTPError as exc:
            raise ForgeError(f"{self.label}: could not {what}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status < 300:
            return response.json() if response.content else {}
        detail = _message(response)
        if status == 401:
            raise ForgeAuthError(f"{self.label} refused the token in ${self.settings.token_env} (401 {detail}) "
                                 f"while trying to {what}")
        if expect and status in expect:
            raise expect[status](f"{self.label}: could not {what}: {status} {detail}")
        raise ForgeError(f"{self.label}: could not {what}: {status} {detail}")

    def _pages(self, what: str, path: str, **params: Any) -> list[dict]:
        out: list[dict] = []
        for page in range(1, 100):
            batch = self._request(what, "GET", path, params={**params, "limit": LIMIT, "page": page})
            out += batch
            if len(batch) < LIMIT:
                break
        return out

    # -- the Forge protocol ----------------------------------------------------------------

    def find_pr(self, branch: str) -> PullRequest | None:
        for pull in self._pages(f"list the pull requests of {branch}", f"{self._repo}/pulls", state="open"):
            if pull["head"]["ref"] == branch and pull["base"]["ref"] == self.settings.base:
                return pull_from_json(pull)
        return None

    def open_pr(self, branch: str, title: str, body: str) -> PullRequest:
        try:
            pull = self._request(f"open a pull request for {branch}", "POST", f"{self._repo}/pulls",
                                 json={"head": branch, "base": self.settings.base, "title": title, "body": body},
                                 expect={409: _Exists})
        except _Exists:
            found = self.find_pr(branch)
            if found is None:
                raise
            return found
        return pull_from_json(pull)

    def reviews(self, pr: PullRequest) -> list[Review]:
        return [Review(id=r["id"], login=(r.get("user") or {}).get("login", ""),
                       state="dismissed" if r.get("dismissed") else _STATES.get(r.get("state", ""), "commented"),  # type: ignore[arg-type]
                       commit=r.get("commit_id") or "", body=r.get("body") or "", time=r.get("submitted_at") or "")
                for r in self._pages(f"list the reviews of #{pr.number}", f"{self._repo}/pulls/{pr.number}/reviews")]

    def comments(self, pr: PullRequest) -> list[Comment]:
        return [Comment(id=c["id"], login=(c.get("user") or {}).get("login", ""), body=c.get("body") or "",
                        time=c.get("created_at") or "")
                for c in self._request(f"list the comments of #{pr.number}", "GET",
                                       f"{self._repo}/issues/{pr.number}/comments")]

    def post_review(self, pr: PullRequest, head: str, event: ReviewEvent, body: str) -> Review:
        r = self._request(f"review #{pr.number}", "POST", f"{self._repo}/pulls/{pr.number}/reviews",
                          json={"body": body, "commit_id": head, "event": _EVENTS[event]},
                          expect={422: OwnReview} if event != "comment" else None)
        return Review(id=r["id"], login=(r.get("user") or {}).get("login", ""),
                      state=_STATES.get(r.get("state", ""), "commented"),  # type: ignore[arg-type]
                      commit=r.get("commit_id") or head, body=r.get("body") or body)

    def merge(self, pr: PullRequest, head: str, title: str, message: str, method: str) -> MergeResult:
        self._request(f"merge #{pr.number} at {head[:12]}", "POST", f"{self._repo}/pulls/{pr.number}/merge",
                      json={"Do": method, "head_commit_id": head, "MergeTitleField": title,
                            "MergeMessageField": message, "delete_branch_after_merge": True},
                      expect={409: StaleHead, 405: ForgeError})
        return MergeResult(merged=True)


class _Limited(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _Exists(ForgeError):
    """A pull request for the branch exists already (409 on create)."""



def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase
    return str(data.get("message", "")) if isinstance(data, dict) else response.reason_phrase
