"""The writer: an extraction result becomes the texts of a proposal — nothing is written to disk here.

`build_proposal(vault, source, result, …)` is a pure function of the vault as
it is (a `TreeVault` of `main`'s tip in the job), the source note, the
validated `ExtractionResult`, the source text it was grounded in, and the
names of agent, domain, provider and model. It returns `ProposalFiles`: each
touched vault-relative path with its full new text, the titles of the new
claims and of the enriched ones, and every item dropped with the reason.

Everything in `result` is untrusted (model output over web text), so:

- **grounding** — every quote is re-found in the source by code
  (`teleo.extract.grounding.ground`). A claim with *any* ungrounded quote is
  dropped (a model that invents one quote makes the claim suspect); so is an
  enrichment whose quote is ungrounded. The evidence written is the passage
  of the source the quote matched, with its file line, not the model's copy;
- **titles** become file names through `safe_title`: NFKC, control and
  format characters removed, `/ \\ : * ? " < > | [ ] # ^ { }` and backticks
  replaced, runs of dots collapsed (no `..`), no leading dot, dash or
  underscore, ≤ 200 characters and ≤ 240 UTF-8 bytes, at least 10
  characters; a title whose normalised form another note or another new
  claim already carries is not a new file: an existing *claim* with that
  title is enriched instead (it is the same proposition), anything else drops it;
- **dedupe** — `duplicates` (claim title → existing claim title, computed by
  the job with `teleo.extract.dedupe`) turns a candidate into an enrichment
  of the claim it restates; a candidate restating a claim outside the
  territory is dropped (neither duplicated nor enriched), and one whose
  "duplicate" is not in the tree (a stale index) is judged on its own;
- **paths** — every path written must lie inside the agent's territory
  (`config.territory(agent)`); a claim or enrichment outside it is refused
  (dropped with the reason), and a source outside it makes the whole
  proposal impossible (`WriteRefused`);
- **links** — new claims link only to notes that resolve (existing claims or
  the proposal's own new claims, never musings): `Relevant Notes` lists them
  with their relation, `Topics` the domain folder's `_map` when it exists.
  Model and source text is made inert by `teleo.notes.untrusted` (controls
  and invisible characters removed, `[[x]]` written `[ [x] ]`, an HTML tag
  opener `<x` written `&lt;x`): Teleo never writes a broken link and never a
  live tag;
- **enrichment targets** must resolve to an existing claim (kind `claim`)
  inside the territory.

**Claim layout** (reference §2.2–2.3): frontmatter `type, domain,
description, confidence, source ("<author>, <title>" of the source), created`
— the schema's fields only; provenance is the body's footer line and the
commit. Body: `# title`, the argument, `## Evidence` (each grounded passage as
a blockquote, then `(from [[source]], line N)`), `## Challenges` when the
draft has any, the provenance line `*Source: [[source]] | Added: … |
Extractor: …*`, then `---`, `Relevant Notes:` and `Topics:` when there are links.

**Enrichment blocks** use the reference §2.3 form —
`### Additional Evidence (confirm)` / `*Source: [[source]] | Added: YYYY-MM-DD
| Extractor: <model>*` / blank / paragraph — followed by the grounded passage
as a blockquote with its line. A block goes *before* the note's trailing
`---` + `Relevant Notes:`/`Topics:` link block when it has one (so it stays
part of the argument, as later reference runs did), else at the end of the
file; never inside the frontmatter, which is not edited at all.

**Source update** (reference §2.4) through `set_field` (only those lines
change): `status` (`processed`, or `null-result` for a null result),
`processed_by`, `processed_date`, `claims_extracted` (titles),
`enrichments` (titles), `extraction_model`; `notes` for a null result (or
`extraction_notes` when the curator's `notes` field is already taken, and
for a processed source's remarks); then a `## Key Facts` list appended (new
facts added to an existing section).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from teleo.extract.context import SourceText
from teleo.contract.extraction import ClaimDraft, DropKind, Dropped, EnrichmentDraft, ExtractionResult
from teleo.extract.grounding import Grounding, ground
from teleo.notes import Kind, Note, parse_document, set_field
from teleo.notes.document import dump_value
from teleo.notes.untrusted import clip, defuse_tags, inert, inert_line
from teleo.vault import Vault, normalise_title

MAX_TITLE_CHARS = 200
MAX_TITLE_BYTES = 240
"""`<title>.md` stays under the usual 255-byte name limit."""
MIN_TITLE_CHARS = 10
KEY_FACTS_HEADING = "## Key Facts"
_LINKABLE = frozenset({Kind.CLAIM, Kind.CONVICTION, Kind.ENTITY})


class WriteRefused(Exception):
    """The proposal cannot be written at all (the source itself is outside the territory, or not editable)."""


class ProposalFiles(BaseModel):
    """The texts of a proposal: vault-relative path → full new text, plus what was done and dropped."""

    files: dict[str, str] = Field(default_factory=dict)
    source_path: str
    status: Literal["processed", "null-result", "empty"]
    """`empty`: the extraction was not null but nothing valid remained (no files)."""
    created: list[str] = Field(default_factory=list)
    """Paths of the new claims."""
    enriched: list[str] = Field(default_factory=list)
    """Paths of the existing claims that received an enrichment block."""
    claims: list[str] = Field(default_factory=list)
    """Titles of the new claims."""
    enrichments: list[str] = Field(default_factory=list)
    """Titles of the enriched claims (once each)."""
    entities_created: list[str] = Field(default_factory=list)
    """Paths of the new entities (`extract.entity_writer`)."""
    entities_updated: list[str] = Field(default_factory=list)
    """Paths of the existing entities updated (timeline, metrics, status, a new child)."""
    dropped: list[Dropped] = Field(default_factory=list)


# -- text hygiene -------------------------------------------------------------------

_TITLE_UNSAFE = re.compile(r"[/\\*?\"<>|\[\]#^{}`~]")
_DOTS = re.compile(r"\.{2,}|\u2026")
_BODY_H1 = re.compile(r"^#(?=[ \t])", re.MULTILINE)
_RULE_LINE = re.compile(r"^[ \t]*(?:-[ \t]*){3,}$", re.MULTILINE)
_TAIL_LABEL = re.compile(
    r"^([ \t]*\*{0,2})(Relevant Notes|Related Notes|Related Claims|Topics)(\*{0,2}[ \t]*):", re.IGNORECASE | re.MULTILINE
)
_ANY_HEADING = re.compile(r"^(#+)", re.MULTILINE)


def one_line(text: str, limit: int = 1_000) -> str:
    """One line of model or source text for a field or a line of a note (`teleo.notes.untrusted`),
    HTML tag openers defused too."""
    return clip(defuse_tags(inert_line(text)), limit)


def safe_body(text: str) -> str:
    """A claim body: inert, its H1s demoted, no `---` rules or link-section labels that end the argument."""
    text = inert(text).strip("\n")
    text = _BODY_H1.sub("###", text)
    text = _RULE_LINE.sub("", text)
    text = _TAIL_LABEL.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)} \u2014", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def safe_paragraph(text: str) -> str:
    """A paragraph appended to an existing note: like `safe_body`, and no headings at all."""
    text = safe_body(text)
    return _ANY_HEADING.sub(lambda m: "\\" + m.group(1), text)


def blockquote(text: str) -> str:
    lines = safe_paragraph(text).split("\n")
    return "\n".join(f"> {line}".rstrip() for line in lines)


def safe_title(title: str) -> str | None:
    """A title that is also a safe file name, or None when nothing usable remains (see the module doc)."""
    text = unicodedata.normalize("NFKC", title)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co") else ch for ch in text)
    text = re.sub(r"\s*:\s*", " \u2014 ", text)
    text = _TITLE_UNSAFE.sub(" ", text)
    text = _DOTS.sub(" ", text)
    text = " ".join(text.split())
    text = re.sub(r"^[\s.\-_~\u2014,;]+", "", text)
    text = re.sub(r"[\s.\u2014,;]+$", "", text)
    if len(text) > MAX_TITLE_CHARS:
        text = text[:MAX_TITLE_CHARS].rsplit(" ", 1)[0]
    while len(text.encode("utf-8")) > MAX_TITLE_BYTES:
        shorter = text.rsplit(" ", 1)[0]
        text = shorter if shorter != text else text[:-1]
    text = re.sub(r"[\s.\u2014,;]+$", "", text)
    if len(text) < MIN_TITLE_CHARS or text.casefold() in ("_map", "readme", "index"):
        return None
    return text


def model_id(provider: str, model: str) -> str:
    """The extractor's id in provenance lines: `vendor/model` (as the reference writes it), or the one name."""
    model = one_line(model, 120) or one_line(provider, 60) or "unknown"
    provider = one_line(provider, 60)
    if "/" in model or not provider or provider == model:
        return model
    return f"{provider}/{model}"


