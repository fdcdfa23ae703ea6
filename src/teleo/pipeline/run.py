"""The pipeline's entry points: `extract_all` (the `teleo extract` command) and `run` (`teleo run`)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Sequence

from teleo.pipeline.jobs import DROP_PREFIX, find_sources
from teleo.pipeline.store import Job, JobStore
from teleo.pipeline.workers import PipelineSettings, Progress, ProviderSpec, Supervisor, queue_path
from teleo.vault import Vault


@dataclass
class ExtractReport:
    jobs: list[Job] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    """Sources skipped before any work: an open proposal exists already."""
    elapsed_s: float = 0.0
    restarts: int = 0
    timeouts: int = 0
    error: str | None = None
    enqueued: Any = None
    """On a shared queue (`[pipeline] backend = "postgres"`): the `enqueue.Enqueued` jobs, which
    `teleo worker`s do; `jobs` is then empty."""

    def totals(self) -> dict[str, Any]:
        done = [j for j in self.jobs if j.state == "done"]
        costs = [j.result.get("cost") for j in self.jobs if j.result.get("cost") is not None]
        return {
            "sources": len(self.jobs),
            "proposed": sum(1 for j in done if j.result.get("status") == "proposed"),
            "null": sum(1 for j in done if j.result.get("status") == "null"),
            "skipped": sum(1 for j in done if j.result.get("status") == "skipped"),
            "failed": sum(1 for j in self.jobs if j.state == "failed"),
            "unfinished": sum(1 for j in self.jobs if j.state in ("pending", "leased")),
            "claims": sum(int(j.result.get("claims") or 0) for j in done),
            "dropped": sum(int(j.result.get("dropped_count") or 0) for j in done),
            "enrichments": sum(int(j.result.get("enrichments") or 0) for j in done),
            "entities_created": sum(int(j.result.get("entities_created") or 0) for j in done),
            "entities_updated": sum(int(j.result.get("entities_updated") or 0) for j in done),
            "tokens": sum(int(j.result.get("tokens") or 0) for j in self.jobs),
            "cost": sum(costs) if costs else None,
            "attempts": sum(j.attempts for j in self.jobs),
            "already_proposed": len(self.already),
            "restarts": self.restarts,
            "timeouts": self.timeouts,
            "elapsed_s": round(self.elapsed_s, 3),
        }

    def dropped_by_reason(self) -> list[dict[str, Any]]:
        """What the extraction did not propose, grouped by reason, most frequent first.

        Each group: `kind` (`candidate` — filtered by the extractor itself; `claim`, `enrichment`,
        `link`, `fact` — dropped by the writer), `reason` (its code), `count`, one `example` and its `why`.
        """
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for job in self.jobs:
            if job.state != "done":
                continue
            for item in job.result.get("dropped") or []:
                key = (str(item.get("kind", "")), str(item.get("group", "")))
                group = groups.setdefault(key, {"kind": key[0], "reason": key[1], "count": 0,
                                                "example": item.get("subject", ""), "why": item.get("reason", "")})
                group["count"] += 1
        return sorted(groups.values(), key=lambda g: (-g["count"], g["kind"], g["reason"]))

    @property
    def ok(self) -> bool:
        t = self.totals()
        return t["failed"] == 0 and t["unfinished"] == 0 and self.error is None

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error": self.error,
            **({"enqueued": self.enqueued.as_json()} if self.enqueued is not None else {}),
            "totals": self.totals(),
            "dropped_by_reason": self.dropped_by_reason(),
            "jobs": [
                {"source": j.source, "state": j.state, "attempts": j.attempts, "last_attempted": j.last_attempted,
                 "last_error": j.last_error if j.state != "done" else None, **{k: v for k, v in j.result.items() if k != "error"}}
                for j in self.jobs
            ],
            "already_proposed": self.already,
        }


def prepare(vault: Vault, sources: list[str] | None = None, *, limit: int | None = None,
            batch: str | None = None) -> tuple[str, list[str], list[str]]:
    """Sync the job table with the base tip's unprocessed sources; returns (batch, queued, already proposed)."""
    batch = batch or uuid.uuid4().hex[:12]
    candidates = find_sources(vault, sources)
    store = JobStore(queue_path(vault.root))
    queued, already = [], []
    try:
        for cand in candidates:
            if cand.open_branch is not None:
                store.upsert(cand.source, cand.source_hash, state="done", result={"status": "skipped", "branch": cand.open_branch})
                already.append(cand.source)
                continue
            if limit is not None and len(queued) >= limit:
                continue
            state = store.upsert(cand.source, cand.source_hash, batch=batch)
            if state == "done":
                # done in the table yet no open branch and still unprocessed: the proposal was dropped; redo
                store.conn.execute("UPDATE jobs SET state = 'pending', attempts = 0, next_attempt_at = 0 WHERE source = ?",
                                   (cand.source,))
            elif state == "failed":
                store.retry_failed([cand.source])  # asked again: a fresh attempt budget
            queued.append(cand.source)
    finally:
        store.close()
    return batch, queued, already


