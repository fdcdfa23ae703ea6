"""Nodes and edges of the claim graph (reference §6, with its defects fixed).

**Node selection.** A file is a candidate when it lies under a scanned folder
— every configured domain folder plus `convictions/` (on a vault with no
configured domains: the reference's `core/`, `domains/`, `foundations/`,
`convictions/`) — and its name does not start with `_`. A candidate is a node
when its `type` is one of the reference's types (claim, conviction, analysis,
belief, position), one of the legacy claim types (framework, insight,
pattern, tension; the reference dropped them silently, `legacy_types=False`
restores that), or absent (a file with no frontmatter, no `type`, or
frontmatter that does not parse is a claim that lost its header; lint reports
it). Anything else (topic-map, source, entity, …) is not a node.

**Edges.** `wiki-link` edges come from links in the body (code spans and
fenced code excluded), `conflict` edges from links in the `challenged_by`
frontmatter field. Every link is resolved by the vault's one resolver
(`Vault.resolver`) from the linking note; an edge is kept when the target is
another node. Edges are deduplicated on (source, target, type) and listed in
node order, then link order. `cross_domain` is true when the two nodes'
domains differ (both are always known).
"""

from __future__ import annotations

import colorsys
import hashlib
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from teleo.notes import Note, read_note, split_link
from teleo.notes.links import body_link_targets, field_link_targets
from teleo.vault import Vault

REFERENCE_SCAN = ("core", "domains", "foundations", "convictions")
CONVICTIONS = "convictions"
REFERENCE_TYPES = frozenset({"claim", "conviction", "analysis", "belief", "position"})
LEGACY_CLAIM_TYPES = frozenset({"framework", "insight", "pattern", "tension"})
UNRATED = "unrated"
"""`confidence` of a node whose frontmatter has none (the reference wrote `speculative`)."""
CHALLENGE_MAX = 200

# Case-insensitive only where letters are: a literal `##`/`**` first lets the engine skip ahead to it.
_COUNTER_EVIDENCE = re.compile(r"^##\s+(?i:Counter[\s-]?evidence)", re.MULTILINE)
_COUNTER_ARGUMENT = re.compile(r"^\*\*(?i:Counter\s*argument)", re.MULTILINE)
_LINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")

REFERENCE_COLORS: dict[str, str] = {
    "internet-finance": "#4A90D9",
    "entertainment": "#9B59B6",
    "health": "#2ECC71",
    "ai-alignment": "#E74C3C",
    "space-development": "#F39C12",
    "grand-strategy": "#D4AF37",
    "mechanisms": "#1ABC9C",
    "living-capital": "#3498DB",
    "living-agents": "#E67E22",
    "teleohumanity": "#F1C40F",
    "critical-systems": "#95A5A6",
    "collective-intelligence": "#BDC3C7",
    "teleological-economics": "#7F8C8D",
    "cultural-dynamics": "#C0392B",
}
"""The front end's palette for the teleo-codex domains (same values as the reference)."""


@dataclass
class GraphNode:
    """One node, plus what the other outputs need from its note."""

    id: str
    title: str
    domain: str
    created: str
    confidence: str
    challenged: bool
    challenges: list[str]
    description: str
    body_links: list[str] = field(default_factory=list, repr=False)
    """Targets of the body's wiki links, in order (code excluded)."""
    conflict_links: list[str] = field(default_factory=list, repr=False)
    """Targets of the links in `challenged_by`."""
    attribution: Any = field(default=None, repr=False)
    """The raw `attribution:` frontmatter value."""
    agent: str = "collective"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "title": self.title, "domain": self.domain, "agent": self.agent,
            "created": self.created, "confidence": self.confidence, "challenged": self.challenged,
        }
        if self.challenges:
            data["challenges"] = self.challenges
        return data


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    type: str
    cross_domain: bool

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "type": self.type, "cross_domain": self.cross_domain}


def scan_folders(vault: Vault) -> list[str]:
    """The folders whose files may be nodes: configured domain folders + convictions/."""
    folders = {d.folder.strip("/") for d in vault.config.domains.values() if d.folder.strip("/")}
    if not folders:
        return list(REFERENCE_SCAN)
    folders.add(CONVICTIONS)
    return sorted(folders)


def candidate_paths(vault: Vault) -> list[str]:
    """Markdown paths under the scanned folders, not starting with `_`, sorted."""
    prefixes = tuple(f + "/" for f in scan_folders(vault))
    return [
        path for path in vault.markdown_paths()
        if path.startswith(prefixes) and not path.rpartition("/")[2].startswith("_")
    ]


def is_node(note: Note, legacy_types: bool = True) -> bool:
    """Whether a candidate note becomes a node (see the module doc)."""
    value = note.data.get("type")
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    if not isinstance(value, str):
        return False
    kind = value.strip().lower()
    return kind in REFERENCE_TYPES or (legacy_types and kind in LEGACY_CLAIM_TYPES)


