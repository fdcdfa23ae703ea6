"""`export_graph(vault, out_dir)`: write graph-data.json, claims-context.json, contributors.json.

Deterministic: the same commit and files give the same bytes. Nothing in the
output depends on the clock, the machine, or dict/set iteration order; the
one timestamp (`claims-context.json` → `generated`) is the HEAD commit's
date unless pinned. Each file is written atomically and only when its bytes
changed.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from teleo.export.context import DEFAULT_BUDGET, build_context
from teleo.export.contributors import build_contributors, sourced_claims
from teleo.export.graph import GraphEdge, build_edges, candidate_paths, domain_colors, read_nodes
from teleo.export.history import History, adder_agent, build_events, commit_timestamp, load_history
from teleo.notes import atomic_write
from teleo.vault import Vault

SCHEMA_VERSION = 1
GRAPH_FILE = "graph-data.json"
CONTEXT_FILE = "claims-context.json"
CONTRIBUTORS_FILE = "contributors.json"
COLLECTIVE = "collective"
PARALLEL_FROM = 4000
_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class ExportOptions(BaseModel):
    """Knobs of the export; the defaults are what `teleo graph` does."""

    legacy_types: bool = True
    """Include framework/insight/pattern/tension notes (the reference dropped them)."""
    context_budget: int = Field(DEFAULT_BUDGET, ge=0)
    """Maximum size of claims-context.json in characters."""
    max_events: int | None = Field(None, ge=0)
    """Keep only the latest N events (default: all)."""
    generated: str | None = None
    """Pin claims-context.json's `generated` (default: the HEAD commit's date)."""
    history: bool = True
    """Read git history (agents, events, trailers); off = as if the vault had none."""
    workers: int | None = Field(None, ge=1)
    """Processes that read and parse notes (default: up to 4 when there are 4,000+ candidates)."""


class FileResult(BaseModel):
    name: str
    bytes: int
    written: bool
    """False when the file already held exactly these bytes."""


class ExportSummary(BaseModel):
    """What an export produced (the CLI prints it; `--format json` prints it as JSON)."""

    vault: str
    out_dir: str
    nodes: int
    edges: dict[str, int]
    """Edge count per type (`wiki-link`, `conflict`)."""
    edges_total: int
    cross_domain: int
    isolated: int
    challenged: int
    events: int
    contributors: int
    history: bool
    """Whether git history was read."""
    commits: int
    confidence: dict[str, int]
    agents: dict[str, int]
    nodes_by_folder: dict[str, int]
    generated: str | None
    generated_from: str
    context: dict[str, Any]
    """claims-context truncation record."""
    files: list[FileResult]
    problems: list[str] = []
    seconds: float
    phases: dict[str, float] = {}
    """Wall seconds per phase: read (walk, parse, git log, title index), graph, context, contributors, write."""
    workers: int = 1
    """Processes that parsed notes."""


def export_graph(vault: Vault, out_dir: Path | str, options: ExportOptions | None = None) -> ExportSummary:
    """Export the vault's claim graph into `out_dir` (created if missing)."""
    options = options or ExportOptions()
    started = time.perf_counter()
    phases: dict[str, float] = {}
    lap = _Lap(phases)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    known_agents = set(vault.config.agents) | {d.agent for d in vault.config.domains.values()}
    paths = candidate_paths(vault)
    workers = options.workers if options.workers is not None else _auto_workers(len(paths))
    # While the notes are parsed: git log in a thread, the title index here.
    with ThreadPoolExecutor(max_workers=1) as background:
        pending: list[Future[History | None]] = []

        def meanwhile() -> None:
            if options.history:
                pending.append(background.submit(load_history, vault.root, known_agents))
            vault.resolver  # noqa: B018 — built now, used by build_edges

        nodes = {n.id: n for n in read_nodes(vault, paths, options.legacy_types, workers, meanwhile)}
        history = pending[0].result() if pending else None
    lap("read")
    for node in nodes.values():
        node.agent = adder_agent(history, node.id) or _domain_agent(vault, node.domain) or COLLECTIVE
    edges = build_edges(vault, nodes)
    events = build_events(history, set(nodes), options.max_events)
    lap("graph")

    generated, generated_from = _generated(options, history, nodes.values())
    graph = {
        "schema_version": SCHEMA_VERSION,
        "nodes": [n.as_json() for n in nodes.values()],
        "edges": encode_edges(edges),
        "events": events,
        "domain_colors": domain_colors(vault, {n.domain for n in nodes.values()}),
    }
    context, context_text = build_context(list(nodes.values()), edges, generated, options.context_budget, SCHEMA_VERSION)
    lap("context")
    contributors, problems = build_contributors(vault, nodes, history, SCHEMA_VERSION, sourced_claims(vault))
    lap("contributors")

    files = [
        _write(out / GRAPH_FILE, render_records(graph)),
        _write(out / CONTEXT_FILE, context_text),
        _write(out / CONTRIBUTORS_FILE, json.dumps(contributors, ensure_ascii=False, indent=2) + "\n"),
    ]
    lap("write")

    linked = {e.source for e in edges} | {e.target for e in edges}
    return ExportSummary(
        vault=str(vault.root),
        out_dir=str(out.resolve()),
        nodes=len(nodes),
        edges=dict(sorted(Counter(e.type for e in edges).items())),
        edges_total=len(edges),
        cross_domain=sum(e.cross_domain for e in edges),
        isolated=sum(1 for n in nodes if n not in linked),
        challenged=sum(n.challenged for n in nodes.values()),
        events=len(events),
        contributors=len(contributors["contributors"]),
        history=history is not None,
        commits=len(history.commits) if history else 0,
        confidence=_counts(n.confidence for n in nodes.values()),
        agents=_counts(n.agent for n in nodes.values()),
        nodes_by_folder=_counts(n.id.split("/", 1)[0] for n in nodes.values()),
        generated=generated,
        generated_from=generated_from,
        context={**context["truncation"], "claims": context["claimCount"], "chars": len(context_text)},
        files=files,
        problems=problems,
        seconds=round(time.perf_counter() - started, 3),
        phases=phases,
        workers=workers,
    )


