"""Gathering each page's data from the read side: the index, the notes, git.

Every function returns a model of `teleo.web.models`; the HTML page and the
`/api/...` route of the same name share it, so the API is the pages' data.
"""

from __future__ import annotations

import json
import re
from html import escape
from collections import Counter
from typing import Any
from urllib.parse import quote

from teleo.export.graph import REFERENCE_COLORS, derived_color
from teleo.index import EmbeddingUnavailable, Filters, Index, Link, SearchMode
from teleo.index.models import Facets
from teleo.index.report import note_report
from teleo.cascade import Flag, flag_from_note, select_flags
from teleo.notes import read_note
from teleo.notes.beliefs import belief_sections, grounding_lines
from teleo.repo.agents import commit_agent
from teleo.repo.history import Commit
from teleo.web.evidence import evidence_of
from teleo.web.markdown import LinkTarget, note_href, render_markdown
from teleo.web.models import (
    AgentPage,
    Belief,
    CommitRow,
    ConfidenceGroup,
    DomainCount,
    DomainPage,
    Field_,
    HomePage,
    LinkRef,
    NotePage,
    NoteRef,
    OpenFlag,
    Preview,
    SearchHit,
    SearchPage,
    SourceLink,
)
from teleo.web.state import History, WebState

CONFIDENCE_ORDER = ("proven", "likely", "experimental", "speculative")
RECENT_MERGES = 12
SOURCE_LIST_FIELDS = {"claims_extracted": "claims_extracted", "enrichments": "enrichments", "enrichments_applied": "enrichments"}
PREVIEW_CHARS = 300


class NotFound(Exception):
    """No such note, domain, agent or proposal."""


def stem(path: str) -> str:
    name = path.rpartition("/")[2]
    return name[:-3] if name.endswith(".md") else name


def color_of(domain: str | None) -> str:
    if not domain:
        return "#888888"
    return REFERENCE_COLORS.get(domain) or derived_color(domain)


# -- shared pieces ---------------------------------------------------------------


def note_ref(row: dict[str, Any]) -> NoteRef:
    return NoteRef(
        path=row["path"], title=row.get("label") or row["title"], href=note_href(row["path"]), kind=row.get("kind"),
        domain=row.get("domain"), confidence=row.get("confidence"), description=row.get("description"),
    )


def link_ref(link: Link, *, backlink: bool = False) -> LinkRef:
    shown = link.source if backlink else link.path
    return LinkRef(
        raw=link.raw, path=link.path, title=stem(shown) if shown else link.target, line=link.line, field=link.field,
        href=note_href(shown) if shown else None, source=link.source,
    )


def commit_row(commit: Commit, known: set[str], history: History | None = None) -> CommitRow:
    """A commit as the pages show it; with `history`, a merge naming no agent gets the agent of the
    proposal it merged (the author of a merge is whoever ran it: the machine's git identity)."""
    trailer = commit.pentagon_agent
    agent = commit_agent(commit.message, known)
    if agent is None and history is not None and commit.is_merge:
        agent = history.merged_agent(commit, known)
    return CommitRow(
        id=commit.id, date=commit.date, subject=commit.subject, author=commit.author_name, agent=agent,
        agent_id=trailer[1] if trailer else None, change=next((c.status for c in commit.changes), None),
        merge=commit.is_merge,
    )


def previews(state: WebState, paths: set[str]) -> dict[str, str]:
    """path → the short text a hover over a link to it shows (its description)."""
    if not paths:
        return {}
    found: dict[str, str] = {}
    ordered = sorted(paths)
    for start in range(0, len(ordered), 400):
        chunk = ordered[start : start + 400]
        marks = ", ".join("?" * len(chunk))
        for path, title, description in state.sql(f"SELECT path, title, description FROM notes WHERE path IN ({marks})", tuple(chunk)):
            text = description or title
            found[path] = text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
    return found


def render_body(state: WebState, index: Index, path: str, body: str, links: list[Link], title: str | None = None) -> str:
    """The note's body as safe HTML, its wiki links resolved as the index resolved them."""
    by_raw = {link.raw: link.path for link in links if link.wiki and link.field is None}
    hover = previews(state, {p for p in by_raw.values() if p})

    def resolve(raw: str) -> LinkTarget:
        if raw in by_raw:
            target = by_raw[raw]
        else:  # a link the index did not record (e.g. the file changed a moment ago)
            target = index.resolve(raw, path).path
        return LinkTarget(target, hover.get(target) if target else None)

    return render_markdown(body, resolve, title=title if title is not None else stem(path))


# -- pages -------------------------------------------------------------------------