def inside(path: str, territory: list[str]) -> bool:
    """`path` is a plain relative path under one of the territory folders."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in path or path != pure.as_posix():
        return False
    return any(path.startswith(folder.rstrip("/") + "/") for folder in territory if folder.strip("/"))


# -- the proposal -------------------------------------------------------------------


@dataclass
class _Quote:
    text: str
    """The passage of the source the quote matched (verbatim)."""
    line: int
    """Its file line."""


@dataclass
class _Enrichment:
    target: str
    type: str
    evidence: str
    quote: EnrichmentDraft | None
    origin: str
    quote_text: str = ""


@dataclass
class _State:
    vault: Vault
    source: Note
    text: SourceText
    territory: list[str]
    folder: str
    domain: str
    agent: str
    extractor: str
    today: str
    source_link: str
    files: dict[str, str] = field(default_factory=dict)
    dropped: list[Dropped] = field(default_factory=list)
    new_titles: dict[str, str] = field(default_factory=dict)
    """Normalised title → path of the new claims."""
    claims: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    enriched: list[str] = field(default_factory=list)
    enrichment_titles: list[str] = field(default_factory=list)
    entities_created: list[str] = field(default_factory=list)
    entities_updated: list[str] = field(default_factory=list)

    def drop(self, kind: DropKind, subject: str, reason: str) -> None:
        self.dropped.append(Dropped(kind=kind, subject=one_line(subject, 200), reason=reason))


def build_proposal(
    vault: Vault,
    source: Note,
    result: ExtractionResult,
    *,
    text: SourceText,
    agent: str,
    domain: str,
    provider: str,
    model: str,
    today: dt.date | str,
    duplicates: Mapping[str, str] | None = None,
) -> ProposalFiles:
    """The proposal's texts for `result` (see the module doc). Raises WriteRefused for an unwritable source."""
    config = vault.config
    territory = config.territory(agent)
    if not inside(source.path, territory):
        raise WriteRefused(f"the source {source.path} is outside {agent}'s territory ({', '.join(territory)})")
    if domain not in config.domains:
        raise WriteRefused(f"domain '{domain}' is not configured")
    folder = config.domains[domain].folder.strip("/")
    state = _State(
        vault=vault, source=source, text=text, territory=territory, folder=folder, domain=domain, agent=agent,
        extractor=model_id(provider, model), today=today if isinstance(today, str) else today.isoformat(),
        source_link=_source_link(vault, source.path, folder),
    )
    duplicates = dict(duplicates or {})
    pending: list[_Enrichment] = []
    drafts: list[tuple[ClaimDraft, str, list[_Quote]]] = []

    for claim in result.claims:
        quotes = _grounded(state, claim)
        if quotes is None:
            continue
        if claim.title in duplicates:
            restated = _restated(state, duplicates[claim.title])
            if restated is True:
                pending.append(_from_claim(claim, duplicates[claim.title], "restates", quotes[0]))
                continue
            if restated is not None:
                state.drop("claim", claim.title, restated)
                continue
            # the similar claim is not in the tree (a stale index): judge the candidate on its own
        title = safe_title(claim.title)
        if title is None:
            state.drop("claim", claim.title, "the title is not usable as a file name once sanitised")
            continue
        existing = vault.resolver.resolve(title, f"{folder}/x.md")
        if existing.unsafe:
            state.drop("claim", claim.title, "the title is not a safe file name")
            continue
        if existing.resolved:
            target = vault.note(existing.path)
            if target.kind is Kind.CLAIM:
                pending.append(_from_claim(claim, target.title, "carries the title of", quotes[0]))
            else:
                state.drop("claim", claim.title, f"the title is already used by {existing.path}")
            continue
        key = normalise_title(title)
        if key in state.new_titles:
            state.drop("claim", claim.title, "another new claim of this proposal has the same title")
            continue
        path = f"{folder}/{title}.md"
        if not inside(path, territory):
            state.drop("claim", claim.title, f"refused: {path} is outside {agent}'s territory")
            continue
        state.new_titles[key] = path
        drafts.append((claim, title, quotes))

    for claim, title, quotes in drafts:
        path = f"{folder}/{title}.md"
        state.files[path] = render_claim(state, claim, title, path, quotes)
        state.created.append(path)
        state.claims.append(title)

    for enrichment in result.enrichments:
        pending.append(_Enrichment(
            target=enrichment.target, type=enrichment.type, evidence=enrichment.evidence, quote=enrichment,
            origin="", quote_text=enrichment.quote.text,
        ))
    seen: set[tuple[str, str]] = set()
    for item in pending:
        _apply_enrichment(state, item, seen)
    _write_entities(state, result)

    if not state.created and not state.enriched and not state.entities_created and not state.entities_updated:
        if _entities_already_current(state, result):
            result = _already_current(state, result)
        elif not result.is_null:
            return ProposalFiles(source_path=source.path, status="empty", dropped=state.dropped)
        status: Literal["processed", "null-result"] = "null-result"
    else:
        status = "processed"
    state.files[source.path] = update_source(state, result, status)
    return ProposalFiles(
        files=state.files, source_path=source.path, status=status, created=state.created, enriched=state.enriched,
        claims=state.claims, enrichments=state.enrichment_titles, entities_created=state.entities_created,
        entities_updated=state.entities_updated, dropped=state.dropped,
    )