def extract_all(
    vault: Vault,
    sources: Iterable[str] | None = None,
    *,
    workers: int | None = None,
    limit: int | None = None,
    provider: str | None = None,
    model: str | None = None,
    provider_factory: Callable[[Vault], Any] | None = None,
    settings: PipelineSettings | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    extract: Callable | None = None,
    on_start: Callable[[Supervisor], None] | None = None,
) -> ExtractReport:
    """Extract every unprocessed source (or `sources`) with `workers` processes; see the package doc."""
    started = time.perf_counter()
    settings = settings or PipelineSettings.from_vault(vault)
    settings.refuse_local_stages(("extract",))
    if workers is not None:
        settings.workers = max(1, workers)
    if settings.backend != "sqlite":  # a shared queue: enqueue, `teleo worker`s extract
        from teleo.pipeline.enqueue import enqueue_stages

        chosen = list(sources) if sources is not None else None
        if chosen is not None:
            from teleo.pipeline.job import relative_source

            chosen = [relative_source(vault, s) for s in chosen]
        done = enqueue_stages(vault, settings, ("extract",), sources=chosen, limit=limit)
        return ExtractReport(already=done.already, enqueued=done, elapsed_s=time.perf_counter() - started)
    if provider_factory is None and extract is None:
        # A provider that cannot be made (a missing key or extra, an unknown name) is said once, here,
        # as a ConfigError naming the fix — not as every worker dying on it with nothing to show.
        from teleo.llm.factory import provider_from_config

        provider_from_config(vault, provider, model, ledger=False)
    chosen = None
    if sources is not None:
        from teleo.pipeline.job import relative_source

        chosen = [relative_source(vault, s) for s in sources]
    batch, queued, already = prepare(vault, chosen, limit=limit)
    report = ExtractReport(already=already)
    if queued:
        settings.workers = min(settings.workers, len(queued))
        sup = Supervisor(vault, settings, ProviderSpec(provider_factory, provider, model), batch=batch,
                         extract=extract, on_progress=on_progress)
        if on_start is not None:
            on_start(sup)
        report.jobs = sup.run()
        report.restarts, report.timeouts, report.error = sup.restarts, sup.timeouts, sup.error
    report.elapsed_s = time.perf_counter() - started
    return report