def home_page(state: WebState) -> HomePage:
    index = state.fresh_index()
    return state.cached("home-counts", index.generation, lambda: _home_counts(state)).model_copy(
        update=_git_part(state)
    )


def _home_counts(state: WebState) -> HomePage:
    config = state.vault.config
    kinds = dict(state.sql("SELECT kind, count(*) FROM notes GROUP BY kind ORDER BY count(*) DESC"))
    per_domain: dict[str, Counter] = {}
    for domain, kind, count in state.sql("SELECT domain, kind, count(*) FROM notes WHERE domain IS NOT NULL GROUP BY domain, kind"):
        per_domain.setdefault(domain, Counter())[kind] += count
    names = sorted(set(per_domain) | set(config.domains))
    domains = [
        DomainCount(
            name=name, href="/domains/" + quote(name, safe=""), claims=per_domain.get(name, Counter())["claim"],
            notes=sum(per_domain.get(name, Counter()).values()),
            agent=config.domains[name].agent if name in config.domains else None, color=color_of(name),
        )
        for name in names
    ]
    return HomePage(
        vault=config.vault.name, notes=sum(kinds.values()), kinds=kinds, domains=domains,
        agents=sorted(agent_names(state)), merges=[], proposals=[],
    )


def _git_part(state: WebState) -> dict[str, Any]:
    history = state.history()
    known = state.known_agents()
    merges = [c for c in history.commits if c.is_merge][:RECENT_MERGES]
    merges_note = history.note or (None if merges else "no merge commits yet")
    from teleo.web.proposals import proposal_rows

    proposals, proposals_note = proposal_rows(state)
    return {
        "merges": [commit_row(c, known, history) for c in merges], "merges_note": merges_note,
        "proposals": proposals, "proposals_note": proposals_note,
    }


def domain_names(state: WebState) -> set[str]:
    found = {row[0] for row in state.sql("SELECT DISTINCT domain FROM notes WHERE domain IS NOT NULL")}
    return found | set(state.vault.config.domains)


def agent_names(state: WebState) -> set[str]:
    config = state.vault.config
    names = {a.lower() for a in config.agents} | {d.agent.lower() for d in config.domains.values()}
    for (path,) in state.sql("SELECT path FROM notes WHERE path LIKE 'agents/%/identity.md'"):
        names.add(path.split("/")[1].lower())
    return names


def domain_page(state: WebState, name: str) -> DomainPage:
    index = state.fresh_index()
    config = state.vault.config.domains.get(name)
    rows = state.note_rows("WHERE domain = ? AND kind = 'claim'", (name,), order="title")
    if config is None and not rows:
        raise NotFound(f"no domain '{name}'")
    groups: dict[str, list[NoteRef]] = {}
    for row in rows:
        groups.setdefault((row["confidence"] or "unrated").lower(), []).append(note_ref(row))
    order = [c for c in CONFIDENCE_ORDER if c in groups] + sorted(c for c in groups if c not in CONFIDENCE_ORDER)
    map_ref, map_html = None, ""
    map_path = f"{config.folder.strip('/')}/_map.md" if config else None
    if map_path and index.note_row(map_path) is not None:
        map_row = state.note_rows("WHERE path = ?", (map_path,))[0]
        map_ref = note_ref(map_row)
        note = read_note(state.root, map_path)
        map_html = render_body(state, index, map_path, note.doc.body, index.links_from(map_path))
    return DomainPage(
        name=name, agent=config.agent if config else None, folder=config.folder if config else None,
        color=color_of(name), map=map_ref, map_html=map_html,
        groups=[ConfidenceGroup(confidence=c, claims=groups[c]) for c in order], claims=len(rows),
    )


def note_page(state: WebState, path: str) -> NotePage:
    index = state.fresh_index()
    report = note_report(index, path)
    if report is None:
        raise NotFound(f"no note at {path}")
    row = report.note
    note = read_note(state.root, path)
    links = index.links_from(path)
    page = "claim" if row.kind == "claim" else "source" if row.kind == "source" else "note"
    labels = source_labels(state, [s.path for s in report.sources])
    result = NotePage(
        page=page, path=path, title=row.label or row.title, kind=row.kind, type=row.type, domain=row.domain,
        confidence=row.confidence, status=row.status, agent=row.agent, description=row.description,
        created=row.created, label=row.label, problems=row.problems,
        frontmatter=[Field_(key=str(k), value=_value(v)) for k, v in row.data.items()],
        body_html=render_body(state, index, path, note.doc.body, links),
        backlinks=[link_ref(l, backlink=True) for l in report.backlinks],
        depends_on=[link_ref(l) for l in report.depends_on],
        challenged_by=[link_ref(l) for l in report.challenged_by],
        challenges=[link_ref(l, backlink=True) for l in report.challenges],
        sources=[
            SourceLink(path=s.path, title=labels.get(s.path) or s.title, href=note_href(s.path), how=s.how, line=s.line)
            for s in report.sources
        ],
        source_text=report.source_text,
        unresolved=[link_ref(l) for l in report.unresolved],
    )
    if page == "source":
        for link in links:
            target = SOURCE_LIST_FIELDS.get(link.field or "")
            if target:
                getattr(result, target).append(link_ref(link))
    if page == "claim":
        result.evidence = evidence_of(state, index, path, note.doc.body, links)
    history = state.history()
    known = state.known_agents()
    result.history = [commit_row(c, known) for c in history.by_path.get(path, [])]
    result.history_note = history.note or (None if result.history else "no commits touch this note")
    return result


