"""One extraction job: a source in, a proposal branch out — and nothing written to the working tree.

`extract_source(vault, source_path, provider=…, worker=1, force=False)`:

1. **Base.** The repository's `main` tip (else the branch `HEAD` names) is
   read once; the source, the claims it may enrich and every title the links
   resolve against come from that commit's tree (`TreeVault`), never from the
   working tree. A source not committed there fails the job.
2. **Idempotency.** A source with an open proposal (`extract/<slug>` not
   merged into the base) is skipped, and so is a source whose status is not
   `unprocessed` (`processing` means an agent is extracting it by hand;
   `processed`/`null-result` are done; `notes.lifecycle`). `force=True` extracts anyway —
   except a parked source (`entity-data`), which only `teleo sources unpark` returns — and
   replaces an open proposal's branch only if its head is still the one read
   at the start (compare-and-swap); a merged proposal's branch is replaced
   the same way.
3. **Context** (`teleo.extract.context.build_request`) and the prompt size,
   as rendered for an LLM, over every chunk of the source.
4. **Extract** through the provider seam; the provider has already written
   its calls to the ledger (one chain per chunk of a long source; the outcome
   says how many chunks). A `ProviderError` (or any exception from a
   provider) fails the job with its calls counted. The
   candidates a provider filtered out itself (the offline extractor's
   claim-quality filter) come back with the answer and are reported with
   the writer's drops in `JobOutcome.dropped`.
5. **Dedupe.** Each candidate claim is compared with the similar claims of
   the request (`teleo.extract.dedupe.Matcher`); at or above
   `DUPLICATE_THRESHOLD` it becomes an enrichment of the claim it restates.
6. **Write** (`teleo.extract.writer.build_proposal`): grounding, safe titles,
   territory, links, enrichment blocks, the source update. **If the
   extraction was not null but nothing valid remains** (every claim
   ungrounded, refused or unusable) the job *fails* and commits nothing: the
   source stays `unprocessed` for a retry, and the reasons are reported. A
   source whose extraction is genuinely null (no claims, with notes) gets a
   source-only proposal (`status: null-result`), as the reference does.
7. **Territory** is checked again on every path (defence in depth), then the
   **lint gate** (`teleo.gates.proposal.new_errors`): any new error fails the
   job with the findings in `error` — except `claim-quality` errors, which the
   review gates and reviewers judge (the proposal is made and rejected there,
   with the findings; the offline extractor proposes only what passes).
8. **Commit** one commit on top of the base tip, then the branch ref with
   compare-and-swap (`teleo.repo.branches`).

The outcome is returned as a `JobOutcome` and appended to
`<vault>/.teleo/extract-jobs.jsonl` (git-ignored state, like the ledger).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from teleo.extract.context import (
    DEFAULT_K,
    DEFAULT_MAX_CLAIMS,
    ContextError,
    build_request,
    new_job_id,
    source_text,
)
from teleo.contract.extraction import Dropped, ExtractionResult
from teleo.pipeline.propose import commit_message, commit_proposal
from teleo.gates.proposal import JUDGED_IN_REVIEW, new_errors
from teleo.contract.request import ExtractionRequest
from teleo.extract.writer import WriteRefused, build_proposal, inside
from teleo.llm.base import Provider, ProviderError
from teleo.llm.ledger import add_usage
from teleo.notes import Kind, Note
from teleo.notes.lifecycle import EXTRACTABLE, PARKED, is_parked
from teleo.repo.branches import BranchConflict, BranchError, base_ref, find_proposal, tip
from teleo.vault.tree import TreeVault
from teleo.repo.discover import open_repository
from teleo.vault import UnsafePath, Vault

JOBS_FILE = "extract-jobs.jsonl"


def source_status(source: Note) -> object:
    """A source's `status` as `EXTRACTABLE` is checked against: stripped when a string."""
    status = source.data.get("status") if isinstance(source.data, dict) else None
    return status.strip() if isinstance(status, str) else status

Status = Literal["proposed", "null", "skipped", "failed"]


