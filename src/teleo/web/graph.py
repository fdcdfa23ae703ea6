"""The claim graph for the graph view: the export's nodes and edges plus a precomputed layout.

Nodes and edges are exactly `teleo graph`'s (`teleo.export.graph`): claims and
convictions, wiki-link edges from bodies, conflict edges from `challenged_by`.
The layout is a force-directed one (Fruchterman–Reingold) computed here with
numpy from a seeded start, so the same graph always gets the same picture; it
is cached in memory by a hash of the node ids and edges. The browser only
draws, zooms and pans.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from teleo.export.graph import build_edges, candidate_paths, domain_colors, read_nodes
from teleo.vault import Vault
from teleo.web.markdown import note_href
from teleo.web.state import WebState

LAYOUT_SIZE = 1000.0
MAX_PAIRWISE = 4_000_000
"""Repulsion is computed against all other nodes while n² stays under this; above it, against
a fixed random sample of them (scaled up), so a graph of 10k nodes still lays out in seconds."""


def graph_data(state: WebState) -> dict[str, Any]:
    """graph-data.json's nodes, edges and domain colours, each node with `x`, `y` and `href`."""
    index = state.fresh_index()
    return state.cached("graph", index.generation, lambda: _build(state))


def compact_graph(state: WebState) -> dict[str, Any]:
    """The graph as the canvas needs it: nodes with what is drawn and shown, edges as
    `[source index, target index, 1 if conflict else 0]` (a tenth of the full form's bytes)."""
    generation = state.fresh_index().generation
    return state.cached("graph-compact", generation, lambda: _compact(graph_data(state)))


def _compact(full: dict[str, Any]) -> dict[str, Any]:
    where = {node["id"]: i for i, node in enumerate(full["nodes"])}
    keep = ("id", "title", "domain", "confidence", "challenged", "x", "y", "href")
    return {
        "nodes": [{key: node[key] for key in keep} for node in full["nodes"]],
        "edges": [[where[e["source"]], where[e["target"]], int(e["type"] == "conflict")] for e in full["edges"]],
        "domain_colors": full["domain_colors"],
    }


def _build(state: WebState) -> dict[str, Any]:
    vault = Vault(state.root, state.vault.config)  # a fresh walk: the files as they are now
    nodes = {n.id: n for n in read_nodes(vault, candidate_paths(vault))}
    config = vault.config
    for node in nodes.values():
        owner = config.domains.get(node.domain)
        node.agent = owner.agent if owner else "collective"
    edges = build_edges(vault, nodes)
    ids = list(nodes)
    pairs = [(e.source, e.target) for e in edges]
    positions = state.cached("layout", _hash(ids, pairs), lambda: layout(ids, pairs, previous=_previous(state)))
    out_nodes = []
    for node_id, (x, y) in zip(ids, positions):
        data = nodes[node_id].as_json()
        data.update(x=round(float(x), 2), y=round(float(y), 2), href=note_href(node_id))
        out_nodes.append(data)
    return {
        "schema_version": 1,
        "nodes": out_nodes,
        "edges": [e.as_json() for e in edges],
        "domain_colors": domain_colors(vault, {n.domain for n in nodes.values()}),
    }


def _previous(state: WebState) -> dict[str, tuple[float, float]] | None:
    """Node positions of the graph served last, if any (the warm start of the next layout)."""
    last = state.peek("graph")
    if not last:
        return None
    return {n["id"]: (n["x"], n["y"]) for n in last["nodes"]}


