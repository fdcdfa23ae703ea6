"""Moving sources through the lifecycle: `teleo sources reset | park | unpark`, and requeue-null's commit.

**Where.** On the base branch (`main`, else the branch `HEAD` names), since that is where extraction
picks its sources (`pipeline.jobs.find_sources`): the sources are read from its tip, never from the
working tree, and the change is written the way every direct change to main is
(`repo.mainline.commit_onto`): one commit by compare-and-swap, re-planned on the new tip if another
writer moved it meanwhile, then the working tree of a checked-out main brought up to date
(`repo.worktree.sync_worktree`). A vault outside a git repository is refused: the change *is* the
commit.

**What is checked, all before anything is written** (one refusal and nothing is committed):
- each name is one source note committed on the branch (a path, or a source's file name);
- the move is in `notes.lifecycle.LIFECYCLE` — otherwise the refusal names the moves allowed
  from the source's status;
- the source has no open extraction proposal (its merge would set the status again, and the two
  edits would conflict);
- the edit: `status` is set by `notes.set_field` (that key's lines only), the result is parsed back
  and must hold the same frontmatter but for `status` and the same body, byte for byte — then the
  lint gate of a proposal (`gates.proposal.new_errors`, the schema among its rules) must find no
  error the note did not already have.

**The commit** says what and why: `sources: <command> <source or N sources> → <status>`, the reason
(`Reason:`, one line, its links defused), one line per source (`path: before → after`, with why for a
requeued null result), the trailers `Teleo-Triage: <command>` and the agent's `Pentagon-Agent`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field

from teleo.gates.proposal import new_errors
from teleo.notes import Kind, note_from_text, set_field
from teleo.notes.lifecycle import COMMAND_TARGET, IllegalTransition, check_move, is_source_path, lifecycle_state
from teleo.notes.untrusted import clip, inert_line
from teleo.repo.agents import agent_trailer
from teleo.repo.branches import BranchError, base_ref, open_proposals, tip
from teleo.repo.discover import open_repository, vault_prefix
from teleo.repo.mainline import commit_onto
from teleo.repo.worktree import WorktreeSync, sync_worktree
from teleo.vault import UnsafePath, Vault
from teleo.vault.tree import TreeVault

TRAILER = "Teleo-Triage"
REASON_LIMIT = 500


class TriageError(Exception):
    """Wrong usage: no repository, an unknown source, a missing reason, an unknown agent. Nothing written."""


class Refusal(BaseModel):
    """Why one source cannot move: the file, the line and the field named."""

    path: str
    line: int = 1
    field: str = "status"
    value: str | None = None
    """The field's value as written, when it matters."""
    message: str

    def __str__(self) -> str:
        value = f" {self.value!r}" if self.value is not None else ""
        return f"{self.path}:{self.line}: {self.field}{value}: {self.message}"


class Move(BaseModel):
    path: str
    before: str | None
    """`status` as written (None: the note had none)."""
    after: str
    why: str = ""
    """Said after the move in the commit (requeue-null: when judged and how much the domain grew)."""


class MovePlan(BaseModel):
    """What one command would change, planned on one commit of the base branch."""

    command: str
    reason: str
    moves: list[Move] = Field(default_factory=list)
    refused: list[Refusal] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict, exclude=True)
    """Vault-relative path → the source's new text."""

    @property
    def writable(self) -> bool:
        return bool(self.moves) and not self.refused


class MoveOutcome(BaseModel):
    plan: MovePlan
    branch: str
    """The branch changed (or that would be)."""
    commit: str | None = None
    message: str = ""
    """The commit message (also when nothing was committed: what it would have said)."""
    worktree: str = ""
    """What became of the working tree after the commit."""


class _Replanned(Exception):
    """The tip moved and the plan made on it differs from the one the message describes."""

    def __init__(self, plan: MovePlan) -> None:
        super().__init__("refused on the new tip")
        self.plan = plan


@dataclass
class Base:
    """The repository, the base branch, and the vault at its tip."""

    vault: Vault
    repo: object
    ref: str
    prefix: str
    tree: TreeVault

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/")


def open_base(vault: Vault, command: str) -> Base:
    """The base branch sources are changed on; `TriageError` when there is none."""
    repo = open_repository(vault.root)
    if repo is None:
        raise TriageError(f"{vault.root} is not in a git repository: `teleo sources {command}` commits its change "
                          "on main, where extraction reads sources")
    try:
        ref = base_ref(repo)
        tree = TreeVault.at(vault, tip(repo, ref), repo=repo)
    except BranchError as exc:
        raise TriageError(str(exc)) from None
    return Base(vault, repo, ref, vault_prefix(repo, vault.root), tree)