@dataclass
class RunReport:
    ingested: list[dict] = field(default_factory=list)
    extract: ExtractReport | None = None
    reviews: list[Any] | None = None
    """`teleo.review.ReviewOutcome`s of the review stage."""
    merge: Any | None = None
    """The `teleo.review.MergeReport` of the merge stage."""
    forge: Any | None = None
    """With `[forge]` in teleo.toml: the `teleo.forge.sync.ForgeReport` of the merge stage (through the forge)."""
    forge_error: str = ""
    worktree: str = ""
    enqueued: Any = None
    """On a shared queue: the `enqueue.Enqueued` jobs of the stages after ingest (workers do them)."""

    @property
    def ok(self) -> bool:
        reviews_ok = all(r.status != "failed" for r in self.reviews or [])
        merges_ok = self.merge is None or (all(m.status != "failed" for m in self.merge.merges)  # a conflict stays open
                                           and self.merge.worktree_moved)  # a working tree left behind is not ok
        forge_ok = not self.forge_error and (self.forge is None or all(
            p.merge not in ("failed", "stale", "refused") for p in self.forge.proposals))
        return (all(i.get("ok") for i in self.ingested) and (self.extract is None or self.extract.ok)
                and reviews_ok and merges_ok and forge_ok)

    def summary(self) -> dict[str, Any]:
        """Sources, claims merged, enrichments, rejected, flags raised, tokens and cost of the run."""
        totals = self.extract.totals() if self.extract is not None else {}
        merged = self.merge.merged if self.merge is not None else []
        costs = [c for c in [totals.get("cost"), *(r.cost for r in self.reviews or [])] if c is not None]
        return {
            "sources": totals.get("sources", 0),
            "proposed": totals.get("proposed", 0),
            "reviewed": len(self.reviews or []),
            "merged": len(merged) + (len(self.forge.merged) if self.forge is not None else 0),
            "claims_merged": sum(len(m.claims) for m in merged),
            "enrichments": sum(len(m.enriched) for m in merged),
            "dropped": totals.get("dropped", 0),
            "changes_requested": sum(1 for r in self.reviews or [] if r.status == "changes_requested"),
            "rejected": sum(1 for r in self.reviews or [] if r.status == "rejected"),
            "flags": self.merge.flags() if self.merge is not None else 0,
            "tokens": totals.get("tokens", 0) + sum(r.tokens for r in self.reviews or []),
            "cost": sum(costs) if costs else None,
        }


    def review_findings_by_reason(self) -> list[dict[str, Any]]:
        """The blocking findings of proposals not approved, grouped by criterion, most frequent first."""
        from teleo.review.engine import findings_by_criterion

        return findings_by_criterion(list(self.reviews or []))


STAGES = ("ingest", "extract", "review", "merge")


def run(vault: Vault, stages: Iterable[str] = STAGES, workers: int | None = None, *,
        ingest_paths: Iterable[Path | str] = (), domain: str | None = None, inbox: bool = True,
        on_review: Callable | None = None, on_merge: Callable | None = None, **extract_options: Any) -> RunReport:
    """One pass of the pipeline, inbox to main: ingest the given files and those dropped in
    `inbox/queue/`, extract every unprocessed source into proposals, review every open proposal
    (`teleo.review`), merge the approved ones into main with their cascade.

    A checked-out main's working tree is first caught up with main (a run killed after a merge
    leaves it behind), so the ingest commits build on the files main really holds.
    """
    stages = tuple(stages)
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s): {', '.join(sorted(unknown))} (known: {', '.join(STAGES)})")
    settings = extract_options.get("settings") or PipelineSettings.from_vault(vault)
    settings.refuse_local_stages(stages)  # before anything is ingested
    report = RunReport()
    report.worktree = _catch_up(vault)
    if "ingest" in stages:
        for path in ingest_paths:
            report.ingested.append(_ingest_one(vault, path, domain))
        if inbox:
            report.ingested.extend(ingest_drop_folder(vault, domain))
    if settings.remote and "ingest" in stages:  # hosts share a remote: what was ingested here goes there
        from teleo.pipeline.remote import publish_main

        publish_main(vault)
    if settings.backend != "sqlite":  # a shared queue: the stages are jobs for `teleo worker`s
        from teleo.pipeline.enqueue import enqueue_stages

        report.enqueued = enqueue_stages(vault, settings, stages, limit=extract_options.get("limit"))
        return report
    if "extract" in stages:
        report.extract = extract_all(vault, workers=workers, **extract_options)
    if "review" in stages or "merge" in stages:
        from teleo.review import merge_all, review_all, reviewer_from_config

        if "review" in stages:
            reviewer = reviewer_from_config(vault, extract_options.get("provider"), extract_options.get("model"))
            report.reviews = review_all(vault, reviewer=reviewer, on_review=on_review)
        if "merge" in stages and vault.config.forge:
            _merge_on_forge(vault, report)
        elif "merge" in stages:
            report.merge = merge_all(vault, on_merge=on_merge)
    return report