class JobOutcome(BaseModel):
    """What one extraction job did."""

    source: str
    status: Status
    job_id: str = ""
    agent: str | None = None
    domain: str | None = None
    branch: str | None = None
    commit: str | None = None
    claims: list[str] = Field(default_factory=list)
    """Titles of the new claims."""
    enrichments: list[str] = Field(default_factory=list)
    """Titles of the enriched claims."""
    entities_created: list[str] = Field(default_factory=list)
    """Paths of the new entities."""
    entities_updated: list[str] = Field(default_factory=list)
    """Paths of the existing entities the proposal updates."""
    files: list[str] = Field(default_factory=list)
    """Vault-relative paths the proposal writes."""
    dropped: list[Dropped] = Field(default_factory=list)
    """What was not proposed and why: the extractor's own filtered candidates, then the writer's drops."""
    prompt_chars: int = 0
    """Size of the prompt as rendered for an LLM (system + user, summed over the source's chunks)."""
    chunks: int = 1
    """How many parts the source was extracted in (a source longer than the provider's
    `chunk_tokens` is split into overlapping chunks, one call chain each, the claims merged)."""
    tokens: int = 0
    """Prompt plus completion tokens of every call."""
    cost: float | None = None
    """USD of the calls with a known price; None when none had one."""
    calls: int = 0
    provider: str | None = None
    model: str | None = None
    worker: int = 1
    error: str | None = None
    """Why the job failed or was skipped."""
    finished_at: str = ""


def extract_source(
    vault: Vault,
    source_path: str | Path,
    *,
    provider: Provider | None = None,
    worker: int = 1,
    force: bool = False,
    today: dt.date | None = None,
    k: int = DEFAULT_K,
    max_claims: int = DEFAULT_MAX_CLAIMS,
    base: str | None = None,
    journal: bool = True,
) -> JobOutcome:
    """Extract one source into a proposal branch (see the module doc). Never raises for bad input."""
    today = today or dt.date.today()
    try:
        rel = relative_source(vault, source_path)
    except (UnsafePath, ValueError) as exc:
        outcome = JobOutcome(source=str(source_path), status="failed", error=str(exc), worker=worker)
    else:
        outcome = JobOutcome(source=rel, status="failed", job_id=new_job_id(rel), worker=worker)
        try:
            if provider is None:
                from teleo.llm import provider_from_config

                provider = provider_from_config(vault)
            outcome.provider, outcome.model = provider.name, provider.model
            _run(vault, rel, provider, outcome, force=force, today=today, k=k, max_claims=max_claims, base=base)
        except (ContextError, WriteRefused, BranchError) as exc:
            _fail(outcome, str(exc))
        except Exception as exc:  # noqa: BLE001 - a job must never take its worker down
            _fail(outcome, f"{type(exc).__name__}: {exc}")
    outcome.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if journal:
        _record(vault, outcome)
    return outcome


def relative_source(vault: Vault, source_path: str | Path) -> str:
    """The vault-relative POSIX path of a source given as vault-relative, cwd-relative or absolute."""
    given = Path(source_path)
    if given.is_absolute():
        rel = vault.relative(given)
    elif (vault.root / given).is_file() or not given.exists():
        rel = PurePosixPath(str(source_path).replace(os.sep, "/")).as_posix()
    else:
        rel = vault.relative(given)
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or not rel or rel == ".":
        raise UnsafePath(f"{source_path}: path leaves the vault")
    if not rel.endswith(".md"):
        raise ValueError(f"{source_path}: a source is a markdown (.md) note")
    return rel


def _fail(outcome: JobOutcome, message: str, status: Status = "failed") -> None:
    outcome.status = status
    outcome.error = message


