"""Contributor pages (`/contributors`, `/contributors/<handle>`): what a person contributed, and the score.

The score, role counts and domains are contributors.json's (`export.contributors_document`: the same
document `teleo contributors` prints, built on demand and kept once per index generation); the lists
come from the index — claims whose `attribution` block names the handle, split into the claims they
wrote or sourced and the ones they challenged (or counter-claimed), sources whose `contributor:` is
theirs — and the open `contrib/<handle>/…` proposals. A handle arrives in a URL: it is only ever
compared with, never used as a path, and every value shown is escaped by the templates.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from teleo.export import contributors_document
from teleo.repo.kinds import CONTRIB
from teleo.web.data import NotFound, note_ref
from teleo.web.models import NoteRef
from teleo.web.state import WebState

ROLE_ORDER = ("extractor", "sourcer", "synthesizer", "reviewer", "challenger")


class Contribution(BaseModel):
    note: NoteRef
    role: str
    date: str | None = None
    context: str | None = None


class ContributorRow(BaseModel):
    handle: str
    href: str
    weighted_score: float
    claim_count: int
    roles: dict[str, int]


class ContributorsPage(BaseModel):
    contributors: list[ContributorRow] = Field(default_factory=list)
    weights: dict[str, float] = Field(default_factory=dict)
    weights_source: str = "defaults"


class ContributorPage(BaseModel):
    handle: str
    weighted_score: float = 0.0
    roles: dict[str, int] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    weights_source: str = "defaults"
    domains: dict[str, int] = Field(default_factory=dict)
    first_contribution: str | None = None
    latest_contribution: str | None = None
    claim_count: int = 0
    claims: list[Contribution] = Field(default_factory=list)
    """Claims the person wrote, sourced, synthesised or reviewed (their attribution blocks)."""
    challenges: list[Contribution] = Field(default_factory=list)
    """Claims the person challenged, and their counter-claims."""
    sources: list[NoteRef] = Field(default_factory=list)
    """Sources the person added (`contributor:`)."""
    proposals: list[dict[str, str]] = Field(default_factory=list)
    """Their open contributions: branch, subject, href."""
    note: str | None = None


def contributors_page(state: WebState) -> ContributorsPage:
    document = _document(state)
    rows = [ContributorRow(handle=p["handle"], href=contributor_href(p["handle"]), weighted_score=p["weighted_score"],
                           claim_count=p["claim_count"], roles=p["roles"]) for p in document["contributors"]]
    return ContributorsPage(contributors=rows, weights=document["weights"], weights_source=document["weights_source"])


def contributor_page(state: WebState, handle: str) -> ContributorPage:
    key = handle.strip().lower()
    document = _document(state)
    profile = next((p for p in document["contributors"] if p["handle"] in (key, "@" + key.removeprefix("@"))), None)
    page = ContributorPage(handle=profile["handle"] if profile else key, weights=document["weights"],
                           weights_source=document["weights_source"])
    if profile is not None:
        page.weighted_score, page.roles, page.domains = profile["weighted_score"], profile["roles"], profile["domains"]
        page.first_contribution, page.latest_contribution = profile["first_contribution"], profile["latest_contribution"]
        page.claim_count = profile["claim_count"]
    bare = page.handle.removeprefix("@")
    for row in state.note_rows("WHERE kind = 'claim' AND instr(data, '\"attribution\"') > 0", order="created DESC, title"):
        for role, entry in _entries(row["data"].get("attribution")):
            if entry["handle"].removeprefix("@") != bare:
                continue
            item = Contribution(note=note_ref(row), role=role, date=entry.get("date"), context=entry.get("context"))
            (page.challenges if role == "challenger" else page.claims).append(item)
    page.claims.sort(key=lambda c: ROLE_ORDER.index(c.role) if c.role in ROLE_ORDER else len(ROLE_ORDER))
    for row in state.note_rows("WHERE kind = 'source' AND instr(data, '\"contributor\"') > 0", order="created DESC, path"):
        who = row["data"].get("contributor")
        if isinstance(who, str) and who.strip().lower().removeprefix("@") == bare:
            page.sources.append(note_ref(row))
    page.proposals = _open_proposals(state, bare)
    if profile is None and not (page.claims or page.challenges or page.sources or page.proposals):
        raise NotFound(f"no contributor '{handle[:60]}'")
    listed = len({c.note.path for c in page.claims + page.challenges})
    if page.claim_count > listed:
        page.note = (f"{page.claim_count - listed} more claim(s) credited by commit trailers (Pentagon-Agent, Contributor) "
                     "rather than an attribution block")
    return page


def contributor_href(handle: str) -> str:
    from urllib.parse import quote

    return "/contributors/" + quote(handle, safe="@")


def _document(state: WebState) -> dict[str, Any]:
    index = state.fresh_index()
    return state.cached("contributors", index.generation, lambda: contributors_document(state.vault)[0])


def _entries(block: Any):
    """(role, {handle, date, context}) for each entry of an attribution block (a bare string is a handle)."""
    if not isinstance(block, dict):
        return
    for role, entries in block.items():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("handle"), str):
                yield str(role), {"handle": entry["handle"].strip().lower(), "date": _text(entry.get("date")),
                                  "context": _text(entry.get("context"))}
            elif isinstance(entry, str) and entry.strip():
                yield str(role), {"handle": entry.strip().lower()}


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, (list, dict)) else str(value)


def _open_proposals(state: WebState, handle: str) -> list[dict[str, str]]:
    from teleo.repo.branches import BranchError, open_proposals
    from teleo.repo.discover import open_repository

    repo = open_repository(state.root) if state.is_git else None
    if repo is None:
        return []
    try:
        found = open_proposals(repo, kinds=(CONTRIB,), prefix=f"contrib/{handle}/")
    except BranchError:
        return []
    return [{"branch": p.branch, "subject": p.subject, "href": "/proposals/" + p.branch} for p in found]