def source_labels(state: WebState, paths: list[str]) -> dict[str, str]:
    """path → a source's own `title:` (its display name), for the paths that have one."""
    if not paths:
        return {}
    marks = ", ".join("?" * len(paths))
    return {p: label for p, label in state.sql(f"SELECT path, label FROM notes WHERE path IN ({marks})", tuple(paths)) if label}


def _value(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def preview(state: WebState, path: str) -> Preview:
    state.fresh_index()
    rows = state.note_rows("WHERE path = ?", (path,))
    if not rows:
        raise NotFound(f"no note at {path}")
    row = rows[0]
    return Preview(
        path=path, title=row["label"] or row["title"], kind=row["kind"], domain=row["domain"],
        confidence=row["confidence"], description=row["description"], href=note_href(path),
    )


def agent_page(state: WebState, name: str) -> AgentPage:
    index = state.fresh_index()
    key = name.lower()
    if key not in agent_names(state):
        raise NotFound(f"no agent '{name}'")
    config = state.vault.config
    agent_cfg = next((a for n, a in config.agents.items() if n.lower() == key), None)
    page = AgentPage(
        name=key, role=agent_cfg.role if agent_cfg else None,
        domains=sorted(d for d, c in config.domains.items() if c.agent.lower() == key),
    )
    folder = f"agents/{key}"
    identity = f"{folder}/identity.md"
    if index.note_row(identity) is not None:
        page.identity = note_ref(state.note_rows("WHERE path = ?", (identity,))[0])
        page.identity_html = render_body(state, index, identity, read_note(state.root, identity).doc.body, index.links_from(identity))
    beliefs_file = f"{folder}/beliefs.md"
    if index.note_row(beliefs_file) is not None:
        page.beliefs_html = render_body(
            state, index, beliefs_file, read_note(state.root, beliefs_file).doc.body, index.links_from(beliefs_file)
        )
    page.beliefs = agent_beliefs(state, index, folder)
    page.positions = [note_ref(r) for r in state.note_rows("WHERE path LIKE ?", (f"{folder}/positions/%",))]
    page.flags, page.flags_note = open_flags(state, folder)
    page.claims = [note_ref(r) for r in state.note_rows("WHERE kind = 'claim' AND agent = ?", (key,), order="created DESC, title")]
    page.commits = commits_by_agent(state).get(key, [])[:100]
    page.history_note = state.history().note
    return page


def open_flags(state: WebState, folder: str) -> tuple[list[OpenFlag], str | None]:
    """The open flag notes under `<folder>/flags/`, read by `cascade.flag_from_note` (as `teleo flags`
    reads them), highest priority first, newest first within one; and a note naming the flag notes
    that are not valid flags."""
    found: list[Flag] = []
    problems: list[str] = []
    for row in state.note_rows("WHERE kind = 'flag' AND path LIKE ?", (f"{folder}/flags/%",)):
        flag, problem = flag_from_note(read_note(state.root, row["path"]))
        if flag is not None:
            found.append(flag)
        else:
            problems.append(problem)
    shown = [_open_flag(state, flag) for flag in select_flags(found)]
    note = f"not valid flags (teleo lint names the fields): {'; '.join(problems)}" if problems else None
    return shown, note


def _open_flag(state: WebState, flag: Flag) -> OpenFlag:
    targets = state.note_rows("WHERE path = ?", (flag.target,))
    first = flag.changed[0] if flag.changed else None
    return OpenFlag(
        id=flag.id, note=note_ref(state.note_rows("WHERE path = ?", (flag.flag_path,))[0]), priority=flag.priority,
        target_kind=flag.target_kind, target=note_ref(targets[0]) if targets else None, target_path=flag.target,
        change=f"{first.change.value}: {stem(first.path)}" if first else "", when=flag.when[:10],
    )


def commits_by_agent(state: WebState) -> dict[str, list[CommitRow]]:
    """Agent → the commits attributed to it (trailer or subject prefix), newest first; read once per git state."""

    def build() -> dict[str, list[CommitRow]]:
        known = state.known_agents() | agent_names(state)
        found: dict[str, list[CommitRow]] = {}
        history = state.history()
        for commit in history.commits:
            row = commit_row(commit, known, history)
            if row.agent:
                found.setdefault(row.agent, []).append(row)
        return found

    return state.git_cached("commits-by-agent", build)


def agent_beliefs(state: WebState, index: Index, folder: str) -> list[Belief]:
    """The agent's beliefs as the cascade reads them (`notes.beliefs`): each `### N. statement` section
    of its `beliefs.md` with the links of its **Grounding:** blocks, then each belief file with its
    `depends_on` and the links of its Grounding section. A section that links its full file is that
    file (shown once, with the grounding of both)."""
    files = {row["path"]: row for row in state.note_rows("WHERE path LIKE ? ", (f"{folder}/beliefs/%",))}
    beliefs: list[Belief] = []
    beliefs_file = f"{folder}/beliefs.md"
    if index.note_row(beliefs_file) is not None:
        links = index.links_from(beliefs_file)
        for section in belief_sections(read_note(state.root, beliefs_file).doc, folder):
            grounding = _grounding(links, beliefs_file, section.grounding_lines)
            full = next((path for path in section.full_files if path in files), None)
            if full is None:
                title = re.sub(r"[*_`]", "", section.section).strip()
                beliefs.append(Belief(note=NoteRef(path=beliefs_file, title=title, href=note_href(beliefs_file),
                                                   kind="belief"), grounding=grounding))
                continue
            row = files.pop(full)
            beliefs.append(Belief(note=note_ref(row), grounding=_file_grounding(state, index, full) + grounding))
    beliefs += [Belief(note=note_ref(row), grounding=_file_grounding(state, index, path)) for path, row in files.items()]
    return beliefs


def _file_grounding(state: WebState, index: Index, path: str) -> list[LinkRef]:
    """A belief file's grounding: its `depends_on` entries and the links of its Grounding section or blocks."""
    lines = grounding_lines(read_note(state.root, path).doc)
    return [link_ref(l) for l in index.links_from(path)
            if l.path and l.path != path and (l.field == "depends_on" or (l.field is None and l.line in lines))]


def _grounding(links: list[Link], path: str, lines: frozenset[int]) -> list[LinkRef]:
    """The body links on `lines` that lead to another note."""
    return [link_ref(l) for l in links if l.path and l.path != path and l.field is None and l.line in lines]


def search_page(
    state: WebState, q: str, mode: str = "hybrid", filters: dict[str, str | list[str]] | None = None, limit: int = 20,
) -> SearchPage:
    index = state.fresh_index()
    filters = {k: [v] if isinstance(v, str) else [x for x in v if x] for k, v in (filters or {}).items()}
    filters = {k: v for k, v in filters.items() if v and any(v)}
    try:
        chosen = SearchMode(mode)
    except ValueError:
        chosen = SearchMode.hybrid
    page = SearchPage(q=q, mode=chosen.value, filters=filters, hits=[], options=filter_options(state))
    if not q.strip():
        return page
    wanted = Filters.of(**filters)
    try:
        hits = index.search(q, chosen, wanted, k=limit)
    except EmbeddingUnavailable as exc:
        page.note = f"{exc}; showing full-text results"
        page.mode = SearchMode.text.value
        hits = index.search(q, SearchMode.text, wanted, k=limit)
    page.hits = [
        SearchHit(
            **h.model_dump(include=set(Facets.model_fields)) | {"title": h.label or h.title},
            href=note_href(h.path), snippet=h.snippet, score=h.score,
            snippet_html=escape(h.marked_snippet).replace("\x02", "<mark>").replace("\x03", "</mark>"),
        )
        for h in hits
    ]
    return page


def filter_options(state: WebState) -> dict[str, list[str]]:
    def values(column: str) -> list[str]:
        rows = state.sql(f"SELECT DISTINCT lower({column}) FROM notes WHERE {column} IS NOT NULL AND {column} != '' ORDER BY 1 LIMIT 200")
        return [r[0] for r in rows]

    return state.cached(
        "filter-options", state.index.generation,
        lambda: {
            "domain": values("domain"), "type": sorted(set(values("kind")) | set(values("type"))),
            "confidence": values("confidence"), "agent": values("agent"), "status": values("status"),
        },
    )
