"""`research(vault, agent)`: one self-directed research session (reference §4.2), as a proposal branch.

1. **Lock.** One session per agent and vault at a time: an exclusive `flock` on
   `.teleo/research-<agent>.lock` (the reference's `$TMPDIR/research-<agent>.lock` with its PID
   check; the kernel releases a dead process's lock, so no stale lock is left). A second
   session of the same agent is refused at once, naming the PID that holds it.
2. **Read** from main's tip: `agents/<agent>/network.json` (handles checked, `network.py`), the
   agent's beliefs and keystone, its previous research musing's active threads, its journal; from
   disk: the raw dumps `inbox-raw/<agent>/` (`dumps.py`). Dump items already archived (same URL or
   text) or repeated are dropped; fewer than 5 new items left is a refusal, not a thin session.
3. **Plan** with the provider (`[llm.research]` over `[llm]`; offline by default): the offline
   researcher (`offline.py`) or a model (`model.py`), both answering a `ResearchPlan`.
4. **Write** 5–15 sources `inbox/archive/<date>-<handle>-<slug>.md`, status `unprocessed`, with
   Agent Notes and Curator Notes; `agents/<agent>/musings/research-<date>.md` ending in Follow-up
   Directions; the journal `agents/<agent>/research-journal.md` with a `## Session <date>` entry
   appended. Every path is checked to lie in the agent's territory; every file passes the lint
   gate where it will live (main + the session's files, `gates.proposal.new_errors`) or nothing is
   written.
5. **Commit** once, on `<agent>/research-<date>` off main's tip (`repo.branches.propose`: objects
   only, the branch created by compare-and-swap — main's tip, `HEAD`, the index and the working
   tree untouched), with the reference's message `<agent>: research session <date> — <n> sources
   archived` and `Pentagon-Agent: <Agent> <id>`. The branch is a proposal of kind `research`
   (`repo.kinds.RESEARCH`): the evaluator reviews it and `teleo merge` lands it.

It never extracts: no claim, entity or enrichment is written, and no source leaves `unprocessed`
(the review's `kind-scope` gate refuses a research branch that does).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel, Field

from teleo.contract.research import MIN_SOURCES
from teleo.extract.writer import inside
from teleo.gates.proposal import new_errors
from teleo.llm.ledger import ensure_state_dir
from teleo.repo.agents import agent_trailer
from teleo.repo.branches import BranchConflict, is_merged, propose, read_proposal, tip
from teleo.repo.discover import open_repository, vault_prefix
from teleo.repo.kinds import RESEARCH
from teleo.notes.untrusted import one_line
from teleo.research.context import (
    Context,
    ResearchInputError,
    keystone_of,
    make_candidates,
    previous_session,
    read_beliefs,
)
from teleo.research.dumps import RAW_ROOT, read_dumps
from teleo.research.network import Network, NetworkError, parse_network
from teleo.research.write import journal, journal_path, musing, musing_path, source_notes
from teleo.vault import Vault
from teleo.vault.tree import TreeVault

_AGENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ResearchError(Exception):
    """The session was refused or failed; nothing was written. The message says why and what to do."""


class ResearchBusy(ResearchError):
    """Another session of the same agent holds the lock."""


class ArchivedSource(BaseModel):
    path: str
    title: str
    url: str | None = None
    origin: str
    """The raw item it came from (`inbox-raw/rio/tweets.json #3`)."""


class ResearchOutcome(BaseModel):
    agent: str
    date: str
    branch: str
    commit: str
    subject: str
    researcher: str
    """`offline`, or `<provider>:<model>`."""
    keystone: str
    disconfirmation_target: str
    question: str
    musing: str
    journal: str
    sources: list[ArchivedSource] = Field(default_factory=list)
    candidates: int = 0
    skipped: list[str] = Field(default_factory=list)
    calls: int = 0


@contextmanager
def agent_lock(vault: Vault, agent: str) -> Iterator[None]:
    """Hold the agent's research lock (module doc, step 1); `ResearchBusy` when another process holds it."""
    path = ensure_state_dir(vault) / f"research-{agent}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise ResearchBusy(f"a research session of {agent} is already running on this vault ({holder}; lock "
                               f"{path}): one session per agent at a time — try again when it ends") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def research(vault: Vault, agent: str, *, date: str | None = None, provider: str | None = None,
             model: str | None = None) -> ResearchOutcome:
    """Run one research session of `agent` (module doc); raises `ResearchError` (nothing written) when refused."""
    agent = agent.strip().lower()
    if not _AGENT.match(agent) or agent not in vault.config.agents:
        known = ", ".join(sorted(vault.config.agents))
        raise ResearchError(f"'{agent[:40]}' is not an agent of this vault (agents: {known})")
    date = date or dt.date.today().isoformat()
    if not _DATE.match(date):
        raise ResearchError(f"--date '{date[:20]}' is not YYYY-MM-DD")
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        raise ResearchError(f"--date '{date}' is not a calendar date") from None
    repo = open_repository(vault.root)
    if repo is None or "refs/heads/main" not in repo.references:
        raise ResearchError(f"{vault.root} has no git repository with a main branch: a research session is a "
                            "proposal branch off main (git init -b main && git add -A && git commit -m 'first commit')")
    with agent_lock(vault, agent):
        return _session(vault, repo, agent, date, provider, model)


