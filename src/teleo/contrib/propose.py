"""`contribute(vault, contribution)`: a person's source, claim or challenge as a proposal branch.

1. The handle is checked (`repo.agents.normalise_handle`: a branch segment and a file-name part,
   never an agent's name).
2. The files are built against main's tip (`contrib.draft`), never the working tree.
3. **The same gates as any proposal** (`review.gates.run_gates`) run on the draft — a
   `ProposalView` of main's tip with the draft's files laid over it and no commit yet. A draft
   with findings comes back with them (file, line, field, rule, message) and nothing is written:
   no object, no branch, main and the working tree untouched.
4. Otherwise one commit `contrib: <what>` with `- Contributor:`/`- Domain:` lines and a
   `Contributor: <handle>` trailer, off main's tip, on `contrib/<handle>/<slug>`
   (`repo.branches.propose`: objects only, the ref by compare-and-swap). `teleo proposals`,
   `teleo review` (the evaluator and the domain's agent, as for an extraction: `repo.kinds.CONTRIB`)
   and `teleo merge` then take it like any proposal.

The same contribution made twice (its branch open with the same files) is reported as already
proposed; a branch of that name holding something else moves the new one to `<slug>-2`, `-3`, ….
"""

from __future__ import annotations

import datetime as dt

import pygit2

from teleo.contrib.draft import DraftFiles, DraftRefused, build
from teleo.contrib.models import Contribution, ContributionOutcome, DraftFinding
from teleo.gates.proposal import new_errors
from teleo.repo.agents import BadHandle, contributor_trailer, normalise_handle
from teleo.repo.branches import (
    BranchConflict,
    BranchError,
    Proposal,
    base_ref,
    changed_paths,
    is_merged,
    propose,
    read_proposal,
    safe_repo_path,
    tip,
)
from teleo.repo.discover import open_repository, vault_prefix
from teleo.repo.kinds import CONTRIB
from teleo.review.context import ProposalView
from teleo.review.gates import run_gates
from teleo.review.selection import select_reviewers
from teleo.vault import Vault
from teleo.vault.tree import TreeVault

MAX_SUFFIX = 20


class ContributionRefused(ValueError):
    """The contribution cannot be made at all (bad handle, unknown claim or domain, no git repository)."""


def contribute(vault: Vault, item: Contribution, *, today: str | None = None) -> ContributionOutcome:
    """Propose `item` on `contrib/<handle>/<slug>` (see the module doc).

    Returns the outcome: `proposed` (branch, commit, reviewers), `already proposed`, or `refused`
    with the gates' findings (nothing written). Raises `ContributionRefused` for a draft that cannot
    be built."""
    try:
        handle = normalise_handle(item.handle, vault.config.agents)
    except BadHandle as exc:
        raise ContributionRefused(str(exc)) from None
    repo = open_repository(vault.root)
    if repo is None:
        raise ContributionRefused(f"{vault.root} is not in a git repository: a contribution is a proposal branch off main")
    try:
        ref = base_ref(repo)
        main = tip(repo, ref)
    except BranchError as exc:
        raise ContributionRefused(str(exc)) from None
    base = TreeVault.at(vault, main, repo=repo)
    when = today or dt.date.today().isoformat()
    try:
        draft = build(base, item, handle, when)
    except DraftRefused as exc:
        raise ContributionRefused(str(exc)) from None
    prefix = vault_prefix(repo, vault.root)
    for path in draft.files:
        if not safe_repo_path(prefix + path) or not (prefix + path).startswith(prefix):
            raise ContributionRefused(f"refusing to write {path!r}: outside the vault")
    message = CONTRIB.message({"what": draft.subject}, draft.body, [contributor_trailer(handle)])
    subject = message.splitlines()[0]
    outcome = ContributionOutcome(status="refused", handle=handle, what=item.what, files=sorted(draft.files),
                                  subject=subject)
    view = draft_view(vault, repo, ref, main, base, prefix, draft, CONTRIB.branch_name(handle=handle, slug=draft.slug),
                      subject)
    found = run_gates(view)
    if found:
        outcome.findings = _with_fields(base, draft, found)
        return outcome
    outcome.reviewers = select_reviewers(view).agents
    changes = {prefix + path: text.encode("utf-8") for path, text in draft.files.items()}
    for branch in _branches(handle, draft.slug):
        waiting = _same_proposal(repo, branch, main, changes)
        if waiting is True:
            continue  # the name holds something else
        if isinstance(waiting, str):
            return outcome.model_copy(update={"status": "already proposed", "branch": branch, "commit": waiting})
        try:
            commit = propose(repo, branch, main, changes, message)
        except BranchConflict:
            continue  # made meanwhile by someone else: the next name
        return outcome.model_copy(update={"status": "proposed", "branch": branch, "commit": commit})
    raise ContributionRefused(f"contrib/{handle}/{draft.slug} and its {MAX_SUFFIX} numbered names are all taken")


def draft_view(vault: Vault, repo: pygit2.Repository, ref: str, main: pygit2.Commit, base: TreeVault, prefix: str,
               draft: DraftFiles, branch: str, subject: str) -> ProposalView:
    """The draft as a review would see it once committed: main's tip with its files laid over, no commit yet."""
    proposal = Proposal(branch=branch, head=str(main.id), kind=CONTRIB.name, domain=draft.domain,
                        files=sorted(prefix + p for p in draft.files), created=dt.datetime.now(dt.timezone.utc).isoformat(),
                        subject=subject)
    return ProposalView(vault=vault, repo=repo, ref=ref, prefix=prefix, proposal=proposal, main=main, head=main,
                        commits=[], files=dict(draft.files), outside=[], base=base, after=base.with_overlay(draft.files),
                        proposers=[])


def _with_fields(base: TreeVault, draft: DraftFiles, found) -> list[DraftFinding]:
    """The gates' findings, each lint finding with the field it is about (from the lint's own finding)."""
    fields = {}
    if any(f.criterion not in _GATE_NAMES for f in found):
        for lint in new_errors(base, {p: t for p, t in draft.files.items() if p.endswith(".md")}):
            fields[(lint.rule, lint.file, lint.line, lint.message)] = lint.field
    return [DraftFinding(file=f.path, line=f.line, rule=f.criterion, message=f.message,
                         field=fields.get((f.criterion, f.path, f.line, f.message))) for f in found]


_GATE_NAMES = frozenset({"territory", "kind-scope", "deletion", "commit-convention", "merge-conflict", "grounding",
                         "duplicate", "source-lifecycle", "link-unresolved"})


def _branches(handle: str, slug: str):
    yield CONTRIB.branch_name(handle=handle, slug=slug)
    for number in range(2, MAX_SUFFIX + 2):
        yield CONTRIB.branch_name(handle=handle, slug=f"{slug}-{number}")


def _same_proposal(repo: pygit2.Repository, branch: str, main: pygit2.Commit, changes: dict[str, bytes]) -> bool | str | None:
    """None: the branch is free; its head id: an open proposal of exactly these files; True: taken."""
    proposal = read_proposal(repo, branch, main)
    if proposal is None:
        return None
    head = repo[proposal.head]
    if is_merged(repo, head, main):
        return True
    fork = repo.merge_base(head.id, main.id)
    paths = changed_paths(repo, repo[fork] if fork is not None else None, head)
    if sorted(paths) != sorted(changes):
        return True
    for path, data in changes.items():
        try:
            if repo[head.tree[path].id].data != data:
                return True
        except (KeyError, ValueError):
            return True
    return proposal.head