def _entities_already_current(state: _State, result: ExtractionResult) -> bool:
    """An answer of entities only, each already tracked with everything the source says: a null
    result (the source is done), not a failure to retry."""
    if result.claims or result.enrichments or not result.entities:
        return False
    entity_drops = [d for d in state.dropped if d.kind == "entity"]
    return bool(entity_drops) and all("nothing to update" in d.reason or "is terminal" in d.reason
                                      for d in entity_drops)


def _already_current(state: _State, result: ExtractionResult) -> ExtractionResult:
    said = "; ".join(f"{d.subject}: {d.reason}" for d in state.dropped if d.kind == "entity")
    notes = f"every entity of this source is already tracked with what it says ({said})"
    if result.source_update.notes.strip():
        notes = f"{result.source_update.notes.strip()} — {notes}"
    return result.model_copy(update={"entities": [], "source_update": result.source_update.model_copy(
        update={"notes": notes[:2000]})})


def _write_entities(state: _State, result: ExtractionResult) -> None:
    """The result's entity drafts as entity files (`teleo.extract.entity_writer`)."""
    if not result.entities:
        return
    from teleo.extract.data import data_fields, is_data_source
    from teleo.extract.entity_writer import EntityContext, write_entities

    ctx = EntityContext(
        vault=state.vault, source=state.source, files=state.files, agent=state.agent, domain=state.domain,
        territory=state.territory, today=state.today, provenance=_provenance(state),
        source_fields=data_fields(state.source) if is_data_source(state.source) else {}, inside=inside,
        drop=state.drop, append_block=append_block,
    )
    write_entities(ctx, result.entities)
    state.entities_created, state.entities_updated = ctx.created, ctx.updated


