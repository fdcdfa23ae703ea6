"""The learn cycle's digest (reference §4.8, issue 16.1): for each agent, what changed on main since
its last sync — claims merged, modified and retired in its domain or naming it among their
`secondary_domains` — the flags raised for it, and candidates worth sharing with other agents.

The sync state is one note per agent, `agents/<agent>/digest-state.md`, committed on main (so every
host agrees): one file each so that two agents advancing at once never edit the same file. It names
the main commit the agent last synced to; without one, the digest covers the whole history. Only
`--advance` moves it, by one compare-and-swap commit (`mainline.commit_onto`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from teleo.cascade.flags import read_flags
from teleo.notes import Kind
from teleo.repo.branches import BranchError, base_ref, changed_paths, tip
from teleo.repo.discover import open_repository, vault_prefix
from teleo.repo.mainline import commit_onto
from teleo.repo.worktree import sync_worktree
from teleo.vault import Vault
from teleo.vault.tree import TreeVault

STATE_NAME = "digest-state.md"
RETIRED = {"retired", "superseded", "deprecated", "archived"}


class DigestError(ValueError):
    """The digest cannot be made (no repository, an unknown agent, a state naming no commit)."""


class ClaimChange(BaseModel):
    path: str
    title: str
    domain: str
    change: str
    """merged, modified or retired."""
    via: str
    """primary (the agent's domain) or secondary (in `secondary_domains`)."""


class Candidate(BaseModel):
    """A claim of the agent's domain that other domains' agents should hear of."""

    path: str
    title: str
    share_with: list[str]


class AgentDigest(BaseModel):
    agent: str
    domains: list[str]
    since: str | None
    """The commit last synced to (None: never synced)."""
    until: str
    claims: list[ClaimChange] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    """Flag notes raised for the agent since then (their paths)."""
    candidates: list[Candidate] = Field(default_factory=list)
    advanced: str | None = None
    """The commit that recorded the new sync state, with --advance."""


def state_path(agent: str) -> str:
    return f"agents/{agent}/{STATE_NAME}"


def state_text(agent: str, commit: str) -> str:
    return (f"---\nagent: {agent}\nsynced: {commit}\n---\n\n"
            f"`teleo digest --agent {agent}` reports what changed on main after commit {commit[:12]}.\n")


def read_state(tree: TreeVault, agent: str) -> str | None:
    data = tree.read_bytes(state_path(agent))
    if data is None:
        return None
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith("synced:"):
            return line.partition(":")[2].strip() or None
    return None


def agent_domains(vault: Vault) -> dict[str, list[str]]:
    """Agent → the domains it owns (from the vault's domain table); the evaluator hears of every
    domain (the reference notifies Leo of every change)."""
    owned: dict[str, list[str]] = {}
    for domain, config in vault.config.domains.items():
        owned.setdefault(config.agent, []).append(domain)
    evaluator = vault.config.vault.evaluator
    owned[evaluator] = sorted(set(owned.get(evaluator, [])) | set(vault.config.domains))
    return owned


def _claim(tree: TreeVault | None, path: str):
    if tree is None or not tree.exists(path):
        return None
    note = tree.note(path)
    return note if note.kind is Kind.CLAIM else None


def _domains_of(note) -> tuple[str, list[str]]:
    data = note.data
    secondary = data.get("secondary_domains") or []
    if isinstance(secondary, str):
        secondary = [secondary]
    return str(data.get("domain") or ""), [str(d) for d in secondary]


def _classify(old, new) -> str | None:
    if new is None:
        return "retired" if old is not None else None
    status = str(new.data.get("status") or "").lower()
    if old is None:
        return "merged"
    if status in RETIRED and str(old.data.get("status") or "").lower() not in RETIRED:
        return "retired"
    return "modified" if old.doc.text != new.doc.text else None


def digest(vault: Vault, agent: str | None = None, *, advance: bool = False) -> list[AgentDigest]:
    """One digest per agent (or only `agent`), read from main; with `advance`, each agent's state moves to main's tip."""
    repo, ref, head = main_history(vault, "the digest reads main's history")
    prefix = vault_prefix(repo, vault.root)
    owned = agent_domains(vault)
    if agent is not None and agent not in owned:
        raise _unknown_agent(agent, owned)
    now = TreeVault.at(vault, head, repo=repo)
    digests = [_one(vault, repo, now, head, name, domains, prefix) for name, domains in sorted(owned.items())
               if agent is None or name == agent]
    if advance:
        _advance(vault, repo, ref, prefix, digests)
    return digests


def main_history(vault: Vault, why: str, error: type[ValueError] = DigestError):
    """(repository, main's ref, main's tip) of `vault`; `error` when there is none (`why`: who reads it)."""
    repo = open_repository(vault.root)
    if repo is None:
        raise error(f"{vault.root} is not in a git repository: {why}")
    try:
        ref = base_ref(repo)
        return repo, ref, tip(repo, ref)
    except BranchError as exc:
        raise error(str(exc)) from None


def commit_named(repo, name: str, where: str, error: type[ValueError] = DigestError):
    """The commit a state note's `name` (a sync or sweep point) names; `error` naming `where` when none."""
    try:
        return repo.revparse_single(name).peel(1)
    except (KeyError, ValueError) as exc:
        raise error(f"{where}: {name} names no commit ({exc})") from None


def _unknown_agent(agent: str, owned: dict[str, list[str]]) -> DigestError:
    return DigestError(f"--agent {agent}: no domain of the vault's config is owned by it (agents: {', '.join(sorted(owned))})")


def _one(vault: Vault, repo, now: TreeVault, head, agent: str, domains: list[str], prefix: str) -> AgentDigest:
    since = read_state(now, agent)
    old_commit = commit_named(repo, since, f"{state_path(agent)}: synced") if since is not None else None
    before = TreeVault.at(vault, old_commit, repo=repo) if old_commit is not None else None
    result = AgentDigest(agent=agent, domains=domains, since=since, until=str(head.id))
    owner_of = {domain: config.agent for domain, config in vault.config.domains.items()}
    changed = [p[len(prefix):] for p in changed_paths(repo, old_commit, head) if p.startswith(prefix) and p.endswith(".md")]
    for path in changed:
        old, new = _claim(before, path), _claim(now, path)
        change = _classify(old, new)
        if change is None:
            continue
        domain, secondary = _domains_of(new or old)
        via = "primary" if domain in domains else "secondary" if set(secondary) & set(domains) else None
        if via is None:
            continue
        title = (new or old).title
        result.claims.append(ClaimChange(path=path, title=title, domain=domain, change=change, via=via))
        others = sorted({owner_of[d] for d in secondary if d in owner_of and owner_of[d] != agent})
        if via == "primary" and change != "retired" and others:
            result.candidates.append(Candidate(path=path, title=title, share_with=others))
    added = set(changed)
    flags, _ = read_flags(now)
    result.flags = sorted(f.flag_path for f in flags if f.agent == agent and f.flag_path in added)
    return result


def _advance(vault: Vault, repo, ref: str, prefix: str, digests: list[AgentDigest]) -> None:
    until = digests[0].until if digests else None
    if until is None:
        return
    files = {prefix + state_path(d.agent): state_text(d.agent, until).encode("utf-8") for d in digests}
    names = ", ".join(d.agent for d in digests)
    done = commit_onto(repo, ref, lambda _base: files, f"digest: {names} synced to {until[:12]}\n")
    if done is None:
        return
    for d in digests:
        d.advanced = done[1]
    try:
        sync_worktree(repo, ref)
    except Exception:  # noqa: BLE001,S110 - the commit stands; the working tree catches up at its next sync
        pass
