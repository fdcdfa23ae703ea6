"""GitHub through githubkit (extra `forge`; imported only when `[forge] kind = "github"` is used).

githubkit's own retry and cache are off: its retry sleeps where a test cannot stop it, and Teleo
waits out rate limits itself (`base.Retry`, the sleep injectable). Responses are read as the
documented JSON (`response.json()`), only the fields Teleo needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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

_EVENTS = {"approve": "APPROVE", "request_changes": "REQUEST_CHANGES", "comment": "COMMENT"}
_STATES = {"APPROVED": "approved", "CHANGES_REQUESTED": "changes_requested", "COMMENTED": "commented",
           "DISMISSED": "dismissed", "PENDING": "pending"}
PER_PAGE = 100


class GitHubForge:
    label = "GitHub"

    def __init__(self, settings: ForgeSettings, token: str, *, retry: Retry | None = None, transport=None) -> None:
        try:
            from githubkit import GitHub
        except ImportError:
            raise ForgeError("GitHub: githubkit is not installed (pip install 'teleo[forge]')") from None
        self.settings = settings
        self.owner, self.name = settings.repo.split("/", 1)
        self.retry = retry or Retry(self.label, settings.attempts, settings.max_wait_s)
        self._gh = GitHub(token, base_url=settings.api_url, auto_retry=False, http_cache=False,
                          timeout=settings.timeout_s, transport=transport)
        self._token_env = settings.token_env

    # -- calls ---------------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], Any], expect: dict[int, Callable[[Any], Exception]] | None = None):
        from githubkit.exception import RateLimitExceeded, RequestFailed, RequestError

        def wait_of(exc: BaseException) -> float | None:
            if isinstance(exc, RateLimitExceeded):
                return max(0.0, exc.retry_after.total_seconds())
            if isinstance(exc, RequestFailed):
                return self.retry.wait_from_headers(exc.response.status_code, exc.response.headers)
            return None

        try:
            return self.retry.run(call, wait_of).json()
        except RequestFailed as exc:
            status = exc.response.status_code
            detail = _message(exc.response)
            if status == 401:
                raise ForgeAuthError(f"GitHub refused the token in ${self._token_env} (401 {detail}) while "
                                     f"trying to {what}") from None
            if expect and status in expect:
                raise expect[status](detail) from None
            raise ForgeError(f"GitHub: could not {what}: {status} {detail}") from None
        except RequestError as exc:
            raise ForgeError(f"GitHub: could not {what}: {type(exc.exc).__name__}: {exc.exc}") from None

    # -- the Forge protocol ----------------------------------------------------------------

    def find_pr(self, branch: str) -> PullRequest | None:
        pulls = self._call(f"list the pull requests of {branch}", lambda: self._gh.rest.pulls.list(
            self.owner, self.name, state="open", head=f"{self.owner}:{branch}", per_page=PER_PAGE))
        for pull in pulls:
            if pull["head"]["ref"] == branch:
                return pull_from_json(pull)
        return None

    def open_pr(self, branch: str, title: str, body: str) -> PullRequest:
        pull = self._call(f"open a pull request for {branch}", lambda: self._gh.rest.pulls.create(
            self.owner, self.name, data={"title": title, "body": body, "head": branch, "base": self.settings.base}))
        return pull_from_json(pull)

    def reviews(self, pr: PullRequest) -> list[Review]:
        out: list[Review] = []
        for page in range(1, 50):
            batch = self._call(f"list the reviews of #{pr.number}", lambda: self._gh.rest.pulls.list_reviews(
                self.owner, self.name, pr.number, per_page=PER_PAGE, page=page))
            out += [Review(id=r["id"], login=(r.get("user") or {}).get("login", ""),
                           state=_STATES.get(r.get("state", ""), "commented"),  # type: ignore[arg-type]
                           commit=r.get("commit_id") or "", body=r.get("body") or "",
                           time=r.get("submitted_at") or "") for r in batch]
            if len(batch) < PER_PAGE:
                return out
        return out

    def comments(self, pr: PullRequest) -> list[Comment]:
        out: list[Comment] = []
        for page in range(1, 50):
            batch = self._call(f"list the comments of #{pr.number}", lambda: self._gh.rest.issues.list_comments(
                self.owner, self.name, pr.number, per_page=PER_PAGE, page=page))
            out += [Comment(id=c["id"], login=(c.get("user") or {}).get("login", ""), body=c.get("body") or "",
                            time=c.get("created_at") or "") for c in batch]
            if len(batch) < PER_PAGE:
                return out
        return out

    def post_review(self, pr: PullRequest, head: str, event: ReviewEvent, body: str) -> Review:
        review = self._call(f"review #{pr.number}", lambda: self._gh.rest.pulls.create_review(
            self.owner, self.name, pr.number, data={"commit_id": head, "body": body, "event": _EVENTS[event]}),
            expect={422: lambda detail: OwnReview(f"GitHub: {detail}")} if event != "comment" else None)
        return Review(id=review["id"], login=(review.get("user") or {}).get("login", ""),
                      state=_STATES.get(review.get("state", ""), "commented"),  # type: ignore[arg-type]
                      commit=review.get("commit_id") or head, body=review.get("body") or body)

    def merge(self, pr: PullRequest, head: str, title: str, message: str, method: str) -> MergeResult:
        result = self._call(f"merge #{pr.number}", lambda: self._gh.rest.pulls.merge(
            self.owner, self.name, pr.number,
            data={"sha": head, "merge_method": method, "commit_title": title, "commit_message": message}),
            expect={409: lambda detail: StaleHead(f"GitHub refused to merge #{pr.number} at {head[:12]} (409 {detail})"),
                    405: lambda detail: ForgeError(f"GitHub: #{pr.number} is not mergeable: {detail}")})
        return MergeResult(merged=bool(result.get("merged")), commit=result.get("sha") or "",
                           message=result.get("message") or "")



def _message(response) -> str:
    try:
        data = response.json()
    except Exception:  # noqa: BLE001 - any body that is not JSON
        return response.reason_phrase if hasattr(response, "reason_phrase") else ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""