def _source_link(vault: Vault, source_path: str, folder: str) -> str:
    """`[[stem]]` when it leads to the source from the domain folder, else the path form."""
    stem = PurePosixPath(source_path).stem
    safe = "[" not in stem and "]" not in stem and "|" not in stem and "#" not in stem
    if safe and vault.resolver.resolve(stem, f"{folder}/x.md").path == source_path:
        return f"[[{stem}]]"
    bare = source_path.removesuffix(".md")
    if "[" in bare or "]" in bare or "|" in bare or "#" in bare:
        return f"`{one_line(source_path, 300)}`"
    return f"[[{bare}]]"


def _restated(state: _State, target: str) -> bool | str | None:
    """True when the restated claim can be enriched; a reason to drop the candidate; None when it is not there."""
    resolution = state.vault.resolver.resolve(target.strip(), f"{state.folder}/x.md")
    if resolution.unsafe or not resolution.resolved or resolution.path is None:
        return None
    if state.vault.note(resolution.path).kind is not Kind.CLAIM:
        return None
    if not inside(resolution.path, state.territory):
        return f"restates {resolution.path}, which is outside {state.agent}'s territory (not duplicated, not enriched)"
    return True


def _grounded(state: _State, claim: ClaimDraft) -> list[_Quote] | None:
    quotes = []
    for quote in claim.evidence:
        found = ground(quote.text, state.text.text)
        if not found.found:
            shown = one_line(quote.text, 80)
            state.drop("claim", claim.title, f"evidence quote not found in the source: \u201c{shown}\u201d")
            return None
        quotes.append(_passage(state, found))
    return quotes