def _hash(ids: list[str], pairs: list[tuple[str, str]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for item in ids:
        digest.update(item.encode() + b"\0")
    for source, target in pairs:
        digest.update(f"{source}\0{target}\1".encode())
    return digest.hexdigest()


def layout(
    ids: list[str], pairs: list[tuple[str, str]], iterations: int | None = None, seed: int = 7,
    previous: dict[str, tuple[float, float]] | None = None,
) -> np.ndarray:
    """Positions (n × 2, within ±LAYOUT_SIZE/2) by Fruchterman–Reingold with a cooling schedule.

    Repulsion k²/d between every pair is computed with whole-array operations (a step over
    500 nodes takes a few milliseconds); above MAX_PAIRWISE pairs, each node is pushed
    by a fixed random sample of the others, scaled up.

    `previous` (id → position of an earlier layout) warm-starts it: known nodes keep their
    place, new ones start at random, and a short cool run settles the change, so an edit
    to one note neither costs a full layout nor reshuffles the picture."""
    n = len(ids)
    if n == 0:
        return np.zeros((0, 2))
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-LAYOUT_SIZE / 2, LAYOUT_SIZE / 2, size=(n, 2))
    known = [i for i, node in enumerate(ids) if previous and node in previous]
    warm = len(known) >= 0.8 * n
    if warm:
        for i in known:
            pos[i] = previous[ids[i]]
    if n == 1:
        return pos * 0
    where = {node: i for i, node in enumerate(ids)}
    edges = np.array([(where[s], where[t]) for s, t in pairs if s in where and t in where], dtype=np.int64).reshape(-1, 2)
    k = LAYOUT_SIZE / math.sqrt(n)
    steps = iterations or (30 if warm else max(40, min(150, int(150 * 1000 / max(n, 1000)))))
    sample = None if n * n <= MAX_PAIRWISE else np.sort(rng.choice(n, size=max(64, MAX_PAIRWISE // n), replace=False))
    temperature = LAYOUT_SIZE / (100 if warm else 10)
    cooling = (LAYOUT_SIZE / 1000 / temperature) ** (1 / steps)
    for _ in range(steps):
        disp = _repulsion(pos, k * k, sample)
        if len(edges):
            delta = pos[edges[:, 0]] - pos[edges[:, 1]]
            pull = delta * (np.sqrt((delta**2).sum(axis=1)) / k)[:, None]  # d²/k along the edge
            for axis in (0, 1):
                disp[:, axis] -= np.bincount(edges[:, 0], pull[:, axis], minlength=n)
                disp[:, axis] += np.bincount(edges[:, 1], pull[:, axis], minlength=n)
        disp -= pos * (0.2 * k / LAYOUT_SIZE)  # a weak pull to the centre keeps islands near
        length = np.maximum(np.sqrt((disp**2).sum(axis=1)), 1e-9)
        pos += disp * (np.minimum(length, temperature) / length)[:, None]
        temperature *= cooling
    return _framed(pos)


def _framed(pos: np.ndarray) -> np.ndarray:
    """Centred and scaled to ±LAYOUT_SIZE/2; stragglers (isolated notes, which repulsion alone
    pushes far out) are pulled in to a ring just outside the body of the graph."""
    pos = pos - np.median(pos, axis=0)
    radius = np.sqrt((pos**2).sum(axis=1))
    ring = max(float(np.percentile(radius, 90)) * 1.15, 1e-6)
    far = radius > ring
    if far.any():
        pos[far] *= (ring / radius[far])[:, None]
    scale = np.abs(pos).max() or 1.0
    return pos / scale * (LAYOUT_SIZE / 2)


def _repulsion(pos: np.ndarray, k2: float, sample: np.ndarray | None) -> np.ndarray:
    """Σ_j k²·(p_i − p_j)/|p_i − p_j|² for every i (over `sample` as the j's when given).

    Plain element-wise arrays: with two coordinates a BLAS product costs more in thread
    start-up than it saves."""
    x, y = pos[:, 0].astype(np.float32), pos[:, 1].astype(np.float32)
    dx = np.subtract.outer(x, x if sample is None else x[sample])
    dy = np.subtract.outer(y, y if sample is None else y[sample])
    dist2 = dx * dx + dy * dy
    np.maximum(dist2, 1.0, out=dist2)
    force = np.float32(k2) / dist2
    if sample is None:
        np.fill_diagonal(force, 0.0)
    else:
        force[sample, np.arange(len(sample))] = 0.0
    disp = np.stack(((dx * force).sum(axis=1), (dy * force).sum(axis=1)), axis=1).astype(np.float64)
    return disp if sample is None else disp * (len(pos) / len(sample))
