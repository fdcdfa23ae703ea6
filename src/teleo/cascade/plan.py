"""`plan_cascade`: from the notes a merge changed to the flags and edits that follow.

Pure: it reads a vault (main after the merge, on disk or a git tree) and returns texts; the
caller writes and commits them.

**Priority rule.** A flag starts at the priority of the strongest change that reaches it:
*high* when a note was challenged (a new `### Additional Evidence (challenge)` block or
`challenged_by` entry), its confidence dropped, it was retired or it disappeared; *normal*
for extend / confirm blocks, a raised confidence and any other edit; *low* when only links
were added or the note is new. It moves up one step (low → normal → high) when the target is
load-bearing — an axiom, a `load_bearing` or `confidence: strong` belief, a section marked
keystone or load-bearing, an active or adopted position — or when two or more changed notes
reach it (reference §4.6: "high for active positions, axioms/strong beliefs, and multi-claim
hits").

**What is edited.** A belief file gets `status: under_review` (that line only, via
`set_field`); nothing else of a belief or position changes. Sections of `beliefs.md` have no
frontmatter, and positions have no review status in their schema: for them the open flag is
the marker. Abandoned beliefs and closed positions are not flagged; nor is a belief or
position the merge itself changed (its owner just wrote it) — what rests on it is.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from teleo.cascade.changes import classify
from teleo.cascade.doctor import link_doctor
from teleo.cascade.flags import (
    FLAGS_FOLDER,
    flag_folder,
    render_flag,
    slugify,
)
from teleo.cascade.graph import DependencyGraph, Target
from teleo.cascade.models import (
    CHANGE_PRIORITY,
    PRIORITIES,
    CascadePlan,
    ChangedVia,
    Flag,
    Priority,
)
from teleo.notes import Kind, Note, note_from_text, set_field
from teleo.notes.untrusted import inert_line
from teleo.vault import Vault

UNDER_REVIEW = "under_review"
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")


def plan_cascade(
    vault: Vault,
    changed: list[str],
    *,
    commit: str,
    when: str,
    why: str,
    before: Vault | None = None,
) -> CascadePlan:
    """The cascade of a change to `changed` (vault-relative paths) in `vault` (main after it).

    `commit` names the change (the merge commit, or the proposal head), `when` dates it
    (`YYYY-MM-DD`, or an ISO timestamp), `why` says what it was. `before` is the vault before
    the change; by default it is read from the first parent of `commit` when the vault is in
    a git repository, and without it changes are judged by their dated evidence blocks.
    Raises ValueError on a malformed `when` or an empty `commit`.
    """
    date = _date_of(when)
    if not commit.strip():
        raise ValueError("commit is required: the commit that made the change")
    files, link_fixes = link_doctor(vault, changed)
    graph = DependencyGraph.build(vault, entities=[path for path in changed if _is_entity(vault, path)])
    if before is None:
        before = parent_vault(vault, commit)
    hits = _hits(vault, graph, changed, before, date)
    plan = CascadePlan(files=files, link_fixes=link_fixes)
    taken = set(vault.markdown_paths()) | set(files)
    changed_set = set(changed)
    for key in sorted(hits):
        target = graph.targets[key]
        if not target.live or (target.section is None and target.path in changed_set):
            continue
        flag = _flag(target, hits[key], taken, commit=commit.strip(), when=when.strip(), why=why, date=date)
        taken.add(flag.flag_path)
        plan.flags.append(flag)
        plan.files[flag.flag_path] = render_flag(flag, _titles(vault, graph, flag))
        if _mark_under_review(vault, target, plan.files):
            plan.under_review.append(target.path)
    return plan


def _is_entity(vault: Vault, path: str) -> bool:
    note = readable_note(vault, path) if path.endswith(".md") else None
    return note is not None and note.kind is Kind.ENTITY


def _date_of(when: str) -> str:
    match = _DATE.match(when.strip())
    if match is None:
        raise ValueError(f"when {when!r} is not a YYYY-MM-DD date or an ISO timestamp")
    return match.group(1)


def _hits(vault: Vault, graph: DependencyGraph, changed: list[str], before: Vault | None, date: str) -> dict[str, list[ChangedVia]]:
    """Target key → every changed note reaching it, with its change and chain."""
    hits: dict[str, list[ChangedVia]] = {}
    for path in sorted(set(changed)):
        if not path.endswith(".md") or f"/{FLAGS_FOLDER}/" in path:
            continue
        reached = graph.reached_from(path)
        if not reached:
            continue
        change = classify(readable_note(vault, path), readable_note(before, path), date)
        for key, chain in reached.items():
            hits.setdefault(key, []).append(ChangedVia(path=path, change=change, chain=chain))
    return hits


def priority_of(target: Target, vias: list[ChangedVia]) -> Priority:
    """See the module doc: the strongest change, one step up for load-bearing or multi-hit targets."""
    rank = min(PRIORITIES.index(CHANGE_PRIORITY[via.change]) for via in vias)
    if target.load_bearing or len({via.path for via in vias}) >= 2:
        rank = max(rank - 1, 0)
    return PRIORITIES[rank]


def _flag(target: Target, vias: list[ChangedVia], taken: set[str], *, commit: str, when: str, why: str, date: str) -> Flag:
    base = f"{date}-{slugify(target.title)}"
    flag_id, number = base, 1
    while f"{flag_folder(target.agent)}/{flag_id}.md" in taken:
        number += 1
        flag_id = f"{base}-{number}"
    return Flag(
        id=flag_id, agent=target.agent, priority=priority_of(target, vias), target=target.path,
        target_kind=target.kind, section=target.section, changed=vias, why=inert_line(why),
        when=when, commit=commit, created=date,
    )


def _mark_under_review(vault: Vault, target: Target, files: dict[str, str]) -> bool:
    """Set a belief file's `status: under_review` (that line only); False when nothing was set."""
    if target.kind != "belief" or target.section is not None or (target.status or "").lower() == UNDER_REVIEW:
        return False
    text = files.get(target.path, vault.note(target.path).doc.text)
    note = note_from_text(target.path, text)
    try:
        new_text = set_field(note.doc, "status", UNDER_REVIEW)
    except ValueError:
        return False  # a frontmatter that cannot be edited line by line: the flag alone marks it
    if note_from_text(target.path, new_text).doc.body != note.doc.body:
        return False
    files[target.path] = new_text
    return True