def _passage(state: _State, found: Grounding) -> _Quote:
    return _Quote(found.matched(state.text.text), state.text.file_line(found.line or 1))


def _from_claim(claim: ClaimDraft, target: str, why: str, quote: _Quote) -> _Enrichment:
    from teleo.extract.offline import enrichment_type

    evidence = claim.body.strip() or claim.description
    if claim.description and claim.description not in evidence:
        evidence = f"{claim.description}\n\n{evidence}"
    return _Enrichment(
        target=target, type=enrichment_type(claim.title, target), evidence=evidence, quote=None,
        origin=f"candidate claim \u201c{one_line(claim.title, 120)}\u201d {why} it", quote_text=quote.text,
    )


def _apply_enrichment(state: _State, item: _Enrichment, seen: set[tuple[str, str]]) -> None:
    vault = state.vault
    subject = item.target
    found = ground(item.quote_text, state.text.text)
    if not found.found:
        state.drop("enrichment", subject, f"quote not found in the source: \u201c{one_line(item.quote_text, 80)}\u201d")
        return
    quote = _passage(state, found)
    resolution = vault.resolver.resolve(item.target.strip(), f"{state.folder}/x.md")
    if resolution.unsafe or not resolution.resolved:
        state.drop("enrichment", subject, "the target does not resolve to an existing claim")
        return
    path = resolution.path
    assert path is not None
    if path in state.created:
        state.drop("enrichment", subject, "the target is a claim created by this same proposal")
        return
    target = vault.note(path)
    if target.kind is not Kind.CLAIM or not target.readable:
        state.drop("enrichment", subject, f"the target {path} is not a claim")
        return
    if not inside(path, state.territory):
        state.drop("enrichment", subject, f"refused: {path} is outside {state.agent}'s territory")
        return
    key = (path, normalise_title(quote.text))
    if key in seen:
        state.drop("enrichment", subject, "the same quote already enriches this claim")
        return
    seen.add(key)
    current = state.files.get(path, target.doc.text)
    state.files[path] = append_block(current, render_enrichment(state, item, quote))
    if path not in state.enriched:
        state.enriched.append(path)
        state.enrichment_titles.append(target.title)


# -- rendering ----------------------------------------------------------------------


def _frontmatter(pairs: list[tuple[str, object]]) -> str:
    return "---\n" + "".join(dump_value(key, value) for key, value in pairs) + "---\n"


def source_attribution(source: Note) -> str:
    """`<author>, <title>` of the source (free text, as the claim schema wants)."""
    data = source.data
    author = data.get("author")
    title = data.get("title")
    parts = [one_line(str(v), 200) for v in (author, title) if isinstance(v, (str, int, float)) and str(v).strip()]
    return ", ".join(p for p in parts if p) or source.title