def _merge_on_forge(vault: Vault, report: RunReport) -> None:
    """With `[forge]`, the forge's main is the truth: the merge stage is `teleo forge sync` (proposals pushed,
    pull requests opened, verdicts posted as reviews, merges through the forge's API), not a local merge."""
    from teleo.forge import ForgeError
    from teleo.repo.remote import RemoteError

    try:
        report.forge = sync_with_forge(vault)
    except (ForgeError, RemoteError, ValueError) as exc:  # ForgeConfigError is a ValueError: no token, bad table
        report.forge_error = str(exc)


def sync_with_forge(vault: Vault, branches: list[str] | None = None, *, merge: bool = True, forge=None):
    """`teleo.forge.sync.sync_forge`, then the cascades of the forge's merges: the clone's main follows the
    forge's, each merge's cascade is committed and pushed to it (`remote.cascades_on_remote`, as on hosts
    sharing a remote). A cascade that cannot be pushed (a protected main) keeps its record for the next run."""
    from teleo.forge.settings import ForgeSettings
    from teleo.forge.sync import sync_forge
    from teleo.pipeline.remote import cascades_on_remote
    from teleo.repo.discover import open_repository
    from teleo.repo.remote import Remote, RemoteError

    settings = ForgeSettings.from_vault(vault)
    report = sync_forge(vault, branches, merge=merge, forge=forge, settings=settings)
    if any(p.cascade_owed for p in report.proposals):
        try:
            remote = Remote.open(open_repository(vault.root), settings.remote)
            report.cascades = [c.model_dump(mode="json") for c in cascades_on_remote(vault, remote=remote)]
        except RemoteError as exc:
            report.cascade_error = f"the cascade of the forge's merges waits for the next run: {exc}"
    return report


def _catch_up(vault: Vault) -> str:
    from teleo.repo.branches import base_ref
    from teleo.repo.discover import open_repository
    from teleo.repo.mainline import sync_worktree
    from teleo.review.merge import catch_up

    repo = open_repository(vault.root)
    if repo is None:
        return ""
    try:
        result = sync_worktree(repo, base_ref(repo), catch_up=catch_up(vault))
    except Exception as exc:  # noqa: BLE001 - reported; the stages still run on git objects
        return f"working tree not caught up: {exc}"
    if result.status == "updated":
        vault.forget()
    return result.message


def _ingest_one(vault: Vault, path: Path | str, domain: str | None) -> dict:
    from teleo.ingest import IngestInput, IngestOptions, ingest

    try:
        result = ingest(vault, IngestInput.parse(str(path)), IngestOptions(domain=domain, commit=True))
    except Exception as exc:  # one bad file must not stop the run
        return {"input": str(path), "ok": False, "error": str(exc)}
    data = result.model_dump() if hasattr(result, "model_dump") else {"result": str(result)}
    return {"input": str(path), "ok": True, **{k: data.get(k) for k in ("status", "path", "duplicate_of") if k in data}}


# -- the drop folder ---------------------------------------------------------------

DROP_FOLDER = DROP_PREFIX.rstrip("/")
"""Raw files (HTML, PDF, markdown, text) dropped here are archived by `teleo run`, then removed.

`inbox/queue/<domain>/<file>` names the domain by its folder; a file at the top level takes the
run's `--domain`, or the domain its own metadata declares (markdown frontmatter)."""
DROP_SUFFIXES = frozenset({".md", ".markdown", ".html", ".htm", ".xhtml", ".pdf", ".txt", ".text"})


