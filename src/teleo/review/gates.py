"""The deterministic gates a proposal passes before any reviewer reads it.

Each gate turns what it finds into `ClaimFinding`s with `severity="blocking"`;
any blocking finding stops the review, and the findings become the gates'
verdict. The verdict is **reject** when a finding is one no fix can cure —
territory, ungrounded evidence, a duplicate claim, the commit convention, a
deleted file — and **request changes** otherwise (schema, links, source
lifecycle), which the fix-from-feedback loop may repair.

| gate | what | reference |
|---|---|---|
| `schema` (lint rules) | no *new* error in the proposal's files, checked where they will live (main + overlay) | §5 #1, #2, #11, #20 |
| `links` | no unresolved `[[link]]` in a new file | §5 #11 |
| `grounding` | every evidence quote the proposal adds (`> …` then `(from [[source]], line N)`) is found again in the archived source | §4.3, §8.7 |
| `duplicate` | no new claim whose title (near-)copies an existing claim's | §5 #8 |
| `territory` | every changed path inside each proposer's folders (`Config.territory`); a contribution (`contrib/…`), which no agent proposes, is bounded by its kind's scope instead | §5 #17, §8.6 |
| `source-lifecycle` | the source is updated: `processed` ⇒ claims or enrichments listed and resolving, `null-result` ⇒ notes | §5 #15, #16 |
| `commit-convention` | each commit is `<agent>: …` with a `Pentagon-Agent: <Name> <id>` trailer (extract commits with `- Source:`/`- Domain:`), or an `auto-fix:` commit by `Auto-Fix`; on a contribution, `contrib: …` with a `Contributor: <handle>` trailer naming the branch's person and no agent | §4.13, §5 #14 |
| `deletion` | a proposal deletes no file | §8.7 |
| `merge-conflict` | the head merges into main's current tip without a conflict, or with one the entity merge settles (append-only entity lines: `extract.entity_merge`) | §8.2 |
| `kind-scope` | a proposal of a kind with a scope (`KIND_SCOPES`) stays inside it: a flag resolution (`flags/…`) only closes its proposer's open flags and stamps their targets' `status`/`last_evaluated`; a research session (`<agent>/research-<date>`) only adds unprocessed sources and its agent's research musing and appends to its journal — so their lighter review (the evaluator alone) covers nothing else; a synthesis (`synthesis/…`) adds one claim with `secondary_domains` and `depends_on` claims of two domains or more; a contribution (`contrib/…`) adds claims in a domain's folder and unprocessed sources in `inbox/archive/`, and changes an existing claim only by challenging it (`contribution_scope`) | §4.2, §4.6, §4.7, §4.9, §5 #17 |
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

from rapidfuzz import fuzz, process

from teleo.extract.context import source_text
from teleo.extract.grounding import ground
from teleo.gates.proposal import new_errors
from teleo.extract.writer import inside
from teleo.gates import Severity, check
from teleo.notes import Kind, Note
from teleo.notes.links import field_link_targets
from teleo.notes.sections import HEADING, RULE, section_end
from teleo.repo.agents import AUTO_FIX, CONTRIBUTOR, PENTAGON_AGENT, commit_agent
from teleo.repo.kinds import CONTRIB
from teleo.repo.trailers import trailer
from teleo.repo.verdicts import ClaimFinding
from teleo.review.context import ProposalView

UNFIXABLE = frozenset({"territory", "grounding", "duplicate", "commit-convention", "deletion", "merge-conflict",
                       "kind-scope"})
DUPLICATE_TITLE_SCORE = 95.0
"""rapidfuzz token-sort ratio at or above which a new claim title is a copy of an existing one."""
SIMILAR_TITLE_SCORE = 70.0

_QUOTE_THEN_SOURCE = re.compile(r"((?:^>[^\n]*\n)+)\s*\n?\(from \[\[([^\]\n]+)\]\], line \d+\)", re.MULTILINE)
_EXTRACT_SUBJECT = re.compile(r"^([a-z0-9_-]+): extract (?:claims )?from .+\.md$")
_AGENT_SUBJECT = re.compile(r"^([a-z0-9_-]+): \S")
_AUTO_FIX_SUBJECT = re.compile(r"^auto-fix: \S")


def blocking(criterion: str, message: str, path: str = "", line: int | None = None) -> ClaimFinding:
    return ClaimFinding(path=path, criterion=criterion, severity="blocking", message=message, line=line)


def run_gates(view: ProposalView) -> list[ClaimFinding]:
    """Every blocking finding of the deterministic gates, in gate order."""
    found: list[ClaimFinding] = []
    for gate in (territory, kind_scope, deletion, commit_convention, merge_conflict, schema, links, grounding,
                 duplicates, source_lifecycle):
        found.extend(gate(view))
    return found


def gate_verdict(findings: Iterable[ClaimFinding]) -> str:
    """approve / request_changes / reject for the gates' findings (see the module doc)."""
    findings = list(findings)
    if not findings:
        return "approve"
    return "reject" if any(f.criterion in UNFIXABLE for f in findings) else "request_changes"