def render_claim(state: _State, claim: ClaimDraft, title: str, path: str, quotes: list[_Quote]) -> str:
    description = one_line(claim.description, 400)
    head = _frontmatter([
        ("type", "claim"),
        ("domain", state.domain),
        ("description", description),
        ("confidence", claim.confidence),
        ("source", source_attribution(state.source)),
        ("created", state.today),
    ])
    parts = [f"# {title}"]
    body = safe_body(claim.body)
    parts.append(body or description)
    evidence = ["## Evidence"]
    for quote in quotes:
        evidence.append(blockquote(quote.text))
        evidence.append(f"(from {state.source_link}, line {quote.line})")
    parts.append("\n\n".join(evidence))
    challenges = [one_line(c, 1_000) for c in claim.challenges if c.strip()]
    if challenges:
        parts.append("## Challenges\n\n" + "\n".join(f"- {c}" for c in challenges if c))
    parts.append(_provenance(state))
    links = _links(state, claim, path)
    topics = _topics(state)
    tail = []
    if links:
        tail.append("Relevant Notes:\n" + "\n".join(links))
    if topics:
        tail.append("Topics:\n" + "\n".join(topics))
    if tail:
        parts.append("---")
        parts.extend(tail)
    return head + "\n" + "\n\n".join(parts) + "\n"


def _provenance(state: _State) -> str:
    return f"*Source: {state.source_link} | Added: {state.today} | Extractor: {state.extractor}*"


def _links(state: _State, claim: ClaimDraft, path: str) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for related in claim.related:
        target = related.title.strip()
        resolved = _link_target(state, target, path)
        if resolved is None:
            state.drop("link", claim.title, f"[[{one_line(target, 120)}]] does not resolve to an existing claim")
            continue
        if resolved in seen or resolved == PurePosixPath(path).stem:
            continue
        seen.add(resolved)
        lines.append(f"- [[{resolved}]] \u2014 {related.relation}")
    return lines


def _link_target(state: _State, target: str, path: str) -> str | None:
    """The exact title to link for `target`, when it names an existing claim-like note or a new claim."""
    if not target or "[" in target or "]" in target or "|" in target or "\n" in target:
        return None
    new = state.new_titles.get(normalise_title(target))
    if new is not None:
        return PurePosixPath(new).stem
    resolution = state.vault.resolver.resolve(target, path)
    if resolution.unsafe or not resolution.resolved or resolution.ambiguous:
        return None
    found = resolution.path
    assert found is not None
    if "/musings/" in f"/{found}":
        return None
    note = state.vault.note(found)
    if note.kind not in _LINKABLE:
        return None
    stem = PurePosixPath(found).stem
    if "[" in stem or "]" in stem or "|" in stem or "#" in stem:
        return None
    # link by the exact title, unless the title alone would lead elsewhere from here
    if state.vault.resolver.resolve(stem, path).path == found:
        return stem
    return found[:-3]


def _topics(state: _State) -> list[str]:
    map_path = f"{state.folder}/_map.md"
    if state.vault.resolver.resolve(f"{state.folder}/_map", f"{state.folder}/x.md").path == map_path:
        return [f"- [[{state.folder}/_map]]"]
    return []


def render_enrichment(state: _State, item: _Enrichment, quote: _Quote) -> str:
    kind = item.type if item.type in ("extend", "confirm", "challenge") else "confirm"
    paragraph = safe_paragraph(item.evidence) or "(no paragraph given)"
    lines = [
        f"### Additional Evidence ({kind})",
        _provenance(state),
        "",
        paragraph,
        "",
        blockquote(quote.text),
        "",
        f"(from {state.source_link}, line {quote.line})",
    ]
    return "\n".join(lines)


_LINK_LINE = re.compile(r"^\s*(?:[-*+]\s+.*|\*{0,2}(?:Relevant Notes|Related Notes|Related Claims|Topics)\*{0,2}\s*:.*|)$", re.IGNORECASE)