def dropped_files(vault: Vault) -> list[tuple[str, str | None]]:
    """(vault-relative path, domain from its folder) of every file waiting in the drop folder, sorted."""
    root = vault.root / DROP_FOLDER
    if not root.is_dir() or root.is_symlink():
        return []
    found: list[tuple[str, str | None]] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(vault.root)
        inner = rel.relative_to(DROP_FOLDER).parts
        if path.is_symlink() or not path.is_file() or any(part.startswith(".") for part in inner):
            continue
        if path.suffix.lower() not in DROP_SUFFIXES or path.name.lower() == "readme.md" or len(inner) > 2:
            continue
        folder_domain = inner[0] if len(inner) == 2 else None
        if folder_domain is not None and folder_domain not in vault.config.domains:
            continue  # not a domain folder: left alone
        found.append((rel.as_posix(), folder_domain))
    return found


def ingest_drop_folder(vault: Vault, domain: str | None = None) -> list[dict]:
    """Archive every file dropped in `inbox/queue/`, each in one commit that also removes it.

    Order of effects: the archive note is written atomically, the dropped file is removed, then
    one commit records both. A crash in between leaves the dropped file or the new note in the
    working tree; the next run finds the file a content duplicate, removes it and commits the
    note then. A file that fails (no domain, no text) stays where it is, with the reason reported.
    """
    results = []
    for rel, folder_domain in dropped_files(vault):
        results.append(_ingest_dropped(vault, rel, folder_domain or domain))
    if results:
        vault.forget()
    return results


def _ingest_dropped(vault: Vault, rel: str, domain: str | None) -> dict:
    from teleo.ingest import IngestInput, IngestOptions, ingest

    full = vault.root / rel
    try:
        result = ingest(vault, IngestInput.parse(str(full)), IngestOptions(domain=domain, commit=False))
    except Exception as exc:  # one bad file must not stop the run
        hint = f" — or move it into {DROP_FOLDER}/<domain>/" if domain is None and "--domain" in str(exc) else ""
        said = str(exc).removeprefix(f"{full}: ")  # the input is named by the entry already
        return {"input": rel, "ok": False, "error": f"{said}{hint}"}
    archived = result.path or result.duplicate_of
    full.unlink(missing_ok=True)
    entry: dict[str, Any] = {"input": rel, "ok": True, "status": result.status, "path": result.path,
                             "duplicate_of": result.duplicate_of}
    try:
        entry["commit"] = _commit_drop(vault, rel, archived, result.status)
    except Exception as exc:  # archived on disk; the commit can be made by hand or by the next run
        entry["warning"] = f"archived but not committed: {exc}"
    return entry


def _commit_drop(vault: Vault, dropped: str, archived: str | None, status: str) -> str | None:
    """One commit: the archive note (when new or still uncommitted) and the dropped file's removal."""
    from teleo.repo import Repo

    repo = Repo.open(vault.root)
    if repo is None:
        return None
    top = repo.root.resolve()

    def repo_path(rel: str) -> str:
        return (vault.root.resolve() / rel).relative_to(top).as_posix()

    paths = [repo_path(p) for p in (archived, dropped) if p and _has_change(repo, repo_path(p))]
    if not paths:
        return None
    name = PurePosixPath(archived or dropped).name
    verb = "archive" if status == "archived" else "drop duplicate of"
    message = f"ingest: {verb} {name}\n\n- From: {dropped}\n"
    from teleo.repo.branches import base_ref
    from teleo.repo.discover import open_repository
    from teleo.repo.mainline import commit_worktree

    git = open_repository(vault.root)
    if git is None:
        return repo.commit(paths, message)
    # the index caught up with main first, and no merge in between (see mainline.main_writer)
    return commit_worktree(git, base_ref(git), lambda: repo.commit(paths, message))


def _has_change(repo: Any, path: str) -> bool:
    """`path` differs from HEAD: new, modified or deleted (tracked and gone)."""
    return bool(repo.dirty([path]))


def stages_until(until: str | None, *, choices: Sequence[str] = STAGES) -> tuple[str, ...]:
    """The stages up to `until` included (`None`: all of them): what `--until` means for `teleo run`
    and `teleo demo` (`choices`: the values it may take there). Raises ValueError naming them."""
    if until is None:
        return STAGES
    if until not in choices:
        raise ValueError(f"unknown stage '{until}' (one of: {', '.join(choices)})")
    return STAGES[:STAGES.index(until) + 1]