def check_reason(reason: str | None, command: str) -> str:
    """The reason as the commit keeps it (one line, links defused, ≤ `REASON_LIMIT`); `TriageError` when blank."""
    text = inert_line(reason or "", REASON_LIMIT)
    if not text:
        raise TriageError(f"--reason must say why (`teleo sources {command}` writes it into the commit message)")
    return text


def check_agent(vault: Vault, agent: str | None) -> str | None:
    if agent is not None and vault.config.agents and agent not in vault.config.agents:
        raise TriageError(f"--as {agent!r} is no agent of this vault (one of {', '.join(sorted(vault.config.agents))})")
    return agent


def resolve_sources(base: Base, names: list[str]) -> list[str]:
    """The vault-relative path of each named source on the base tip; `TriageError` naming every name
    that is not exactly one source note there."""
    sources = [p for p in base.tree.markdown_paths() if is_source_path(p)]
    by_name: dict[str, list[str]] = {}
    for path in sources:
        name = PurePosixPath(path).name
        by_name.setdefault(name, []).append(path)
        by_name.setdefault(name.removesuffix(".md"), []).append(path)
    found, errors = [], []
    for name in names:
        path, error = _one_source(base, name, by_name)
        if error:
            errors.append(error)
        elif path not in found:
            found.append(path)
    if errors:
        raise TriageError("; ".join(errors))
    return found


def _one_source(base: Base, name: str, by_name: dict[str, list[str]]) -> tuple[str | None, str | None]:
    where = base.branch
    candidates = [name.strip().removeprefix("./")]
    try:
        candidates.append(base.vault.relative(Path(name)))  # a path from here
    except UnsafePath:
        pass
    for rel in candidates:
        if base.tree.exists(rel):
            note = base.tree.note(rel)
            if note.kind is not Kind.SOURCE or not is_source_path(rel):
                return None, f"{rel} is not a source note (it reads as {note.kind.value}{'' if is_source_path(rel) else ', outside inbox/'})"
            return rel, None
    matches = by_name.get(PurePosixPath(name.strip()).name, [])
    sources = sorted({p for p in matches if base.tree.note(p).kind is Kind.SOURCE})
    if len(sources) == 1:
        return sources[0], None
    if len(sources) > 1:
        return None, f"{name!r} names {len(sources)} sources ({', '.join(sources[:5])}): give the path"
    on_disk = any((base.vault.root / rel).is_file() for rel in candidates if rel and ".." not in rel)
    if on_disk:
        return None, f"{name} is not committed on {where} (sources are changed where extraction reads them: commit it first)"
    return None, f"no source named {name!r} on {where} (a path under inbox/ or a source's file name; `teleo sources list` lists them)"


def plan_moves(base: TreeVault, paths: list[str], command: str, reason: str, *,
               why: dict[str, str] | None = None, open_branches: dict[str, str] | None = None) -> MovePlan:
    """The edits `command` makes to `paths` on `base` (pure: nothing is written); see the module doc."""
    plan = MovePlan(command=command, reason=reason)
    target = COMMAND_TARGET[command]
    for path in paths:
        refusal = _plan_one(base, path, command, target, plan, (why or {}).get(path, ""), open_branches or {})
        if refusal is not None:
            plan.refused.append(refusal)
    if plan.files and not plan.refused:
        for finding in new_errors(base, plan.files):
            plan.refused.append(Refusal(path=finding.file, line=finding.line, field=finding.field or finding.rule,
                                        message=f"the edit would add a lint error ({finding.rule}): {finding.message}"))
    return plan