def _run(
    vault: Vault,
    rel: str,
    provider: Provider,
    outcome: JobOutcome,
    *,
    force: bool,
    today: dt.date,
    k: int,
    max_claims: int,
    base: str | None,
) -> None:
    repo = open_repository(vault.root)
    if repo is None:
        return _fail(outcome, f"{vault.root} is not inside a git repository with a working tree")
    ref = base_ref(repo, base)
    parent = tip(repo, ref)
    tree = TreeVault.at(vault, parent, repo=repo)
    prefix = tree.prefix
    short = ref.removeprefix("refs/heads/")
    if not tree.exists(rel):
        return _fail(outcome, f"{rel} is not committed on {short} (proposals are built from {short}'s tip)")
    source = tree.note(rel)
    if source.kind is not Kind.SOURCE:
        return _fail(outcome, f"{rel} is not a source note (it reads as {source.kind.value})")

    branch, existing, is_open = find_proposal(repo, rel, base=ref)
    outcome.branch = branch
    if is_open and not force:
        assert existing is not None
        return _fail(outcome, f"an open proposal exists on {branch} ({existing.head[:12]}); use force to redo it", "skipped")
    expected = existing.head if existing is not None else None
    status = source_status(source)
    if is_parked(status):  # kept out of extraction, forced or not
        return _fail(outcome, f"{rel} is parked (status {PARKED}: data kept out of extraction); "
                              "`teleo sources unpark` puts it back in the queue", "skipped")
    if status not in EXTRACTABLE and not force:
        return _fail(outcome, f"{rel} has status '{status}' (only unprocessed sources are extracted without force)", "skipped")

    request = build_request(tree, rel, k=k, max_claims=max_claims, job_id=outcome.job_id)
    outcome.agent, outcome.domain = request.agent, request.domain
    outcome.prompt_chars = prompt_size(provider, request)

    try:
        answer = provider.extract(request)
    except ProviderError as exc:
        add_usage(outcome, exc.calls)
        return _fail(outcome, f"extraction failed: {exc}")
    add_usage(outcome, answer.calls)
    outcome.chunks = answer.chunks
    result = answer.output
    if not isinstance(result, ExtractionResult):
        result = ExtractionResult.model_validate(result)
    extractor_dropped = list(getattr(answer, "dropped", []) or [])

    duplicates = find_duplicates(request, result)
    files = build_proposal(
        tree, source, result, text=source_text(source), agent=request.agent, domain=request.domain,
        provider=provider.name, model=provider.model, today=today, duplicates=duplicates,
    )
    outcome.dropped = extractor_dropped + files.dropped
    if files.status == "empty":
        reasons = "; ".join(f"{d.kind} '{d.subject}': {d.reason}" for d in files.dropped[:5])
        return _fail(outcome, f"nothing valid remained of the extraction ({len(files.dropped)} dropped): {reasons}")

    territory = vault.config.territory(request.agent)
    outside = [path for path in files.files if not inside(path, territory)]
    if outside:
        return _fail(outcome, f"refused: {', '.join(outside[:3])} outside {request.agent}'s territory")

    errors = new_errors(tree, files.files, today=today, skip=JUDGED_IN_REVIEW)
    if errors:
        shown = "; ".join(f"{f.file}:{f.line} {f.rule}: {f.message}" for f in errors[:5])
        return _fail(outcome, f"the proposal fails the lint gates ({len(errors)} errors): {shown}")

    message = commit_message(vault, agent=request.agent, source_path=rel, domain=request.domain, worker=outcome.worker)
    try:
        commit = commit_proposal(repo, parent, branch, files.files, message, prefix=prefix, expected=expected)
    except BranchConflict as exc:
        return _fail(outcome, f"not committed: {exc}", "failed" if force else "skipped")
    outcome.commit = commit
    outcome.status = "null" if files.status == "null-result" else "proposed"
    outcome.claims = files.claims
    outcome.enrichments = files.enrichments
    outcome.entities_created = files.entities_created
    outcome.entities_updated = files.entities_updated
    outcome.files = sorted(files.files)
    outcome.error = None


def warm_up(vault: Vault, base: str | None = None) -> None:
    """Do, before the first job, the one-off work a first job would do: import the writer, the
    gates and the grounding code, walk the base tip and build its resolver (kept for the jobs
    that follow: `TreeVault.at` shares it), lint one note, and rehearse a job on one source
    (`rehearse`). Workers call it before leasing, so that their first jobs do not all pay it at
    once — or the supervisor, once, before forking them. Never raises."""
    try:
        from teleo.extract import dedupe, grounding, writer  # noqa: F401 - imports are the point
        from teleo.extract.prompt import contract_schema
        from teleo.gates import check

        contract_schema()  # the JSON schema of the contract, generated once per process

        repo = open_repository(vault.root)
        if repo is None:
            return
        tree = TreeVault.at(vault, base, repo=repo)
        paths = tree.markdown_paths()
        tree.resolver  # noqa: B018 - built now, reused by every job on this tip
        if paths:
            check(tree, paths[:1])
        source = next((p for p in paths if p.startswith("inbox/") and tree.note(p).kind is Kind.SOURCE), None)
        if source is not None:
            rehearse(tree, source)
    except Exception:  # noqa: BLE001 - the first job will do it itself
        pass


