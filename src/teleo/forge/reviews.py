"""Verdicts on a forge: the legacy markers Teleo writes, and what it reads back as verdicts.

**Writing.** Each verdict of the store (`teleo.repo.verdicts`) on a proposal's head becomes one
review on its pull request, on that commit: approve → an approving review, anything else → a
review requesting changes, its text and findings as the body, ending with the reference's marker
`<!-- VERDICT:AGENT:APPROVE -->` / `<!-- VERDICT:AGENT:REQUEST_CHANGES -->` (reference §4.4, §9.19)
so the reference's tooling reads it, and `<!-- TELEO:HEAD:<commit> -->` naming the head judged.

**Reading** (reference §8.5: anyone can post a marker, the "last comment" rule reuses stale
approvals): a marker counts only

- in a review or comment by one of `[forge] accounts` — anyone else's counts for nothing;
- bound to the pull request's current head: a review given on that commit (the forge records it),
  or a comment that names it with `TELEO:HEAD` (a bare comment, as the reference's scripts post,
  is bound to no commit and counts for nothing).

A person's review (a login of `[forge] people`) is their verdict when it was given on the head:
approved or changes requested, the latest per person; a dismissed one counts for nothing. With
`person_stands_for_evaluator`, a person's approval on the head stands in for the evaluator's
verdict when the store has none on that head; a person's request for changes blocks the merge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from teleo.forge.base import Comment, Review, ReviewEvent
from teleo.forge.settings import ForgeSettings
from teleo.repo.verdicts import Verdict

_MARKER = re.compile(r"<!--\s*VERDICT:([A-Za-z0-9_-]+):(APPROVE|REQUEST_CHANGES)\s*-->")
_HEAD = re.compile(r"<!--\s*TELEO:HEAD:([0-9a-f]{40})\s*-->")
MAX_FINDINGS = 20


def marker(agent: str, verdict: str) -> str:
    """The reference's marker: `<!-- VERDICT:LEO:APPROVE -->` (reject and request changes are both REQUEST_CHANGES)."""
    value = "APPROVE" if verdict == "approve" else "REQUEST_CHANGES"
    return f"<!-- VERDICT:{agent.upper()}:{value} -->"


def head_marker(head: str) -> str:
    return f"<!-- TELEO:HEAD:{head} -->"


def review_event(verdict: Verdict) -> ReviewEvent:
    return "approve" if verdict.verdict == "approve" else "request_changes"


def review_body(verdict: Verdict) -> str:
    """The body of the review that carries `verdict` (what the reviewer said, its findings, the markers)."""
    said = verdict.verdict.replace("_", " ")
    lines = [f"**{verdict.reviewer}** ({verdict.role}): **{said}** on `{verdict.head[:12]}`", ""]
    if verdict.text.strip():
        lines += [verdict.text.strip(), ""]
    for finding in verdict.findings[:MAX_FINDINGS]:
        lines.append(f"- `{finding.path}` {finding.criterion}: {finding.message}")
    if len(verdict.findings) > MAX_FINDINGS:
        lines.append(f"- … and {len(verdict.findings) - MAX_FINDINGS} more")
    lines += ["", marker(verdict.reviewer, verdict.verdict), head_marker(verdict.head)]
    return "\n".join(lines).strip() + "\n"


def read_markers(body: str) -> dict[str, str]:
    """Agent (lower case) → `approve` / `request_changes`, the last marker of each agent in `body`."""
    return {agent.lower(): ("approve" if value == "APPROVE" else "request_changes")
            for agent, value in _MARKER.findall(body or "")}


def names_head(body: str, head: str) -> bool:
    return head in _HEAD.findall(body or "")


@dataclass
class ForgeVerdicts:
    """What a pull request's reviews and comments say about its head commit."""

    head: str
    agents: dict[str, str] = field(default_factory=dict)
    """Agent → `approve` / `request_changes`, from markers that count."""
    people: dict[str, str] = field(default_factory=dict)
    """Person's login → `approve` / `request_changes`, their latest review on the head."""
    ignored: list[str] = field(default_factory=list)
    """Why each marker or review that looked like a verdict does not count."""

    def posted(self, agent: str, verdict: str) -> bool:
        """Whether a counting marker already says `verdict` of `agent` on the head (no second review then)."""
        wanted = "approve" if verdict == "approve" else "request_changes"
        return self.agents.get(agent.lower()) == wanted

    def to_json(self) -> dict:
        return {"head": self.head, "agents": self.agents, "people": self.people, "ignored": self.ignored}


_PERSON_STATES = {"approved": "approve", "changes_requested": "request_changes"}


def read_verdicts(reviews: list[Review], comments: list[Comment], head: str, settings: ForgeSettings) -> ForgeVerdicts:
    """The verdicts on `head` that count (module doc), in the order the forge lists them (oldest first)."""
    found = ForgeVerdicts(head=head)
    for review in reviews:
        markers = read_markers(review.body)
        if markers:
            where = f"review #{review.id} by @{review.login}"
            if not settings.counts_marker_of(review.login):
                found.ignored.append(f"{where}: not one of [forge] accounts")
            elif review.state == "dismissed":
                found.ignored.append(f"{where}: dismissed")
            elif review.commit != head:
                found.ignored.append(f"{where}: given on {review.commit[:12]}, not the head {head[:12]}")
            else:
                found.agents.update(markers)
        if settings.is_person(review.login) and review.state in _PERSON_STATES:
            if review.commit == head:
                found.people[review.login.lower()] = _PERSON_STATES[review.state]
            else:
                found.ignored.append(f"@{review.login} {review.state.replace('_', ' ')} {review.commit[:12]}, "
                                     f"not the head {head[:12]}")
        elif settings.is_person(review.login) and review.state == "dismissed":
            found.people.pop(review.login.lower(), None)
    for comment in comments:
        markers = read_markers(comment.body)
        if not markers:
            continue
        where = f"comment #{comment.id} by @{comment.login}"
        if not settings.counts_marker_of(comment.login):
            found.ignored.append(f"{where}: not one of [forge] accounts")
        elif not names_head(comment.body, head):
            found.ignored.append(f"{where}: names no head commit (TELEO:HEAD), or not {head[:12]}")
        else:
            found.agents.update(markers)
    return found


def gate_verdicts(found: ForgeVerdicts, stored: dict[str, Verdict], settings: ForgeSettings, evaluator: str,
                  branch: str) -> tuple[dict[str, Verdict], list[str]]:
    """The forge's verdicts as records for the merge gate (filling what the store lacks on the head), and the
    reasons people's reviews block the merge."""
    extra: dict[str, Verdict] = {}
    for agent, value in found.agents.items():
        if agent not in stored:
            extra[agent] = Verdict(reviewer=agent, role="evaluator" if agent == evaluator else "peer",
                                   head=found.head, branch=branch, verdict=value,  # type: ignore[arg-type]
                                   text="read from a forge review marker", provider="forge", model=settings.kind)
    approvers = sorted(login for login, value in found.people.items() if value == "approve")
    blocking = [f"@{login} requested changes on {found.head[:12]}"
                for login, value in sorted(found.people.items()) if value == "request_changes"]
    if settings.person_stands_for_evaluator and approvers and evaluator not in stored and evaluator not in extra:
        extra[evaluator] = Verdict(reviewer=evaluator, role="evaluator", head=found.head, branch=branch,
                                   verdict="approve", text=f"approved on the forge by @{approvers[0]}",
                                   provider="forge", model=f"@{approvers[0]}")
    return extra, blocking
