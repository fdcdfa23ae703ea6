"""What every forge offers Teleo, and what goes wrong talking to one.

`Forge` is the protocol both clients implement (`github.GitHubForge` through githubkit,
`gitea.GiteaForge` through httpx): find or open the one pull request of a branch, post a
review on a given head commit, list the reviews and comments, merge at a given head. The
records are the few fields Teleo reads of the forges' documented JSON.

Errors: `ForgeAuthError` (401: the token was refused — the message names the forge and the
environment variable, never the token), `StaleHead` (409: the branch moved past the head the
merge was judged on — nothing is merged), `RateLimited` (the wait the forge asks for is longer
than allowed), `ForgeError` for the rest. A rate-limited request (403 or 429 with `Retry-After`,
or `x-ratelimit-remaining: 0` with `x-ratelimit-reset`) is retried after the wait the forge names,
through an injectable `sleep`, at most `attempts` times and never longer than `max_wait_s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

ReviewEvent = Literal["approve", "request_changes", "comment"]
ReviewState = Literal["approved", "changes_requested", "commented", "dismissed", "pending"]
T = TypeVar("T")


class ForgeError(Exception):
    """A forge request failed; the message names the forge and what it answered."""


class ForgeAuthError(ForgeError):
    """The forge refused the token (401)."""


class StaleHead(ForgeError):
    """The merge was refused: the pull request's head is no longer the commit judged (409)."""


class RateLimited(ForgeError):
    """The forge asked for a longer wait than allowed, or kept refusing after every retry."""


class OwnReview(ForgeError):
    """The forge refuses the account's approval of its own pull request (422): post it as a comment review."""


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    branch: str
    head: str
    """The commit the forge has at the head of the pull request."""
    title: str = ""
    state: str = "open"


def pull_from_json(pull: dict) -> PullRequest:
    """A pull request from GitHub's or Forgejo's JSON (the same fields in both: number, html_url, head.ref/sha)."""
    return PullRequest(number=pull["number"], url=pull.get("html_url", ""), branch=pull["head"]["ref"],
                       head=pull["head"]["sha"], title=pull.get("title", ""), state=pull.get("state", "open"))


@dataclass(frozen=True)
class Review:
    id: int
    login: str
    state: ReviewState
    commit: str
    """The head commit the review was given on."""
    body: str = ""
    time: str = ""


@dataclass(frozen=True)
class Comment:
    id: int
    login: str
    body: str
    time: str = ""


@dataclass(frozen=True)
class MergeResult:
    merged: bool
    commit: str = ""
    message: str = ""


class Forge(Protocol):
    label: str

    def find_pr(self, branch: str) -> PullRequest | None: ...
    def open_pr(self, branch: str, title: str, body: str) -> PullRequest: ...
    def reviews(self, pr: PullRequest) -> list[Review]: ...
    def comments(self, pr: PullRequest) -> list[Comment]: ...
    def post_review(self, pr: PullRequest, head: str, event: ReviewEvent, body: str) -> Review: ...
    def merge(self, pr: PullRequest, head: str, title: str, message: str, method: str) -> MergeResult: ...


def open_or_find_pr(forge: Forge, branch: str, title: str, body: str) -> tuple[PullRequest, bool]:
    """The branch's open pull request, else a new one; True when it was opened now."""
    found = forge.find_pr(branch)
    if found is not None:
        return found, False
    return forge.open_pr(branch, title, body), True


@dataclass
class Retry:
    """Waits out a forge's rate limit: at most `attempts` tries, no single wait over `max_wait_s`."""

    label: str
    attempts: int = 3
    max_wait_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    waited: list[float] = field(default_factory=list)

    def run(self, call: Callable[[], T], wait_of: Callable[[BaseException], float | None]) -> T:
        """`call()`, again after the wait `wait_of(error)` names (None: not a rate limit, raised as it is)."""
        for attempt in range(1, self.attempts + 1):
            try:
                return call()
            except Exception as exc:
                wait = wait_of(exc)
                if wait is None:
                    raise
                if wait > self.max_wait_s:
                    raise RateLimited(f"{self.label}: rate limited; the forge asks to wait {wait:.0f} s "
                                      f"(more than max_wait_s = {self.max_wait_s:.0f}); try again later") from None
                if attempt == self.attempts:
                    raise RateLimited(f"{self.label}: still rate limited after {attempt} attempts") from None
                self.waited.append(wait)
                self.sleep(wait)
        raise AssertionError("unreachable")

    def wait_from_headers(self, status: int, headers: Mapping[str, str]) -> float | None:
        """The wait a 403/429 answer asks for (None: not a rate limit)."""
        if status not in (403, 429):
            return None
        lower = {k.lower(): v for k, v in headers.items()}
        if "retry-after" in lower:
            try:
                return max(0.0, float(lower["retry-after"]))
            except ValueError:
                return 1.0
        if lower.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in lower:
            try:
                return max(0.0, float(lower["x-ratelimit-reset"]) - self.clock())
            except ValueError:
                return 1.0
        return 1.0 if status == 429 else None
