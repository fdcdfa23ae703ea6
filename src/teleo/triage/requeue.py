"""`teleo sources requeue-null`: null results whose domain has grown since they were judged go back to the queue.

A null result said "nothing here adds to what the domain holds"; once the domain holds more, the
same source may read differently (reference §4.3: the deployed pipeline dated null results with
`last_attempted` "so they can be re-queued when the domain has grown"). Here:

- **When it was judged**: from the frontmatter — the later of `last_attempted` and
  `processed_date` (`sources.judged_date`; a partial date counts as the end of its period) — else
  from git: the day of the last commit on the base branch that changed the source file (what set
  the status, or an edit after it, so never earlier than the judgement). Each candidate says
  which (`judged_from`: `last_attempted`, `processed_date` or `git`).
- **What the domain gained**: the claims (`Kind.CLAIM`) on the base tip whose `domain` (else the
  domain of their folder) is the source's and whose `created` date is *after* the judgement day
  (a claim created that same day may have been there when it was judged; a partial date counts as
  the start of its period). A claim with no valid `created` date cannot be placed in time: it is
  not counted, and the count of such claims in the domain is reported (`undated`).
- **Chosen**: every null result (lifecycle state `null-result`) of the chosen domains with a
  domain and at least `min_new_claims` claims gained, and no open extraction proposal. The move
  is the lifecycle's `null-result → unprocessed` by `requeue-null`, committed like a reset
  (`triage.moves`), one commit for all, each source's line saying when it was judged, from which
  field, and how many claims its domain gained since.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import PurePosixPath

from pydantic import BaseModel, Field

from teleo.notes import Kind
from teleo.notes.lifecycle import NULL_RESULT
from teleo.repo.branches import open_proposals
from teleo.repo.command import run_git
from teleo.triage.moves import Base, MoveOutcome, TriageError, check_agent, check_reason, commit_plan, open_base
from teleo.triage.sources import DATE, judged_date, source_paths, source_record, upper_bound
from teleo.vault import Vault

DEFAULT_MIN_NEW_CLAIMS = 5
COMMAND = "requeue-null"


class Candidate(BaseModel):
    """A null result, and whether its domain grew enough since it was judged."""

    path: str
    domain: str | None
    format: str | None = None
    judged: str | None
    judged_from: str | None
    """`last_attempted`, `processed_date` or `git` (None: no date found at all)."""
    gained: int = 0
    """Claims of its domain created after it was judged."""
    undated: int = 0
    """Claims of its domain with no valid `created` date (not counted in `gained`)."""
    chosen: bool = False
    why: str
    """Why it is, or is not, requeued (a sentence)."""
    held_by: str = ""
    """When not chosen, what holds it back, in a few words."""


class RequeuePlan(BaseModel):
    branch: str
    min_new_claims: int
    candidates: list[Candidate] = Field(default_factory=list)

    @property
    def chosen(self) -> list[Candidate]:
        return [c for c in self.candidates if c.chosen]


def plan_requeue(vault: Vault, min_new_claims: int = DEFAULT_MIN_NEW_CLAIMS, *, domains: list[str] | None = None,
                 base: Base | None = None) -> RequeuePlan:
    """Every null result of `domains` (default: all) on the base tip, judged (module doc); nothing written."""
    if min_new_claims < 1:
        raise TriageError(f"--min-new-claims must be at least 1 (got {min_new_claims})")
    base = base or open_base(vault, COMMAND)
    tree = base.tree
    dated, undated = _claims_by_domain(tree)
    opened = {p.source: p.branch for p in open_proposals(base.repo, base=base.ref) if p.source}
    plan = RequeuePlan(branch=base.branch, min_new_claims=min_new_claims)
    for path in source_paths(tree):
        note = tree.note(path)
        if note.kind is not Kind.SOURCE:
            continue
        record = source_record(tree, note)
        if record.status != NULL_RESULT or (domains and record.domain not in domains):
            continue
        judged = judged_date(note.data) or _git_judged(base, path)
        candidate = Candidate(path=path, domain=record.domain, format=record.format,
                              judged=judged[0] if judged else None, judged_from=judged[1] if judged else None,
                              undated=undated.get(record.domain or "", 0), why="")
        _judge(candidate, dated.get(record.domain or "", []), min_new_claims, opened.get(path))
        plan.candidates.append(candidate)
    return plan


def _judge(candidate: Candidate, created: list[str], needed: int, open_branch: str | None) -> None:
    if not candidate.domain:
        candidate.why, candidate.held_by = "no domain: nothing to measure its growth by", "no domain"
        return
    if candidate.judged is None:
        candidate.why = "no date it was judged (no last_attempted or processed_date, no git history)"
        candidate.held_by = "no judged date"
        return
    since = upper_bound(candidate.judged)
    candidate.gained = sum(1 for day in created if day > since)
    grew = f"{candidate.domain} gained {candidate.gained} claim{'s' if candidate.gained != 1 else ''} since {candidate.judged} ({candidate.judged_from})"
    if open_branch:
        candidate.why = f"{grew}, but an extraction proposal of it is open on {open_branch}"
        candidate.held_by = f"open proposal {open_branch}"
    elif candidate.gained >= needed:
        candidate.chosen = True
        candidate.why = grew
    else:
        candidate.why, candidate.held_by = f"{grew}: fewer than {needed}", f"fewer than {needed}"


def _claims_by_domain(tree) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Domain → the `created` dates of its claims; domain → how many of its claims have none."""
    dated: dict[str, list[str]] = defaultdict(list)
    undated: dict[str, int] = defaultdict(int)
    config = tree.config
    for path in tree.markdown_paths():
        if path.startswith("inbox/"):
            continue
        note = tree.note(path)
        if note.kind is not Kind.CLAIM:
            continue
        data = note.data if isinstance(note.data, dict) else {}
        domain = data.get("domain")
        domain = domain.strip() if isinstance(domain, str) and domain.strip() else config.domain_of_folder(
            str(PurePosixPath(path).parent))
        if not domain:
            continue
        created = str(data.get("created") or "").strip()
        if DATE.fullmatch(created):
            dated[domain].append(created)
        else:
            undated[domain] += 1
    return dated, undated


def _git_judged(base: Base, path: str) -> tuple[str, str] | None:
    """The day (committer date) of the last commit on the base branch that changed `path`."""
    result = run_git(base.vault.root, "log", "-1", "--format=%cs", base.ref, "--", path,
                     encoding="utf-8", errors="replace")
    day = result.stdout.strip() if result.returncode == 0 else ""
    return (day, "git") if DATE.fullmatch(day) else None


def requeue_null(vault: Vault, min_new_claims: int = DEFAULT_MIN_NEW_CLAIMS, *, apply: bool = False,
                 reason: str | None = None, domains: list[str] | None = None,
                 agent: str | None = None) -> tuple[RequeuePlan, MoveOutcome | None]:
    """The plan, and — with `apply` and something chosen — its commit (`triage.moves.commit_plan`)."""
    extra = check_reason(reason, COMMAND) if reason and reason.strip() else ""
    check_agent(vault, agent)
    base = open_base(vault, COMMAND)
    plan = plan_requeue(vault, min_new_claims, domains=domains, base=base)
    if not apply or not plan.chosen:
        return plan, None
    text = f"the domain gained at least {min_new_claims} claims since the source was judged a null result"
    text += f"; {extra}" if extra else ""
    why = {c.path: c.why for c in plan.chosen}
    return plan, commit_plan(base, [c.path for c in plan.chosen], COMMAND, text, agent=agent, why=why)
