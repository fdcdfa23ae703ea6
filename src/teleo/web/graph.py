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
    positions = state.cached(f"layout:{_hash(ids, pairs)}", 0, lambda: layout(ids, pairs))
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


def _hash(ids: list[str], pairs: list[tuple[str, str]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for item in ids:
        digest.update(item.encode() + b"\0")
    for source, target in pairs:
        digest.update(f"{source}\0{target}\1".encode())
    return digest.hexdigest()


def layout(ids: list[str], pairs: list[tuple[str, str]], iterations: int | None = None, seed: int = 7) -> np.ndarray:
    """Positions (n × 2, within ±LAYOUT_SIZE/2) by Fruchterman–Reingold with a cooling schedule."""
    n = len(ids)
    if n == 0:
        return np.zeros((0, 2))
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-LAYOUT_SIZE / 2, LAYOUT_SIZE / 2, size=(n, 2))
    if n == 1:
        return pos * 0
    where = {node: i for i, node in enumerate(ids)}
    edges = np.array([(where[s], where[t]) for s, t in pairs if s in where and t in where], dtype=np.int64).reshape(-1, 2)
    k = LAYOUT_SIZE / math.sqrt(n)
    steps = iterations or max(40, min(250, int(250 * (800 / max(n, 800)))))
    sample = None if n * n <= MAX_PAIRWISE else rng.choice(n, size=max(64, MAX_PAIRWISE // n), replace=False)
    temperature = LAYOUT_SIZE / 10
    for step in range(steps):
        disp = _repulsion(pos, k, sample, n)
        if len(edges):
            delta = pos[edges[:, 0]] - pos[edges[:, 1]]
            dist = np.maximum(np.linalg.norm(delta, axis=1), 0.01)
            force = (delta / dist[:, None]) * (dist**2 / k)[:, None]
            np.add.at(disp, edges[:, 0], -force)
            np.add.at(disp, edges[:, 1], force)
        disp -= pos * (0.02 * k / LAYOUT_SIZE * 10)  # a weak pull to the centre keeps islands near
        length = np.maximum(np.linalg.norm(disp, axis=1), 0.01)
        pos += disp / length[:, None] * np.minimum(length, temperature)[:, None]
        temperature = max(LAYOUT_SIZE / 500, temperature * 0.97)
    pos -= pos.mean(axis=0)
    scale = np.abs(pos).max() or 1.0
    return pos / scale * (LAYOUT_SIZE / 2)


def _repulsion(pos: np.ndarray, k: float, sample: np.ndarray | None, n: int) -> np.ndarray:
    others = pos if sample is None else pos[sample]
    factor = 1.0 if sample is None else n / len(sample)
    disp = np.zeros_like(pos)
    chunk = max(1, 2_000_000 // max(len(others), 1))
    for start in range(0, n, chunk):
        block = pos[start : start + chunk]
        delta = block[:, None, :] - others[None, :, :]
        dist2 = np.maximum((delta**2).sum(axis=2), 0.01)
        disp[start : start + chunk] = (delta * (k * k / dist2)[:, :, None]).sum(axis=1) * factor
    return disp
