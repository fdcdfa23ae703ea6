"""The jobs of a worker on one of several hosts sharing a git remote (`[pipeline] remote = "origin"`).

Each host has its own clone; the remote holds the truth (`teleo.repo.remote`). The three jobs a
queue runs call these, and each is safe to run again — after a crash, a lost race or a retry:

- `extract_on_remote(vault, source)`: fetch; a source already done on the remote (its proposal
  branch is there, or the remote's main names it) is *already done* and nothing is written;
  a proposal this clone made and never published (a worker killed before its push) is pushed
  as it is; else the source is extracted from the remote main's tip (`extract_source` with that
  base) and the branch pushed with the lease "absent", together with a lease on the remote's
  main being the tip the source was found not done on (main itself is not written; `_publish`).
  A push that loses to another worker's raises `RemoteConflict` (retry: the next run finds the
  winner's branch and is done).
- `review_on_remote(vault, branch)`: fetch (verdicts too); the clone's branch is set to the
  remote's; `review` judges it against the remote main's tip, storing verdicts on the head
  commit and maybe fix commits; then one atomic push: the branch leased on the head it started
  from (when a fix moved it) and the verdict refs of the heads judged.
- `merge_on_remote(vault, branch)`: under the clone's merge lock, fetch, set the clone's main to
  the remote's tip, merge the proposal there with the usual gate, merge commit and cascade
  (`merge_proposal`), then one atomic push: main leased on the tip it was merged onto, the
  branch deleted leased on the head merged (and, when the cascade failed or was not run, its
  owed-cascade record). A lost lease (another host moved main, or the branch moved) undoes
  nothing remote: the clone's main goes back and the whole round is redone on the new tip,
  `rounds` (20) times at most. Two hosts can therefore never both move main from the same tip,
  and a merge is judged on the tip it lands on.

`merge_all_on_remote(vault)` (a queue's merge job) first does the cascades the remote owes
(`cascades_on_remote`), then merges every open proposal of the remote that is ready. Extraction and merge leave the clone's main, and a checked-out working tree, at the
remote's tip (`catch_up`): the similar claims shown to the model come from the working tree's index.

`remote_of(vault)` is the configured remote (None when `[pipeline] remote` is unset: the jobs of
the single-host pipeline are then unchanged).

**A command that commits on main** on such a host (`teleo flags resolve`, `teleo sources
reset|park|unpark|requeue-null --apply`, `teleo fix`, `teleo ingest`, `teleo digest --advance`,
`teleo synthesis`) calls `follow_shared_main` first — the clone's own earlier commits published, its main
and working tree brought to the remote's tip, so the command plans on the shared main — and
`publish_shared_main` after: its commits pushed with the workers' compare-and-swap (`publish_main`:
leased on the remote's tip, replayed onto it when another host moved it meanwhile). One that cannot be
replayed (the other host changed the same lines) raises `NotPublished`, naming the ref that keeps it;
never a commit left on this clone's main alone in silence.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import pygit2

from teleo.pipeline.job import JobOutcome, extract_source, relative_source
from teleo.pipeline.turn import Turn
from teleo.pipeline.workers import PipelineSettings
from teleo.repo.branches import branch_head, find_proposal, is_merged, proposal_branches
from teleo.repo.discover import open_repository, vault_prefix
from teleo.repo.kinds import kind_of
from teleo.repo.mainline import OWED_PREFIX
from teleo.repo.remote import (
    RefUpdate,
    Remote,
    RemoteConflict,
    RemoteError,
    SourceRecord,
    UNPUSHED_PREFIX,
    commit_naming_source,
    drop_local,
    follow,
    host_lock,
    local_only,
    replay,
    set_local,
)
from teleo.repo.verdicts import VERDICT_PREFIX
from teleo.vault import UnsafePath, Vault

MAIN = "main"
ALREADY_DONE = "already done"
"""How an outcome says the remote already holds the source's work (nothing was written)."""
MERGE_ROUNDS = 20
VERDICT_PUSHES = 5
"""Tries of a push of verdict refs alone (forced: a conflict there is only another push holding their locks)."""


