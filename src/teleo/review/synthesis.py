"""Synthesis triggers and the synthesis queue (reference §4.7, §9 item 30; issue 16.2).

`sweep(vault)` reads main's tip and the last sweep point, and computes four triggers:

| trigger | fires when | sides it queues |
|---|---|---|
| `new-claims` | at least `MIN_NEW_CLAIMS` claims added since the sweep point, across at least `MIN_NEW_DOMAINS` domains | the new claims of the two domains with most of them (domains another agent than the evaluator holds first: a synthesis needs their peers), those linked most across domains first |
| `enriched` | a claim changed since the sweep point carries `MIN_ENRICHMENTS` or more enrichment blocks, more than it did at the sweep point | the claim, and the claims of other domains it links to or is linked from — in domains another agent than the evaluator holds (none: the closest claim of such a domain, at or above the extractor's related line `RELATED_THRESHOLD`; none either: the linked claims of any domain) |
| `link-density` | links between claims of different domains are fewer than `MAX_CROSS_DENSITY` of all links between claims | the most linked-to claims of the two domains whose links stay home most |
| `contradiction` | a claim added since the sweep point contradicts a claim of another domain (rule below) | the two claims |

**Contradiction rule.** Two claims of different domains contradict when either names the other in
`challenged_by` (or the legacy `challenges`) — the knowledge base's own word — or when their titles
state the same proposition (embedding cosine at or above the extractor's duplicate line,
`teleo.extract.dedupe.DUPLICATE_THRESHOLD`, title against title and title + description) with
opposite polarity: exactly one of the two carries a negation or refutation cue (the extractor's
`challenge` rule, `teleo.extract.offline.enrichment_type`), where an additive "not just / not only"
and a contrastive "X not Y" (a "not" after no auxiliary: "widening not narrowing") negate nothing. Nothing here knows any corpus.

**Counting.** A link is a resolved `[[link]]` (body or frontmatter) from one claim to another, each
(from, to) pair counted once; its domains are the claims' (`domain` when it is a configured domain,
else the folder's). An enrichment block is a `### Additional Evidence (…)` heading or a
`*Source: … | Added: …*` provenance line (later runs wrote the line without the heading), whichever is
more numerous in the note.

**The queue note** is `agents/<evaluator>/synthesis-queue.md`, committed on main so every host agrees:
`swept:` names the main commit the last sweep covered (none: the whole history), `entries:` the
triggers queued, one entry each, by a stable id (the same trigger found again updates its entry instead
of adding one). Writing the queue is one compare-and-swap commit on main; the sweep point moves only
with `advance` — like the digest's sync state (`teleo.review.digest`), whose machinery this reuses.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from teleo.notes import Kind, find_links, note_from_text
from teleo.notes.links import field_link_targets
from teleo.repo.agents import agent_trailer
from teleo.repo.branches import BranchError, changed_paths, open_proposals
from teleo.repo.discover import vault_prefix
from teleo.repo.kinds import SYNTHESIS
from teleo.repo.mainline import commit_onto
from teleo.repo.worktree import sync_worktree
from teleo.review.digest import RETIRED, commit_named, main_history
from teleo.review.selection import agents_of_domain
from teleo.vault import Vault
from teleo.vault.tree import TreeVault

QUEUE_NAME = "synthesis-queue.md"
MIN_NEW_CLAIMS = 10
MIN_NEW_DOMAINS = 2
MIN_ENRICHMENTS = 3
MAX_CROSS_DENSITY = 0.15
SIDE_CLAIMS = 5
"""Claims kept per side of an entry (the most relevant first)."""

TriggerName = Literal["new-claims", "enriched", "link-density", "contradiction"]
_HEADING = re.compile(r"^#{2,4}[ \t]+Additional Evidence\b", re.MULTILINE | re.IGNORECASE)
_ADDITIVE = re.compile(r"\bnot (?:just|only|merely|simply|solely)\b", re.IGNORECASE)
"""'not just X but Y' adds to a proposition, it does not negate it."""
_CONTRASTIVE = re.compile(
    r"(?<!\bis)(?<!\bare)(?<!\bwas)(?<!\bwere)(?<!\bdo)(?<!\bdoes)(?<!\bdid)(?<!\bwill)(?<!\bwould)(?<!\bcan)"
    r"(?<!\bcould)(?<!\bshould)(?<!\bmay)(?<!\bmight)(?<!\bmust)(?<!\bhas)(?<!\bhave)(?<!\bhad)(?<!\bbe)(?<!\bto)"
    r"\s+not\s+(?=\w)", re.IGNORECASE)
"""A 'not' after no auxiliary ('widening not narrowing', 'protection not quality') rules out an alternative
and leaves the proposition asserted."""


def asserted(title: str) -> str:
    """`title` without the 'not's that negate nothing it asserts (additive and contrastive ones)."""
    return _CONTRASTIVE.sub(" ", _ADDITIVE.sub(" ", title))
_SYNTHESIS_SOURCE = re.compile(r"\(synthesis-queue entry ([0-9a-f]{6,40})\)")
"""How a synthesis claim's `source` names its queue entry (`teleo.review.synthesize.render_synthesis`)."""
_PROVENANCE = re.compile(r"^\s*\*Source:[^\n]*\|\s*Added:", re.MULTILINE)


