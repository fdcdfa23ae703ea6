"""The reverse-dependency graph: from a note to the beliefs and positions that rest on it.

Edges, read as the codex writes them (reference §2.6, §2.7):

* a belief file (`type: belief`) depends on its `depends_on` entries (`[[title]]` or a bare
  title) and on the links of its `## Grounding` section or `**Grounding:**` block;
* a `### N. statement` section of `agents/<name>/beliefs.md` depends on the links of its
  `**Grounding:**` block; a section that links its `[full file](beliefs/….md)` *is* that belief
  file, so its grounding is added to the file's and the file is what gets flagged;
* a position depends on its `depends_on` entries and the links of its `## Reasoning Chain`;
* a claim (or conviction) depends on its `depends_on` entries: claims pass a change on to the
  beliefs that rest on them ("evidence → claims → beliefs → positions") but are never flagged;
* a claim also depends on every entity it links to (`schemas/entity.md`: "check which claims
  reference this entity, then which beliefs depend on those claims"), so an entity's change
  reaches beliefs through the claims that cite it;
* a sector (`type: sector`, owned by its `tracked_by` agent) depends on its `depends_on`
  entries and the links of its `## Market Thesis` section, where the codex lists its "key
  claim dependencies" (`schemas/sector.md`: "sector files that depend on it must be flagged").

A dependency that does not resolve is kept under its normalised title, so a note that is gone
still reaches what linked to it.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from teleo.cascade.models import TargetKind
from teleo.notes import Kind, Note, find_links
from teleo.notes.links import body_link_targets
from teleo.notes.beliefs import BeliefSection, belief_sections, grounding_lines, section_lines
from teleo.vault import Vault
from teleo.vault.resolver import normalise_title

AGENTS_FOLDER = "agents"
_REASONING_HEADING = re.compile(r"^reasoning chain\b", re.IGNORECASE)
_THESIS_HEADING = re.compile(r"^market thesis\b", re.IGNORECASE)
_BRACKETS = re.compile(r"^\[\[(.+?)\]\]$")
_TRUE = {"true", "yes", "1"}


@dataclass(frozen=True)
class Target:
    """A belief, position or sector a cascade can flag."""

    key: str
    """The file path, or `<beliefs.md path>#<number>` for a section of `beliefs.md`."""
    path: str
    kind: TargetKind
    agent: str
    title: str
    section: str | None = None
    status: str | None = None
    load_bearing: bool = False
    """An axiom, a `load_bearing`/strong belief, an active or adopted position (reference §4.6)."""

    @property
    def live(self) -> bool:
        """Abandoned beliefs and closed positions are not flagged."""
        return (self.status or "").lower() not in ("abandoned", "closed")


class DependencyGraph:
    """Who depends on what, read once from a vault."""

    def __init__(self) -> None:
        self.targets: dict[str, Target] = {}
        self.dependents: dict[str, set[str]] = defaultdict(set)
        """Dependency key (a path, or `title:<normalised>`) → keys of the nodes resting on it."""

    @classmethod
    def build(cls, vault: Vault, entities: Iterable[str] = ()) -> DependencyGraph:
        """The graph of `vault`; the claims citing `entities` (paths) are read too — only the
        entities a change touched, as reading every claim's links costs more than all the rest."""
        graph = cls()
        entities = set(entities)
        names = {title_key(path) for path in entities}  # a link can only resolve to a file of its title
        for path in vault.markdown_paths():
            if path.startswith("inbox/"):
                continue  # sources depend on nothing
            note = vault.note(path)
            if not note.readable or note.doc.frontmatter is None and note.kind is not Kind.BELIEFS_DOC:
                continue
            graph._add_note(vault, note)
            if names and note.kind in (Kind.CLAIM, Kind.CONVICTION):
                graph._cite(vault, note, names, entities)
        return graph

    def _cite(self, vault: Vault, note: Note, names: set[str], entities: set[str]) -> None:
        """`note` rests on the entities of `entities` it links to."""
        for target in body_link_targets(note.doc):
            if title_key(target) not in names:
                continue
            found = vault.resolver.resolve(target, note.path).path
            if found in entities:
                self.dependents[found].add(note.path)

    def _add_note(self, vault: Vault, note: Note) -> None:
        if note.kind is Kind.BELIEF and _in_agents(note.path):
            target = _file_target(note, "belief")
            self.targets[target.key] = target
            self._depend(vault, note, target.key, _depends_on(note) + _links_on(note, grounding_lines(note.doc)))
        elif note.kind is Kind.POSITION and _in_agents(note.path):
            target = _file_target(note, "position")
            self.targets[target.key] = target
            self._depend(vault, note, target.key, _depends_on(note) + _links_on(note, section_lines(note.doc, _REASONING_HEADING)))
        elif note.kind is Kind.BELIEFS_DOC:
            for section, full_file, links in _belief_sections(vault, note):
                if full_file is None:
                    self.targets[section.key] = section
                self._depend(vault, note, full_file or section.key, links)
        elif note.kind is Kind.SECTOR:
            target = _file_target(note, "sector")
            self.targets[target.key] = target
            self._depend(vault, note, target.key, _depends_on(note) + _links_on(note, section_lines(note.doc, _THESIS_HEADING)))
        elif note.kind in (Kind.CLAIM, Kind.CONVICTION) and "depends_on" in note.data:
            self._depend(vault, note, note.path, _depends_on(note))

    def _depend(self, vault: Vault, note: Note, node: str, targets: list[str]) -> None:
        for target in targets:
            resolution = vault.resolver.resolve(target, note.path)
            if resolution.unsafe:
                continue
            key = resolution.path if resolution.path else title_key(target)
            if key != node:
                self.dependents[key].add(node)

    def reached_from(self, path: str) -> dict[str, list[str]]:
        """Every target resting on `path`, directly or through claims, beliefs and positions,
        with the shortest chain `[path, …, target key]`. Cycle-safe: each node is visited once."""
        parent: dict[str, str | None] = {path: None}
        queue = deque([path])
        found: dict[str, list[str]] = {}
        while queue:
            node = queue.popleft()
            keys = [node] if node != path else [path, title_key(PurePosixPath(path).stem)]
            for key in keys:
                for dependent in sorted(self.dependents.get(key, ())):
                    if dependent in parent:
                        continue
                    parent[dependent] = node
                    queue.append(dependent)
                    if dependent in self.targets:
                        found[dependent] = _chain(parent, dependent)
        return found


