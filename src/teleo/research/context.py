"""What a research session reads before it plans: beliefs, the keystone, past follow-ups, candidates.

Everything of the vault is read from main's tip (`TreeVault`), never from the working tree, so the
session plans against what its branch will be based on. The raw dumps are the exception: they are
dropped on the host (`inbox-raw/<agent>/`, reference §4.1) and read from disk.

**Keystone.** The agent's beliefs are the numbered sections of `agents/<agent>/beliefs.md`
(`notes.beliefs.belief_sections`), and when there is none, its belief files `agents/<agent>/beliefs/*.md`.
The keystone is the belief marked load-bearing (a `*(keystone …)*` remark, `load_bearing: true`),
else Belief 1 — research sessions attack Belief 1 (reference §2.6). Its disconfirmation target is
the section's `**Disconfirmation target:**` paragraph when it has one.

**Candidates.** Each dump item becomes a candidate source unless it is already archived (same URL
or same text as a note under `inbox/`, `teleo.ingest.dedupe`) or repeats another item. Candidates
are ranked by the words they share with the keystone (its statement, disconfirmation target and
grounding titles), then by the author's tier in `network.json` (core, extended, other), then by
likes, then by where they came from — the offline planner takes the first ones, a model is shown
the first `SHOWN` of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from teleo.ingest.clean import content_hash, neutralise_body
from teleo.ingest.dedupe import ArchiveIndex, normalise_url
from teleo.notes import Kind
from teleo.notes.beliefs import belief_sections
from teleo.notes.links import find_links
from teleo.notes.sections import HEADING, section_end
from teleo.notes.untrusted import one_line
from teleo.research.dumps import Dumps, RawItem
from teleo.research.network import Network

SHOWN = 40
"""Candidates a model is shown (the best-ranked ones)."""
_WORD = re.compile(r"[a-z][a-z0-9'-]{3,}")
STOPWORDS = frozenset("""
about above after again against also although among another because been before being below between both
cannot could does doing down during each even every from further have having here however into itself just
more most much must neither never only other ought ours over same should since some such than that their
theirs them then there these they this those through under until very were what when where which while
whom whose will with within without would your yours really still rather quite many make makes made
""".split())
TIER_RANK = {"core": 2, "extended": 1, "watch": 0}
_DISCONFIRMATION = re.compile(r"^\*\*Disconfirmation target:?\*\*:?\s*(.*)$", re.IGNORECASE)


class ResearchInputError(ValueError):
    """The agent's folder cannot support a session (no beliefs); the message names the file."""


@dataclass
class Belief:
    number: str
    statement: str
    disconfirmation: str | None = None
    grounding: list[str] = field(default_factory=list)
    """Exact titles (file stems) of the grounding notes that resolve on main."""
    load_bearing: bool = False
    where: str = ""
    """The file (and line) it is written in."""

    def terms(self) -> set[str]:
        return words(" ".join([self.statement, self.disconfirmation or "", *self.grounding]))


@dataclass
class Candidate:
    id: str
    item: RawItem
    title: str
    body: str
    """The text as it will be archived (neutralised)."""
    shared: list[str]
    """Keystone words it shares, most telling first."""
    tier: str | None


@dataclass
class Context:
    agent: str
    date: str
    domain: str
    beliefs: list[Belief]
    keystone: Belief
    network: Network
    candidates: list[Candidate]
    skipped: list[str]
    """Items not made candidates (already archived, repeated) and the dumps' own notes."""
    identity: str = ""
    previous: str | None = None
    """The path of the agent's latest earlier research musing on main."""
    previous_threads: list[str] = field(default_factory=list)
    """Its `### Active Threads` bullets."""
    journal: str = ""
    """The journal's text on main (empty: none yet)."""
    dumps_read: int = 0


def words(text: str) -> set[str]:
    """Content words of `text`: lower-case, four letters or more, no stop words."""
    return {w.strip("'-") for w in _WORD.findall(text.lower())} - STOPWORDS


def read_beliefs(base, agent: str) -> list[Belief]:
    """The agent's beliefs on main (module doc); raises `ResearchInputError` when it has none."""
    folder = f"agents/{agent}"
    aggregate = f"{folder}/beliefs.md"
    beliefs: list[Belief] = []
    if base.exists(aggregate):
        note = base.note(aggregate)
        if note.readable:
            lines = note.doc.body.split("\n")
            start = note.doc.body_start_line
            links = find_links(note.doc)
            for section in belief_sections(note.doc, folder):
                index = section.line - start
                end = section_end(lines, index, 3)
                grounding = [_exact(base, link.target, aggregate) for link in links
                             if link.line in section.grounding_lines]
                beliefs.append(Belief(
                    number=section.number, statement=one_line(section.statement, 300),
                    disconfirmation=_disconfirmation(lines[index + 1:end]),
                    grounding=[g for g in grounding if g], load_bearing=section.load_bearing,
                    where=f"{aggregate}:{section.line}"))
    if not beliefs:
        files = sorted(p for p in base.markdown_paths() if p.startswith(f"{folder}/beliefs/"))
        for number, path in enumerate(files, 1):
            note = base.note(path)
            if note.kind is not Kind.BELIEF:
                continue
            text = note.doc.body.split("\n")
            grounding = [_exact(base, str(d).strip("[]"), path) for d in _as_list(note.data.get("depends_on"))]
            beliefs.append(Belief(number=str(number), statement=one_line(note.title, 300),
                                  disconfirmation=_disconfirmation(text), grounding=[g for g in grounding if g],
                                  load_bearing=note.data.get("load_bearing") is True, where=path))
    if not beliefs:
        raise ResearchInputError(f"{aggregate}: {agent} has no beliefs on main (no '### N. statement' section in "
                                 f"{aggregate}, no belief file in {folder}/beliefs/): a research session attacks a "
                                 "belief, so write one first")
    return beliefs