class SynthesisError(ValueError):
    """The sweep cannot be made (no repository, no main, a queue note naming no commit)."""


class Entry(BaseModel):
    """One trigger, as queued."""

    id: str
    trigger: TriggerName
    summary: str
    domains: list[str] = Field(default_factory=list)
    """The domains of its sides, most claims first."""
    claims: list[str] = Field(default_factory=list)
    """Vault paths of the claims it is about, grouped by side (the order of `domains`)."""
    found: str = ""
    """The main commit it was found on."""
    branch: str | None = None
    """Its open synthesis proposal, when there is one (not stored: read from the branches)."""
    synthesis: str | None = None
    """The synthesis claim on main made from it, when merged (not stored: read from the claims' `source`)."""


class Check(BaseModel):
    """One trigger's measurement, fired or not."""

    trigger: TriggerName
    fired: int
    """Entries it produced."""
    figures: dict[str, Any] = Field(default_factory=dict)


class SweepReport(BaseModel):
    agent: str
    queue: str
    since: str | None
    """The sweep point (None: the whole history)."""
    until: str
    checks: list[Check] = Field(default_factory=list)
    triggers: list[Entry] = Field(default_factory=list)
    """What fired on this sweep."""
    queued: list[Entry] = Field(default_factory=list)
    """Every entry of the queue note after this sweep."""
    commit: str | None = None
    """The commit that wrote the queue note (None: nothing changed, or a dry run)."""
    advanced: bool = False


def queue_path(vault: Vault) -> str:
    return f"agents/{vault.config.vault.evaluator}/{QUEUE_NAME}"


def entry_id(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode("utf-8")).hexdigest()[:10]


# -- reading the queue -------------------------------------------------------------------------


def read_queue(tree: TreeVault, path: str) -> tuple[str | None, list[Entry]]:
    """(sweep point, entries) of the queue note at `path` on `tree` ((None, []) when there is none)."""
    data = tree.read_bytes(path)
    if data is None:
        return None, []
    note = note_from_text(path, data.decode("utf-8", "replace"))
    swept = str(note.data.get("swept") or "").strip() or None
    entries = []
    for number, raw in enumerate(note.data.get("entries") or [], 1):
        try:
            entries.append(Entry.model_validate(raw))
        except ValueError as exc:
            raise SynthesisError(f"{path}: entries[{number}] is not a queue entry ({exc})") from None
    return swept, entries


def render_queue(agent: str, swept: str | None, entries: list[Entry], titles: dict[str, str]) -> str:
    """The queue note: entries in the frontmatter for `teleo synthesize`, and a readable body."""
    stored = [e.model_dump(exclude={"branch", "synthesis"}) for e in entries]
    front = yaml.safe_dump({"agent": agent, "swept": swept or "", "entries": stored}, sort_keys=False,
                           allow_unicode=True, width=1000)
    lines = ["---", front.rstrip("\n"), "---", "", "# Synthesis queue", "",
             "Triggers found by `teleo synthesis`; `teleo synthesize <id>` drafts the evaluator's synthesis of one.",
             f"The last sweep covered main up to {swept[:12] if swept else 'nothing yet'}.", ""]
    for entry in entries:
        lines += [f"## {entry.id} — {entry.trigger}", "", entry.summary, ""]
        lines += [f"- [[{titles.get(p, p.rsplit('/', 1)[-1].removesuffix('.md'))}]]" for p in entry.claims]
        lines.append("")
    return "\n".join(lines)