class _Lap:
    """Records the wall time since the previous lap under a phase name."""

    def __init__(self, phases: dict[str, float]) -> None:
        self.phases = phases
        self.last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(now - self.last, 3)
        self.last = now


def _auto_workers(candidates: int) -> int:
    if candidates < PARALLEL_FROM:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _domain_agent(vault: Vault, domain: str) -> str | None:
    configured = vault.config.domains.get(domain)
    return configured.agent if configured else None


def _generated(options: ExportOptions, history: Any, nodes: Any) -> tuple[str | None, str]:
    """claims-context `generated`: pinned, else HEAD's date, else the newest `created` date."""
    if options.generated:
        return options.generated, "option"
    if history is not None and history.head is not None:
        return commit_timestamp(history.head), "head-commit"
    dates = sorted(n.created for n in nodes if _DATE.match(n.created))
    if dates:
        return f"{dates[-1]}T00:00:00Z", "newest-created"
    return None, "none"


def _counts(values: Any) -> dict[str, int]:
    counted = Counter(values)
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


_RECORD = json.JSONEncoder(ensure_ascii=False)
_QUOTE = json.encoder.encode_basestring  # type: ignore[attr-defined]


class Encoded(str):
    """A list item that is already JSON text (render_records writes it as is)."""


def encode_edges(edges: list[GraphEdge]) -> list[Encoded]:
    """Edges as the JSON text `_RECORD` would write, each path quoted once (edges far outnumber nodes)."""
    quoted: dict[str, str] = {}

    def quote(path: str) -> str:
        text = quoted.get(path)
        if text is None:
            text = quoted[path] = _QUOTE(path)
        return text

    return [
        Encoded(
            f'{{"source": {quote(e.source)}, "target": {quote(e.target)}, "type": {_QUOTE(e.type)}, '
            f'"cross_domain": {"true" if e.cross_domain else "false"}}}'
        )
        for e in edges
    ]


def render_records(document: dict[str, Any]) -> str:
    """JSON with one top-level key per line and one list item per line.

    Valid JSON for any reader, small (no deep indentation), quick to write
    (every record goes through the C encoder) and diff-friendly: a changed
    node or edge is a changed line.
    """
    encode = _RECORD.encode
    parts = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join([item if isinstance(item, Encoded) else encode(item) for item in value])
            parts.append(f"  {encode(key)}: [\n    {items}\n  ]")
        else:
            parts.append(f"  {encode(key)}: {encode(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _write(path: Path, text: str) -> FileResult:
    data = text.encode("utf-8")
    try:
        unchanged = path.read_bytes() == data
    except OSError:
        unchanged = False
    if not unchanged:
        atomic_write(path, text)
    return FileResult(name=path.name, bytes=len(data), written=not unchanged)


def contributors_document(vault: Vault, *, history: bool = True) -> tuple[dict[str, Any], list[str]]:
    """contributors.json's document alone (`teleo contributors`, the web's contributor pages): the
    claims read from the files, the trailers from HEAD's history — derived, never stored, so always
    rebuilt from what the vault holds. (document, problems)."""
    known_agents = set(vault.config.agents) | {d.agent for d in vault.config.domains.values()}
    nodes = {n.id: n for n in read_nodes(vault, candidate_paths(vault), True, 1, lambda: None)}
    log = load_history(vault.root, known_agents) if history else None
    return build_contributors(vault, nodes, log, SCHEMA_VERSION, sourced_claims(vault))
