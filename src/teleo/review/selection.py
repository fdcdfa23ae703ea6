"""Who must review a proposal (reference §3, §5 #22–23, §8.6).

- The **evaluator** (`[vault] evaluator`) reviews every proposal — unless it
  proposed it: nobody reviews their own work.
- **Domain peers** are agents who *fit* the proposal, never the evaluator and
  never a proposer. An agent fits when
  1. it is an agent of a domain the proposal touches (the folders of its files
     and the `- Domain:` of its commit): its territory holds the domain's
     folder — basis `domain`;
  2. or of a domain its claims, or the source they come from, name in
     `secondary_domains`, when there is link evidence: the claims link into its
     territory, or the notes of the proposal's domain on main do (a source's
     tag alone is not enough: a health paper tagged internet-finance, in a vault
     whose health notes never link there, is no case for rio) — basis `secondary`;
  3. or the proposal's claims link into its territory (its domains' folders and
     its agent folder; `inbox/archive/` and `maps/` are everyone's and say
     nothing) — basis `links`.
  Candidates are ranked by **link overlap** (how many of the claims' links lead
  into the agent's territory), then by a stable hash of the branch and the
  agent's name, so equal candidates are spread over proposals instead of the
  alphabetically first taking them all — and the same proposal always gets the
  same peer (the branch name, not the head, so a fix commit keeps its peer).
- **One peer per touched domain**, taken from the domain's own agents, else from
  the agents of the secondary domains, else from the agents the claims link
  into most. A domain left without a fitting peer — typically a domain whose
  only agent is the proposer, and claims that link into no one else's
  territory — gets none: the evaluator reviews alone, and the selection says
  so in `notes` (shown by `teleo review` and written into the evaluator's
  verdict). An unfit peer (astra judging health claims that never touch space)
  would add a signature, not a review.
- **At least two peers** when the evaluator is a proposer, or when a claim is a
  cross-domain synthesis (it names `secondary_domains`, or links into two or
  more domains besides its own) — reference §5 #22–23. Only fitting agents
  count; when fewer fit the selection has a `shortfall`, and the proposal
  cannot merge until its claims link into more territories or the vault has
  more agents.

That is the selection of a proposal kind whose reviewers are `peers` (`teleo.repo.kinds`:
extractions, and any branch of no kind). A kind whose reviewers are `evaluator` (a flag
resolution: an agent's re-reading of its own belief, no claim in it) is reviewed by the
evaluator alone — or, when the evaluator made it, by one other agent (nobody reviews their own
work; reference §5 #23), chosen by the same stable hash of (branch, agent).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from teleo.extract.writer import inside
from teleo.notes import find_links
from teleo.notes.links import field_link_targets
from teleo.repo.kinds import ProposalKind, kind_named
from teleo.review.context import ProposalView
from teleo.vault.config import Config

SHARED_FOLDERS = ("inbox/archive/", "maps/")
"""Folders in every territory: links into them say nothing about expertise."""

Basis = Literal["domain", "secondary", "links"]


class ReviewerSlot(BaseModel):
    agent: str
    role: Literal["evaluator", "peer"]
    domain: str | None = None
    """The domain the peer reviews for (the proposal's domain when chosen as an extra peer)."""
    overlap: int = 0
    """Links of the proposal's claims that lead into the peer's territory."""
    basis: Basis | None = None
    """Why the peer fits: an agent of the domain, of a secondary domain, or linked to by the claims."""


class Selection(BaseModel):
    slots: list[ReviewerSlot] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    secondary: list[str] = Field(default_factory=list)
    """Domains the changed claims name in `secondary_domains` (known ones, other than `domains`)."""
    synthesis: list[str] = Field(default_factory=list)
    """Paths of the cross-domain synthesis claims."""
    peers_needed: int = 0
    """The fewest peers the proposal may merge with (2 for the evaluator's own and synthesis proposals)."""
    shortfall: str | None = None
    notes: list[str] = Field(default_factory=list)
    """What the selection could not do and what it did instead (no fitting peer for a domain, …)."""

    @property
    def agents(self) -> list[str]:
        return [slot.agent for slot in self.slots]

    @property
    def peers(self) -> list[ReviewerSlot]:
        return [slot for slot in self.slots if slot.role == "peer"]


def select_reviewers(view: ProposalView) -> Selection:
    """The evaluator and the fitting domain peers of the proposal on `view` (see the module doc)."""
    kind = kind_named(view.proposal.kind)
    if kind is not None and kind.reviewers == "evaluator":
        return _evaluator_alone(view, kind)
    if kind is not None and kind.reviewers == "domains":
        return _one_per_domain(view, kind)
    config = view.vault.config
    evaluator = config.vault.evaluator
    proposers = set(view.proposers)
    domains = touched_domains(view)
    secondary = [d for d in secondary_domains(view) if d not in domains]
    synthesis = synthesis_claims(view)
    needed = 2 if evaluator in proposers or synthesis else 0
    selection = Selection(domains=domains, secondary=secondary, synthesis=synthesis, peers_needed=needed)
    if evaluator not in proposers:
        selection.slots.append(ReviewerSlot(agent=evaluator, role="evaluator"))
    candidates = [a for a in sorted(config.agents) if a != evaluator and a not in proposers]
    paths = _link_paths(view)
    overlap = {a: _overlap(config.territory(a), paths) for a in candidates}
    rank = _ranking(view.branch, overlap)
    chosen: list[str] = []

    def take(agent: str, domain: str | None, basis: Basis) -> None:
        chosen.append(agent)
        selection.slots.append(ReviewerSlot(agent=agent, role="peer", domain=domain, overlap=overlap[agent], basis=basis))

    of_secondary = [a for d in secondary for a in agents_of_domain(config, d)
                    if a in overlap and (overlap[a] > 0 or _domains_link_into(view, domains, a))]
    linked = [a for a in candidates if overlap[a] > 0]
    for domain in domains or [None]:
        own = [a for a in agents_of_domain(config, domain) if a in overlap and a not in chosen] if domain else []
        pools: list[tuple[Basis, list[str]]] = [
            ("domain", own),
            ("secondary", [a for a in of_secondary if a not in chosen]),
            ("links", [a for a in linked if a not in chosen]),
        ]
        basis, pool = next(((b, p) for b, p in pools if p), ("domain", []))
        if pool:
            take(min(pool, key=rank), domain, basis)
            if basis != "domain":
                selection.notes.append(_no_domain_peer(config, domain, proposers, evaluator)
                                       + f"; {chosen[-1]} reviews instead: {_why(basis, overlap[chosen[-1]])}")
        else:
            selection.notes.append(_no_domain_peer(config, domain, proposers, evaluator)
                                   + "; no secondary domain has another agent, and the claims link into no other "
                                   "agent's territory")
    extras = [a for a in candidates if a not in chosen and (a in of_secondary or overlap[a] > 0)]
    while len(chosen) < needed and extras:
        extra = min(extras, key=rank)
        extras.remove(extra)
        take(extra, domains[0] if domains else None, "secondary" if extra in of_secondary else "links")
    if len(chosen) < needed:
        selection.shortfall = _shortfall(needed, len(chosen), evaluator in proposers, bool(synthesis))
    elif not selection.peers:
        selection.notes.append(f"the evaluator ({evaluator}) reviews alone: no other agent fits")
    return selection


def _evaluator_alone(view: ProposalView, kind: ProposalKind) -> Selection:
    """The evaluator; another agent when the evaluator made the proposal (see the module doc)."""
    config = view.vault.config
    evaluator = config.vault.evaluator
    proposers = set(view.proposers)
    selection = Selection(domains=touched_domains(view))
    if evaluator not in proposers:
        selection.slots.append(ReviewerSlot(agent=evaluator, role="evaluator"))
        selection.notes.append(f"a {kind.label}: the evaluator ({evaluator}) reviews it alone")
        return selection
    selection.peers_needed = 1
    candidates = [a for a in sorted(config.agents) if a != evaluator and a not in proposers]
    if not candidates:
        selection.shortfall = f"the evaluator ({evaluator}) made this {kind.label} and no other agent can review it"
        return selection
    agent = min(candidates, key=_ranking(view.branch, {a: 0 for a in candidates}))
    selection.slots.append(ReviewerSlot(agent=agent, role="peer"))
    selection.notes.append(f"a {kind.label} by the evaluator ({evaluator}), who cannot review its own: {agent} reviews it")
    return selection


MIN_DOMAIN_PEERS = 2
"""The fewest domain peers a kind reviewed by `domains` merges with (reference §4.7, §5 #22)."""


def _one_per_domain(view: ProposalView, kind: ProposalKind) -> Selection:
    """One peer from each domain the proposal touches, at least `MIN_DOMAIN_PEERS` (a synthesis).

    Touched: the folders of its files, its claims' `secondary_domains` and the domains of the claims
    their `depends_on` names. A domain whose agents are all the evaluator or a proposer gets no peer
    (said in `notes`); fewer than `MIN_DOMAIN_PEERS` peers in all is a `shortfall`."""
    config = view.vault.config
    evaluator = config.vault.evaluator
    proposers = set(view.proposers)
    domains = sorted(set(touched_domains(view)) | set(secondary_domains(view)) | set(depends_on_domains(view)))
    selection = Selection(domains=domains, secondary=[d for d in secondary_domains(view) if d in domains],
                          synthesis=synthesis_claims(view), peers_needed=MIN_DOMAIN_PEERS)
    if evaluator not in proposers:
        selection.slots.append(ReviewerSlot(agent=evaluator, role="evaluator"))
    paths = _link_paths(view)
    chosen: list[str] = []
    for domain in domains:
        pool = [a for a in agents_of_domain(config, domain) if a != evaluator and a not in proposers and a not in chosen]
        if not pool:
            selection.notes.append(_no_domain_peer(config, domain, proposers, evaluator) + f": no peer reviews {domain}")
            continue
        overlap = {a: _overlap(config.territory(a), paths) for a in pool}
        agent = min(pool, key=_ranking(view.branch, overlap))
        chosen.append(agent)
        selection.slots.append(ReviewerSlot(agent=agent, role="peer", domain=domain, overlap=overlap[agent], basis="domain"))
    selection.peers_needed = max(MIN_DOMAIN_PEERS, len(chosen))
    if len(chosen) < MIN_DOMAIN_PEERS:
        selection.shortfall = (f"a {kind.label} needs one domain peer per touched domain and at least {MIN_DOMAIN_PEERS}, "
                               f"but only {len(chosen)} of its domains ({', '.join(domains) or 'none'}) have an agent "
                               "other than the evaluator and the proposer")
    return selection


def depends_on_domains(view: ProposalView) -> list[str]:
    """The domains of the claims the changed claims' `depends_on` links resolve to, sorted."""
    config = view.vault.config
    found = set()
    for note in view.changed_notes():
        for target in field_link_targets(note.doc, "depends_on"):
            resolved = view.after.resolver.resolve(target, note.path).path
            domain = config.domain_of_folder(resolved.rsplit("/", 1)[0]) if resolved else None
            if domain:
                found.add(domain)
    return sorted(found)


def _domains_link_into(view: ProposalView, domains: list[str], agent: str) -> bool:
    """The notes of one of `domains` on main link into `agent`'s territory (see `domain_links`)."""
    return any(domain_links(view, domain).get(agent, 0) > 0 for domain in domains)


def domain_links(view: ProposalView, domain: str) -> dict[str, int]:
    """Agent → links from `domain`'s notes on main into the agent's own territory (shared folders left out).

    The evidence that a secondary domain's agent knows something the domain uses: a source may
    name `secondary_domains` its claims never come near (a health paper tagged internet-finance,
    with no health note on main ever linking there). Made once per tip of main.
    """
    base = view.base
    return base.derived(f"domain-links:{domain}", lambda: _count_domain_links(base, domain))


def _count_domain_links(base, domain: str) -> dict[str, int]:
    config = base.config
    targets = []
    for path in base.markdown_paths():
        if config.domain_of_folder(path.rpartition("/")[0]) != domain:
            continue
        note = base.note(path)
        for link in find_links(note.doc):
            resolved = base.resolver.resolve(link.target, path).path
            if resolved and resolved != path:
                targets.append(resolved)
    return {agent: _overlap(config.territory(agent), targets) for agent in config.agents}


def agents_of_domain(config: Config, domain: str) -> list[str]:
    """The domain's owner and every agent whose territory holds the domain's folder, sorted."""
    if domain not in config.domains:
        return []
    entry = config.domains[domain]
    probe = entry.folder.rstrip("/") + "/_"
    found = {entry.agent} | {a for a in config.agents if inside(probe, config.territory(a))}
    return sorted(found)


def _ranking(branch: str, overlap: dict[str, int]):
    """Sort key: more overlap first, then a hash of (branch, agent) — deterministic, spread over proposals."""
    def key(agent: str) -> tuple[int, str]:
        return (-overlap[agent], hashlib.sha256(f"{branch}\0{agent}".encode()).hexdigest())
    return key


def _why(basis: Basis, links: int) -> str:
    if basis == "secondary":
        return "an agent of a secondary domain named by the claims or their source" + (f", {links} link(s) into its territory" if links else "")
    return f"{links} of the claims' links lead into its territory, and into no other agent's more"


def _no_domain_peer(config: Config, domain: str | None, proposers: set[str], evaluator: str) -> str:
    if domain is None:
        return "no peer by domain: the proposal touches no domain's folder"
    own = agents_of_domain(config, domain)
    if not own:
        return f"no peer from {domain}: no agent holds it"
    roles = [f"{a} ({'proposer' if a in proposers else 'evaluator'})" for a in own]
    return f"no peer from {domain}: its {'only agent is' if len(own) == 1 else 'agents are'} {', '.join(roles)}"


def _shortfall(needed: int, found: int, by_evaluator: bool, synthesis: bool) -> str:
    why = "the evaluator proposed it" if by_evaluator else "it holds a cross-domain synthesis claim"
    return (f"needs {needed} domain peers because {why}, but only {found} agent(s) other than the evaluator and "
            "the proposer fit (an agent of its domains or secondary domains, or one whose territory its claims "
            "link into)")


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


def secondary_domains(view: ProposalView) -> list[str]:
    """The vault's domains named in `secondary_domains` by the changed claims or by the proposal's source
    (the ingesting agent's word on which domains the material spans), sorted."""
    config = view.vault.config
    notes = list(view.changed_notes())
    source = view.proposal.source
    if source and view.files.get(source) is not None:
        notes.append(view.after.note(source))
    found = set()
    for note in notes:
        found.update(d for d in _names(note.data.get("secondary_domains")) if d in config.domains)
    return sorted(found)


def _names(value) -> Iterable[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(v).strip().lower() for v in value if str(v).strip()]


def synthesis_claims(view: ProposalView) -> list[str]:
    config = view.vault.config
    out = []
    for note in view.changed_notes():
        if view.base.exists(note.path):
            continue  # an enrichment of an existing claim is not a new synthesis
        own = config.domain_of_folder(note.path.rsplit("/", 1)[0])
        linked = set()
        for link in find_links(note.doc):
            resolved = view.after.resolver.resolve(link.target, note.path)
            if resolved.path:
                domain = config.domain_of_folder(resolved.path.rsplit("/", 1)[0])
                if domain and domain != own:
                    linked.add(domain)
        if _names(note.data.get("secondary_domains")) or len(linked) >= 2:
            out.append(note.path)
    return out


def _link_paths(view: ProposalView) -> list[str]:
    """Where the links of the proposal's claims lead (a claim's link to itself left out)."""
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
