"""Entity drafts → the entity files of a proposal (reference §2.5, §4.10), texts only.

`write_entities(ctx, drafts)` is called by `writer.build_proposal` after the claims. For each draft:

1. **No invented values.** The name (each of its words), the parent's name, the status, every
   field value, handle, website and timeline date must be found in the source — its whole file,
   frontmatter and body, compared case-folded with spacing collapsed, numbers also by value
   (`$750,000.00` = `750000`). A status also counts as found when the page's own `Status` maps
   to it (`extract.data.STATUS_TABLES`: `Refunding` → a fundraise `failed`). What is not found
   is dropped with the reason; a draft whose name is not found is dropped whole.
2. **Look up before creating** (`gates.entities.EntityIndex`, every `entities/*` folder, plus the
   entities this proposal creates): a creation whose name, handle or website matches an entity
   becomes an update of it; the match in another domain gets this domain in `secondary_domains`.
3. **Significance**: a creation needs a `significance` and must pass
   `gates.entities.insignificant` (no test, placeholder or spam; something to track).
4. **Create** `entities/<domain>/<slug>.md` (`slugify(name)`; a decision market `Parent: Proposal`
   is `parent-proposal`), frontmatter in the schema's order, body `# name`, Overview, Timeline, the
   provenance line, `Relevant Entities:`. A decision market needs its parent to be an entity (the
   `entity-parent` gate), other types name a parent only when it exists.
5. **Update** an existing entity: status (a decision market's `passed`/`failed` is terminal: an
   older page saying `active` does not undo it), fields absent or different (never `type`, `name`,
   `domain`, `entity_type`, `tracked_by`, `created`; a metric already under `key_metrics` is left
   alone), handles added, website when absent, timeline lines appended (a line already there is
   not repeated), `last_updated`. Frontmatter through `set_field` (only those lines change).
6. **Parent**: a created child (or a decision market whose status changed) gets its parent a
   `Relevant Entities` line, a `## Key Decisions` row (decision markets) and a timeline line.

Every path must lie in the agent's territory; an entity outside it is dropped with the reason
(an entity of another agent's domain is that agent's to update).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from teleo.contract.extraction import EntityDraft, TimelineEntry
from teleo.gates.entities import ENTITIES_FOLDER, EntityIndex, EntityRecord, as_list, handle_key, insignificant, slugify
from teleo.notes import Kind, Note, parse_document, set_field
from teleo.notes.document import dump_value
from teleo.notes.untrusted import clip, defuse_tags, inert_line

PROTECTED = frozenset({"type", "name", "domain", "entity_type", "tracked_by", "created", "status", "handles", "website",
                       "secondary_domains", "last_updated", "parent_entity", "parent"})
"""Fields a draft's `fields` never set (the draft has its own slots for the editable ones)."""
FIELD_ORDER = ("parent_entity", "parent", "platform", "proposer", "proposal_url", "proposal_date", "resolution_date",
               "launch_date", "founded", "category", "summary")
_NUMBER = re.compile(r"\$?\s?\d[\d,]*(?:\.\d+)?")
_WS = re.compile(r"\s+")
_TIMELINE = re.compile(r"^##\s+Timeline\s*$", re.IGNORECASE | re.MULTILINE)
_KEY_DECISIONS = re.compile(r"^##\s+Key Decisions\s*$", re.IGNORECASE | re.MULTILINE)
_RELEVANT = re.compile(r"^\*{0,2}Relevant Entities\*{0,2}\s*:\s*$", re.IGNORECASE | re.MULTILINE)
_RESOLVED = ("passed", "failed")


def _line(text: str, limit: int = 300) -> str:
    return clip(defuse_tags(inert_line(text)), limit)


def _fold(text: str) -> str:
    return _WS.sub(" ", text.casefold()).strip()


def _numbers(text: str) -> set[float]:
    out = set()
    for match in _NUMBER.finditer(text):
        try:
            out.add(float(match.group(0).replace("$", "").replace(",", "").strip()))
        except ValueError:
            continue
    return out


