"""`teleo forge sync`: proposals onto a forge, verdicts both ways, merges through the forge's API.

For each open proposal (every kind of `teleo.repo.kinds`, oldest first):

1. **Push** its branch to `[forge] remote`, leased on what the remote holds (`Remote.push`): a new
   branch must not exist there, an existing one must be an ancestor of the proposal's head — a
   remote branch with commits this clone lacks is never overwritten (reference §8.2: force-pushes
   over reviewers' commits) and the proposal is left alone, with the reason.
2. **One pull request**: the branch's open pull request is found, else opened with the
   reference's title and body (`pr_title`, `pr_body`, reference §4.13).
3. **Verdicts out**: each agent's verdict stored on the head (`teleo.repo.verdicts`) is posted once
   as a review on that commit, with the legacy marker (`teleo.forge.reviews`); a forge that
   refuses an account's approval of its own pull request gets a comment review with the marker.
4. **Verdicts in**: the pull request's reviews and comments, read as `reviews.read_verdicts` says
   (markers only from `[forge] accounts`, only on the head; people's reviews on the head).
5. **Merge** when the merge gate (`teleo.review.merge.decide`, fed the forge's verdicts for what
   the store lacks) passes and no person requested changes: through the forge's API at exactly the
   head judged. A 409 (the branch moved) is `stale`: nothing merged, on the forge or here. After a
   merge the local branch is deleted (compare-and-swap on the head), the remote's too, and the
   forge's merge commit gets an owed-cascade record on the remote, which
   `teleo.pipeline.run.sync_with_forge` (or any `[pipeline] remote` job) turns into the cascade.

Everything is read from git objects and the forge; the working tree is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from teleo.forge.base import Forge, ForgeAuthError, ForgeError, OwnReview, PullRequest, Retry, StaleHead, open_or_find_pr
from teleo.forge.reviews import ForgeVerdicts, gate_verdicts, read_verdicts, review_body, review_event
from teleo.forge.settings import ForgeConfigError, ForgeSettings
from teleo.notes import Kind
from teleo.repo.branches import open_proposals
from teleo.repo.discover import open_repository
from teleo.repo.kinds import RESEARCH
from teleo.repo.mainline import OWED_PREFIX, TRAILER_HEAD, delete_branch
from teleo.repo.remote import RefUpdate, Remote, RemoteError
from teleo.repo.trailers import trailer
from teleo.repo.verdicts import GATES_REVIEWER, verdicts_for
from teleo.review.context import ProposalView, ReviewError, load_view
from teleo.review.merge import decide, merge_message
from teleo.vault import Vault

MergeStatus = Literal["merged", "ready", "not_ready", "stale", "refused", "skipped", "failed", "no_pr"]


class ProposalOnForge(BaseModel):
    branch: str
    head: str = ""
    pushed: str = ""
    """`pushed`, `up to date`, `not pushed: <why>` or empty (no push asked)."""
    pr: int | None = None
    url: str = ""
    opened: bool = False
    posted: list[str] = Field(default_factory=list)
    """The reviews posted now, as `<agent> <verdict>`."""
    forge_verdicts: dict = Field(default_factory=dict)
    merge: MergeStatus = "skipped"
    commit: str = ""
    """The forge's merge commit."""
    cascade_owed: bool = False
    """Its cascade was recorded as owed on the remote (`refs/teleo/cascade-owed/<commit>`)."""
    reasons: list[str] = Field(default_factory=list)


class ForgeReport(BaseModel):
    forge: str
    repo: str
    proposals: list[ProposalOnForge] = Field(default_factory=list)
    cascades: list[dict] = Field(default_factory=list)
    """The cascades of the forge's merges, run after the sync (`CascadeOutcome`s as JSON)."""
    cascade_error: str = ""

    @property
    def merged(self) -> list[ProposalOnForge]:
        return [p for p in self.proposals if p.merge == "merged"]