def keystone_of(beliefs: list[Belief]) -> Belief:
    """The load-bearing belief, else Belief 1 (else the first written)."""
    return next((b for b in beliefs if b.load_bearing), None) or next(
        (b for b in beliefs if b.number == "1"), beliefs[0])


def _disconfirmation(lines: list[str]) -> str | None:
    for index, line in enumerate(lines):
        found = _DISCONFIRMATION.match(line.strip())
        if found:
            more = []
            for following in lines[index + 1:]:
                if not following.strip() or following.startswith(("#", "**", "---")):
                    break
                more.append(following.strip())
            text = one_line(" ".join([found.group(1), *more]), 400)
            return re.sub(r"\s*See \[full file\]\([^)]*\)[^.]*\.?", "", text).strip() or None
    return None


def _exact(base, target: str, from_path: str) -> str | None:
    resolved = base.resolver.resolve(target, from_path)
    return PurePosixPath(resolved.path).stem if resolved.resolved and resolved.path else None


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value] if isinstance(value, str) else []


def previous_session(base, agent: str, date: str) -> tuple[str | None, list[str]]:
    """(path, Active Threads bullets) of the agent's latest research musing on main dated before `date`."""
    folder = f"agents/{agent}/musings/"
    earlier = sorted(p for p in base.markdown_paths()
                     if p.startswith(folder) and PurePosixPath(p).name.startswith("research-")
                     and PurePosixPath(p).stem[len("research-"):][:10] < date)
    if not earlier:
        return None, []
    path = earlier[-1]
    note = base.note(path)
    lines = note.doc.body.split("\n")
    threads: list[str] = []
    for index, line in enumerate(lines):
        found = HEADING.match(line)
        if found and found.group(2).strip().lower().startswith("active threads"):
            for inner in lines[index + 1:section_end(lines, index, len(found.group(1)))]:
                if inner.lstrip().startswith(("- ", "* ")):
                    threads.append(one_line(inner.lstrip()[2:], 300))
    return path, threads[:10]


def make_candidates(base, dumps: Dumps, network: Network, keystone: Belief) -> tuple[list[Candidate], list[str]]:
    """Candidates ranked (module doc), and what was skipped and why."""
    archive = ArchiveIndex(base)
    skipped = list(dumps.notes)
    seen_urls: dict[str, str] = {}
    seen_hashes: dict[str, str] = {}
    ranked = []
    terms = keystone.terms()
    for item in dumps.items:
        body = neutralise_body(item.text)
        if not body.strip():
            skipped.append(f"{item.origin}: no text left after cleaning")
            continue
        digest = content_hash(body)
        norm = normalise_url(item.url)
        dup = archive.url_duplicate([item.url]) or archive.content_duplicate(digest)
        if dup is not None:
            skipped.append(f"{item.origin}: already archived as {dup.path} (same {dup.reason})")
            continue
        again = (seen_urls.get(norm) if norm else None) or seen_hashes.get(digest)
        if again:
            skipped.append(f"{item.origin}: repeats {again}")
            continue
        if norm:
            seen_urls[norm] = item.origin
        seen_hashes[digest] = item.origin
        shared = sorted(words(body) & terms, key=lambda w: (-len(w), w))
        tier = network.tier_of(item.handle)
        rank = (-len(shared), -TIER_RANK.get(tier or "", -1), -(item.likes or 0), item.origin)
        ranked.append((rank, item, body, shared, tier))
    ranked.sort(key=lambda entry: entry[0])
    candidates = [Candidate(id=f"S{number}", item=item, title=title_of(item, body), body=body, shared=shared, tier=tier)
                  for number, (_, item, body, shared, tier) in enumerate(ranked, 1)]
    return candidates, skipped


def title_of(item: RawItem, body: str) -> str:
    """A document's own title, else the post's first sentence (at most ~100 characters, links left out)."""
    if item.title and item.title.strip():
        return one_line(item.title, 150)
    text = one_line(item.text)
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return one_line(re.sub(r"https?://\S+", "", first).strip() or text, 100)