@dataclass
class Grounds:
    """What the source says, to check a value against (step 1 of the module doc)."""

    text: str
    numbers: set[float]
    status: str

    @classmethod
    def of(cls, source: Note, fields: dict[str, str]) -> Grounds:
        raw = source.doc.text
        return cls(_fold(raw), _numbers(raw), (fields.get("status") or "").casefold())

    def has(self, value: str) -> bool:
        folded = _fold(value.strip().strip("`").removeprefix("@"))
        if not folded:
            return False
        if folded in self.text:
            return True
        if _NUMBER.fullmatch(value.strip()):
            try:
                return float(value.strip().replace("$", "").replace(",", "")) in self.numbers
            except ValueError:
                return False
        return False

    def has_name(self, name: str) -> bool:
        words = re.findall(r"[0-9a-z]+", name.casefold())
        return bool(words) and all(word in self.text for word in words)

    def has_status(self, status: str) -> bool:
        from teleo.extract.data import STATUS_TABLES

        return self.has(status) or any(table.get(self.status) == status for table in STATUS_TABLES)


@dataclass
class EntityContext:
    """The proposal being written, as `build_proposal` holds it."""

    vault: object
    source: Note
    files: dict[str, str]
    agent: str
    domain: str
    territory: list[str]
    today: str
    provenance: str
    """The `*Source: … | Added: … | Extractor: …*` line."""
    source_fields: dict[str, str]
    inside: Callable[[str, list[str]], bool]
    drop: Callable[[str, str, str], None]
    append_block: Callable[[str, str], str]
    """The writer's `append_block` (a block after the body, before a trailing link block)."""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    index: EntityIndex | None = None
    grounds: Grounds | None = None


def write_entities(ctx: EntityContext, drafts: list[EntityDraft]) -> None:
    """Apply `drafts` to `ctx.files` (see the module doc); `ctx.created` / `ctx.updated` name the paths."""
    if not drafts:
        return
    from teleo.extract.context import entity_index

    base = entity_index(ctx.vault)
    ctx.index = EntityIndex(records=list(base.records), by_key=_copy(base.by_key))
    ctx.grounds = Grounds.of(ctx.source, ctx.source_fields)
    for draft in drafts:
        draft = _grounded(ctx, draft)
        if draft is None:
            continue
        if draft.action == "create":
            _create(ctx, draft)
        else:
            target = _target(ctx, draft.name)
            if target is None:
                ctx.drop("entity", draft.name, "no existing entity has this name to update")
                continue
            _update(ctx, target, draft)


def _copy(by_key):
    from collections import defaultdict

    out = defaultdict(list)
    for key, records in by_key.items():
        out[key] = list(records)
    return out


def _target(ctx: EntityContext, name: str) -> EntityRecord | None:
    matches = ctx.index.find(name)
    return matches[0] if matches else None


# -- 1. grounding -------------------------------------------------------------------


def _grounded(ctx: EntityContext, draft: EntityDraft) -> EntityDraft | None:
    grounds = ctx.grounds
    if draft.action == "create" and not grounds.has_name(draft.name):
        ctx.drop("entity", draft.name, "the name is not in the source (no invented entities)")
        return None
    changes: dict = {}
    if draft.status and not grounds.has_status(draft.status):
        ctx.drop("entity", draft.name, f"status '{draft.status}' is not what the source says")
        changes["status"] = None
    kept = {}
    for key, value in draft.fields.items():
        if key in PROTECTED:
            ctx.drop("entity", draft.name, f"field '{key}' is not set through fields")
        elif grounds.has(value):
            kept[key] = value
        else:
            ctx.drop("entity", draft.name, f"{key} '{_line(value, 80)}' is not in the source")
    changes["fields"] = kept
    changes["handles"] = [h for h in draft.handles if handle_key(h) and grounds.has(handle_key(h))]
    if len(changes["handles"]) < len(draft.handles):
        ctx.drop("entity", draft.name, "a handle is not in the source")
    if draft.website and not grounds.has(draft.website.rstrip("/")):
        ctx.drop("entity", draft.name, f"website '{_line(draft.website, 80)}' is not in the source")
        changes["website"] = ""
    if draft.parent and not grounds.has_name(draft.parent) and _target(ctx, draft.parent) is None:
        ctx.drop("entity", draft.name, f"parent '{draft.parent}' is neither in the source nor an entity")
        changes["parent"] = ""
    timeline = [entry for entry in draft.timeline if grounds.has(entry.date)]
    if len(timeline) < len(draft.timeline):
        ctx.drop("entity", draft.name, "a timeline date is not in the source")
    changes["timeline"] = timeline
    return draft.model_copy(update=changes)