# -- the gates ---------------------------------------------------------------------------


def territory(view: ProposalView) -> list[ClaimFinding]:
    """Every changed path inside every proposer's territory; a proposal with no known proposer fails."""
    out = [blocking("territory", f"{path}: outside the vault's folder") for path in view.outside]
    config = view.vault.config
    if not view.proposers and view.proposal.kind == CONTRIB.name:
        return out  # a person's contribution: no agent's territory; `contribution_scope` bounds it instead
    if not view.proposers:
        return out + [blocking("territory", "no commit names its agent (Pentagon-Agent trailer), so no territory applies")]
    for agent in view.proposers:
        if agent not in config.agents:
            out.append(blocking("territory", f"'{agent}' is not an agent of this vault"))
            continue
        allowed = config.territory(agent)
        for path in sorted(view.files):
            if not inside(path, allowed):
                out.append(blocking("territory", f"{path}: outside {agent}'s territory ({', '.join(allowed)})", path))
    return out


def deletion(view: ProposalView) -> list[ClaimFinding]:
    return [blocking("deletion", f"{path}: the proposal deletes this file", path)
            for path, text in sorted(view.files.items()) if text is None]


def commit_convention(view: ProposalView) -> list[ClaimFinding]:
    out = []
    for commit in view.commits:
        message = commit.message or ""
        subject = message.splitlines()[0] if message else ""
        short = str(commit.id)[:12]
        if len(commit.parents) > 1:
            out.append(blocking("commit-convention", f"{short}: a merge commit inside a proposal"))
            continue
        agent = commit_agent(message, view.vault.config.agents)
        if _AUTO_FIX_SUBJECT.match(subject):
            if agent != AUTO_FIX:
                out.append(blocking("commit-convention", f"{short}: an auto-fix commit without 'Pentagon-Agent: Auto-Fix <…>'"))
            continue
        if view.proposal.kind == CONTRIB.name:
            out += _contribution_commit(view, short, subject, message, agent)
            continue
        match = _AGENT_SUBJECT.match(subject)
        if match is None:
            out.append(blocking("commit-convention", f"{short}: subject '{subject[:80]}' is not '<agent>: <what>'"))
            continue
        if agent is None or trailer(message, PENTAGON_AGENT) is None:
            out.append(blocking("commit-convention", f"{short}: no 'Pentagon-Agent: <Name> <id>' trailer"))
        elif agent != match.group(1):
            out.append(blocking("commit-convention", f"{short}: subject names '{match.group(1)}' but the trailer names '{agent}'"))
        if _EXTRACT_SUBJECT.match(subject) and not ("\n- Source: " in message and "\n- Domain: " in message):
            out.append(blocking("commit-convention", f"{short}: an extract commit without '- Source:' and '- Domain:' lines"))
    return out


