"""`format: data` sources (futardio-style launches and proposals) → entity updates, with no model.

`data_fields(note)` reads a data page's fields: its frontmatter keys that are not the source
schema's own (a connector may write `project:`, `proposal_status:` …), then the `- Key: value`
lines of its `## Launch Details`, `## Proposal Details`, `## Raw Data` and `## Links` sections
(keys snake_cased: `Funding target` → `funding_target`; backticks dropped). The frontmatter wins.

`entities_from_data(request)` maps them, deterministically, onto the extraction contract
(reference §4.10, `schemas/entity.md`):

- **a proposal** (`event_type: proposal`, or a `proposal` field) of a project the vault tracks →
  a `decision_market` entity `<Project>: <Proposal>` (status from the data: Passed → passed,
  Failed → failed, else active; `proposal_date` = Created, `resolution_date` = Completed/Ended when
  resolved; proposer, proposal URL, platform, category, summary) — its parent's Relevant Entities,
  Key Decisions row and timeline are the writer's (`entity_writer`). One that is not significant
  (a test, an unnamed project) → only a timeline line on the parent; one already tracked (same
  proposal URL or name) → an update of its status and resolution date. No claims: a novel
  mechanism is a judgement this mapping cannot make (the LLM path may add claims).
- **a launch** (`event_type: launch`, or a `funding_target` field) → the project as a `company`
  (parent the platform's entity when tracked; status Complete → active, Live/Initialized →
  emerging, Refunding/Failed → inactive; website and X handle from its Links; launch date,
  funding target, total committed, final raise) and its raise as a `decision_market`
  `<Project>: Futardio Fundraise` (Complete → passed, Refunding/Failed → failed, else active).
  An existing project is updated (a timeline line, its metrics) instead.

Every value is copied from the fields; the writer checks each against the source again.
"""

from __future__ import annotations

import re

from teleo.contract.extraction import EntityDraft, ExtractionResult, SourceUpdate, TimelineEntry
from teleo.contract.request import ExtractionRequest, KnownEntity
from teleo.gates.entities import handle_key, insignificant, insignificant_name, name_key, url_key
from teleo.notes import Note
from teleo.notes.sections import HEADING, section_end

DATA_SECTIONS = ("launch details", "proposal details", "raw data", "links")
SOURCE_OWN_FIELDS = frozenset({
    "type", "title", "author", "url", "date", "domain", "format", "status", "tags", "processed_by", "processed_date",
    "claims_extracted", "enrichments", "enrichments_applied", "extraction_model", "extraction_notes", "notes",
    "secondary_domains", "priority", "last_attempted", "null_result_reason", "entities_created", "entities_updated",
    "key_facts", "curator_notes", "extraction_hints", "linked_set", "contributor", "twitter_id", "event_type",
})
"""The source schema's fields (reference §2.4): never read as data of the page."""