def _plan_one(base: TreeVault, path: str, command: str, target: str, plan: MovePlan, why: str,
              open_branches: dict[str, str]) -> Refusal | None:
    note = base.note(path)
    line = note.doc.line_of("status")
    written = note.data.get("status") if isinstance(note.data, dict) else None
    try:
        check_move(lifecycle_state(written), command)
    except IllegalTransition as exc:
        return Refusal(path=path, line=line, value="(none)" if written is None else str(written), message=str(exc))
    if path in open_branches:
        return Refusal(path=path, line=line, message=f"an extraction proposal of this source is open on "
                       f"{open_branches[path]}: review and merge it (or delete the branch) first, since its merge "
                       "sets the status too")
    try:
        text = set_field(note.doc, "status", target)
    except ValueError as exc:
        return Refusal(path=path, line=line, field="frontmatter", message=str(exc))
    after = note_from_text(path, text)
    expected = {**note.data, "status": target}
    if after.data != expected or after.doc.body != note.doc.body or after.kind is not Kind.SOURCE:
        return Refusal(path=path, line=line, field="frontmatter",
                       message="setting status alone would change other fields or the body; edit it by hand")
    plan.files[path] = text
    plan.moves.append(Move(path=path, before=None if written is None else str(written), after=target, why=why))
    return None


def commit_plan(base: Base, paths: list[str], command: str, reason: str, *, agent: str | None = None,
                why: dict[str, str] | None = None) -> MoveOutcome:
    """Plan `command` on `paths` at the base tip and, when nothing is refused, commit it (module doc)."""
    repo, ref = base.repo, base.ref

    def plan_at(commit) -> MovePlan:
        tree = TreeVault.at(base.vault, commit, repo=repo)
        opened = {p.source: p.branch for p in open_proposals(repo, base=ref) if p.source}
        return plan_moves(tree, paths, command, reason, why=why, open_branches=opened)

    start = tip(repo, ref)
    first = plan_at(start)
    message = commit_message(base.tree, first, agent)
    outcome = MoveOutcome(plan=first, branch=base.branch, message=message)
    if not first.writable:
        return outcome

    def build(commit) -> dict[str, bytes]:
        plan = first if commit.id == start.id else plan_at(commit)
        if plan.refused or [m.model_dump() for m in plan.moves] != [m.model_dump() for m in first.moves]:
            raise _Replanned(plan)
        return {base.prefix + path: text.encode("utf-8") for path, text in plan.files.items()}

    try:
        done = commit_onto(repo, ref, build, message)
    except _Replanned as exc:
        outcome.plan = exc.plan
        if not exc.plan.refused:
            exc.plan.refused.append(Refusal(path=paths[0], message=f"{base.branch} moved while this ran and the sources "
                                            "changed with it; run the command again"))
        return outcome
    if done is None:
        return outcome
    outcome.commit = done[1]
    try:
        synced = sync_worktree(repo, ref)
    except Exception as exc:  # noqa: BLE001 - the commit stands; the working tree catches up at the next sync
        synced = WorktreeSync(status="refused", message=f"working tree not updated: {exc}")
    outcome.worktree = synced.message or synced.status
    return outcome


def move_sources(vault: Vault, names: list[str], command: str, reason: str | None, *,
                 agent: str | None = None) -> MoveOutcome:
    """`teleo sources reset | park | unpark NAME…`: one commit on the base branch, or nothing when any
    source is refused (`MoveOutcome.plan.refused`). `TriageError` for wrong usage."""
    if command not in ("reset", "park", "unpark"):
        raise TriageError(f"unknown command {command!r}")
    text = check_reason(reason, command)
    check_agent(vault, agent)
    base = open_base(vault, command)
    paths = resolve_sources(base, names)
    return commit_plan(base, paths, command, text, agent=agent)


def commit_message(vault: Vault, plan: MovePlan, agent: str | None) -> str:
    """The commit of `plan` (module doc); `vault`: where the sources were read (their domains name the agent
    by default: the one all of them are routed to, else the evaluator)."""
    target = COMMAND_TARGET[plan.command]
    count = len(plan.moves)
    what = (clip(PurePosixPath(plan.moves[0].path).stem, 80) if count == 1 else f"{count} sources")
    routed = {vault.config.agent_for_domain(_domain(vault, m.path)) for m in plan.moves}
    who = agent or (routed.pop() if len(routed) == 1 else vault.config.vault.evaluator)
    lines = [f"sources: {plan.command} {what} → {target}", "", f"Reason: {plan.reason}", ""]
    for move in plan.moves:
        before = "(no status)" if move.before is None else inert_line(move.before, 80)
        lines.append(f"- {move.path}: {before} → {move.after}" + (f" ({move.why})" if move.why else ""))
    lines += ["", f"{TRAILER}: {plan.command}", agent_trailer(who, vault.config.agents), ""]
    return "\n".join(lines)


def _domain(vault: Vault, path: str) -> str | None:
    value = vault.note(path).data.get("domain")
    return value.strip() if isinstance(value, str) else None