def title_key(target: str) -> str:
    """The key of a dependency that does not resolve: its normalised title."""
    name = target.rsplit("/", 1)[-1]
    return "title:" + normalise_title(name.removesuffix(".md"))


def _chain(parent: dict[str, str | None], node: str) -> list[str]:
    chain = [node]
    while (previous := parent[chain[-1]]) is not None:
        chain.append(previous)
    return chain[::-1]


def _in_agents(path: str) -> bool:
    return path.startswith(AGENTS_FOLDER + "/")


def agent_of(note: Note) -> str:
    """The owning agent: the `agents/<name>/` folder, else the `agent` (or a sector's `tracked_by`) field."""
    parts = note.path.split("/")
    if len(parts) > 2 and parts[0] == AGENTS_FOLDER:
        return parts[1]
    owner = _text(note.data.get("agent")) or _text(note.data.get("tracked_by")) or "unknown"
    return owner.strip().lower()


def _file_target(note: Note, kind: TargetKind) -> Target:
    data = note.data
    status = _text(data.get("status"))
    if kind == "sector":
        bearing = False
    elif kind == "belief":
        bearing = (
            (_text(data.get("level")) or "").lower() == "axiom"
            or (_text(data.get("load_bearing")) or "").lower() in _TRUE
            or (_text(data.get("confidence")) or "").lower() == "strong"
        )
    else:
        bearing = (status or "").lower() in ("active", "adopted")
    return Target(note.path, note.path, kind, agent_of(note), note.title, None, status, bearing)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, (list, dict, tuple)):
        return None
    return str(value).strip() or None


def _depends_on(note: Note) -> list[str]:
    """`depends_on` entries as link targets (`"[[title|alias]]"` or a bare title)."""
    value = note.data.get("depends_on")
    items = value if isinstance(value, (list, tuple)) else [value]
    found = []
    for item in items:
        while isinstance(item, (list, tuple)) and len(item) == 1:
            item = item[0]  # `- [[x]]` unquoted is a nested list in YAML
        text = _text(item)
        if not text:
            continue
        text = text.strip("\"'")
        match = _BRACKETS.match(text)
        text = (match.group(1) if match else text).split("|", 1)[0]
        text = text.split("#", 1)[0] if not text.startswith("#") else text
        if text.strip():
            found.append(text.strip())
    return found


def _links_on(note: Note, file_lines: frozenset[int]) -> list[str]:
    return [link.target for link in find_links(note.doc) if not link.in_frontmatter and link.line in file_lines]


def _belief_sections(vault: Vault, note: Note) -> list[tuple[Target, str | None, list[str]]]:
    """Each `### N. statement` section (`notes.beliefs`): its target, the belief file it stands for, its grounding."""
    agent = agent_of(note)
    found = []
    for section in belief_sections(note.doc, note.folder):
        target = Target(
            f"{note.path}#{section.number}", note.path, "belief", agent, section.statement,
            section=section.section, status=None, load_bearing=section.load_bearing,
        )
        found.append((target, _full_file(vault, section), _links_on(note, section.grounding_lines)))
    return found


def _full_file(vault: Vault, section: BeliefSection) -> str | None:
    """The belief file a section heading links to, when it is one."""
    for path in section.full_files:
        if path in vault.resolver.titles().get(PurePosixPath(path).stem, ()) and vault.note(path).kind is Kind.BELIEF:
            return path
    return None