# -- the sweep ---------------------------------------------------------------------------------


class _Claims:
    """Main's claims at one commit: domain, title and links, read once."""

    def __init__(self, vault: Vault, tree: TreeVault) -> None:
        self.tree = tree
        self.domain: dict[str, str] = {}
        self.title: dict[str, str] = {}
        self.description: dict[str, str] = {}
        self.synthesis_of: dict[str, str] = {}
        """Queue entry id → the synthesis claim made from it (its `source` names the entry)."""
        config = vault.config
        for path in tree.markdown_paths():
            folder, _, name = path.rpartition("/")
            folder_domain = config.domain_of_folder(folder)
            if folder_domain is None or name.startswith("_"):
                continue
            note = tree.note(path)
            if note.kind is not Kind.CLAIM or str(note.data.get("status") or "").lower() in RETIRED:
                continue
            named = str(note.data.get("domain") or "")
            self.domain[path] = named if named in config.domains else folder_domain
            self.title[path] = note.title
            self.description[path] = str(note.data.get("description") or "")
            made = _SYNTHESIS_SOURCE.search(str(note.data.get("source") or ""))
            if made:
                self.synthesis_of[made.group(1)] = path

    def links(self) -> list[tuple[str, str]]:
        """(from, to) claim pairs, each once."""
        resolver = self.tree.resolver
        pairs: set[tuple[str, str]] = set()
        for path in self.domain:
            for link in find_links(self.tree.note(path).doc):
                found = resolver.resolve(link.target, path).path
                if found and found != path and found in self.domain:
                    pairs.add((path, found))
        return sorted(pairs)

    def scores(self, rows: list[str]):
        """Similarity of each claim of `rows` (its title) to every claim (`paths()` order; title, and title +
        description, whichever is closer) — None without the embedding model."""
        from teleo.contract.request import SimilarClaim
        from teleo.extract.dedupe import Matcher, embedding_text
        from teleo.extract.sentences import embed

        try:
            if getattr(self, "_matcher", None) is None:
                self._matcher = Matcher([SimilarClaim(title=self.title[p], description=self.description[p], path=p)
                                         for p in self.paths()])
            return self._matcher.scores(embed([embedding_text(self.title[p]) for p in rows]))
        except Exception:  # noqa: BLE001 - no embedding model: the links alone
            return None

    def paths(self) -> list[str]:
        return sorted(self.domain)

    def challenges(self, path: str) -> set[str]:
        """Claims `path` names in `challenged_by` or `challenges`."""
        doc = self.tree.note(path).doc
        resolver = self.tree.resolver
        found = set()
        for key in ("challenged_by", "challenges"):
            for target in field_link_targets(doc, key):
                resolved = resolver.resolve(target, path).path
                if resolved and resolved in self.domain and resolved != path:
                    found.add(resolved)
        return found


def enrichment_count(text: str) -> int:
    """Enrichment blocks in a note (module doc: headings or provenance lines, whichever are more)."""
    return max(len(_HEADING.findall(text)), len(_PROVENANCE.findall(text)))


