"""The files of a research session, as texts: archived sources, the musing, the journal.

Every word that came from a dump or a model goes through `teleo.notes.untrusted` (one line,
controls and invisible characters removed, `[[links]]` and tags defused) or `teleo.ingest`'s body
cleaning; the only links written are the ones this module makes — to archived sources of the
session and to notes whose titles resolve on main — so neither a dump nor a model adds an edge to
the graph. File names are `teleo.ingest`'s: `YYYY-MM-DD-<handle>-<slug>.md`, cut to 120 bytes,
with `-2`, `-3`, … when main's archive or the session already holds the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from teleo.contract.research import ResearchPlan, SourceNotes
from teleo.ingest.clean import clean_field
from teleo.ingest.names import author_handle, source_filename
from teleo.ingest.pipeline import ARCHIVE, infer_format, render
from teleo.notes.document import dump_value
from teleo.notes.schema import SOURCE_FORMAT
from teleo.notes.untrusted import defuse_tags, inert_line
from teleo.repo.agents import display_name
from teleo.research.context import Candidate, Context
from teleo.vault import normalise_title

SESSION_TAG = "research-session"
MAX_COLLISIONS = 99


@dataclass
class Archived:
    path: str
    title: str
    candidate: Candidate
    notes: SourceNotes


def source_notes(base, ctx: Context, plan: ResearchPlan) -> tuple[dict[str, str], list[Archived]]:
    """path → text of each source the plan keeps, named apart from main's archive and from each other."""
    by_id = {c.id: c for c in ctx.candidates}
    taken = {normalise_title(PurePosixPath(p).stem) for p in base.markdown_paths() if p.startswith(ARCHIVE + "/")}
    files: dict[str, str] = {}
    archived: list[Archived] = []
    for notes in plan.sources:
        candidate = by_id[notes.id]
        fields = _fields(ctx, candidate)
        path = _free_name(fields, taken)
        taken.add(normalise_title(PurePosixPath(path).stem))
        files[path] = render(fields, candidate.body) + "\n" + _agent_notes(base, path, notes)
        archived.append(Archived(path=path, title=fields["title"], candidate=candidate, notes=notes))
    return files, archived


def _fields(ctx: Context, candidate: Candidate) -> dict:
    item = candidate.item
    url = clean_field(item.url, limit=2000) if item.url else "local:" + item.origin.replace(" ", "")
    return {
        "type": "source", "title": clean_field(candidate.title, limit=200) or "untitled",
        "author": clean_field(item.author, limit=200), "url": url, "date": item.date or ctx.date,
        "domain": ctx.domain, "format": _format(item), "status": "unprocessed", "tags": [SESSION_TAG],
        "ingested": ctx.date,
    }


def _format(item) -> str:
    """The dump's own format when it is a source format; a post with an author is a tweet; else as `teleo ingest` infers."""
    if item.format in SOURCE_FORMAT:
        return item.format
    if item.handle and item.media == "text":
        return "tweet"
    return infer_format(item.media, item.url or "")


def _free_name(fields: dict, taken: set[str]) -> str:
    handle = author_handle(fields["author"])
    for attempt in range(1, MAX_COLLISIONS + 1):
        name = source_filename(fields["date"], handle, fields["title"], "" if attempt == 1 else f"-{attempt}")
        if normalise_title(name[:-3]) not in taken:
            return f"{ARCHIVE}/{name}"
    raise ValueError(f"{MAX_COLLISIONS} archived sources are named like {name}")


def _line(text: str, limit: int = 1200) -> str:
    """Foreign text (a dump's, a model's) as one line of a note's body: inert, tags defused too."""
    return defuse_tags(inert_line(text, limit)) or "—"


def link_or_text(base, title: str, from_path: str) -> str:
    """`[[exact title]]` when `title` resolves on main, else the title as plain words."""
    title = title.strip().removeprefix("[[").removesuffix("]]").split("|", 1)[0].strip()
    if not title:
        return ""
    resolved = base.resolver.resolve(title, from_path)
    if resolved.resolved and resolved.path and not resolved.ambiguous:
        return f"[[{PurePosixPath(resolved.path).stem}]]"
    return _line(title, 300)


def _agent_notes(base, path: str, notes: SourceNotes) -> str:
    connections = [c for c in (link_or_text(base, t, path) for t in notes.kb_connections[:5]) if c]
    primary = link_or_text(base, notes.primary_connection, path) if notes.primary_connection else "—"
    return (
        "## Agent Notes\n"
        f"**Why this matters:** {_line(notes.why_matters)}\n"
        f"**What surprised me:** {_line(notes.surprised)}\n"
        f"**What I expected but didn't find:** {_line(notes.expected_not_found)}\n"
        f"**KB connections:** {'; '.join(connections) or 'none found'}\n"
        f"**Extraction hints:** {_line(notes.extraction_hints)}\n"
        f"**Context:** {_line(notes.context)}\n\n"
        "## Curator Notes (structured handoff for extractor)\n"
        f"PRIMARY CONNECTION: {primary or '—'}\n"
        f"WHY ARCHIVED: {_line(notes.why_archived)}\n"
        f"EXTRACTION HINT: {_line(notes.extraction_hint or notes.extraction_hints)}\n"
    )


