"""Gates 18, 19 and 25 of reference §5: belief grounding, position criteria and counts, staleness.

- `belief-grounding`: a belief cites enough claims for its level (axiom 5, belief 3, hypothesis 1);
  in an agent's aggregate `beliefs.md` every `### N. statement` section needs ≥3 grounding claims;
- `position-criteria`: invalidation criteria (field, or "Invalidates if" under Performance Criteria);
- `position-active-count`: at most `max_active_positions` active/adopted positions per agent;
- `stale`: musing seeds, sectors and entities not touched within their thresholds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from teleo.gates.findings import Severity
from teleo.gates.registry import note_rule, vault_rule
from teleo.gates.rules.values import non_empty
from teleo.notes import Kind
from teleo.notes.beliefs import belief_sections, grounding_lines
from teleo.notes.sections import HEADING, section_end

# -- shared helpers --------------------------------------------------------------

_BRACKETS = re.compile(r"^\[\[(.+?)\]\]$")


def _text(value) -> str | None:
    if value is None or isinstance(value, (list, dict, tuple, bool)):
        return None
    text = str(value).strip()
    return text or None


def _entries(value) -> list[str]:
    """A list-ish frontmatter value as non-blank strings (`[[x]]` unquoted nests lists in YAML)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    found = []
    for item in items:
        while isinstance(item, (list, tuple)) and len(item) == 1:
            item = item[0]
        text = _text(item)
        if text:
            found.append(text)
    return found


def _has(value) -> bool:
    """A field with content: a non-blank scalar, or a list/mapping holding one."""
    return non_empty(value)


def _link_target(entry: str) -> str:
    """`"[[title|alias]]"` or `title` → `title`."""
    text = entry.strip().strip("\"'")
    match = _BRACKETS.match(text)
    if match:
        text = match.group(1)
    text = text.split("|", 1)[0].split("#", 1)[0] if not text.startswith("#") else text
    return text.strip()


def _body_lines(note) -> list[str]:
    return note.doc.body.splitlines()






def _grounding_paths(ctx, note, file_lines: frozenset[int], allowed: frozenset[Kind], extra: list[str] = ()) -> set[str]:
    """Distinct notes of `allowed` kinds reached by body links on `file_lines` and by `extra` targets."""
    targets = [link.target for link in ctx.links(note) if not link.in_frontmatter and link.line in file_lines]
    targets.extend(extra)
    found = set()
    for target in targets:
        path = ctx.resolve(note, target).path
        if path is None or path == note.path:
            continue
        if ctx.kind_of(path) in allowed:
            found.add(path)
    return found


# -- belief-grounding ------------------------------------------------------------

MIN_GROUNDING = {"axiom": 5, "belief": 3, "hypothesis": 1, "unconvinced": 0}
_CLAIM_KINDS = frozenset({Kind.CLAIM, Kind.CONVICTION})
_CLAIM_OR_SOURCE = frozenset({Kind.CLAIM, Kind.CONVICTION, Kind.SOURCE})


@note_rule(
    "belief-grounding", Severity.WARNING,
    "beliefs cite enough claims for their level (axiom 5, belief 3, hypothesis 1)", [Kind.BELIEF, Kind.BELIEFS_DOC],
)
def belief_grounding(ctx, note):
    if note.kind == Kind.BELIEFS_DOC:
        yield from _aggregate_beliefs(ctx, note)
        return
    raw_level = _text(note.data.get("level"))
    level = raw_level.lower() if raw_level and raw_level.lower() in MIN_GROUNDING else "belief"
    minimum = MIN_GROUNDING[level]
    if minimum == 0:
        return
    depends = [_link_target(e) for e in _entries(note.data.get("depends_on"))]
    allowed = _CLAIM_OR_SOURCE if level == "hypothesis" else _CLAIM_KINDS
    found = _grounding_paths(ctx, note, grounding_lines(note.doc), allowed, [d for d in depends if d])
    if len(found) < minimum:
        what = "claims or sources" if level == "hypothesis" else "claims"
        line = note.doc.line_of("depends_on" if "depends_on" in note.data else "level")
        yield ctx.finding(
            "belief-grounding", note, line,
            f"{level} is grounded in {len(found)} resolving {what} (depends_on + Grounding section); "
            f"a {level} needs at least {minimum}",
            field="depends_on",
            suggestion=f"link at least {minimum - len(found)} more supporting {what} in depends_on or '## Grounding'"
            + (", or lower the level" if level in ("axiom", "belief") else ""),
        )