REHEARSED_CLAIM = "a rehearsed claim is written the way a real one is because the writer runs once before any job"


def rehearse(tree: TreeVault, rel: str) -> None:
    """A job's own work on the source `rel`, without a provider and without a commit: its request and
    prompt, and the proposal of a made-up claim quoting it, linted. Every pattern compiled and module
    imported on that path (the untrusted-text classes, the claim normaliser, …: ~90 ms of CPU) is then
    paid once here instead of by every forked worker's first job. Nothing is written."""
    from teleo.contract.extraction import ClaimDraft, Quote

    note = tree.note(rel)
    request = build_request(tree, rel, job_id="rehearsal")
    prompt_size(_Unchunked(), request)
    text = source_text(note)
    quote = next((line.strip() for line in text.text.splitlines() if len(line.strip()) >= 20), "")[:200]
    if not quote:
        return
    about = "A claim made up to run the writer once before the workers start."
    claims = [ClaimDraft(title=REHEARSED_CLAIM, description=about, evidence=[Quote(text=quote)])]
    if request.similar:  # and one restating an existing claim: the path that turns it into an enrichment
        claims.append(ClaimDraft(title=request.similar[0].title, description=about, evidence=[Quote(text=quote)]))
    result = ExtractionResult(claims=claims)
    files = build_proposal(tree, note, result, text=text, agent=request.agent, domain=request.domain,
                           provider="rehearsal", model="", today=dt.date.today(),
                           duplicates=find_duplicates(request, result))
    new_errors(tree, files.files, today=dt.date.today(), skip=JUDGED_IN_REVIEW)


def warm_chunking(vault: Vault, sources: list[str], budget: int) -> None:
    """Load the tokenizer that splits a source longer than `budget` tokens when one of `sources` is:
    its tables (~0.7 s of CPU) are then shared by the forked workers instead of loaded by each on its
    first long source. Never raises."""
    try:
        from teleo.extract.chunks import count_tokens
        from teleo.extract.prompt import clean_source

        tree = TreeVault.at(vault, None)
        for rel in sources:
            if tree.exists(rel) and len(clean_source(source_text(tree.note(rel)).text).encode("utf-8")) > budget:
                count_tokens("warm up")
                return
    except Exception:  # noqa: BLE001 - the first long source will load it
        pass


class _Unchunked:
    """A stand-in provider for `prompt_size`: no chunking settings (the whole source, one prompt)."""

    settings = None


def prompt_size(provider: Provider, request: ExtractionRequest) -> int:
    """Characters of the prompts an LLM provider gets for `request`, over all its chunks. The offline
    extractor sends no prompt and reads the whole source: for it, the source as one prompt."""
    from teleo.extract.prompt import prompt_chars, render_prompt, render_prompts

    settings = getattr(provider, "settings", None)
    if settings is None:
        return prompt_chars(*render_prompt(request, nonce="0" * 12))
    prompts = render_prompts(request, chunk_tokens=settings.source_tokens,
                             overlap_tokens=settings.chunk_overlap_tokens, nonce="0" * 12)
    return sum(p.chars for p in prompts)


def find_duplicates(request: ExtractionRequest, result: ExtractionResult) -> dict[str, str]:
    """Candidate claim title → the similar claim it restates (cosine ≥ DUPLICATE_THRESHOLD)."""
    if not request.similar or not result.claims:
        return {}
    try:
        from teleo.extract.dedupe import DUPLICATE_THRESHOLD, Matcher

        matcher = Matcher(request.similar)
        found = {}
        for claim in result.claims:
            best = matcher.nearest(claim.title)
            if best is not None and best[1] >= DUPLICATE_THRESHOLD:
                found[claim.title] = best[0].title
        return found
    except Exception:  # noqa: BLE001 - no embedding model: dedupe falls back on exact titles (in the writer)
        return {}


def _record(vault: Vault, outcome: JobOutcome) -> None:
    from teleo.llm.ledger import ensure_state_dir

    try:
        folder = ensure_state_dir(vault)
        line = (outcome.model_dump_json() + "\n").encode("utf-8")
        fd = os.open(folder / JOBS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        pass  # the journal is a convenience; the branch and the ledger are the records