# -- 2–4. creation -------------------------------------------------------------------


def _create(ctx: EntityContext, draft: EntityDraft) -> None:
    matches = ctx.index.find(draft.name, draft.handles, draft.website)
    if matches:
        _update(ctx, matches[0], draft.model_copy(update={"action": "update"}), found_as=draft.name)
        return
    why = insignificant(draft.name, draft.fields, entity_type=draft.entity_type or "", summary=draft.summary)
    if why or not draft.significance.strip():
        ctx.drop("entity", draft.name, f"not significant: {why or 'no reason given to track it'}")
        return
    slug = slugify(draft.name)
    path = f"{ENTITIES_FOLDER}/{ctx.domain}/{slug}.md"
    if not slug or _exists(ctx.vault, path) or path in ctx.files:
        ctx.drop("entity", draft.name, f"{path} is already another note")
        return
    if not ctx.inside(path, ctx.territory):
        ctx.drop("entity", draft.name, f"refused: {path} is outside {ctx.agent}'s territory")
        return
    parent = _target(ctx, draft.parent) if draft.parent else None
    if draft.entity_type == "decision_market" and parent is None:
        ctx.drop("entity", draft.name, f"a decision market needs its parent entity ('{draft.parent or 'none'}' is none)")
        return
    ctx.files[path] = render_entity(ctx, draft, slug, parent)
    ctx.created.append(path)
    record = EntityRecord(path=path, title=slug, name=draft.name, domain=ctx.domain,
                          entity_type=draft.entity_type or "", status=draft.status or "",
                          handles=tuple(draft.handles), urls=tuple(u for u in (draft.website,
                                                                                 draft.fields.get("proposal_url", "")) if u))
    ctx.index.add(record)
    if parent is not None:
        _update_parent(ctx, parent, draft, slug)


def _exists(vault, path: str) -> bool:
    exists = getattr(vault, "exists", None)
    return exists(path) if exists is not None else path in set(vault.markdown_paths())


def render_entity(ctx: EntityContext, draft: EntityDraft, slug: str, parent: EntityRecord | None) -> str:
    pairs: list[tuple[str, object]] = [
        ("type", "entity"), ("entity_type", draft.entity_type), ("name", _line(draft.name, 120)),
        ("domain", ctx.domain), ("status", draft.status or ("active" if draft.entity_type == "decision_market" else "emerging")),
        ("tracked_by", ctx.agent), ("created", ctx.today), ("last_updated", ctx.today),
    ]
    if draft.handles:
        pairs.append(("handles", [_line(h, 60) for h in draft.handles]))
    if draft.website:
        pairs.append(("website", _line(draft.website, 300)))
    if parent is not None:
        pairs.append(("parent_entity" if draft.entity_type == "decision_market" else "parent", f"[[{parent.title}]]"))
    fields = dict(draft.fields)
    if draft.summary and draft.entity_type == "decision_market":
        fields.setdefault("summary", draft.summary)
    for key in sorted(fields, key=lambda k: (FIELD_ORDER.index(k) if k in FIELD_ORDER else len(FIELD_ORDER), k)):
        pairs.append((key, _line(fields[key], 400)))
    head = "---\n" + "".join(dump_value(k, v) for k, v in pairs) + "---\n"
    parts = [f"# {_line(draft.name, 120)}"]
    overview = _line(draft.summary, 400) or _line(draft.significance, 400)
    parts.append("## Overview\n\n" + overview)
    if draft.significance.strip():
        parts.append("## Significance\n\n" + _line(draft.significance, 400))
    if draft.timeline:
        parts.append("## Timeline\n\n" + "\n".join(_timeline_line(e) for e in _dated(draft.timeline)))
    parts.append(ctx.provenance)
    if parent is not None:
        relation = "parent organisation" if draft.entity_type == "decision_market" else "parent"
        parts.append(f"---\n\nRelevant Entities:\n- [[{parent.title}]] \u2014 {relation}")
    return head + "\n" + "\n\n".join(parts) + "\n"