def make_forge(settings: ForgeSettings, *, transport=None, sleep: Callable[[float], None] | None = None) -> Forge:
    """The client of `settings.kind`, with the token from the environment (`ForgeConfigError` if it is not there)."""
    retry = Retry(settings.label, settings.attempts, settings.max_wait_s)
    if sleep is not None:
        retry.sleep = sleep
    token = settings.token()
    if settings.kind == "github":
        from teleo.forge.github import GitHubForge

        return GitHubForge(settings, token, retry=retry, transport=transport)
    from teleo.forge.gitea import GiteaForge

    return GiteaForge(settings, token, retry=retry, transport=transport)


def pr_title(view: ProposalView) -> str:
    """The reference's pull-request title: the commit subject; an extraction's reads
    `<agent>: extract claims from <source slug>`, a research session's `<agent>: research session <date>`
    (reference §4.2, §4.3, §4.13)."""
    proposal = view.proposal
    if proposal.kind == "extract" and proposal.agent and proposal.source:
        return f"{proposal.agent}: extract claims from {PurePosixPath(proposal.source).stem}"
    if proposal.kind == "research" and proposal.agent:
        return f"{proposal.agent}: research session {RESEARCH.fields(view.branch).get('date', '')}".rstrip()
    return proposal.subject.removesuffix(".md") or view.branch


def pr_body(view: ProposalView) -> str:
    """The reference's body (§4.13): summary, source, value add, challenged/extended claims,
    `## Cross-Domain Impact`, and the evaluator's conflict when the evaluator proposed it."""
    proposal, evaluator = view.proposal, view.vault.config.vault.evaluator
    claims = [n for n in view.changed_notes((Kind.CLAIM,))]
    new = [n for n in claims if not view.base.exists(n.path)]
    enriched = [n for n in claims if view.base.exists(n.path)]
    who = proposal.agent or ", ".join(view.proposers) or "a proposer"
    lines = ["## Summary", "",
             f"{who} proposes {len(new)} new claim(s) and {len(enriched)} enrichment(s)"
             + (f" in {proposal.domain}" if proposal.domain else "") + f" (`{view.branch}`, head `{view.head_id[:12]}`).",
             ""]
    if proposal.source:
        lines += [f"**Source:** [[{PurePosixPath(proposal.source).stem}]] (`{proposal.source}`)", ""]
    lines += ["## Value Add", ""] + ([f"- [[{n.title}]]" for n in new] or ["- No new claims."]) + [""]
    lines += ["## Challenged / Extended Claims", ""]
    lines += [f"- [[{n.title}]]" for n in enriched] or ["- None."]
    domains = sorted({d for n in claims for d in _secondary(n)} - {proposal.domain or ""})
    lines += ["", "## Cross-Domain Impact", ""]
    lines += [f"- {d}" for d in domains] or [f"- None beyond {proposal.domain or 'its domain'}."]
    if evaluator in view.proposers or proposal.agent == evaluator:
        lines += ["", f"> **Evaluator conflict:** {evaluator}, the evaluator, proposed this; "
                      f"other agents review it in its place."]
    lines += ["", f"<!-- TELEO:PROPOSAL:{view.branch} -->"]
    return "\n".join(lines) + "\n"


def _secondary(note) -> list[str]:
    value = note.doc.frontmatter.get("secondary_domains") if hasattr(note.doc, "frontmatter") else None
    return [str(v) for v in value] if isinstance(value, list) else []


def forge_status(vault: Vault, branches: list[str] | None = None, *, forge: Forge | None = None,
                 settings: ForgeSettings | None = None) -> ForgeReport:
    """What `sync_forge` would find, changing nothing: each proposal's pull request (none is opened), the
    forge's verdicts on its head that count and those ignored, and whether the merge gate passes (`ready`)."""
    return sync_forge(vault, branches, forge=forge, settings=settings, push=False, merge=False, act=False)