def remote_of(vault: Vault, settings: PipelineSettings | None = None) -> Remote | None:
    """The shared remote `[pipeline] remote` names, or None when unset; `RemoteError` when the clone lacks it."""
    settings = settings or PipelineSettings.from_vault(vault)
    if not settings.remote:
        return None
    repo = open_repository(vault.root)
    if repo is None:
        raise RemoteError(f"{vault.root} is not inside a git repository with a working tree")
    return Remote.open(repo, settings.remote, attempts=int(settings.remote_attempts),
                       backoff_s=float(settings.remote_backoff_s), stale_lock_s=float(settings.stall_seconds))


def _required(vault: Vault, remote: Remote | None) -> Remote:
    found = remote or remote_of(vault)
    if found is None:
        raise RemoteError("teleo.toml: field 'pipeline.remote': no shared remote configured")
    return found


# -- extraction --------------------------------------------------------------------------


def extract_on_remote(vault: Vault, source_path: str | Path, *, remote: Remote | None = None,
                      turn: Turn | None = None, **options) -> JobOutcome:
    """Extract one source into a proposal branch on the shared remote (module doc); `options` go to `extract_source`.

    `turn`: the worker process's turn (`pipeline.turn`), given up for the push so that the process
    may start its next job meanwhile, taken back when the push lost its lease. Raises
    `RemoteConflict` (retryable) when another worker's push won, `RemoteError` when the remote
    cannot be reached after its retries; bad input is a failed outcome, as with `extract_source`."""
    remote = _required(vault, remote)
    try:
        rel = relative_source(vault, source_path)
    except (UnsafePath, ValueError) as exc:
        return JobOutcome(source=str(source_path), status="failed", error=str(exc))
    remote.fetch(only=_read_by_extraction(rel))
    catch_up(remote)
    done = remote.source_record(rel, MAIN)
    if done is not None:
        return _already(rel, done)
    base = remote.tracking(MAIN)
    repo = remote.repo
    for branch, head in ((b, remote.head(b)) for b in proposal_branches(rel)):
        if head is not None:
            set_local(repo, branch, head)  # another source's proposal holds that name on the remote
    left = _publish_unpushed(vault, remote, rel, turn)
    if left is not None:
        return left
    outcome = extract_source(vault, rel, base=base, **options)
    if outcome.status in ("proposed", "null") and outcome.branch and outcome.commit:
        merged = _publish(remote, outcome.branch, outcome.commit, rel, turn)
        if merged is not None:
            return _already(rel, merged)
    elif outcome.status == "skipped":  # another process of this clone committed it first: publish theirs
        return _publish_unpushed(vault, remote, rel, turn) or outcome
    return outcome


def _read_by_extraction(rel: str) -> tuple[str, ...]:
    """The remote branches an extraction of `rel` reads: main and the names its proposal may carry
    (`extract/<slug>`, `extract/<slug>-<hash>`: one pattern). Fetching only these keeps a job's
    fetch from growing with every branch the remote holds (issue 18.6)."""
    first, *_ = proposal_branches(rel)
    return MAIN, f"{first}*"


def _publish_unpushed(vault: Vault, remote: Remote, rel: str, turn: Turn | None = None) -> JobOutcome | None:
    """Push the clone's open proposal of `rel` the remote lacks (made here, its worker killed before the push)."""
    branch, existing, is_open = find_proposal(remote.repo, rel, base=remote.tracking(MAIN))
    if existing is None or not is_open or remote.head(branch) == existing.head:
        return None
    prefix = vault_prefix(remote.repo, vault.root)  # read before the push: the turn may be gone after it
    merged = _publish(remote, branch, existing.head, rel, turn)
    if merged is not None:
        return _already(rel, merged)
    files = sorted(path[len(prefix):] for path in existing.files if path.startswith(prefix))
    return JobOutcome(source=rel, status="null" if files == [rel] else "proposed", branch=branch,
                      commit=existing.head, agent=existing.agent, domain=existing.domain, files=files)