def _dated(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    return sorted(entries, key=lambda e: e.date)


def _timeline_line(entry: TimelineEntry) -> str:
    return f"- **{entry.date}** \u2014 {_line(entry.event, 300)}"


# -- 5. update -----------------------------------------------------------------------


def _update(ctx: EntityContext, record: EntityRecord, draft: EntityDraft, *, found_as: str = "") -> None:
    path = record.path
    if not ctx.inside(path, ctx.territory):
        ctx.drop("entity", draft.name, f"{path} matches but is outside {ctx.agent}'s territory (its tracker updates it)")
        return
    note = ctx.vault.note(path)
    if note.kind is not Kind.ENTITY:
        ctx.drop("entity", draft.name, f"{path} is not an entity")
        return
    before = ctx.files.get(path, note.doc.text)
    text = before
    data = parse_document(text).data or {}
    metrics = data.get("key_metrics") if isinstance(data.get("key_metrics"), dict) else {}
    changed_status = False
    current_status = str(data.get("status", "")).strip()
    if draft.status and current_status in _RESOLVED and record.entity_type == "decision_market" \
            and draft.status != current_status:
        ctx.drop("entity", draft.name, f"{path} resolved as {current_status}: a decision market's outcome is terminal "
                                       f"(the source's '{draft.status}' is older news)")
    elif draft.status and current_status != draft.status:
        text = _set(text, "status", draft.status)
        changed_status = True
    for key, value in draft.fields.items():
        current = data.get(key, metrics.get(key))
        if current is not None and (_same(str(current), value) or key in metrics):
            continue
        text = _set(text, key, _line(value, 400))
    handles = as_list(data.get("handles"))
    new_handles = [h for h in draft.handles if handle_key(h) not in {handle_key(x) for x in handles}]
    if new_handles:
        text = _set(text, "handles", [*handles, *[_line(h, 60) for h in new_handles]])
    if draft.website and not str(data.get("website") or "").strip():
        text = _set(text, "website", _line(draft.website, 300))
    home = record.folder_domain
    if home and home != ctx.domain:
        secondary = as_list(data.get("secondary_domains"))
        if ctx.domain not in secondary:
            text = _set(text, "secondary_domains", [*secondary, ctx.domain])
    if draft.timeline:
        text = add_timeline(text, [_timeline_line(e) for e in _dated(draft.timeline)], ctx.append_block)
    if text == before:
        ctx.drop("entity", draft.name, f"{path} already says all this (nothing to update)")
        return
    text = _set(text, "last_updated", ctx.today)
    ctx.files[path] = text
    if path not in ctx.created and path not in ctx.updated:
        ctx.updated.append(path)
    if found_as:
        ctx.drop("entity", found_as, f"not created: {path} is the same entity (updated instead)")
    if changed_status and draft.status in _RESOLVED and record.entity_type == "decision_market":
        parent = _parent_of(ctx, data)
        if parent is not None:
            _update_parent(ctx, parent, draft.model_copy(update={"entity_type": "decision_market"}), record.title,
                           resolved_only=True)


def _parent_of(ctx: EntityContext, data: dict) -> EntityRecord | None:
    for key in ("parent_entity", "parent"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return _target(ctx, value.strip().removeprefix("[[").removesuffix("]]"))
    return None


def _same(current: str, value: str) -> bool:
    """Equal once folded, or two amounts of the same value (`$750,000.00` = `750000`) — only when both
    are amounts: `[[p2p]]` and `[[p2p-protocol]]` both hold a 2 and are not the same."""
    if _fold(current) == _fold(value):
        return True
    if not (_NUMBER.fullmatch(current.strip()) and _NUMBER.fullmatch(value.strip())):
        return False
    a, b = _numbers(current), _numbers(value)
    return bool(a) and a == b


def _set(text: str, key: str, value: object) -> str:
    return set_field(parse_document(text), key, value)


# -- 6. the parent -------------------------------------------------------------------


def _update_parent(ctx: EntityContext, parent: EntityRecord, child: EntityDraft, slug: str, *,
                   resolved_only: bool = False) -> None:
    path = parent.path
    if not ctx.inside(path, ctx.territory):
        ctx.drop("entity", parent.name, f"the parent {path} is outside {ctx.agent}'s territory (not updated)")
        return
    note = ctx.vault.note(path) if path not in ctx.files else None
    before = ctx.files.get(path) or note.doc.text
    text = before
    market = child.entity_type == "decision_market"
    status = child.status or "active"
    date = child.fields.get("resolution_date" if resolved_only else "proposal_date") or (
        child.timeline[0].date if child.timeline else "")
    if date:
        what = f"[[{slug}]] {status}" if market else f"[[{slug}]] tracked"
        summary = f": {_line(child.summary, 200)}" if child.summary and not resolved_only else ""
        text = add_timeline(text, [f"- **{date}** \u2014 {what}{summary}"], ctx.append_block)
    if not resolved_only:
        text = add_relevant_entity(text, f"- [[{slug}]] \u2014 {'decision market' if market else 'child entity'}")
        if market:
            cells = {
                "date": child.fields.get("proposal_date", ""), "proposal": f"[[{slug}]]",
                "proposer": child.fields.get("proposer", ""), "category": child.fields.get("category", "").capitalize(),
                "volume": child.fields.get("total_committed") or child.fields.get("market_volume") or "",
                "outcome": status.capitalize(),
            }
            text = add_key_decision(text, cells, slug, ctx.append_block)
    if text != before:
        text = _set(text, "last_updated", ctx.today)
        ctx.files[path] = text
        if path not in ctx.created and path not in ctx.updated:
            ctx.updated.append(path)


def _cell(text: str) -> str:
    return _line(text, 60).replace("|", "/") if not text.startswith("[[") else text


# -- body edits ----------------------------------------------------------------------


def _split(text: str) -> tuple[str, str]:
    doc = parse_document(text)
    return text[:len(text) - len(doc.body)], doc.body


def _section_end(body: str, start: int) -> int:
    """Where the section starting at `start` (after its heading line) ends: the next heading or rule."""
    match = re.compile(r"^(?:#{1,2}\s|-{3,}\s*$|\*{0,2}Relevant (?:Entities|Notes)|Topics\s*:)", re.MULTILINE).search(
        body, start)
    return match.start() if match else len(body)


_LIST_ITEM = re.compile(r"^[ \t]*[-*+][ \t]", re.MULTILINE)
_TABLE_ROW = re.compile(r"^[ \t]*\|", re.MULTILINE)


def _insert_in_section(text: str, heading: re.Pattern, lines: list[str], create: str,
                       append_block: Callable[[str, str], str], *, item: re.Pattern = _LIST_ITEM,
                       attached: bool = False) -> str:
    """`lines` after the last `item` line of the section under `heading` (a list's last entry, a
    table's last row — not after a line that follows the list, such as a provenance line), else at the
    section's end; the section made from `create` when missing (`attached`: the lines right under it,
    as a table's rows must be)."""
    head, body = _split(text)
    match = heading.search(body)
    if match is None:
        return append_block(text, create + ("\n" if attached else "\n\n") + "\n".join(lines))
    end = _section_end(body, match.end())
    items = list(item.finditer(body, match.end(), end))
    if items:
        cut = body.find("\n", items[-1].start(), end)
        cut = end if cut == -1 else cut
        if cut < end or body[cut - 1:cut] == "\n":
            return head + body[:cut] + "\n" + "\n".join(lines) + body[cut:]
    section = body[match.end():end].rstrip()
    new = section + "\n" + "\n".join(lines) if section.strip() else "\n\n" + "\n".join(lines)
    return head + body[:match.end()] + new + "\n\n" + body[end:].lstrip("\n") if end < len(body) else \
        head + body[:match.end()] + new + "\n"


def add_timeline(text: str, lines: list[str], append_block: Callable[[str, str], str]) -> str:
    """`lines` appended to the `## Timeline` section (created before the link block when missing);
    a line whose text the section already holds is not repeated."""
    _, body = _split(text)
    match = _TIMELINE.search(body)
    held = _fold(body[match.end():_section_end(body, match.end())]) if match else ""
    lines = [line for line in lines if _fold(line) not in held]
    return _insert_in_section(text, _TIMELINE, lines, "## Timeline", append_block) if lines else text


def add_key_decision(text: str, cells: dict[str, str], slug: str, append_block: Callable[[str, str], str]) -> str:
    """A row in the `## Key Decisions` table, filled by its header's column names (date, proposal,
    proposer, volume, category, outcome; an unknown column left empty) — the table made when
    missing — unless the section already lists `[[slug]]`."""
    _, body = _split(text)
    match = _KEY_DECISIONS.search(body)
    columns = ["Date", "Proposal", "Proposer", "Volume", "Outcome"]
    if match:
        section = body[match.end():_section_end(body, match.end())]
        if f"[[{slug}]]" in section:
            return text
        header = next((line for line in section.splitlines() if line.strip().startswith("|")), "")
        if header:
            columns = [c.strip() for c in header.strip().strip("|").split("|")]
    row = "| " + " | ".join(_cell(cells.get(c.casefold(), "")) for c in columns) + " |"
    table = ("## Key Decisions\n\n| " + " | ".join(columns) + " |\n|" + "|".join("-" * (len(c) + 2) for c in columns)
             + "|")
    return _insert_in_section(text, _KEY_DECISIONS, [row], table, append_block, item=_TABLE_ROW, attached=True)


def add_relevant_entity(text: str, line: str) -> str:
    """`line` under `Relevant Entities:` (the list made at the end, after a `---`, when missing)."""
    head, body = _split(text)
    slug = re.search(r"\[\[[^\]]+\]\]", line)
    match = _RELEVANT.search(body)
    if slug and match and slug.group(0) in body[match.end():]:
        return text
    if match is None:
        tail = body.rstrip()  # no list yet: one at the end, after a `---` unless a link block is already there
        rule = "" if re.search(r"^-{3,}\s*$", tail, re.MULTILINE) and re.search(
            r"^(?:\*{0,2}Relevant Notes|Topics)", tail[tail.rfind("\n---"):] if "\n---" in tail else "",
            re.MULTILINE) else "---\n\n"
        return head + tail + "\n\n" + rule + "Relevant Entities:\n" + line + "\n"
    rest = body[match.end():]
    items = re.match(r"(?:\n[ \t]*[-*+][^\n]*)*", rest)
    cut = match.end() + (items.end() if items else 0)
    return head + body[:cut] + "\n" + line + body[cut:]


def entity_title(path: str) -> str:
    return PurePosixPath(path).stem