def sync_forge(vault: Vault, branches: list[str] | None = None, *, forge: Forge | None = None, push: bool = True,
               merge: bool = True, settings: ForgeSettings | None = None, act: bool = True,
               remote: Remote | None = None, base: str | None = None) -> ForgeReport:
    """Steps 1–5 of the module doc for `branches` (default: every open proposal); `act=False`: read only.

    `remote`: the forge's git remote as the caller opened it (a queue's worker: with its retries);
    `base`: the ref the proposals are judged against (default the clone's main; a worker: the remote's)."""
    settings = settings or ForgeSettings.from_vault(vault)
    forge = forge or make_forge(settings)
    repo = open_repository(vault.root)
    if repo is None:
        raise ReviewError(f"{vault.root} is not inside a git repository with a working tree")
    remote = (remote or Remote.open(repo, settings.remote)) if push else None
    report = ForgeReport(forge=settings.label, repo=settings.repo)
    for branch in branches if branches is not None else [p.branch for p in open_proposals(repo, agents=vault.config.agents)]:
        outcome = ProposalOnForge(branch=branch)
        report.proposals.append(outcome)
        try:
            _sync_one(vault, repo, settings, forge, remote, outcome, merge=merge, act=act, base=base)
        except ForgeAuthError:
            raise  # the same token fails every proposal: say it once
        except (ForgeError, RemoteError, ReviewError) as exc:
            outcome.merge, outcome.reasons = "failed", outcome.reasons + [str(exc)]
    return report


def _sync_one(vault: Vault, repo, settings: ForgeSettings, forge: Forge, remote: Remote | None,
              outcome: ProposalOnForge, *, merge: bool, act: bool = True, base: str | None = None) -> None:
    view = load_view(vault, outcome.branch, base=base)
    head = outcome.head = view.head_id
    if remote is not None and not _push(repo, remote, settings, view, outcome):
        return
    if act:
        pr, outcome.opened = open_or_find_pr(forge, view.branch, pr_title(view), pr_body(view))
    else:
        found_pr = forge.find_pr(view.branch)
        if found_pr is None:
            outcome.merge = "no_pr"
            return
        pr = found_pr
    outcome.pr, outcome.url = pr.number, pr.url
    if pr.head != head:
        outcome.reasons.append(f"the pull request's head is {pr.head[:12]}, not this proposal's {head[:12]}: "
                               f"nothing posted or merged")
        return
    found = read_verdicts(forge.reviews(pr), forge.comments(pr), head, settings)
    stored = verdicts_for(repo, head, vault.config.agents)
    if act:
        _post(forge, pr, head, stored, found, outcome)
    outcome.forge_verdicts = found.to_json()
    if act and not merge:
        return
    extra, blocking = gate_verdicts(found, stored, settings, vault.config.vault.evaluator, view.branch)
    decision = decide(view, extra=extra)
    reasons = decision.reasons + blocking
    if reasons:
        outcome.merge, outcome.reasons = "not_ready", outcome.reasons + reasons
        return
    if not act:
        outcome.merge = "ready"
        return
    message = merge_message(view, decision)
    title = f"{pr_title(view)} (#{pr.number})"
    try:
        result = forge.merge(pr, head, title, message.split("\n", 2)[-1], settings.merge_method)
    except StaleHead as exc:
        outcome.merge = "stale"
        outcome.reasons.append(f"{exc} — the branch moved past the head judged; nothing was merged")
        return
    if not result.merged:
        outcome.merge, outcome.reasons = "refused", outcome.reasons + [result.message or "the forge did not merge"]
        return
    outcome.merge, outcome.commit = "merged", result.commit
    delete_branch(repo, view.branch, head)
    if remote is not None:
        try:
            _owe_cascade(repo, remote, settings, head, outcome)
        except RemoteError as exc:
            outcome.reasons.append(f"merged; its cascade could not be recorded on {settings.remote}: {exc}")