def _publish(remote: Remote, branch: str, commit: str, rel: str, turn: Turn | None = None) -> SourceRecord | None:
    """Push a new proposal branch, leased on its absence *and* on the remote's main being the tip
    the job found the source not done on; on a lost race, the clone's copy is dropped.

    The lease "absent" alone also holds once another worker's proposal of the same source was
    merged and its branch deleted — while this one was extracting. Main's lease closes that: the
    refspec sets main to the tip it already holds, so it is never written ("up to date"), but git
    refuses the whole atomic push when the remote's main is no longer that tip. Then main is
    fetched again: when it names the source, the branch is a duplicate of merged work — not
    pushed, the merge's record returned; else the push is tried again on the new tip. A quiet
    main costs nothing more than the push (where reading main again after every push cost a
    fetch and a history read per job, issue 18.6).

    The first push runs after the job let go of its `turn` (the process's next job runs meanwhile)
    and through a repository object of its own: it reads nothing the next job may be changing. A
    lost lease takes the turn back before the clone is read or written again."""
    main_ref = f"refs/heads/{MAIN}"
    for attempt in range(1, MERGE_ROUNDS + 1):
        tip = remote.head(MAIN)
        updates = [RefUpdate(f"refs/heads/{branch}", commit, expected=None)]
        if tip is not None:
            updates.append(RefUpdate(main_ref, tip, expected=tip))  # a lease only: never written
        pusher = remote
        if turn is not None and attempt == 1:
            pusher = replace(remote, repo=pygit2.Repository(remote.repo.path))
            turn.let_go()
        try:
            pusher.push(updates)
            return None
        except RemoteConflict as exc:
            if turn is not None:
                turn.resume()
            if exc.lost != (main_ref,):
                drop_local(remote.repo, branch, commit)  # the retry must see the winner's branch, not this one
                raise
        remote.fetch(only=(MAIN,))
        merged = commit_naming_source(remote.repo, remote.tracking(MAIN), rel)
        if merged is not None:
            drop_local(remote.repo, branch, commit)
            return SourceRecord("merged", MAIN, merged)
        time.sleep(min(0.5, 0.02 * attempt))
    drop_local(remote.repo, branch, commit)
    raise RemoteConflict(f"the remote '{remote.name}' main kept moving ({MERGE_ROUNDS} rounds) while pushing {branch}")


def _already(rel: str, done: SourceRecord) -> JobOutcome:
    return JobOutcome(source=rel, status="skipped", branch=done.where if done.state == "proposed" else None,
                      commit=done.commit, error=f"{ALREADY_DONE}: {done}")


# -- review ------------------------------------------------------------------------------


def review_on_remote(vault: Vault, branch: str, *, remote: Remote | None = None, **options):
    """Review the remote's proposal `branch` on this host and publish the verdicts (module doc).

    `options` go to `teleo.review.review`. Raises `NoSuchBranch` when the remote has no such
    branch (merged or removed), `RemoteConflict` when the branch moved on the remote meanwhile."""
    from teleo.review import review
    from teleo.review.context import NoSuchBranch

    remote = _required(vault, remote)
    branch = branch.removeprefix("refs/heads/")
    remote.fetch(verdicts=True)
    start = remote.head(branch)
    if start is None:
        raise NoSuchBranch(f"no proposal branch '{branch}' on the remote '{remote.name}' (merged or removed)")
    set_local(remote.repo, branch, start)
    outcome = review(vault, branch, base=remote.tracking(MAIN), **options)
    end = branch_head(remote.repo, branch) or start
    updates = [RefUpdate(f"refs/heads/{branch}", end, expected=start)] if end != start else []
    updates += _verdict_updates({start, end, outcome.head})
    for attempt in range(1, VERDICT_PUSHES + 1):
        try:
            remote.push(updates)
            break
        except RemoteConflict:
            if end != start or attempt == VERDICT_PUSHES:
                raise  # the branch moved on the remote: judged a head that is no longer the proposal's
            time.sleep(0.05 * attempt)  # forced verdict refs only: another host's push held their locks
    return outcome


def _verdict_updates(heads: set[str]) -> list[RefUpdate]:
    """The clone's verdict refs on `heads` (glob refspecs), forced: a reviewer's record on a commit only replaces its own."""
    return [RefUpdate(f"{VERDICT_PREFIX}{head}/*", f"{VERDICT_PREFIX}{head}/*", force=True) for head in sorted(heads)]


# -- merge -------------------------------------------------------------------------------