def _contribution_commit(view: ProposalView, short: str, subject: str, message: str, agent: str | None) -> list[ClaimFinding]:
    """A commit of a contribution is `contrib: …` with a `Contributor: <handle>` trailer naming the
    branch's person, and speaks for no agent (reference §4.13's manual contributor row)."""
    out = []
    if not subject.startswith("contrib: "):
        out.append(blocking("commit-convention", f"{short}: subject '{subject[:80]}' is not 'contrib: <what>'"))
    named = trailer(message, CONTRIBUTOR)
    handle = CONTRIB.fields(view.branch).get("handle")
    if named is None:
        out.append(blocking("commit-convention", f"{short}: no 'Contributor: <handle>' trailer"))
    elif named.strip().lower() != (handle or "").lower():
        out.append(blocking("commit-convention", f"{short}: the trailer names '{named[:40]}' but the branch is "
                                                 f"{handle or '?'}'s"))
    if agent is not None:
        out.append(blocking("commit-convention", f"{short}: a contribution speaks for no agent (its Pentagon-Agent "
                                                 f"trailer names '{agent}')"))
    return out


def merge_conflict(view: ProposalView) -> list[ClaimFinding]:
    """The proposal merges into main's current tip without a conflict (e.g. two proposals writing one new file);
    a conflict of append-only entity lines alone is settled by the entity merge (`view.settled`) and passes."""
    out = [blocking("merge-conflict", "main changed this file since the proposal was made (not only by appending "
                                      "entity lines); re-extract the source", path) for path in view.conflicts]
    return out + [blocking("merge-conflict", f"{why}: it waits (re-extract the source on main's tip to update it)",
                           path) for path, why in view.unfolded]


def schema(view: ProposalView) -> list[ClaimFinding]:
    """Lint errors the proposal adds (errors its files already had on main are not held against it)."""
    texts = {p: t for p, t in view.files.items() if t is not None and p.endswith(".md")}
    if not texts:
        return []
    return [blocking(f.rule, f.message, f.file, f.line) for f in new_errors(view.base, texts)]


def links(view: ProposalView) -> list[ClaimFinding]:
    new = [p for p in view.new_paths() if p.endswith(".md")]
    if not new:
        return []
    report = check(view.after, new, rules=["link-unresolved"])
    return [blocking("link-unresolved", f.message, f.file, f.line) for f in report.findings if f.severity is not Severity.INFO]


def grounding(view: ProposalView) -> list[ClaimFinding]:
    """Evidence quotes the proposal adds must be found again in the source they cite."""
    out = []
    for path, text in sorted(view.files.items()):
        if text is None or not path.endswith(".md"):
            continue
        before = view.base.read_bytes(path)
        old = before.decode("utf-8", errors="replace") if before is not None else ""
        for quote, target, line in added_quotes(old, text):
            source = _source_note(view, target, path)
            if source is None:
                out.append(blocking("grounding", f"evidence cites [[{target}]], which is not a source note", path, line))
                continue
            found = ground(quote, source_text(source).text)
            if not found.found:
                out.append(blocking("grounding", f"an evidence quote is not in {source.path}: \"{quote[:80]}…\"", path, line))
    return out


def added_quotes(before: str, after: str) -> list[tuple[str, str, int]]:
    """(quote, cited source, line) for each `> quote` + `(from [[source]], line N)` in `after` but not in `before`."""
    old = {(q, t) for q, t, _ in _quotes(before)}
    return [(q, t, line) for q, t, line in _quotes(after) if (q, t) not in old]


def _quotes(text: str) -> list[tuple[str, str, int]]:
    out = []
    for match in _QUOTE_THEN_SOURCE.finditer(text):
        quote = " ".join(line[1:].strip() for line in match.group(1).splitlines())
        target = match.group(2).split("|", 1)[0].strip()
        out.append((quote, target, text.count("\n", 0, match.start()) + 1))
    return out


def _source_note(view: ProposalView, target: str, from_path: str) -> Note | None:
    resolved = view.after.resolver.resolve(target, from_path)
    if not resolved.resolved or resolved.path is None:
        return None
    note = view.after.note(resolved.path)
    return note if note.kind is Kind.SOURCE else None


def duplicates(view: ProposalView) -> list[ClaimFinding]:
    new = set(view.new_paths())
    new_claims = [n for n in view.changed_notes() if n.path in new]
    if not new_claims:
        return []
    existing = view.existing_claim_titles
    out = []
    for note in new_claims:
        best = process.extractOne(note.title.lower(), existing, scorer=fuzz.token_sort_ratio,
                                  score_cutoff=DUPLICATE_TITLE_SCORE)
        if best is not None:
            out.append(blocking("duplicate", f"restates the existing claim '{best[0]}' (title similarity {best[1]:.0f})",
                                note.path))
    return out