def _owe_cascade(repo, remote: Remote, settings: ForgeSettings, head: str, outcome: ProposalOnForge) -> None:
    """The forge made the merge commit: fetch it, and record on the remote that its cascade is owed
    (`refs/teleo/cascade-owed/<merge>`, as a merge whose cascade failed does) — the caller, or the next
    `[pipeline] remote` job on any host, runs it (`teleo.pipeline.remote.cascades_on_remote`)."""
    remote.fetch(only=[settings.base, outcome.branch + "*"])
    if remote.head(outcome.branch) == head:  # GitHub keeps a merged branch; Forgejo deleted it already
        try:
            remote.push([RefUpdate(f"refs/heads/{outcome.branch}", None, head)])
        except RemoteError as exc:
            outcome.reasons.append(f"merged; the branch on {settings.remote} was not deleted: {exc}")
    merge = _merge_of(repo, remote.head(settings.base), head, outcome.commit)
    if merge is None:
        outcome.reasons.append(f"merged; the merge commit of {head[:12]} is not on {settings.remote}/{settings.base} "
                               f"yet: no cascade recorded")
        return
    outcome.commit = merge
    remote.push([RefUpdate(OWED_PREFIX + merge, merge, None)])
    outcome.cascade_owed = True


def _merge_of(repo, tip: str | None, head: str, reported: str, depth: int = 200) -> str | None:
    """The commit of the base's first-parent line that merged `head`: the one the forge reported, else one
    with `head` as a parent (a merge commit) or naming it in `Teleo-Head` (squash, rebase)."""
    commit = repo.get(tip) if tip else None
    for _ in range(depth):
        if commit is None:
            return None
        if str(commit.id) == reported or head in {str(p) for p in commit.parent_ids} \
                or trailer(commit.message or "", TRAILER_HEAD) == head:
            return str(commit.id)
        commit = commit.parents[0] if commit.parents else None
    return None


def _push(repo, remote: Remote, settings: ForgeSettings, view: ProposalView, outcome: ProposalOnForge) -> bool:
    """Step 1; False when the proposal must be left alone (merged there already, or the remote's branch moved on)."""
    head = view.head_id
    remote.fetch(only=[settings.base, view.branch + "*"])  # a pattern: the branch may not exist there yet
    on_base = remote.head(settings.base)
    if on_base is not None and (on_base == head or repo.descendant_of(on_base, head)):
        outcome.pushed, outcome.merge = "up to date", "skipped"
        outcome.reasons.append(f"already on {settings.remote}/{settings.base}: merged on the forge")
        return False
    there = remote.head(view.branch)
    if there == head:
        outcome.pushed = "up to date"
        return True
    if there is not None and not repo.descendant_of(head, there):
        outcome.pushed = (f"not pushed: {settings.remote}/{view.branch} is at {there[:12]}, which this proposal "
                          f"does not contain (commits made on the forge are never overwritten)")
        outcome.reasons.append(outcome.pushed)
        return False
    remote.push([RefUpdate(f"refs/heads/{view.branch}", head, there)])
    outcome.pushed = "pushed"
    return True


def _post(forge: Forge, pr: PullRequest, head: str, stored: dict, found: ForgeVerdicts,
          outcome: ProposalOnForge) -> None:
    """Step 3: each agent's stored verdict on the head, once."""
    for reviewer, verdict in sorted(stored.items()):
        if reviewer == GATES_REVIEWER or found.posted(reviewer, verdict.verdict):
            continue
        body = review_body(verdict)
        try:
            forge.post_review(pr, head, review_event(verdict), body)
        except OwnReview:
            forge.post_review(pr, head, "comment", body)
        found.agents[reviewer.lower()] = "approve" if verdict.verdict == "approve" else "request_changes"
        outcome.posted.append(f"{reviewer} {verdict.verdict}")


__all__ = ["ForgeConfigError", "ForgeReport", "forge_status", "make_forge", "sync_forge"]