def read_nodes(
    vault: Vault, paths: list[str], legacy_types: bool = True, workers: int = 1,
    while_waiting: Callable[[], object] | None = None, chunk: int = 500,
) -> list[GraphNode]:
    """The nodes among `paths` (vault-relative, from the vault's walk), in path order.

    With `workers` > 1 the notes are read and parsed in that many processes
    (fork) while this one runs `while_waiting` (which may start threads: it
    runs after the fork); the result is the same list in the same order.
    """
    by_folder: dict[str, str] = {}
    domains = {}
    for path in paths:
        folder = path.rpartition("/")[0]
        if folder not in by_folder:
            by_folder[folder] = folder_domain(vault, path)
        domains[path] = by_folder[folder]
    if workers <= 1 or len(paths) < 2 * chunk or "fork" not in multiprocessing.get_all_start_methods():
        if while_waiting is not None:
            while_waiting()
        return [n for n in (_read_node(vault.root, p, domains[p], legacy_types) for p in paths) if n is not None]
    parts_of_paths = [paths[i : i + chunk] for i in range(0, len(paths), chunk)]
    jobs = [(vault.root, part, [domains[p] for p in part], legacy_types) for part in parts_of_paths]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = pool.map(_read_chunk, jobs)  # the workers are forked here, before `while_waiting` starts threads
        if while_waiting is not None:
            while_waiting()
        return [node for part in parts for node in part]


def _read_chunk(job: tuple[Path, list[str], list[str], bool]) -> list[GraphNode]:
    root, paths, domains, legacy_types = job
    return [n for n in (_read_node(root, p, d, legacy_types) for p, d in zip(paths, domains)) if n is not None]


def _read_node(root: Path, path: str, folder_domain_name: str, legacy_types: bool) -> GraphNode | None:
    # The paths come from the vault's walk, which already refused outward symlinks.
    note = read_note(root, path)
    if not is_node(note, legacy_types):
        return None
    return build_node(note, folder_domain_name)


def build_node(note: Note, default_domain: str) -> GraphNode:
    data = note.data
    challenged_by = _items(data.get("challenged_by"))
    challenges = [c for c in (_challenge_text(item) for item in challenged_by) if c]
    challenged = bool(challenges) or has_counter_section(note.doc.body)
    body_links = body_link_targets(note.doc)
    conflict_links = field_link_targets(note.doc, "challenged_by")
    return GraphNode(
        id=note.path,
        title=note.title,
        domain=_text(data.get("domain")) or default_domain,
        created=_text(data.get("created")),
        confidence=_text(data.get("confidence")) or UNRATED,
        challenged=challenged,
        challenges=challenges,
        description=" ".join(_text(data.get("description")).split()),
        body_links=body_links,
        conflict_links=conflict_links,
        attribution=data.get("attribution"),
    )


def has_counter_section(body: str) -> bool:
    """A `## Counter-evidence` heading or a `**Counter argument` paragraph (reference semantics)."""
    if "ounter" not in body and "OUNTER" not in body:  # cheap pre-check; the patterns are case-insensitive
        return False
    return bool(_COUNTER_EVIDENCE.search(body) or _COUNTER_ARGUMENT.search(body))


def _text(value: Any) -> str:
    """A scalar frontmatter value as stripped text; '' for none, lists and mappings."""
    if value is None or isinstance(value, (list, tuple, dict)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _items(value: Any) -> list[str]:
    """A list-ish frontmatter value as strings (`- [[x]]` unquoted is YAML for [['x']])."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    found = []
    for item in items:
        while isinstance(item, list) and len(item) == 1:
            item = item[0]
        if item is None:
            continue
        if isinstance(item, list):
            item = ", ".join(str(i) for i in item)
        elif isinstance(item, dict):
            item = ", ".join(f"{k}: {v}" for k, v in item.items())
        found.append(str(item))
    return found


def folder_domain(vault: Vault, path: str) -> str:
    """The domain of a node without a `domain` field: its folder's configured domain, else the reference's guess."""
    configured = vault.config.domain_of_folder(path.rpartition("/")[0])
    if configured:
        return configured
    parts = path.split("/")
    # The reference's inference: domains/<d>/… → <d>; <top>/<d>/… → <d>; <top>/x.md → <top>.
    return parts[1] if len(parts) > 2 else parts[0]


def _challenge_text(item: str) -> str:
    text = _LINK.sub(lambda m: split_link(m.group(1))[1] or split_link(m.group(1))[0], item)
    text = re.sub(r"^-\s*", "", text.strip()).strip().strip('"').strip("'").strip()
    return text[:CHALLENGE_MAX]


def build_edges(vault: Vault, nodes: dict[str, GraphNode]) -> list[GraphEdge]:
    """Body links → wiki-link edges; `challenged_by` links → conflict edges."""
    resolver = vault.resolver
    edges: list[GraphEdge] = []
    seen: set[tuple[str, str, str]] = set()
    for node in nodes.values():
        for kind, targets in (("wiki-link", node.body_links), ("conflict", node.conflict_links)):
            for target in targets:
                found = resolver.resolve(target, node.id).path
                if found is None or found == node.id or found not in nodes:
                    continue
                key = (node.id, found, kind)
                if key in seen:
                    continue
                seen.add(key)
                edges.append(GraphEdge(node.id, found, kind, node.domain != nodes[found].domain))
    return edges


def domain_colors(vault: Vault, domains: set[str]) -> dict[str, str]:
    """The reference palette for codex domains; a stable derived colour for any other."""
    names = set(domains) | set(vault.config.domains)
    if not vault.config.domains:
        names |= set(REFERENCE_COLORS)
    return {name: REFERENCE_COLORS.get(name) or derived_color(name) for name in sorted(names)}


def derived_color(name: str) -> str:
    """A colour that depends only on the name: hue from its SHA-1, fixed saturation and lightness."""
    hue = int.from_bytes(hashlib.sha1(name.encode("utf-8")).digest()[:2], "big") / 65536
    red, green, blue = colorsys.hls_to_rgb(hue, 0.55, 0.6)
    return "#{:02X}{:02X}{:02X}".format(round(red * 255), round(green * 255), round(blue * 255))