def similar_claims(view: ProposalView, note: Note, k: int = 3) -> list[str]:
    """Titles of the existing claims nearest to `note`'s title (a cheap, offline stand-in for the index)."""
    hits = process.extract(note.title.lower(), view.existing_claim_titles, scorer=fuzz.token_set_ratio, limit=k,
                           score_cutoff=SIMILAR_TITLE_SCORE)
    return [title for title, _, _ in hits]


def source_lifecycle(view: ProposalView) -> list[ClaimFinding]:
    source = view.proposal.source
    if not source:
        return []
    if source not in view.files or view.files[source] is None:
        return [blocking("source-lifecycle", f"the proposal does not update its source {source}", source)]
    note = view.after.note(source)
    status = note.data.get("status")
    listed = [*_as_list(note.data.get("claims_extracted")), *_as_list(note.data.get("enrichments")),
              *_as_list(note.data.get("entities_created")), *_as_list(note.data.get("entities_updated"))]
    out = []
    if status == "processed":
        if not listed:
            out.append(blocking("source-lifecycle", "status processed but no claims_extracted, enrichments or entities",
                                source))
        for title in listed:
            if not view.after.resolver.resolve(title, source).resolved:
                out.append(blocking("source-lifecycle", f"listed claim '{title[:80]}' is not a file on main after the merge",
                                    source))
    elif status == "null-result":
        if not (note.data.get("notes") or note.data.get("extraction_notes")):
            out.append(blocking("source-lifecycle", "status null-result without notes saying why", source))
    else:
        out.append(blocking("source-lifecycle", f"the source's status is '{status}', not processed or null-result", source))
    return out


def _as_list(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(v).strip().removeprefix("[[").removesuffix("]]").removesuffix(".md") for v in value if str(v).strip()]


# -- what a proposal of a kind may change ---------------------------------------------------------

FLAG_FIELDS = frozenset({"status", "resolved", "resolution"})
"""What a flag resolution changes in a flag note (`cascade.resolve.plan_resolution`)."""
TARGET_FIELDS = frozenset({"status", "last_evaluated"})
"""What it changes in the note a flag points at."""


def kind_scope(view: ProposalView) -> list[ClaimFinding]:
    """The proposal stays inside its kind's scope (`KIND_SCOPES`; a kind without one has none)."""
    check = KIND_SCOPES.get(view.proposal.kind or "")
    return check(view) if check is not None else []


def flag_resolution_scope(view: ProposalView) -> list[ClaimFinding]:
    """A `flags/` proposal closes open flags of its proposer and edits only their targets' frontmatter fields."""
    out: list[ClaimFinding] = []
    targets: set[str] = set()
    others: list[str] = []
    for path, text in sorted(view.files.items()):
        if text is None:
            continue  # the deletion gate
        if not view.base.exists(path):
            out.append(blocking("kind-scope", f"{path}: a flag resolution adds no file", path))
            continue
        before, after = view.base.note(path), view.after.note(path)
        if before.kind is not Kind.FLAG:
            others.append(path)
            continue
        agent = str(before.data.get("agent") or "").strip().lower()
        if agent not in view.proposers:
            out.append(blocking("kind-scope", f"{path}: a flag of {agent or 'no agent'}, resolved by "
                                              f"{', '.join(view.proposers) or 'nobody named'}", path))
        if str(before.data.get("status")) != "open" or str(after.data.get("status")) != "resolved":
            out.append(blocking("kind-scope", f"{path}: a flag resolution takes a flag from open to resolved", path))
        out += _only_fields(path, before, after, FLAG_FIELDS)
        targets.add(str(before.data.get("target") or ""))
    if not targets:
        out.append(blocking("kind-scope", "a flag resolution resolves no flag note"))
    for path in others:
        if path not in targets:
            out.append(blocking("kind-scope", f"{path}: not the target of a flag this proposal resolves", path))
        else:
            out += _only_fields(path, view.base.note(path), view.after.note(path), TARGET_FIELDS)
    return out