_ITEM = re.compile(r"^\s*[-*]\s+([A-Za-z][A-Za-z0-9 /_()-]{0,40}?)\s*:\s*(.+?)\s*$")
_CATEGORY = re.compile(r"'category'\s*:\s*'([^']+)'")
_HANDLE_URL = re.compile(r"^https?://(?:www\.)?(?:x|twitter)\.com/([A-Za-z0-9_]{1,15})/?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

PROPOSAL_STATUS = {"passed": "passed", "failed": "failed", "active": "active", "pending": "active", "live": "active"}
LAUNCH_MARKET_STATUS = {"complete": "passed", "completed": "passed", "refunding": "failed", "failed": "failed",
                        "live": "active", "initialized": "active", "active": "active"}
LAUNCH_COMPANY_STATUS = {"complete": "active", "completed": "active", "refunding": "inactive", "failed": "inactive",
                         "live": "emerging", "initialized": "emerging", "active": "emerging"}
STATUS_TABLES = (PROPOSAL_STATUS, LAUNCH_MARKET_STATUS, LAUNCH_COMPANY_STATUS)
"""A data page's `Status` → the entity status it grounds (the writer accepts a status derived by these)."""


def snake(key: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", key.casefold()).strip("_")


def data_fields(note: Note) -> dict[str, str]:
    """The page's fields (see the module doc): frontmatter extras first, then its data sections."""
    fields: dict[str, str] = {}
    data = note.data if isinstance(note.data, dict) else {}
    for key, value in data.items():
        if isinstance(key, str) and key not in SOURCE_OWN_FIELDS and isinstance(value, (str, int, float)) \
                and not isinstance(value, bool) and str(value).strip():
            fields[snake(key)] = str(value).strip()
    for heading, lines in _data_sections(note.doc.body):
        for line in lines:
            match = _ITEM.match(line)
            if match:
                key, value = snake(match.group(1)), match.group(2).strip().strip("`").strip()
                if heading == "links":
                    key = {"website": "website", "twitter": "twitter", "x": "twitter"}.get(key, "")
                if key and value and key not in fields:
                    fields[key] = value
    for key in ("url", "date", "event_type"):
        value = data.get(key)
        if isinstance(value, (str, int, float)) and str(value).strip() and key not in fields:
            fields[key] = str(value).strip()
    return fields


def _data_sections(body: str):
    """(heading, lines) of each level-2 data section of `body`."""
    lines = body.splitlines()
    for index, line in enumerate(lines):
        match = HEADING.match(line)
        if match and len(match.group(1)) == 2 and match.group(2).strip().casefold() in DATA_SECTIONS:
            yield match.group(2).strip().casefold(), lines[index + 1:section_end(lines, index, 2)]


def is_data_source(note: Note) -> bool:
    value = note.data.get("format") if isinstance(note.data, dict) else None
    return isinstance(value, str) and value.strip().casefold() == "data"


# -- the mapping -------------------------------------------------------------------


def entities_from_data(request: ExtractionRequest) -> ExtractionResult:
    """The entity updates and creations of a data page (see the module doc); a null result says why."""
    fields = request.source_fields
    kind = (fields.get("event_type") or "").casefold()
    if kind == "proposal" or ("proposal" in fields and kind != "launch"):
        drafts, notes = _proposal(request, fields)
    elif kind == "launch" or "funding_target" in fields:
        drafts, notes = _launch(request, fields)
    else:
        drafts, notes = [], "a data page that is neither a launch nor a proposal (no event_type, proposal or funding_target)"
    facts = [f"{k.replace('_', ' ')}: {v}" for k, v in fields.items()
             if k in ("project", "proposal", "status", "funding_target", "total_committed", "final_raise", "created",
                      "completed", "launch_date", "closed")][:10]
    summary = f"offline data mapping: {notes}" if notes else "offline data mapping"
    return ExtractionResult(entities=drafts, source_update=SourceUpdate(key_facts=facts, notes=summary[:2000]))


def _known(request: ExtractionRequest, name: str = "", url: str = "") -> KnownEntity | None:
    key, link = name_key(name), url_key(url)
    for entity in request.entities:
        if key and key in {name_key(n) for n in (entity.name, entity.title, *entity.aliases)}:
            return entity
    for entity in request.entities:
        if link and link in {url_key(u) for u in entity.urls}:
            return entity
    return None


def _date(value: str | None) -> str:
    text = (value or "").strip()[:10]
    return text if _DATE.match(text) else ""


def _category(fields: dict[str, str]) -> str:
    match = _CATEGORY.search(fields.get("categories", ""))
    return match.group(1).strip().casefold() if match else ""


def _summary(fields: dict[str, str]) -> str:
    text = " ".join(fields.get("description", "").split())
    return text if len(text) <= 300 else text[:300].rsplit(" ", 1)[0] + "…"


def _proposal(request: ExtractionRequest, fields: dict[str, str]) -> tuple[list[EntityDraft], str]:
    project = fields.get("project", "").strip()
    proposal = fields.get("proposal", "").strip() or request.source_title.split(":", 1)[-1].strip()
    status = PROPOSAL_STATUS.get(fields.get("status", "").casefold(), "")
    created = _date(fields.get("created")) or _date(fields.get("date"))
    resolved = _date(fields.get("completed")) or _date(fields.get("ended")) if status in ("passed", "failed") else ""
    parent = _known(request, project)
    url = fields.get("url", "")
    if project and proposal.casefold().startswith(project.casefold() + " "):
        proposal = proposal[len(project):].strip(" :-\u2013\u2014")  # `Drift: Drift Futarchy…` → `Drift: Futarchy…`
    name = f"{project}: {proposal}"
    if not project or insignificant_name(project):
        return [], f"the proposal's project ('{project or 'none'}') is not a named entity"
    if parent is None:
        return [], f"the proposal's project '{project}' is not an entity of the vault (create it first)"
    existing = _known(request, name, url)
    values = {"proposal_date": created, "resolution_date": resolved}
    if existing is not None:
        update = EntityDraft(action="update", name=existing.title, status=status or None,
                             fields={k: v for k, v in values.items() if v})
        return [update], f"the proposal is tracked as {existing.path}: its status and dates"
    why = insignificant(name, values, entity_type="decision_market")
    line = TimelineEntry(date=created, event=f"Proposal \u201c{proposal[:200]}\u201d {status or 'proposed'}") if created else None
    if why:
        if line is None:
            return [], f"not significant ({why}) and undated: nothing to record"
        return [EntityDraft(action="update", name=parent.title, timeline=[line])], \
            f"not significant ({why}): a timeline line on {parent.title}"
    market = EntityDraft(
        action="create", name=name, entity_type="decision_market", status=status or "active", parent=parent.title,
        fields={k: v for k, v in {
            **values, "platform": "futardio" if "futard" in url.casefold() else "",
            "proposer": fields.get("proposer", ""), "proposal_url": url, "category": _category(fields),
        }.items() if v},
        summary=_summary(fields),
        significance=f"a {project} governance decision settled by a conditional market",
    )
    return [market], f"a decision market of {parent.title} (its parent gets the timeline line and Key Decisions row)"


def _launch(request: ExtractionRequest, fields: dict[str, str]) -> tuple[list[EntityDraft], str]:
    project = fields.get("project", "").strip()
    if not project or insignificant_name(project):
        return [], f"the launch's project ('{project or 'none'}') is not a named entity"
    raw_status = fields.get("status", "").casefold()
    launched = _date(fields.get("launch_date")) or _date(fields.get("date"))
    closed = _date(fields.get("closed")) or _date(fields.get("completed"))
    url = fields.get("url", "")
    metrics = {k: fields[v] for k, v in (("funding_target", "funding_target"), ("total_committed", "total_committed"),
                                         ("amount_raised", "final_raise")) if fields.get(v)}
    website = fields.get("website", "") if url_key(fields.get("website", "")) else ""
    handle = _HANDLE_URL.match(fields.get("twitter", "").strip())
    handles = [f"@{handle.group(1)}"] if handle and handle_key(handle.group(1)) else []
    platform = _known(request, "futardio") if "futard" in url.casefold() else None
    company = _known(request, project) or _known(request, "", website)
    outcome = fields.get("status", "")
    events = []
    if launched:
        target = f" seeking {metrics['funding_target']}" if "funding_target" in metrics else ""
        events.append(TimelineEntry(date=launched, event=f"Launched a futarchy-governed raise on Futardio{target}"))
    if closed and raw_status in LAUNCH_MARKET_STATUS and LAUNCH_MARKET_STATUS[raw_status] != "active":
        committed = f": {metrics['total_committed']} committed" if "total_committed" in metrics else ""
        events.append(TimelineEntry(date=closed, event=f"Raise closed, status {outcome}{committed}"))
    drafts = []
    if company is not None:
        drafts.append(EntityDraft(action="update", name=company.title, timeline=events, fields=metrics,
                                  handles=handles, website=website))
        parent_name = company.title
    else:
        drafts.append(EntityDraft(
            action="create", name=project, entity_type="company",
            status=LAUNCH_COMPANY_STATUS.get(raw_status), handles=handles, website=website,
            parent=platform.title if platform is not None else "",
            fields={**metrics, **({"launch_date": launched} if launched else {})},
            summary=_summary(fields), timeline=events,
            significance=f"a project that raised through a futarchy-governed launch ({outcome or 'status unknown'})",
        ))
        parent_name = project
    market_name = f"{project}: Futardio Fundraise"
    existing = _known(request, market_name, url)
    status = LAUNCH_MARKET_STATUS.get(raw_status)
    dates = {"proposal_date": launched, "resolution_date": closed if status in ("passed", "failed") else ""}
    if existing is not None:
        drafts.append(EntityDraft(action="update", name=existing.title, status=status,
                                  fields={k: v for k, v in {**dates, **metrics}.items() if v}))
    elif launched:
        drafts.insert(1, EntityDraft(
            action="create", name=market_name, entity_type="decision_market", status=status or "active",
            parent=parent_name,
            fields={k: v for k, v in {**dates, **metrics, "platform": "futardio", "proposal_url": url,
                                      "category": "fundraise"}.items() if v},
            summary=_summary(fields), significance=f"{project}'s raise: capital committed by the market",
        ))
    return drafts, f"the launch of {project} ({outcome or 'status unknown'})"