def musing_path(agent: str, date: str) -> str:
    return f"agents/{agent}/musings/research-{date}.md"


def journal_path(agent: str) -> str:
    return f"agents/{agent}/research-journal.md"


def musing(ctx: Context, plan: ResearchPlan, archived: list[Archived], provider: str) -> str:
    """`agents/<agent>/musings/research-<date>.md` (reference §2.8): ends in `## Follow-up Directions`."""
    keystone = next(b for b in ctx.beliefs if b.number == plan.keystone.strip().rstrip("."))
    question = _line(plan.question, 400)
    front = ["---\n", dump_value("type", "musing"), dump_value("agent", ctx.agent),
             dump_value("title", inert_line(f"Research session {ctx.date}: {question}", 300)),
             dump_value("status", "seed"), dump_value("created", ctx.date), dump_value("updated", ctx.date),
             dump_value("tags", [SESSION_TAG]), "---\n"]
    sources = [f"- [[{PurePosixPath(a.path).stem}]] — {_line(a.notes.why_archived or a.notes.why_matters, 300)}"
               for a in archived]
    findings = [f"- {_line(f)}" for f in plan.key_findings] or ["- none"]
    skipped = [f"- {_line(s, 300)}" for s in ctx.skipped[:12]]
    if len(ctx.skipped) > 12:
        skipped.append(f"- … and {len(ctx.skipped) - 12} more")
    follow = plan.follow_up
    body = [
        f"# Research session {ctx.date}: {question.lstrip('#').strip()}", "",
        "## Research Question", "", f"**{question}**", "",
        "## Keystone Belief and Disconfirmation Target", "",
        f"**Belief {keystone.number} (keystone):** {_line(keystone.statement, 400)} ({keystone.where})", "",
        f"**Disconfirmation target:** {_line(plan.disconfirmation_target, 600)}", "",
        "## Why This Question", "", _line(plan.why_this_question or "—", 2000), "",
        f"## Sources Archived ({len(archived)}, status unprocessed)", "", *sources, "",
        "## Key Findings", "", *findings, "",
        "## Belief Impact Assessment", "", _line(plan.belief_impact or "—", 2000), "",
        "## How This Session Ran", "",
        f"- researcher: {provider}; raw dumps read: {ctx.dumps_read} file(s) under inbox-raw/{ctx.agent}/; "
        f"candidates: {len(ctx.candidates)}; kept: {len(archived)}",
        *skipped, "",
        "## Follow-up Directions", "",
        "### Active Threads (continue next session)", *_bullets(follow.active_threads), "",
        "### Dead Ends (don't re-run these)", *_bullets(follow.dead_ends), "",
        "### Branching Points (one finding opened multiple directions)", *_bullets(follow.branching_points),
    ]
    return "".join(front) + "\n" + "\n".join(body) + "\n"


def _bullets(items: list[str]) -> list[str]:
    return [f"- {_line(item, 800)}" for item in items[:8]] or ["- none"]


def journal(ctx: Context, plan: ResearchPlan, archived: list[Archived], before: str) -> str:
    """`agents/<agent>/research-journal.md` with this session's `## Session DATE` entry appended (reference §2.8);
    `before`: its text on main ("" when there is none yet)."""
    keystone = next(b for b in ctx.beliefs if b.number == plan.keystone.strip().rstrip("."))
    entry = plan.journal
    titles = ", ".join(_line(a.title, 80) for a in archived)
    lines = [
        f"## Session {ctx.date}",
        f"**Question:** {_line(plan.question, 400)}", "",
        f"**Belief targeted:** Belief {keystone.number} (keystone) — {_line(keystone.statement, 400)}", "",
        f"**Disconfirmation result:** {_line(entry.disconfirmation_result)}", "",
        f"**Key finding:** {_line(entry.key_finding)}", "",
        f"**Pattern update:** {_line(entry.pattern_update or '—')}", "",
        f"**Confidence shift:** {_line(entry.confidence_shift or '—')}", "",
        f"**Sources archived this session:** {len(archived)} ({titles})",
    ]
    text = "\n".join(lines) + "\n"
    if not before.strip():
        return (f"# {display_name(ctx.agent)} Research Journal\n\nCross-session memory: one entry per research "
                "session, newest last.\n\n---\n\n" + text)
    old = before.rstrip("\n")
    return old + ("\n\n" if old.endswith("---") else "\n\n---\n\n") + text