def _only_fields(path: str, before: Note, after: Note, allowed: frozenset[str]) -> list[ClaimFinding]:
    """`after` differs from `before` in the `allowed` frontmatter fields alone (body untouched)."""
    keys = set(before.data) | set(after.data)
    changed = sorted(k for k in keys if k not in allowed and before.data.get(k) != after.data.get(k))
    out = []
    if changed:
        out.append(blocking("kind-scope", f"{path}: a flag resolution changes only {', '.join(sorted(allowed))}, "
                                          f"not {', '.join(changed)}", path))
    if before.doc.body != after.doc.body:
        out.append(blocking("kind-scope", f"{path}: a flag resolution leaves the body as it is", path))
    return out


def synthesis_scope(view: ProposalView) -> list[ClaimFinding]:
    """A `synthesis/` proposal adds one new claim and nothing else; the claim names `secondary_domains`
    and `depends_on` claims of at least two domains (reference §4.7: it cites each side)."""
    config = view.vault.config
    new = [p for p, t in sorted(view.files.items()) if t is not None and not view.base.exists(p)]
    out = [blocking("kind-scope", f"{p}: a synthesis adds one claim and changes no existing file", p)
           for p in sorted(view.files) if p not in new]
    claims = [n for n in view.changed_notes() if n.path in new]
    if len(claims) != 1 or len(new) != 1:
        return out + [blocking("kind-scope", f"a synthesis adds exactly one claim file (this one adds {len(new)} file(s), "
                                             f"{len(claims)} claim(s))")]
    note = claims[0]
    if not note.data.get("secondary_domains"):
        out.append(blocking("kind-scope", "a synthesis claim names its other domains in secondary_domains", note.path))
    sides = set()
    for target in field_link_targets(note.doc, "depends_on"):
        resolved = view.after.resolver.resolve(target, note.path).path
        domain = config.domain_of_folder(resolved.rsplit("/", 1)[0]) if resolved else None
        if domain and view.after.note(resolved).kind is Kind.CLAIM:
            sides.add(domain)
    if len(sides) < 2:
        out.append(blocking("kind-scope", f"a synthesis's depends_on cites claims of at least two domains (found: "
                                          f"{', '.join(sorted(sides)) or 'none'})", note.path))
    return out


# -- what a contribution may change -----------------------------------------------------------

CHALLENGE_FIELDS = frozenset({"challenged_by", "attribution"})
"""What a challenge changes in the frontmatter of the claim it challenges."""
ARCHIVE_FOLDER = "inbox/archive/"


def contribution_scope(view: ProposalView) -> list[ClaimFinding]:
    """A `contrib/` proposal (a person's, reviewed like an extraction but bounded by no agent's
    territory) adds claims in a domain's folder and unprocessed sources in `inbox/archive/`, and
    changes an existing claim only by challenging it: entries added to `challenged_by` and
    `attribution`, lines added inside its `## Challenges` section — the original is never
    deleted nor rewritten (reference §4.9)."""
    out: list[ClaimFinding] = []
    config = view.vault.config
    for path, text in sorted(view.files.items()):
        if text is None:
            continue  # the deletion gate
        after = view.after.note(path)
        if not view.base.exists(path):
            folder = path.rpartition("/")[0]
            if after.kind is Kind.CLAIM and config.domain_of_folder(folder) is not None:
                continue
            if after.kind is Kind.SOURCE and path.startswith(ARCHIVE_FOLDER):
                if str(after.data.get("status") or "unprocessed") != "unprocessed":
                    out.append(blocking("kind-scope", f"{path}: a contributed source is unprocessed (extraction "
                                                      "processes it)", path))
                continue
            out.append(blocking("kind-scope", f"{path}: a contribution adds claims in a domain's folder or sources "
                                              f"in {ARCHIVE_FOLDER}, not a {after.kind.value} here", path))
            continue
        before = view.base.note(path)
        if before.kind is not Kind.CLAIM:
            out.append(blocking("kind-scope", f"{path}: a contribution changes no existing {before.kind.value}; "
                                              "only a claim, by challenging it", path))
            continue
        out += _challenge_only(path, before, after)
    return out