def _session(vault: Vault, repo, agent: str, date: str, provider_name: str | None, model: str | None) -> ResearchOutcome:
    main = tip(repo, "refs/heads/main")
    base = TreeVault.at(vault, main, repo=repo)
    branch = RESEARCH.branch_name(agent=agent, date=date)
    _refuse_taken(repo, branch, main, base, agent, date)
    ctx = _context(vault, base, agent, date)
    plan, researcher, calls = _plan(vault, ctx, provider_name, model)
    sources, archived = source_notes(base, ctx, plan)
    files = dict(sources)
    files[musing_path(agent, date)] = musing(ctx, plan, archived, researcher)
    files[journal_path(agent)] = journal(ctx, plan, archived, ctx.journal)
    territory = vault.config.territory(agent)
    outside = [p for p in sorted(files) if not inside(p, territory)]
    if outside:
        raise ResearchError(f"refusing to write {', '.join(outside)}: outside {agent}'s territory ({', '.join(territory)})")
    errors = new_errors(base, files)
    if errors:
        listed = "; ".join(f"{f.file}:{f.line} {f.rule}: {f.message}" for f in errors[:10])
        raise ResearchError(f"the session's files fail the vault's gates, nothing written: {listed}")
    subject = RESEARCH.subject.format(agent=agent, date=date, count=len(archived))
    message = f"{subject}\n\n{agent_trailer(agent, vault.config.agents)}\n"
    prefix = vault_prefix(repo, vault.root)
    try:
        commit = propose(repo, branch, main, {prefix + p: t.encode("utf-8") for p, t in files.items()}, message)
    except BranchConflict:
        raise ResearchError(f"{branch} was made by another session meanwhile; nothing written") from None
    keystone = next(b for b in ctx.beliefs if b.number == plan.keystone.strip().rstrip("."))
    return ResearchOutcome(
        agent=agent, date=date, branch=branch, commit=commit, subject=subject, researcher=researcher,
        keystone=f"Belief {keystone.number}: {keystone.statement}",
        disconfirmation_target=one_line(plan.disconfirmation_target, 600), question=one_line(plan.question, 400),
        musing=musing_path(agent, date), journal=journal_path(agent),
        sources=[ArchivedSource(path=a.path, title=a.title, url=a.candidate.item.url, origin=a.candidate.item.origin)
                 for a in archived],
        candidates=len(ctx.candidates), skipped=ctx.skipped, calls=calls,
    )


def _refuse_taken(repo, branch: str, main, base, agent: str, date: str) -> None:
    proposal = read_proposal(repo, branch, main)
    if proposal is not None:
        state = "merged into main" if is_merged(repo, repo[proposal.head], main) else "open, waiting for review"
        raise ResearchError(f"{branch} exists already ({state}, head {proposal.head[:12]}): one session per agent "
                            "and date — pass --date for another day, or review and merge it first")
    if base.exists(musing_path(agent, date)):
        raise ResearchError(f"{musing_path(agent, date)} exists on main: {agent} already had a research session on "
                            f"{date} (pass --date for another day)")