def _titles(vault: Vault, graph: DependencyGraph, flag: Flag) -> dict[str, str]:
    titles: dict[str, str] = {}
    for via in flag.changed:
        for step in via.chain:
            target = graph.targets.get(step)
            if target is not None and target.section is not None:
                titles[step] = target.title
            elif step not in titles:
                note = readable_note(vault, step)
                titles[step] = note.title if note is not None else PurePosixPath(step).stem
    return titles


def readable_note(vault: Vault | None, path: str) -> Note | None:
    """The note at `path`, or None when there is no vault, no such note, an unsafe path or unreadable text."""
    if vault is None:
        return None
    try:
        note = vault.note(path)
    except Exception:  # an unsafe or unknown path: not there
        return None
    return note if note.readable else None


def parent_vault(vault: Vault, commit: str) -> Vault | None:
    """The vault as it was at the first parent of `commit`, read from git; None when unknown."""
    try:
        import pygit2

        from teleo.repo.discover import open_repository
        from teleo.vault.tree import TreeVault

        repo = vault.repo if isinstance(vault, TreeVault) else open_repository(vault.root)
        if repo is None:
            return None
        parents = repo.revparse_single(commit.strip()).peel(pygit2.Commit).parents
        if not parents:
            return None
        return TreeVault.at(vault, parents[0], repo=repo)
    except Exception:  # not a repository, an unknown commit: judge from the text alone
        return None