def _challenge_only(path: str, before: Note, after: Note) -> list[ClaimFinding]:
    """`after` is `before` challenged: frontmatter entries added (never removed) to `CHALLENGE_FIELDS`,
    body lines added (never removed or rewritten) inside a `## Challenges` section."""
    out = []
    keys = set(before.data) | set(after.data)
    changed = sorted(k for k in keys if k not in CHALLENGE_FIELDS and before.data.get(k) != after.data.get(k))
    if changed:
        out.append(blocking("kind-scope", f"{path}: a challenge changes only {', '.join(sorted(CHALLENGE_FIELDS))} "
                                          f"in the frontmatter, not {', '.join(changed)}", path))
    old_list, new_list = _as_entries(before.data.get("challenged_by")), _as_entries(after.data.get("challenged_by"))
    if new_list[:len(old_list)] != old_list:
        out.append(blocking("kind-scope", f"{path}: a challenge keeps every existing challenged_by entry", path))
    old_block, new_block = before.data.get("attribution"), after.data.get("attribution")
    if isinstance(old_block, dict):
        for role, entries in old_block.items():
            kept = new_block.get(role) if isinstance(new_block, dict) else None
            if isinstance(entries, list) and (not isinstance(kept, list) or kept[:len(entries)] != entries):
                out.append(blocking("kind-scope", f"{path}: a challenge keeps every existing attribution entry "
                                                  f"(attribution.{role})", path))
    old_lines, new_lines = before.doc.body.splitlines(), after.doc.body.splitlines()
    allowed = _challenge_lines(new_lines)
    offset = after.doc.body_start_line - 1
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag != "insert":
            out.append(blocking("kind-scope", f"{path}: a challenge never removes or rewrites the claim's text "
                                              f"(body lines {i1 + 1}–{i2} changed)", path, offset + j1 + 1))
            continue
        stray = [j for j in range(j1, j2) if new_lines[j].strip() and j not in allowed]
        if stray:
            out.append(blocking("kind-scope", f"{path}: a challenge adds text only inside its '## Challenges' "
                                              "section", path, offset + stray[0] + 1))
    return out


def _challenge_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines of every `## Challenges` section, its heading included."""
    inside: set[int] = set()
    for index, line in enumerate(lines):
        found = HEADING.match(line)
        if found and len(found.group(1)) == 2 and found.group(2).strip().lower() == "challenges":
            end = section_end(lines, index, 2)
            for j in range(index, end):
                if RULE.match(lines[j]):
                    break  # the `---` before Relevant Notes ends the section's prose
                inside.add(j)
    return inside


def _as_entries(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def research_scope(view: ProposalView) -> list[ClaimFinding]:
    """A research session (`<agent>/research-<date>`) only archives sources, unprocessed, and writes its
    proposer's research musing and appends to its journal: it never extracts (reference §4.2), so the
    evaluator's review alone covers it."""
    out: list[ClaimFinding] = []
    for path, text in sorted(view.files.items()):
        if text is None:
            continue  # the deletion gate
        agent = path.split("/")[1] if path.startswith("agents/") and path.count("/") >= 2 else ""
        own = agent in view.proposers
        if path.startswith("inbox/archive/") and path.endswith(".md") and not view.base.exists(path):
            note = view.after.note(path)
            if note.kind is not Kind.SOURCE or str(note.data.get("status")) != "unprocessed":
                out.append(blocking("kind-scope", f"{path}: a research session archives sources as unprocessed", path))
        elif own and path == f"agents/{agent}/research-journal.md":
            before = view.base.read_bytes(path)
            old = before.decode("utf-8", errors="replace").rstrip("\n") if before is not None else ""
            if not text.startswith(old):
                out.append(blocking("kind-scope", f"{path}: a research session appends to the journal only", path))
        elif not (own and path.startswith(f"agents/{agent}/musings/research-") and path.endswith(".md")
                  and not view.base.exists(path)):
            out.append(blocking("kind-scope", f"{path}: a research session writes only new unprocessed sources, its "
                                              "agent's new research musing and journal entry (it never extracts)", path))
    return out


KIND_SCOPES: dict[str, Callable[[ProposalView], list[ClaimFinding]]] = {
    "flags": flag_resolution_scope, "synthesis": synthesis_scope, CONTRIB.name: contribution_scope,
    "research": research_scope,
}
"""Proposal kind name → what a proposal of that kind may change (`teleo.repo.kinds`)."""
