"""Who must review a proposal (reference §3, §5 #22–23, §8.6).

- The **evaluator** (`[vault] evaluator`) reviews every proposal — unless it
  proposed it: nobody reviews their own work.
- One **domain peer** per domain the proposal touches (the folders of its
  files, and the `- Domain:` of its commit), chosen among the other agents —
  never the evaluator, never a proposer — ranked by *wiki-link overlap*: how
  many of the links in the proposal's claims lead into the candidate's
  territory (its domains' folders and its agent folder). Ties go to the
  domain's owner, then to the name.
- **At least two peers** when the evaluator is a proposer, or when a claim is
  a cross-domain synthesis (it names `secondary_domains`, or links into two or
  more domains besides its own).

When too few agents are left the selection has a `shortfall`, and the
proposal cannot merge until the vault has more agents.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from teleo.extract.writer import inside
from teleo.notes import find_links
from teleo.review.context import ProposalView

SHARED_FOLDERS = ("inbox/archive/", "maps/")
"""Folders in every territory: links into them say nothing about expertise."""


class ReviewerSlot(BaseModel):
    agent: str
    role: Literal["evaluator", "peer"]
    domain: str | None = None
    overlap: int = 0


class Selection(BaseModel):
    slots: list[ReviewerSlot] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    synthesis: list[str] = Field(default_factory=list)
    """Paths of the cross-domain synthesis claims."""
    peers_needed: int = 1
    shortfall: str | None = None

    @property
    def agents(self) -> list[str]:
        return [slot.agent for slot in self.slots]


def select_reviewers(view: ProposalView) -> Selection:
    config = view.vault.config
    evaluator = config.vault.evaluator
    domains = touched_domains(view)
    synthesis = synthesis_claims(view)
    link_paths = _link_paths(view)
    proposers = set(view.proposers)
    needed = max(1, len(domains))
    if evaluator in proposers or synthesis:
        needed = max(needed, 2)
    selection = Selection(domains=domains, synthesis=synthesis, peers_needed=needed)
    if evaluator not in proposers:
        selection.slots.append(ReviewerSlot(agent=evaluator, role="evaluator"))
    candidates = [a for a in sorted(config.agents) if a != evaluator and a not in proposers]
    overlap = {a: _overlap(config.territory(a), link_paths) for a in candidates}
    chosen: list[str] = []
    for domain in domains or [None]:
        owner = config.domains[domain].agent if domain in config.domains else None
        ranked = sorted((a for a in candidates if a not in chosen), key=lambda a: (-overlap[a], a != owner, a))
        if ranked:
            chosen.append(ranked[0])
            selection.slots.append(ReviewerSlot(agent=ranked[0], role="peer", domain=domain, overlap=overlap[ranked[0]]))
    remaining = sorted((a for a in candidates if a not in chosen), key=lambda a: (-overlap[a], a))
    while len(chosen) < needed and remaining:
        extra = remaining.pop(0)
        chosen.append(extra)
        selection.slots.append(ReviewerSlot(agent=extra, role="peer", overlap=overlap[extra]))
    if len(chosen) < needed:
        why = "the evaluator proposed it" if evaluator in proposers else (
            "it holds a cross-domain synthesis claim" if synthesis else f"it touches {len(domains)} domains")
        selection.shortfall = (f"needs {needed} domain peers because {why}, but only {len(chosen)} agent(s) "
                               f"other than the evaluator and the proposer exist")
    return selection


def touched_domains(view: ProposalView) -> list[str]:
    config = view.vault.config
    found = set()
    for path in view.files:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        domain = config.domain_of_folder(folder)
        if domain:
            found.add(domain)
    if view.proposal.domain in config.domains:
        found.add(view.proposal.domain)
    return sorted(found)


def synthesis_claims(view: ProposalView) -> list[str]:
    config = view.vault.config
    out = []
    for note in view.changed_notes():
        if view.base.exists(note.path):
            continue  # an enrichment of an existing claim is not a new synthesis
        secondary = note.data.get("secondary_domains")
        own = config.domain_of_folder(note.path.rsplit("/", 1)[0])
        linked = set()
        for link in find_links(note.doc):
            resolved = view.after.resolver.resolve(link.target, note.path)
            if resolved.path:
                domain = config.domain_of_folder(resolved.path.rsplit("/", 1)[0])
                if domain and domain != own:
                    linked.add(domain)
        if (isinstance(secondary, list) and any(str(s).strip() for s in secondary)) or len(linked) >= 2:
            out.append(note.path)
    return out


def _link_paths(view: ProposalView) -> list[str]:
    out = []
    for note in view.changed_notes():
        for link in find_links(note.doc):
            resolved = view.after.resolver.resolve(link.target, note.path)
            if resolved.path and resolved.path != note.path:
                out.append(resolved.path)
    return out


def _overlap(territory: list[str], paths: list[str]) -> int:
    own = [folder for folder in territory if folder not in SHARED_FOLDERS]
    return sum(1 for path in paths if inside(path, own))