def sweep(vault: Vault, *, write: bool = True, advance: bool = False) -> SweepReport:
    """Compute the triggers since the last sweep; with `write`, queue them (one commit on main), with
    `advance` also move the sweep point to main's tip."""
    repo, ref, head = main_history(vault, "the synthesis sweep reads main's history", SynthesisError)
    prefix = vault_prefix(repo, vault.root)
    path = queue_path(vault)
    now = TreeVault.at(vault, head, repo=repo)
    since, queued = read_queue(now, path)
    old_commit = commit_named(repo, since, f"{path}: swept", SynthesisError) if since is not None else None
    before = TreeVault.at(vault, old_commit, repo=repo) if old_commit is not None else None
    claims = _Claims(vault, now)
    old_claims = set(_Claims(vault, before).domain) if before is not None else set()
    changed = [p[len(prefix):] for p in changed_paths(repo, old_commit, head) if p.startswith(prefix)]
    changed = [p for p in changed if p in claims.domain]
    new = [p for p in changed if p not in old_claims]
    links = claims.links()
    report = SweepReport(agent=vault.config.vault.evaluator, queue=path, since=since, until=str(head.id))
    key = since or "start"
    reviewable = reviewable_domains(vault)
    for check, found in (
        _new_claims(claims, new, key, links, reviewable),
        _enriched(claims, before, changed, links, reviewable),
        _density(claims, links, key),
        _contradictions(claims, new),
    ):
        report.checks.append(check)
        for entry in found:
            entry.found = str(head.id)
        report.triggers += found
    merged = _merge(queued, report.triggers)
    report.queued = merged
    if write:
        report.commit = _write(vault, repo, ref, prefix, path, report, advance)
        report.advanced = advance and report.commit is not None
    _mark_open(repo, report.queued)
    for entry in report.queued:
        entry.synthesis = claims.synthesis_of.get(entry.id)
    return report


def reviewable_domains(vault: Vault) -> set[str]:
    """Domains an agent other than the evaluator holds: a synthesis needs a peer from each side."""
    evaluator = vault.config.vault.evaluator
    return {d for d in vault.config.domains if any(a != evaluator for a in agents_of_domain(vault.config, d))}


def _merge(queued: list[Entry], found: list[Entry]) -> list[Entry]:
    """The queue with `found` added: an entry found again replaces its old self, in place, keeping the
    commit it was first found on (so a sweep that finds nothing new changes nothing)."""
    by_id = {e.id: e for e in found}
    merged = []
    for old in queued:
        new = by_id.pop(old.id, None)
        merged.append(old if new is None else new.model_copy(update={"found": old.found or new.found}))
    return merged + [e for e in found if e.id in by_id]


def _write(vault: Vault, repo, ref: str, prefix: str, path: str, report: SweepReport, advance: bool) -> str | None:
    evaluator = vault.config.vault.evaluator

    def build(base) -> dict[str, bytes]:
        tree = TreeVault.at(vault, base, repo=repo)
        swept, queued = read_queue(tree, path)
        entries = _merge(queued, report.triggers)
        titles = {p: _title(tree, p) for e in entries for p in e.claims}
        text = render_queue(evaluator, report.until if advance else swept, entries, titles)
        return {prefix + path: text.encode("utf-8")}

    kinds = ", ".join(sorted({e.trigger for e in report.triggers})) or "none"
    subject = f"{evaluator}: synthesis sweep — {len(report.triggers)} trigger(s) queued ({kinds})"
    if advance:
        subject += f", swept to {report.until[:12]}"
    body = "\n".join(f"- {c.trigger}: {c.fired} ({_figures(c.figures)})" for c in report.checks)
    message = f"{subject}\n\n{body}\n\n{agent_trailer(evaluator, vault.config.agents)}\n"
    done = commit_onto(repo, ref, build, message)
    if done is None:
        return None
    try:
        sync_worktree(repo, ref)
    except Exception:  # noqa: BLE001,S110 - the commit stands; the working tree catches up at its next sync
        pass
    return done[1]


def _figures(figures: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in figures.items() if not isinstance(v, (dict, list)))


def _title(tree: TreeVault, path: str) -> str:
    return tree.note(path).title if tree.exists(path) else path.rsplit("/", 1)[-1].removesuffix(".md")


def _mark_open(repo, entries: list[Entry]) -> None:
    """Each entry's open synthesis proposal (`synthesis/<agent>/<id>`), when there is one."""
    try:
        branches = {p.branch.rsplit("/", 1)[-1]: p.branch for p in open_proposals(repo, kinds=(SYNTHESIS,))}
    except BranchError:
        return
    for entry in entries:
        entry.branch = branches.get(entry.id)


# -- the four triggers ------------------------------------------------------------------------