def merge_on_remote(vault: Vault, branch: str, *, remote: Remote | None = None, cascade: bool = True,
                    rounds: int = MERGE_ROUNDS):
    """Merge the remote's proposal `branch` into the remote's main by compare-and-swap (module doc).

    Returns the `MergeOutcome` of the round that landed (or found it already merged, or not
    ready); `RemoteError` when the remote cannot be reached after its retries. The cascades the
    remote owes (a record another merge pushed) are done after it (`cascades_on_remote`)."""

    remote = _required(vault, remote)
    outcome = _merge_rounds(vault, remote, branch.removeprefix("refs/heads/"), cascade, rounds)
    if remote.owed():  # as the job's last fetch saw them: a cascade another merge could not do
        for done in cascades_on_remote(vault, remote=remote):
            outcome.reasons.append(f"owed cascade of {done.merge[:12]}: {done.error or done.summary}")
    return outcome


def _merge_rounds(vault: Vault, remote: Remote, branch: str, cascade: bool, rounds: int):
    from teleo.review.merge import MergeOutcome, merge_proposal

    repo = remote.repo
    with host_lock(repo):
        for attempt in range(1, rounds + 1):
            remote.fetch(verdicts=True)
            if remote.head(MAIN) is None:
                raise RemoteError(f"the remote '{remote.name}' has no {MAIN} branch")
            _publish_local(remote)
            tip, head = remote.head(MAIN), remote.head(branch)
            follow(repo, MAIN, tip)
            if head is None:
                return MergeOutcome(branch=branch, status="already",
                                    reasons=[f"not on the remote '{remote.name}': merged or removed"])
            set_local(repo, branch, head)
            outcome = merge_proposal(vault, branch, cascade=cascade)
            if outcome.status == "already":
                _delete_merged(remote, branch, head)
                return outcome
            if outcome.status != "merged" or outcome.commit is None:
                return outcome
            new = outcome.cascade.commit if outcome.cascade and outcome.cascade.commit else outcome.commit
            updates = [RefUpdate(f"refs/heads/{MAIN}", new, expected=tip),
                       RefUpdate(f"refs/heads/{branch}", None, expected=head)]
            if outcome.cascade is None or outcome.cascade.error:  # the cascade is owed: say so on the remote
                owed = OWED_PREFIX + outcome.commit
                if owed in repo.references:
                    updates.append(RefUpdate(owed, outcome.commit, force=True))
            if repo[outcome.commit].parents[0].id != repo[tip].id:
                follow(repo, MAIN, tip)  # merged onto something else than the remote's tip: redo
                continue
            try:
                remote.push(updates)
            except RemoteConflict:
                follow(repo, MAIN, tip)  # our merge stays a dangling object; the next round redoes it
                time.sleep(min(1.0, 0.05 * attempt))
                continue
            outcome.reasons.append(f"pushed to {remote.name}/{MAIN} in round {attempt}")
            _sync_worktree(repo)
            return outcome
    return MergeOutcome(branch=branch, status="failed",
                        reasons=[f"the remote '{remote.name}' main kept moving ({rounds} rounds)"])


def merge_all_on_remote(vault: Vault, *, remote: Remote | None = None, cascade: bool = True):
    """`merge_on_remote` for every open proposal on the remote, oldest first: what a queue's merge job runs.

    First the cascades the remote still owes (`cascades_on_remote`). A proposal not ready (no
    approval on its head yet, a gate failing) comes back `not_ready` with its reasons and stays
    open; one proposal's failure does not stop the others. Returns a `MergeReport` (merges, cascades)."""
    from teleo.review.merge import MergeOutcome, MergeReport

    remote = _required(vault, remote)
    report = MergeReport(cascades=cascades_on_remote(vault, remote=remote))
    outcomes = report.merges
    for branch in open_remote_proposals(vault, remote=remote):
        try:
            outcomes.append(merge_on_remote(vault, branch, remote=remote, cascade=cascade))
        except RemoteError:
            raise  # the remote is gone for every proposal alike
        except Exception as exc:  # noqa: BLE001 - one proposal's failure must not stop the others
            outcomes.append(MergeOutcome(branch=branch, status="failed", reasons=[f"{type(exc).__name__}: {exc}"]))
    return report