def _aggregate_beliefs(ctx, note):
    """`agents/<name>/beliefs.md`: each `### N. statement` needs a **Grounding:** block of ≥3 claims."""
    minimum = MIN_GROUNDING["belief"]
    for section in belief_sections(note.doc, note.folder):
        heading_line = section.line
        label = f"belief {section.number} ('{_clip(section.heading)}')"
        if not section.has_grounding:
            yield ctx.finding(
                "belief-grounding", note, heading_line, f"{label} has no **Grounding:** list of supporting claims",
                suggestion=f"add '**Grounding:**' with at least {minimum} [[claim]] links",
            )
            continue
        found = _grounding_paths(ctx, note, section.grounding_lines, _CLAIM_KINDS)
        if len(found) < minimum:
            yield ctx.finding(
                "belief-grounding", note, heading_line,
                f"{label} is grounded in {len(found)} resolving claims; a belief needs at least {minimum}",
                suggestion=f"add {minimum - len(found)} more [[claim]] links under **Grounding:** "
                "(or fix the unresolved ones)",
            )


def _clip(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- position-criteria -----------------------------------------------------------

_PERFORMANCE_HEADING = re.compile(r"^performance criteria\b", re.IGNORECASE)
_INVALIDATION_HEADING = re.compile(r"^invalidat", re.IGNORECASE)
_TIME_HORIZON = re.compile(r"\btime horizon\b", re.IGNORECASE)
_INVALIDATES = re.compile(r"\binvalidat", re.IGNORECASE)


@note_rule(
    "position-criteria", Severity.WARNING,
    "positions say what would invalidate them (presence of the other required fields is schema-required's job)",
    [Kind.POSITION],
)
def position_criteria(ctx, note):
    data = note.data
    lines = _body_lines(note)
    performance_text = ""
    invalidation_section = False
    for index, line in enumerate(lines):
        heading = HEADING.match(line)
        if not heading:
            continue
        if _PERFORMANCE_HEADING.match(heading.group(2)):
            end = section_end(lines, index, len(heading.group(1)))
            performance_text += "\n".join(lines[index + 1 : end])
        elif _INVALIDATION_HEADING.match(heading.group(2)):
            invalidation_section = True
    if not (
        _has(data.get("invalidation_criteria")) or _INVALIDATES.search(performance_text) or invalidation_section
    ):
        yield ctx.finding(
            "position-criteria", note, note.doc.line_of("invalidation_criteria") if "invalidation_criteria" in data
            else (_heading_line(note, lines, _PERFORMANCE_HEADING) or note.doc.line_of("performance_criteria")),
            "position has no invalidation criteria (invalidation_criteria field or 'Invalidates if' under "
            "Performance Criteria)",
            field="invalidation_criteria",
            suggestion="say what outcome would prove the position wrong: '**Invalidates if:** …'",
        )


def _heading_line(note, lines: list[str], pattern: re.Pattern) -> int | None:
    for index, line in enumerate(lines):
        heading = HEADING.match(line)
        if heading and pattern.match(heading.group(2)):
            return note.doc.body_start_line + index
    return None


# -- position-active-count -------------------------------------------------------

_ACTIVE = ("active", "adopted")


def position_agent(note) -> str | None:
    """The agent a position belongs to: its `agent` field, else its `agents/<name>/` folder."""
    agent = _text(note.data.get("agent"))
    if agent:
        return agent.lower()
    parts = note.path.split("/")
    return parts[1].lower() if len(parts) > 2 and parts[0] == "agents" else None


def position_facts(ctx, note) -> tuple | None:
    """What `position-active-count` needs of a position: (status, agent, created, line of its status);
    gathered during the note pass, so the rule reads no position again."""
    if note.kind is not Kind.POSITION:
        return None
    return (_text(note.data.get("status")), position_agent(note), _text(note.data.get("created")) or "",
            note.doc.line_of("status"))


@vault_rule(
    "position-active-count", Severity.WARNING, "an agent holds at most max_active_positions active positions",
    gather=position_facts,
)
def active_positions(ctx):
    limit = ctx.config.thresholds.max_active_positions
    by_agent: dict[str, list] = defaultdict(list)
    for path, (status, agent, created, line) in _positions(ctx):
        if agent and status and status.lower() in _ACTIVE:
            by_agent[agent].append((created, path, line))
    for agent, positions in sorted(by_agent.items()):
        if len(positions) <= limit:
            continue
        positions.sort()  # by created, then path (paths are unique)
        for _, path, line in positions[limit:]:
            yield ctx.finding(
                "position-active-count", path, line,
                f"agent {agent} has {len(positions)} active/adopted positions, more than the {limit} allowed; "
                "this is one of the most recently created",
                field="status",
                suggestion="close a position (status: closed with its outcome) or keep this one as status: proposed",
            )


def _positions(ctx):
    """(path, `position_facts`) of every position: as the note pass gathered them, else read."""
    if ctx.kinds is not None:
        paths = [path for path, kind in ctx.kinds.items() if kind == Kind.POSITION.value]
        facts = [(ctx.gathered.get(path) or {}).get("position-active-count") for path in paths]
        if all(fact is not None for fact in facts):
            return list(zip(paths, facts))
    return [(note.path, position_facts(ctx, note)) for note in ctx.notes_of(Kind.POSITION)]


# -- stale -----------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?")


def parse_date(value) -> dt.date | None:
    """A frontmatter date; `00` month/day count as `01`; None when unparseable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    match = _DATE.match(str(value).strip())
    if match is None:
        return None
    year, month, day = int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
    try:
        return dt.date(year, max(month, 1), max(day, 1))
    except ValueError:
        return None


_STALE_FIELDS = {
    Kind.MUSING: ("updated", "created"),
    Kind.SECTOR: ("last_updated", "created"),
    Kind.ENTITY: ("last_updated", "created"),
}


@note_rule(
    "stale", Severity.INFO, "musing seeds, sectors and entities are revisited within their thresholds",
    [Kind.MUSING, Kind.SECTOR, Kind.ENTITY],
)
def stale(ctx, note):
    thresholds = ctx.config.thresholds
    if note.kind == Kind.MUSING:
        status = _text(note.data.get("status"))
        if status is None or status.lower() != "seed":
            return
        limit, what = thresholds.stale_musing_days, "musing seed"
    elif note.kind == Kind.SECTOR:
        limit, what = thresholds.stale_sector_days, "sector"
    else:
        limit, what = thresholds.stale_entity_days, "entity"
    latest: tuple[dt.date, str] | None = None
    for key in _STALE_FIELDS[note.kind]:
        date = parse_date(note.data.get(key))
        if date is not None and (latest is None or date > latest[0]):
            latest = (date, key)
    if latest is None:
        return
    date, key = latest
    age = (ctx.today - date).days
    if age <= limit:
        return
    action = {
        "musing seed": "develop it, extract it into claims, or archive it (status: developing / move to done/)",
        "sector": "review the sector thesis and player map, then set last_updated",
        "entity": "check the entity for news, append to its Timeline, then set last_updated",
    }[what]
    yield ctx.finding(
        "stale", note, note.doc.line_of(key),
        f"{what} last touched {date.isoformat()} ({key}), {age} days ago; stale after {limit} days",
        field=key, suggestion=action,
    )