def _context(vault: Vault, base, agent: str, date: str) -> Context:
    network_path = f"agents/{agent}/network.json"
    data = base.read_bytes(network_path)
    try:
        network = parse_network(data, network_path, agent) if data is not None else Network()
        beliefs = read_beliefs(base, agent)
    except (NetworkError, ResearchInputError) as exc:
        raise ResearchError(str(exc)) from None
    keystone = keystone_of(beliefs)
    dumps = read_dumps(vault.root, agent)
    candidates, skipped = make_candidates(base, dumps, network, keystone)
    if len(candidates) < MIN_SOURCES:
        why = f" ({'; '.join(skipped[:5])})" if skipped else ""
        raise ResearchError(f"{RAW_ROOT}/{agent}/ holds {len(candidates)} new item(s) not archived yet; a session "
                            f"archives at least {MIN_SOURCES}{why}. Drop more raw dumps there (.json, .jsonl, .md, "
                            ".txt — see teleo research --help)")
    previous, threads = previous_session(base, agent, date)
    identity = base.read_bytes(f"agents/{agent}/identity.md")
    journal_text = base.read_bytes(journal_path(agent))
    return Context(agent=agent, date=date, domain=_domain(vault, agent, network), beliefs=beliefs, keystone=keystone,
                   network=network, candidates=candidates, skipped=skipped, previous=previous,
                   previous_threads=threads, dumps_read=dumps.files,
                   identity=identity.decode("utf-8", "replace") if identity else "",
                   journal=journal_text.decode("utf-8", "replace") if journal_text else "")


def _domain(vault: Vault, agent: str, network: Network) -> str:
    """The domain of the agent's sources: network.json's when it is one of the agent's, else its first domain."""
    owned = [name for name, d in vault.config.domains.items() if d.agent == agent]
    if network.domain in owned:
        return network.domain
    if owned:
        return owned[0]
    raise ResearchError(f"{agent} owns no domain in this vault's routing table, so its sources would have none "
                        "(add one under [domains] in teleo.toml)")


def _plan(vault: Vault, ctx: Context, provider_name: str | None, model: str | None):
    """(plan, researcher label, number of calls) from the configured provider."""
    from teleo.llm import provider_from_config
    from teleo.llm.base import ProviderError
    from teleo.llm.providers import ModelProvider, OfflineProvider
    from teleo.vault.config import ConfigError

    try:
        chosen = provider_from_config(vault, provider_name, model, role="research")
    except ConfigError as exc:
        raise ResearchError(str(exc)) from None
    if isinstance(chosen, OfflineProvider):
        return _offline(chosen, ctx), "offline", 1
    if not isinstance(chosen, ModelProvider):
        raise ResearchError(f"provider {chosen.name} cannot run a research session")
    from teleo.research.model import plan_with_model

    try:
        plan, calls = plan_with_model(chosen, ctx)
    except ProviderError as exc:
        raise ResearchError(f"the research plan failed: {exc}") from None
    return plan, f"{chosen.name}:{chosen.model}", len(calls)


def _offline(provider, ctx: Context):
    """The offline plan, recorded in the ledger like every call of a provider."""
    import time

    from teleo.llm.base import LLMCall
    from teleo.llm.ledger import utc_now_iso
    from teleo.research.offline import plan_offline

    started, clock = utc_now_iso(), time.monotonic()
    plan = plan_offline(ctx)
    call = LLMCall(provider="offline", model="offline", job=f"research-{ctx.agent}-{ctx.date}", cost_usd=0.0,
                   purpose="research", prompt_chars=sum(len(c.body) for c in ctx.candidates), started_at=started,
                   latency_s=round(time.monotonic() - clock, 4))
    if provider.ledger is not None:
        provider.ledger.append(call)
    return plan