def cascades_on_remote(vault: Vault, *, remote: Remote | None = None, rounds: int = MERGE_ROUNDS,
                       also: tuple[str, ...] = ()) -> list:
    """Do the cascades the remote's main still owes and push them; returns their `CascadeOutcome`s.

    A merge whose cascade failed pushed its record (`refs/teleo/cascade-owed/<merge>`) with main.
    Here, under the clone's merge lock: fetch, follow, `run_cascade` for each merge on the remote's
    main that has a record (a cascade already there, or one that changes nothing, commits nothing),
    then one atomic push — main leased on the fetched tip when a cascade commit was made, each
    record deleted leased on its value — redone from a new fetch after a lost lease. A cascade
    that fails again keeps its record. `also`: merges on the remote's main whose cascade may be missing
    with no record (a forge's merge whose worker died before recording it, `forge_jobs`): cascaded the
    same way — a cascade already there commits nothing, and nothing is pushed."""
    from teleo.review.merge import run_cascade

    remote = _required(vault, remote)
    repo = remote.repo
    ref = f"refs/heads/{MAIN}"
    with host_lock(repo):
        for attempt in range(1, rounds + 1):
            remote.fetch()
            _publish_local(remote)
            tip = remote.head(MAIN)
            records = remote.owed()
            owed = [m for m in records + [m for m in also if m not in records] if tip and repo.get(m) is not None
                    and (m == tip or repo.descendant_of(repo[tip].id, repo[m].id))]
            if not owed:
                return []
            follow(repo, MAIN, tip)
            prefix = vault_prefix(repo, vault.root)
            done = [run_cascade(vault, repo, ref, prefix, merge) for merge in owed]
            new = branch_head(repo, MAIN)
            updates = [RefUpdate(ref, new, expected=tip)] if new and new != tip else []
            updates += [RefUpdate(OWED_PREFIX + c.merge, None, expected=c.merge) for c in done
                        if not c.error and c.merge in records]
            if not updates:
                return done
            try:
                remote.push(updates)
            except RemoteConflict:
                follow(repo, MAIN, tip)
                time.sleep(min(1.0, 0.05 * attempt))
                continue
            _sync_worktree(repo)
            return done
    raise RemoteConflict(f"the remote '{remote.name}' main kept moving ({rounds} rounds) while cascading")


def catch_up(remote: Remote) -> None:
    """The clone's own commits on main are published, then its main follows the remote's (as last
    fetched), and a checked-out working tree with it.

    Extraction reads the remote's tip from git objects whatever the clone holds; but the similar
    claims it shows the model come from the index of the working tree, which therefore follows."""
    if remote.head(MAIN) is None:
        return
    with host_lock(remote.repo):
        _publish_local(remote)
        follow(remote.repo, MAIN, remote.head(MAIN))
        _sync_worktree(remote.repo)


def publish_main(vault: Vault, *, remote: Remote | None = None) -> str | None:
    """Push the clone's own commits on main — an ingest, the drop folder's archive, a hand commit —
    to the remote's main (replayed onto its tip when it moved, leased on that tip); returns the
    remote's new tip, or None when there was nothing to push (or it could not be replayed: then
    the next job keeps it under `refs/teleo/unpushed/`). `teleo run` calls it after ingesting on
    a host sharing a remote, so that the sources it enqueues are on the remote's main."""
    remote = _required(vault, remote)
    remote.fetch()
    with host_lock(remote.repo):
        pushed = _publish_local(remote)
        if remote.head(MAIN) is not None:
            follow(remote.repo, MAIN, remote.head(MAIN))
            _sync_worktree(remote.repo)
    return pushed


class NotPublished(RemoteError):
    """A command's commit on main that could not reach the shared remote (the message says where it is kept)."""


@dataclass
class SharedMain:
    """The shared remote a command's commits on main go to, and main's tip before the command."""

    vault: Vault
    remote: Remote
    before: str | None


def follow_shared_main(vault: Vault) -> SharedMain | None:
    """Before a command commits on main (module doc): with `[pipeline] remote`, the clone's own commits
    published and its main at the remote's tip; None without a shared remote. Raises `RemoteError` (the
    remote unreachable, the clone lacking it) before anything is written."""
    remote = remote_of(vault)
    if remote is None:
        return None
    publish_main(vault, remote=remote)
    vault.forget()  # main and its working tree may have moved
    return SharedMain(vault=vault, remote=remote, before=branch_head(remote.repo, MAIN))