def _new_claims(claims: _Claims, new: list[str], key: str, links: list[tuple[str, str]],
                reviewable: set[str]) -> tuple[Check, list[Entry]]:
    per_domain = Counter(claims.domain[p] for p in new)
    check = Check(trigger="new-claims", fired=0, figures={"new_claims": len(new), "domains": len(per_domain),
                                                          "per_domain": dict(per_domain.most_common())})
    if len(new) < MIN_NEW_CLAIMS or len(per_domain) < MIN_NEW_DOMAINS:
        return check, []
    top = [d for d, _ in sorted(per_domain.items(), key=lambda kv: (kv[0] not in reviewable, -kv[1], kv[0]))[:2]]
    sides = [p for d in top for p in _bridging([p for p in new if claims.domain[p] == d], claims, links)[:SIDE_CLAIMS]]
    spread = ", ".join(f"{d} {n}" for d, n in sorted(per_domain.items(), key=lambda kv: (-kv[1], kv[0])))
    entry = Entry(id=entry_id("new-claims", key), trigger="new-claims", domains=top, claims=sides,
                  summary=f"{len(new)} new claims across {len(per_domain)} domains since the last sweep ({spread})")
    check.fired = 1
    return check, [entry]


def _bridging(paths: list[str], claims: _Claims, links: list[tuple[str, str]]) -> list[str]:
    """`paths`, those with most links to or from other domains first, then the most linked to."""
    cross: Counter[str] = Counter()
    inbound: Counter[str] = Counter(b for _, b in links)
    for a, b in links:
        if claims.domain[a] != claims.domain[b]:
            cross[a] += 1
            cross[b] += 1
    return sorted(paths, key=lambda p: (-cross[p], -inbound[p], p))


def _enriched(claims: _Claims, before: TreeVault | None, changed: list[str],
              links: list[tuple[str, str]], reviewable: set[str]) -> tuple[Check, list[Entry]]:
    found = []
    counts = {}
    for path in changed:
        text = claims.tree.read_bytes(path).decode("utf-8", "replace")
        count = enrichment_count(text)
        old = before.read_bytes(path) if before is not None else None
        previous = enrichment_count(old.decode("utf-8", "replace")) if old is not None else 0
        counts[path] = count
        if count < MIN_ENRICHMENTS or count <= previous:
            continue
        domain = claims.domain[path]
        neighbours = sorted({b for a, b in links if a == path} | {a for a, b in links if b == path})
        linked = [p for p in neighbours if claims.domain[p] != domain]
        others = [p for p in linked if claims.domain[p] in reviewable]  # a synthesis needs their peers
        how = f"{len(others)} linked claim(s) in other domains"
        if not others and (nearest := _nearest_elsewhere(claims, path, reviewable)) is not None:
            others, how = [nearest], f"no link to another peer's domain; nearest there: '{claims.title[nearest]}'"
        elif not others:
            others = linked
            how = (f"{len(linked)} linked claim(s) in other domains, none held by an agent other than the evaluator"
                   if linked else "no claim of another domain links to it, from it, or is close to it")
        side_domains = [domain] + sorted({claims.domain[p] for p in others})
        ordered = [path] + sorted(others, key=lambda p: (side_domains.index(claims.domain[p]), p))
        found.append(Entry(id=entry_id("enriched", path, str(count)), trigger="enriched", domains=side_domains[:2],
                           claims=ordered[:1 + SIDE_CLAIMS],
                           summary=f"'{claims.title[path]}' ({domain}) carries {count} enrichment blocks "
                                   f"({previous} at the last sweep); {how}"))
    figures = {"changed_claims": len(changed), "max_enrichments": max(counts.values(), default=0),
               "claims_with_3_or_more": sum(1 for c in counts.values() if c >= MIN_ENRICHMENTS)}
    return Check(trigger="enriched", fired=len(found), figures=figures), found


