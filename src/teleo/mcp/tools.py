"""What each MCP tool does, as plain functions over one `VaultTools` (no MCP protocol here).

Read tools answer anyone. They share one `WebState` — the vault, its index kept fresh by a
file watcher (an incremental sync only after a change), git reads cached per git signature —
so the index and the embedding model are loaded once per server, not once per call.

A tool that cannot do what it was asked raises `Refusal` with a message naming the note,
field or rule; the server turns it into an MCP tool error (never a traceback).
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, Field

from teleo.index import Filters, Hit, SearchMode
from teleo.index.models import Facets
from teleo.index.report import note_report
from teleo.vault import Vault
from teleo.web.state import WebState

MAX_NEIGHBOURS = 200
"""Nodes returned by `neighbours` at most (a hub note at depth 2 can reach most of a vault)."""
MAX_DEPTH = 2
HISTORY_LIMIT = 20


class Refusal(Exception):
    """A tool refused or could not act; the message says which note, field or rule, and why."""


class SearchHit(Facets):
    """One search or similarity result, as a model reads it."""

    snippet: str = ""
    score: float
    similarity: float | None = None

    @classmethod
    def of(cls, hit: Hit) -> "SearchHit":
        return cls(**hit.model_dump(include=set(cls.model_fields)))


class Neighbour(BaseModel):
    path: str
    title: str
    kind: str
    domain: str | None = None
    distance: int
    """1: linked with the note directly; 2: through one other note."""


class Edge(BaseModel):
    source: str
    target: str
    relation: str
    """`link` (a body wiki link) or the frontmatter field (`depends_on`, `challenged_by`, …)."""


class VaultTools:
    """The vault as the MCP tools see it: one agent (or none), one fresh index, cached git reads."""

    def __init__(self, vault: Vault | WebState, *, agent: str | None = None, write_token: str | None = None,
                 watch: bool = True) -> None:
        self.state = vault if isinstance(vault, WebState) else WebState(vault, watch=watch)
        self.vault = self.state.vault
        self.write_token = write_token if write_token is not None else self.state.write_token
        self.agent = self.check_agent(agent) if agent else None
        self._write_lock = threading.Lock()

    # -- the acting agent --------------------------------------------------------

    def agents(self) -> list[str]:
        return sorted(self.vault.config.agents)

    def check_agent(self, name: str) -> str:
        """`name` as the vault spells it, or a refusal listing the vault's agents."""
        wanted = name.strip().lower()
        for known in self.vault.config.agents:
            if known.lower() == wanted:
                return known
        raise Refusal(f"unknown agent '{name}': this vault's agents are {', '.join(self.agents())} (teleo.toml [agents])")

    def acting_agent(self, given: str | None) -> str:
        """Who a write acts as: the session's agent, or the `agent` argument when the session has none."""
        if self.agent is not None:
            if given and given.strip().lower() != self.agent.lower():
                raise Refusal(f"this session acts as {self.agent} (teleo mcp --agent {self.agent}); "
                              f"it cannot act as '{given}'")
            return self.agent
        if not given:
            raise Refusal("no agent: pass agent (one of " + ", ".join(self.agents()) +
                          ") or start the server with teleo mcp --agent NAME")
        return self.check_agent(given)

    # -- finding notes ---------------------------------------------------------------

    def index(self):
        return self.state.fresh_index()

    def find(self, note: str) -> str:
        """The path of the note named by title, link target or vault-relative path."""
        if not note or not note.strip():
            raise Refusal("note: empty; give a title, a [[link]] target or a vault-relative path")
        idx = self.index()
        wanted = note.strip().removeprefix("[[").removesuffix("]]")
        found = idx.resolve(wanted)
        if found.path:
            return found.path
        raise Refusal(f"no note titled '{note}'{self._nearest(wanted)}")

    def _nearest(self, wanted: str) -> str:
        """' — did you mean …?': the resolver's suggestion, else the best search hit for the words."""
        idx = self.index()
        hint = idx.suggest(wanted)
        title = hint.title if hint else None
        if title is None:
            try:
                hits = idx.search(wanted, SearchMode.text, Filters(), k=1)
            except Exception:  # noqa: BLE001 - only a hint
                hits = []
            title = hits[0].title if hits else None
        return f" — did you mean '{title}'? (search finds notes by words)" if title else " (search finds notes by words)"

    # -- read tools -----------------------------------------------------------------

    def search(self, query: str, mode: str = "hybrid", *, domain: list[str] | None = None,
               type: list[str] | None = None, confidence: list[str] | None = None, agent: list[str] | None = None,
               status: list[str] | None = None, limit: int = 10) -> dict[str, Any]:
        if not query.strip():
            raise Refusal("query: empty; give words to look for")
        try:
            chosen = SearchMode(mode)
        except ValueError:
            raise Refusal(f"mode: '{mode}' is not one of hybrid, text, semantic") from None
        filters = Filters.of(domain=domain, type=type, confidence=confidence, agent=agent, status=status)
        hits = self.index().search(query, chosen, filters, k=max(1, min(limit, 100)))
        return {"query": query, "mode": chosen.value, "filters": filters.model_dump(exclude_defaults=True),
                "hits": [SearchHit.of(h).model_dump(exclude_none=True) for h in hits]}

    def similar(self, text: str | None = None, note: str | None = None, limit: int = 10,
                kinds: list[str] | None = None) -> dict[str, Any]:
        if bool(text and text.strip()) == bool(note and note.strip()):
            raise Refusal("give exactly one of text (a draft title or passage) and note (an existing note)")
        idx = self.index()
        k = max(1, min(limit, 100))
        if note:
            path = self.find(note)
            hits = idx.similar_to(path, k, kinds=kinds or None)
            subject = {"note": path}
        else:
            hits = idx.similar(text or "", k, kinds=kinds or None)
            subject = {"text": text}
        return {**subject, "hits": [SearchHit.of(h).model_dump(exclude_none=True) for h in hits]}

    def read_note(self, note: str, history: bool = True) -> dict[str, Any]:
        path = self.find(note)
        report = note_report(self.index(), path)
        if report is None:
            raise Refusal(f"{path}: not in the index")
        row = report.note
        disk = self.vault.note(path)
        out: dict[str, Any] = {
            "path": path, "title": row.title, "kind": row.kind, "type": row.type, "domain": row.domain,
            "confidence": row.confidence, "status": row.status, "agent": row.agent, "description": row.description,
            "frontmatter": row.data, "body": disk.doc.body,
            "backlinks": [_link(link.source, link) for link in report.backlinks],
            "depends_on": [_target(link) for link in report.depends_on],
            "challenged_by": [_target(link) for link in report.challenged_by],
            "challenges": [link.source for link in report.challenges],
            "sources": [s.model_dump() for s in report.sources],
            "unresolved_links": [link.raw for link in report.unresolved],
        }
        if report.source_text:
            out["source_attribution"] = report.source_text
        if row.problems:
            out["problems"] = row.problems
        if history:
            out["history"] = self._history(path)
        return {k: v for k, v in out.items() if v is not None}

    def _history(self, path: str) -> list[dict[str, Any]]:
        commits = self.state.history().by_path.get(path, [])
        known = self.state.known_agents()
        rows = []
        for commit in commits[:HISTORY_LIMIT]:
            rows.append({"commit": commit.id[:12], "date": commit.date, "subject": commit.subject,
                         "agent": commit.agent(known)})
        return rows

    def neighbours(self, note: str, depth: int = 1, limit: int = 50) -> dict[str, Any]:
        if depth < 1 or depth > MAX_DEPTH:
            raise Refusal(f"depth: {depth} is outside 1..{MAX_DEPTH}")
        start = self.find(note)
        idx = self.index()
        cap = max(1, min(limit, MAX_NEIGHBOURS))
        seen = {start: 0}
        edges: dict[tuple[str, str, str], Edge] = {}
        queue = deque([start])
        truncated = False
        while queue:
            here = queue.popleft()
            if seen[here] >= depth:
                continue
            around = [(l.source, here, l) for l in idx.backlinks(here)]
            around += [(here, l.path, l) for l in idx.links_from(here) if l.path and l.path != here]
            for source, target, link in around:
                other = source if target == here else target
                if other not in seen:
                    if len(seen) > cap:
                        truncated = True
                        continue
                    seen[other] = seen[here] + 1
                    queue.append(other)
                relation = link.field or "link"
                edges.setdefault((source, target, relation), Edge(source=source, target=target, relation=relation))
        rows = {r["path"]: r for r in self.state.note_rows(
            "WHERE path IN (" + ",".join("?" * len(seen)) + ")", tuple(seen))}
        nodes = [Neighbour(path=p, title=rows.get(p, {}).get("title") or _stem(p), kind=rows.get(p, {}).get("kind") or "",
                           domain=rows.get(p, {}).get("domain"), distance=d)
                 for p, d in sorted(seen.items(), key=lambda item: (item[1], item[0])) if p != start]
        return {"note": start, "depth": depth, "nodes": [n.model_dump(exclude_none=True) for n in nodes],
                "edges": [e.model_dump() for e in edges.values() if e.source in seen and e.target in seen],
                "truncated": truncated}

    def list_proposals(self, agent: str | None = None) -> dict[str, Any]:
        from teleo.repo.branches import BranchError, open_proposals
        from teleo.repo.discover import vault_prefix
        from teleo.repo.verdicts import verdicts_for

        repo = self.state.repository()
        if repo is None:
            raise Refusal(f"{self.vault.root} is not inside a git repository: there are no proposals")
        try:
            found = open_proposals(repo, agents=self.vault.config.agents)
        except BranchError as exc:
            raise Refusal(str(exc)) from None
        prefix = vault_prefix(repo, self.vault.root)
        rows = []
        for proposal in found:
            if agent and (proposal.agent or "").lower() != agent.strip().lower():
                continue
            verdicts = verdicts_for(repo, proposal.head)
            rows.append({
                "branch": proposal.branch, "kind": proposal.kind, "head": proposal.head, "agent": proposal.agent,
                "source": proposal.source,
                "domain": proposal.domain, "created": proposal.created, "subject": proposal.subject,
                "files": [p[len(prefix):] if prefix and p.startswith(prefix) else p for p in proposal.files],
                "verdicts": [{"reviewer": v.reviewer, "role": v.role, "verdict": v.verdict}
                             for v in sorted(verdicts.values(), key=lambda v: v.reviewer)],
            })
        return {"proposals": rows}

    def list_flags(self, agent: str | None = None, priority: str | None = None,
                   include_resolved: bool = False) -> dict[str, Any]:
        from teleo.cascade.listing import list_flags
        from teleo.cascade.models import PRIORITIES
        from teleo.repo.branches import BranchError
        from teleo.repo.kinds import FLAGS

        if priority is not None and priority not in PRIORITIES:
            raise Refusal(f"priority: '{priority}' is not one of {', '.join(PRIORITIES)}")
        try:
            listing = list_flags(self.vault, agent=agent, priority=priority, include_resolved=include_resolved)
        except BranchError as exc:
            raise Refusal(str(exc)) from None
        waiting = self._resolution_proposals()
        rows = []
        for flag in listing.flags:
            row = {**flag.model_dump(mode="json", exclude_none=True), "short_id": listing.short_ids.get(flag.id, flag.id)}
            branch = FLAGS.branch_name(agent=flag.agent, slug=flag.id)
            if flag.status == "open" and branch in waiting:
                row["proposal"] = branch  # its resolution waits for review (resolve_flag made it)
            rows.append(row)
        return {"read_from": listing.read_from, "flags": rows, "not_flags": listing.problems}

    def _resolution_proposals(self) -> set[str]:
        """The open `flags/<agent>/<id>` proposal branches (none without a repository or a main branch)."""
        from teleo.repo.branches import BranchError, open_proposals
        from teleo.repo.kinds import FLAGS

        repo = self.state.repository()
        if repo is None:
            return set()
        try:
            return {p.branch for p in open_proposals(repo, kinds=(FLAGS,))}
        except BranchError:
            return set()

    def vault_stats(self, section: str | None = None) -> dict[str, Any]:
        from teleo.stats import vault_stats
        from teleo.stats.models import SECTIONS

        if section is not None and section not in SECTIONS:
            raise Refusal(f"section: '{section}' is not one of {', '.join(SECTIONS)}")
        stats = self.state.cached("mcp-stats", self.index().generation, lambda: vault_stats(self.vault))
        data = stats.model_dump(mode="json")
        return {"vault": data["vault"], section: data[section]} if section else data

    # -- resources -------------------------------------------------------------------

    def agent_file(self, agent: str, what: Literal["identity", "beliefs"]) -> str:
        name = self.check_agent(agent)
        path = f"agents/{name}/{what}.md"
        text = self._read_text(path)
        if what == "beliefs":
            folder = f"agents/{name}/beliefs/"
            files = [p for p in self.vault.markdown_paths() if p.startswith(folder)]
            if files:
                listing = "\n".join(f"- [[{p}|{_stem(p)}]]" for p in sorted(files))
                text = (text or f"# {name}'s beliefs\n") + f"\n\n## Belief files ({len(files)})\n\n{listing}\n"
        if text is None:
            raise Refusal(f"{path}: no such file in the vault")
        return text

    def domain_map(self, domain: str) -> str:
        settings = self.vault.config.domains.get(domain)
        if settings is None:
            raise Refusal(f"unknown domain '{domain}': this vault's domains are {', '.join(sorted(self.vault.config.domains))}")
        path = f"{settings.folder.rstrip('/')}/_map.md"
        text = self._read_text(path)
        if text is None:
            raise Refusal(f"{path}: domain {domain} has no topic map")
        return text

    def _read_text(self, path: str) -> str | None:
        full = self.vault.root / path
        try:
            return full.read_text(encoding="utf-8", errors="replace") if full.is_file() else None
        except OSError as exc:
            raise Refusal(f"{path}: {exc.strerror or exc}") from None


def _stem(path: str) -> str:
    name = PurePosixPath(path).name
    return name[:-3] if name.endswith(".md") else name


def _target(link) -> dict[str, Any]:
    return {"path": link.path, "title": _stem(link.path) if link.path else link.raw, "resolved": link.path is not None}


def _link(source: str, link) -> dict[str, Any]:
    out: dict[str, Any] = {"from": source, "line": link.line}
    if link.field:
        out["field"] = link.field
    return out