def publish_shared_main(shared: SharedMain | None) -> str | None:
    """After the command: what it committed on main pushed to the remote's main by compare-and-swap (replayed
    onto a tip another host moved meanwhile); returns the remote's new tip, None when main did not move (or
    there is no shared remote). Raises `NotPublished` when the commits cannot be replayed there — they are
    then kept under `refs/teleo/unpushed/` and main follows the remote's again — and `RemoteError` when the
    remote cannot be reached (the commits stay on this clone's main: the next publish takes them)."""
    if shared is None:
        return None
    repo = shared.remote.repo
    after = branch_head(repo, MAIN)
    if after is None or after == shared.before:
        return None
    try:
        pushed = publish_main(shared.vault, remote=shared.remote)
    except (RemoteError, RemoteConflict) as exc:
        raise RemoteError(
            f"committed {after[:12]} on this clone's main, but it is not on {shared.remote.name}/{MAIN} yet: {exc}. "
            "It stays on this clone's main and goes with the next push of it (this command run again, teleo run, "
            "a worker's job on this host)") from None
    tip = shared.remote.head(MAIN)
    if pushed is not None or (tip is not None and (tip == after or repo.descendant_of(repo[tip].id, repo[after].id))):
        return pushed or tip
    kept = UNPUSHED_PREFIX + after
    where = f"kept as {kept}" if kept in repo.references else f"still on this clone's main ({after[:12]})"
    raise NotPublished(
        f"committed {after[:12]} on this clone's main, but it could not be pushed to {shared.remote.name}/{MAIN}: "
        f"another host changed the same lines there meanwhile ([pipeline] remote = {shared.remote.name!r}). "
        f"The commit is {where}; this clone's main follows {shared.remote.name}/{MAIN} again — run the command again")


def _publish_local(remote: Remote, rounds: int = MERGE_ROUNDS) -> str | None:
    """Under the clone's merge lock: the clone's own commits on main pushed (see `publish_main`)."""
    repo = remote.repo
    for attempt in range(1, rounds + 1):
        tip = remote.head(MAIN)
        local = local_only(repo, MAIN, tip) if tip else None
        if local is None:
            return None
        new = local if repo.descendant_of(repo[local].id, repo[tip].id) else replay(repo, local, tip)
        if new is None:
            return None
        try:
            remote.push([RefUpdate(f"refs/heads/{MAIN}", new, expected=tip)])
        except RemoteConflict:
            time.sleep(min(1.0, 0.05 * attempt))
            remote.fetch()
            continue
        remote.fetch()  # the remote's main is now `new` (or later)
        return new
    raise RemoteConflict(f"the remote '{remote.name}' main kept moving ({rounds} rounds) while publishing")


_SYNCED: dict[str, str] = {}
"""Per clone (git folder): the tip of main this process last brought the working tree to."""


def _sync_worktree(repo) -> None:
    """A checked-out main's files catch up (best effort: a refusal — changes in the way — waits for `teleo merge`).

    Skipped when main is still at the tip this process last synced the working tree to: nothing
    moved it since, and the sync (a `git write-tree` at least) was a process per extraction job
    (issue 18.6). A sync refused or failed is not remembered, so the next job tries again."""
    from teleo.repo.worktree import sync_worktree

    head = branch_head(repo, MAIN)
    if head is not None and _SYNCED.get(repo.path) == head:
        return
    try:
        done = sync_worktree(repo, f"refs/heads/{MAIN}")
    except Exception:  # noqa: BLE001 - the record stays; the next sync resumes from it
        return
    if head is not None and done.status in ("current", "updated", "not-checked-out") and \
            branch_head(repo, MAIN) == head:
        _SYNCED[repo.path] = head


def _delete_merged(remote: Remote, branch: str, head: str) -> None:
    """Delete the remote's branch of a proposal already on main (leased on its head; a lost lease is left alone)."""
    try:
        remote.push([RefUpdate(f"refs/heads/{branch}", None, expected=head)])
    except RemoteConflict:
        pass


def open_remote_proposals(vault: Vault, *, remote: Remote | None = None) -> list[str]:
    """The remote's proposal branches (every kind, `teleo.repo.kinds`) not merged into its main, oldest first
    (what a merge round walks)."""
    remote = _required(vault, remote)
    remote.fetch()
    repo = remote.repo
    main = repo[remote.head(MAIN)] if remote.head(MAIN) else None
    found = []
    for branch, head in remote.branches("").items():
        if kind_of(branch, vault.config.agents) is None:
            continue
        commit = repo[head]
        if main is None or not is_merged(repo, commit, main):
            found.append((commit.commit_time, branch))
    return [branch for _, branch in sorted(found)]