def append_block(text: str, block: str) -> str:
    """`text` with `block` added after the body: before a trailing `---` link block, else at the end.

    The frontmatter is never touched: the search starts after it.
    """
    doc = parse_document(text)
    head_len = len(text) - len(doc.body)
    body = doc.body
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = body.split("\n")
    cut = None
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].rstrip("\r")
        if re.fullmatch(r"-{3,}\s*", line):
            tail = [t.rstrip("\r") for t in lines[index + 1:]]
            if any(t.strip() for t in tail) and all(_LINK_LINE.match(t) for t in tail) and any(
                re.match(r"^\*{0,2}(?:Relevant Notes|Related Notes|Related Claims|Topics)", t.strip(), re.IGNORECASE)
                for t in tail
            ):
                cut = index
            break
        if line.strip() and not _LINK_LINE.match(line):
            break
    block = block.replace("\n", eol)
    if cut is None:
        new_body = body.rstrip() + eol + eol + block + eol
    else:
        before = "\n".join(lines[:cut]).rstrip()
        after = "\n".join(lines[cut:])
        new_body = before + eol + eol + block + eol + eol + after
        if not new_body.endswith("\n"):
            new_body += eol
    if not body.strip():
        new_body = block + eol
    return text[:head_len] + new_body


# -- the source ---------------------------------------------------------------------


def update_source(state: _State, result: ExtractionResult, status: str) -> str:
    note = state.source
    doc = note.doc
    data = note.data
    notes = one_line(result.source_update.notes, 2_000)
    changes: list[tuple[str, object]] = [
        ("status", status),
        ("processed_by", state.agent),
        ("processed_date", state.today),
    ]
    if state.claims:
        changes.append(("claims_extracted", list(state.claims)))
    if state.enrichment_titles:
        changes.append(("enrichments", list(state.enrichment_titles)))
    if state.entities_created:
        changes.append(("entities_created", [PurePosixPath(p).stem for p in state.entities_created]))
    if state.entities_updated:
        changes.append(("entities_updated", [PurePosixPath(p).stem for p in state.entities_updated]))
    changes.append(("extraction_model", state.extractor))
    if notes:
        key = "notes" if status == "null-result" and _blank(data.get("notes")) else "extraction_notes"
        changes.append((key, notes))
    elif status == "null-result":
        changes.append(("extraction_notes", "the extractor returned no claims and gave no reason"))
    text = doc.text
    for key, value in changes:
        try:
            text = set_field(parse_document(text), key, value)
        except ValueError as exc:
            raise WriteRefused(f"{note.path}: {exc}") from None
    facts = [one_line(f, 300) for f in result.source_update.key_facts]
    facts = [f.replace("\n", " ") for f in facts if f]
    if facts:
        text = add_key_facts(text, facts)
    return text


def _blank(value) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def add_key_facts(text: str, facts: list[str]) -> str:
    """`## Key Facts` appended with `facts` (escaped), or the new ones added to an existing section."""
    eol = "\r\n" if "\r\n" in text else "\n"
    doc = parse_document(text)
    head_len = len(text) - len(doc.body)
    body = doc.body
    items = [f"- {_escape_item(f)}" for f in facts]
    match = re.search(r"^## Key Facts[ \t]*\r?$", body, re.MULTILINE)
    if match is None:
        return text.rstrip() + eol + eol + KEY_FACTS_HEADING + eol + eol + eol.join(items) + eol
    section_end = re.search(r"^#{1,2}[ \t]+\S", body[match.end():], re.MULTILINE)
    end = match.end() + section_end.start() if section_end else len(body)
    section = body[match.end():end]
    new = [item for item in items if item not in section]
    if not new:
        return text
    insert = section.rstrip() + eol + eol.join(new) + eol
    if section_end:
        insert += eol
    return text[:head_len] + body[:match.end()] + insert + body[end:]


def _escape_item(text: str) -> str:
    return text if not text.startswith(("#", ">", "-", "*", "+")) else "\\" + text
