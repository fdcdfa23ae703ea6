"""The files a contribution writes, built from the draft against main's tip (pure: texts, no git).

- **claim** → `<domain folder>/<title>.md`: the schema's fields, `source: <handle>, original
  analysis` unless given, and `attribution: {extractor: [{handle, context, date}]}` (reference §2.9);
  the body, then `Relevant Notes` (the related titles, resolved) and the domain's topic map.
- **challenge** with a counter-claim → a new claim as above whose attribution role is `challenger`,
  whose body opens by naming the claim it challenges (`[[original]]`) and whose Relevant Notes link
  it; the original is not touched.
- **challenge** without one → the original claim with a `challenged_by` entry and a `challenger`
  attribution entry added to its frontmatter (every other byte kept: `notes.set_field`) and a
  paragraph added to its `## Challenges` section (made when missing, before the `---` link block):
  nothing of the claim is removed or rewritten — `review.gates.contribution_scope` holds every
  proposal of the kind to that.
- **source** → `inbox/archive/<date>-<handle>-<slug>.md`, `status: unprocessed`, `contributor:
  <handle>`, the text neutralised as `teleo ingest` neutralises it.

Every piece of the draft is a person's text: titles go through `extract.writer.safe_title` (also a
safe file name), one-line fields through `one_line`, bodies through `safe_body`/`safe_paragraph` —
link syntax and HTML tags in them are defused, as in a model's text; the links a contribution makes
are the ones it names (`related`, the challenged claim), written by Teleo and checked by the links gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from teleo.contrib.models import ChallengeDraft, ClaimDraft, Contribution, SourceDraft
from teleo.extract.writer import append_block, one_line, safe_body, safe_paragraph, safe_title
from teleo.ingest.clean import clean_field, content_hash, neutralise_body
from teleo.ingest.names import ascii_slug, normalise_date, source_filename
from teleo.ingest.pipeline import ARCHIVE, render
from teleo.notes import Kind, parse_document, set_field
from teleo.notes.document import dump_value
from teleo.notes.sections import HEADING, RULE, section_end
from teleo.vault.tree import TreeVault

SOURCE_FORMATS_DEFAULT = "essay"
CONTEXT = "teleo contribute"


class DraftRefused(ValueError):
    """The draft cannot become files (unknown domain or claim, unusable title); the message says why."""


@dataclass
class DraftFiles:
    files: dict[str, str] = field(default_factory=dict)
    """Vault path → new text."""
    subject: str = ""
    """What the commit subject says after `contrib: `."""
    body: list[tuple[str, str]] = field(default_factory=list)
    """`- Key: value` lines of the commit message."""
    domain: str | None = None
    slug: str = ""


def build(base: TreeVault, item: Contribution, handle: str, today: str) -> DraftFiles:
    """The files of `item` by `handle` on the tree `base` (main's tip)."""
    if item.what == "claim":
        if item.claim is None:
            raise DraftRefused("a claim contribution needs a claim (title, domain, description)")
        return _claim(base, item.claim, handle, today, role="extractor", context=item.context)
    if item.what == "source":
        if item.source is None:
            raise DraftRefused("a source contribution needs a source (title, domain, text)")
        return _source(base, item.source, handle, today)
    if item.challenge is None:
        raise DraftRefused("a challenge needs the claim it challenges")
    return _challenge(base, item.challenge, handle, today, item.context)


# -- a claim ---------------------------------------------------------------------------------


def _claim(base: TreeVault, draft: ClaimDraft, handle: str, today: str, *, role: str, context: str | None,
           challenged: str | None = None) -> DraftFiles:
    config = base.config
    if not draft.domain or draft.domain not in config.domains:
        raise DraftRefused(f"unknown domain '{one_line(draft.domain or '', 60)}' (one of: {', '.join(sorted(config.domains))})")
    title = safe_title(draft.title)
    if title is None:
        raise DraftRefused(f"'{one_line(draft.title, 80)}' leaves no usable title (a proposition of a few words)")
    folder = config.domains[draft.domain].folder.strip("/")
    path = f"{folder}/{title}.md"
    if base.exists(path):
        raise DraftRefused(f"{path} exists already: challenge it (teleo contribute challenge) or enrich it instead")
    description = one_line(draft.description, 400)
    entry = {"handle": handle, "context": one_line(context or CONTEXT, 200), "date": today}
    head = "---\n" + "".join(dump_value(key, value) for key, value in [
        ("type", "claim"), ("domain", draft.domain), ("description", description), ("confidence", draft.confidence),
        ("source", one_line(draft.source, 300) if draft.source else f"{handle}, original analysis"),
        ("created", today),
    ]) + dump_value("attribution", {role: [entry]}, flow_lists=False) + "---\n"
    parts = [f"# {title}"]
    if challenged is not None:
        parts.append(f"This challenges [[{challenged}]].")
    parts.append(safe_body(draft.body) or description)
    links = _related(base, draft.related, path, challenged)
    topics = _topic(base, folder)
    tail = []
    if links:
        tail.append("Relevant Notes:\n" + "\n".join(links))
    if topics:
        tail.append("Topics:\n" + topics)
    if tail:
        parts += ["---", *tail]
    text = head + "\n" + "\n\n".join(parts) + "\n"
    what = "challenge" if challenged is not None else "propose claim"
    files = DraftFiles(files={path: text}, subject=f"{what} \u2014 {title}", domain=draft.domain,
                       slug=_slug(title))
    files.body = [("Contributor", handle), ("Domain", draft.domain), ("Claim", path)]
    return files


def _related(base: TreeVault, titles: list[str], path: str, challenged: str | None) -> list[str]:
    """`- [[title]]` for the challenged claim and each related title, as written (the links gate checks
    they resolve; a title that cannot be a link target is refused here)."""
    lines = [f"- [[{challenged}]] \u2014 challenged by this claim"] if challenged else []
    for title in titles:
        target = one_line(title, 250).strip()
        if not target:
            continue
        if any(mark in target for mark in ("[", "]", "|", "#")):
            raise DraftRefused(f"related '{target[:80]}': a title without [ ] | #")
        if f"[[{target}]]" not in "".join(lines):
            lines.append(f"- [[{target}]]")
    return lines


def _topic(base: TreeVault, folder: str) -> str:
    return f"- [[{folder}/_map]]" if base.exists(f"{folder}/_map.md") else ""


def _slug(title: str) -> str:
    slug = ascii_slug(title)[:60].rsplit("-", 1)[0] if len(ascii_slug(title)) > 60 else ascii_slug(title)
    return slug or "contribution"


# -- a challenge ------------------------------------------------------------------------------


def find_claim(base: TreeVault, target: str) -> str:
    """The path of the claim `target` names (a title, a path, with or without `.md`)."""
    name = one_line(target, 400).strip().removeprefix("[[").removesuffix("]]").strip()
    if not name:
        raise DraftRefused("name the claim to challenge (its title or path)")
    candidates = [name] if not name.endswith(".md") else [name, name[:-3]]
    for candidate in candidates:
        if base.exists(candidate) and candidate.endswith(".md"):
            path = candidate
            break
        found = base.resolver.resolve(candidate, "")
        if found.ambiguous:
            raise DraftRefused(f"'{name[:80]}' names several notes ({', '.join(found.candidates[:4])}): give its path")
        if found.resolved and not found.unsafe:
            path = found.path
            break
    else:
        raise DraftRefused(f"no claim '{name[:120]}' on main")
    assert path is not None
    if base.note(path).kind is not Kind.CLAIM:
        raise DraftRefused(f"{path} is not a claim ({base.note(path).kind.value}): only claims are challenged")
    return path


def _challenge(base: TreeVault, draft: ChallengeDraft, handle: str, today: str, context: str | None) -> DraftFiles:
    path = find_claim(base, draft.target)
    title = PurePosixPath(path).stem
    if draft.counter is not None:
        counter = draft.counter.model_copy()
        if not counter.domain:
            counter.domain = base.config.domain_of_folder(path.rpartition("/")[0])
        link = title if base.resolver.resolve(title, path).path == path else path[:-3]
        files = _claim(base, counter, handle, today, role="challenger",
                       context=context or f"counter-claim to [[{link}]]", challenged=link)
        files.body.append(("Challenges", path))
        return files
    argument = safe_paragraph(draft.text)
    if not argument.strip():
        raise DraftRefused("say why the claim does not hold (--text), or propose a counter-claim (--title …)")
    note = base.note(path)
    summary = one_line(draft.text, 240)
    text = note.doc.text
    listed = note.data.get("challenged_by")
    entries = list(listed) if isinstance(listed, list) else ([listed] if listed else [])
    entries.append(f"{handle} ({today}): {summary}")
    text = set_field(parse_document(text), "challenged_by", entries)
    text = _add_attribution(text, "challenger", {"handle": handle, "context": one_line(context or CONTEXT, 200),
                                                 "date": today})
    text = _add_to_challenges(text, f"**{handle}** ({today}): {argument}")
    domain = note.data.get("domain") if isinstance(note.data.get("domain"), str) else None
    files = DraftFiles(files={path: text}, subject=f"challenge \u2014 {title}",
                       domain=domain or base.config.domain_of_folder(path.rpartition("/")[0]), slug=_slug(title))
    files.body = [("Contributor", handle), ("Domain", files.domain or "-"), ("Challenges", path)]
    return files


def _add_attribution(text: str, role: str, entry: dict) -> str:
    """`text` with `entry` added to `attribution.<role>` (every entry already there kept)."""
    doc = parse_document(text)
    current = doc.data.get("attribution") if isinstance(doc.data, dict) else None
    block = dict(current) if isinstance(current, dict) else {}
    entries = block.get(role)
    block[role] = [*(entries if isinstance(entries, list) else ([entries] if entries else [])), entry]
    return set_field(doc, "attribution", block)


def _add_to_challenges(text: str, paragraph: str) -> str:
    """`paragraph` at the end of the body's `## Challenges` section, or in a new one before the link block."""
    doc = parse_document(text)
    head = text[: len(text) - len(doc.body)]
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = doc.body.split("\n")
    for index, line in enumerate(lines):
        found = HEADING.match(line.rstrip("\r"))
        if found and len(found.group(1)) == 2 and found.group(2).strip().lower() == "challenges":
            end = section_end([ln.rstrip("\r") for ln in lines], index, 2)
            rule = next((j for j in range(index + 1, end) if RULE.match(lines[j].rstrip("\r"))), end)
            cut = rule
            while cut > index + 1 and not lines[cut - 1].strip():
                cut -= 1
            added = ["", *paragraph.split("\n")]
            if rule < len(lines) and cut == rule:  # no blank line left before the rule
                added.append("")
            new = lines[:cut] + [a + ("\r" if eol == "\r\n" else "") for a in added] + lines[cut:]
            return head + "\n".join(new)
    return append_block(text, "## Challenges\n\n" + paragraph)


# -- a source ---------------------------------------------------------------------------------


def _source(base: TreeVault, draft: SourceDraft, handle: str, today: str) -> DraftFiles:
    config = base.config
    if draft.domain not in config.domains:
        raise DraftRefused(f"unknown domain '{one_line(draft.domain, 60)}' (one of: {', '.join(sorted(config.domains))})")
    body = neutralise_body(draft.text)
    if not body.strip():
        raise DraftRefused("the source has no text")
    title = clean_field(draft.title, 300)
    if not title.strip():
        raise DraftRefused("the source needs a title")
    date = normalise_date(draft.date) if draft.date else today
    if date is None:
        raise DraftRefused(f"date '{one_line(draft.date or '', 40)}' is not YYYY-MM-DD")
    url = clean_field(draft.url, 2000) if draft.url else f"local:contrib/{handle}"
    digest = content_hash(body)
    for path in base.markdown_paths():
        if path.startswith(ARCHIVE + "/") and _same_source(base, path, url, digest):
            raise DraftRefused(f"{path} archives this source already (same URL or text)")
    fields = {"type": "source", "title": title, "author": clean_field(draft.author or handle, 200), "url": url,
              "date": date, "domain": draft.domain, "format": clean_field(draft.format or SOURCE_FORMATS_DEFAULT, 40),
              "status": "unprocessed", "tags": [], "ingested": today}
    text = render(fields, body)
    text = set_field(parse_document(text), "contributor", handle)
    name = source_filename(date, handle, title)
    path = f"{ARCHIVE}/{name}"
    suffix = 2
    while base.exists(path):
        path = f"{ARCHIVE}/{source_filename(date, handle, title, f'-{suffix}')}"
        suffix += 1
    files = DraftFiles(files={path: text}, subject=f"add source \u2014 {title}", domain=draft.domain,
                       slug=_slug(title))
    files.body = [("Contributor", handle), ("Domain", draft.domain), ("Archived", path)]
    return files


def _same_source(base: TreeVault, path: str, url: str, digest: str) -> bool:
    note = base.note(path)
    if not url.startswith("local:") and str(note.data.get("url") or "").strip() == url:
        return True
    body = note.doc.body
    marker = "## Content"
    start = body.find(marker)
    return start >= 0 and content_hash(body[start + len(marker):].strip("\n")) == digest