def _density(claims: _Claims, links: list[tuple[str, str]], key: str) -> tuple[Check, list[Entry]]:
    cross = [(a, b) for a, b in links if claims.domain[a] != claims.domain[b]]
    ratio = len(cross) / len(links) if links else 0.0
    check = Check(trigger="link-density", fired=0, figures={"links": len(links), "cross_domain": len(cross),
                                                            "density": round(ratio, 4)})
    if not links or ratio >= MAX_CROSS_DENSITY:
        return check, []
    out_links: Counter[str] = Counter(claims.domain[a] for a, _ in links)
    out_cross: Counter[str] = Counter(claims.domain[a] for a, _ in cross)
    inbound: Counter[str] = Counter(b for _, b in links)
    domains = sorted(out_links, key=lambda d: (out_cross[d] / out_links[d], -out_links[d], d))[:2]
    if len(domains) < 2:
        domains = sorted(set(claims.domain.values()), key=lambda d: (-out_links[d], d))[:2]
    sides = [p for d in domains for p in sorted((p for p in claims.domain if claims.domain[p] == d),
                                                 key=lambda p: (-inbound[p], p))[:SIDE_CLAIMS]]
    entry = Entry(id=entry_id("link-density", key), trigger="link-density", domains=domains, claims=sides,
                  summary=f"cross-domain link density {ratio:.1%} ({len(cross)} of {len(links)} links between claims), "
                          f"below {MAX_CROSS_DENSITY:.0%}; the domains whose links stay home most: {', '.join(domains)}")
    check.fired = 1
    return check, [entry]


def _contradictions(claims: _Claims, new: list[str]) -> tuple[Check, list[Entry]]:
    pairs: dict[tuple[str, str], str] = {}
    for path in new:
        for other in claims.challenges(path):
            if claims.domain[other] != claims.domain[path]:
                pairs.setdefault((path, other), "challenged_by")
    new_set = set(new)
    for other in claims.domain:
        for path in claims.challenges(other):
            if path in new_set and claims.domain[other] != claims.domain[path]:
                pairs.setdefault((path, other), "challenged_by")
    inferred = _opposite_statements(claims, new)
    for pair in inferred:
        pairs.setdefault(pair, "opposite polarity")
    found = []
    for (path, other), why in sorted(pairs.items()):
        key = tuple(sorted((path, other)))
        found.append(Entry(id=entry_id("contradiction", *key), trigger="contradiction",
                           domains=[claims.domain[path], claims.domain[other]], claims=[path, other],
                           summary=f"the new claim '{claims.title[path]}' ({claims.domain[path]}) contradicts "
                                   f"'{claims.title[other]}' ({claims.domain[other]}): {why}"))
    unique = {tuple(sorted((e.claims[0], e.claims[1]))): e for e in found}
    entries = sorted(unique.values(), key=lambda e: e.id)
    figures = {"new_claims": len(new), "explicit": sum(1 for w in pairs.values() if w == "challenged_by"),
               "inferred": sum(1 for w in pairs.values() if w != "challenged_by")}
    return Check(trigger="contradiction", fired=len(entries), figures=figures), entries


def _opposite_statements(claims: _Claims, new: list[str]) -> list[tuple[str, str]]:
    """(new, other) pairs of different domains stating one proposition with opposite polarity (module doc)."""
    from teleo.extract.dedupe import DUPLICATE_THRESHOLD
    from teleo.extract.offline import enrichment_type

    scores = claims.scores(new) if new else None
    if scores is None:
        return []
    paths = claims.paths()
    out = []
    for row, path in enumerate(new):
        for column, other in enumerate(paths):
            if claims.domain[other] == claims.domain[path] or scores[row, column] < DUPLICATE_THRESHOLD:
                continue
            if enrichment_type(asserted(claims.title[path]), asserted(claims.title[other])) == "challenge":
                out.append((path, other))
    return out


def _nearest_elsewhere(claims: _Claims, path: str, domains: set[str]) -> str | None:
    """The claim of another of `domains` closest to `path`, when related (cosine ≥ the extractor's related line)."""
    from teleo.extract.dedupe import RELATED_THRESHOLD

    scores = claims.scores([path])
    if scores is None:
        return None
    best, best_score = None, RELATED_THRESHOLD
    for column, other in enumerate(claims.paths()):
        if (claims.domain[other] != claims.domain[path] and claims.domain[other] in domains
                and float(scores[0, column]) >= best_score
                and claims.title[other].casefold() != claims.title[path].casefold()):  # a copy is no other side
            best, best_score = other, float(scores[0, column])
    return best


def sides_of(entry: Entry, domain_of: dict[str, str]) -> dict[str, list[str]]:
    """An entry's claims grouped by domain, in the order of `entry.domains` then first appearance."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for path in entry.claims:
        domain = domain_of.get(path)
        if domain:
            grouped[domain].append(path)
    order = [d for d in entry.domains if d in grouped] + [d for d in grouped if d not in entry.domains]
    return {d: grouped[d] for d in order}
