"""`contributors.json` (reference §2.9): who contributed to which claims, in which role.

A contribution is one (handle, role, claim). Sources:

- the claim's `attribution:` block: `role: [{handle, agent_id?, context?, date?}]`
  (a bare string entry is a handle); the date is the entry's `date`, else the
  claim's `created`, else the date of the commit that first added it;
- commit trailers, for every node file a commit on HEAD's history added:
  `Pentagon-Agent: Name <id>` → extractor `name`, `Contributor: name` → sourcer
  `name` unless the claim's attribution block already names that handle (a
  `teleo contribute` commit carries the trailer and writes the block: the block
  says in which role); the date is the commit's;
- a source note's `contributor:` (a source a person added, `teleo contribute
  source`): sourcer of every claim its `claims_extracted` lists, dated as the claim.

Handles are compared case-insensitively and written in lower case; a leading
`@` is kept (`@theiaresearch` is an external handle, not an agent). The same
(handle, role, claim) found twice counts once, with its earliest date.

Per handle: `roles` (count of contributions per role), `weighted_score` =
Σ count × weight (weights from `schemas/contribution-weights.yaml` →
`role_weights` when the vault has it, else the defaults), `domains` (claims
per domain), `first_contribution` / `latest_contribution`, `claim_count`
(distinct claims), and a monthly `timeline` (claims per month, a claim
counted in the month of the handle's earliest contribution to it).
Contributors are sorted by weighted score (highest first), then handle.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import yaml

from teleo.export.graph import GraphNode
from teleo.export.history import History
from teleo.repo.agents import PENTAGON_AGENT, parse_trailer_value
from teleo.vault import Vault

ROLES = ("sourcer", "extractor", "challenger", "synthesizer", "reviewer")
DEFAULT_WEIGHTS = {"sourcer": 0.15, "extractor": 0.40, "challenger": 0.20, "synthesizer": 0.15, "reviewer": 0.10}
WEIGHTS_FILE = "schemas/contribution-weights.yaml"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def load_weights(vault: Vault) -> tuple[dict[str, float], str, list[str]]:
    """(weights, where they came from, problems)."""
    path = vault.root / WEIGHTS_FILE
    if not path.is_file():
        return dict(DEFAULT_WEIGHTS), "defaults", []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return dict(DEFAULT_WEIGHTS), "defaults", [f"{WEIGHTS_FILE}: cannot read ({exc.__class__.__name__}); default weights used"]
    table = data.get("role_weights") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        return dict(DEFAULT_WEIGHTS), "defaults", [f"{WEIGHTS_FILE}: no role_weights mapping; default weights used"]
    weights = dict(DEFAULT_WEIGHTS)
    problems = []
    for role, value in table.items():
        if role not in DEFAULT_WEIGHTS:
            problems.append(f"{WEIGHTS_FILE}: unknown role '{role}' ignored")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{WEIGHTS_FILE}: weight of '{role}' is not a number; default {DEFAULT_WEIGHTS[role]} used")
        else:
            weights[role] = float(value)
    return weights, WEIGHTS_FILE, problems


def build_contributors(
    vault: Vault, nodes: dict[str, GraphNode], history: History | None, schema_version: int = 1,
    sourced: dict[str, list[str]] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The contributors document and any problems met (bad weights file). `sourced`: claim path →
    handles of the people who contributed the source it was extracted from (`sourced_claims`)."""
    weights, weights_source, problems = load_weights(vault)
    found: dict[tuple[str, str, str], str | None] = {}
    named: dict[str, set[str]] = {}

    def add(handle: Any, role: str, path: str, date: str | None) -> None:
        if not isinstance(handle, str) or not handle.strip():
            return
        key = (handle.strip().lower(), role, path)
        date = date[:10] if date and _DATE.match(date) else None
        if key not in found or (date is not None and (found[key] is None or date < found[key])):  # type: ignore[operator]
            found[key] = date

    for path, node in nodes.items():
        block = node.attribution
        if not isinstance(block, dict):
            continue
        fallback = node.created or (history.first_added[path].date if history and path in history.first_added else None)
        for role in ROLES:
            entries = block.get(role)
            if not isinstance(entries, list):
                continue
            for entry in entries:
                handle = entry.get("handle") if isinstance(entry, dict) else entry
                if isinstance(handle, str):
                    named.setdefault(path, set()).add(handle.strip().lower())
                if isinstance(entry, dict):
                    add(handle, role, path, _text(entry.get("date")) or fallback)
                else:
                    add(handle, role, path, fallback)
    for path, handles in (sourced or {}).items():
        if path in nodes:
            for handle in handles:
                add(handle, "sourcer", path, nodes[path].created or None)

    if history is not None:
        for commit in reversed(history.commits):
            added = [ch.path for ch in commit.changes if ch.status == "A" and ch.path in nodes]
            if not added:
                continue
            trailers = commit.trailers
            agents = [parsed[0] for v in trailers.get(PENTAGON_AGENT, []) if (parsed := parse_trailer_value(v))]
            for path in added:
                for name in agents:
                    add(name, "extractor", path, commit.date)
                for name in trailers.get("Contributor", []):
                    if name.strip().lower() not in named.get(path, ()):
                        add(name, "sourcer", path, commit.date)

    return {
        "schema_version": schema_version,
        "weights": {role: weights[role] for role in ROLES},
        "weights_source": weights_source,
        "contributors": _profiles(found, nodes, weights),
    }, problems


def _text(value: Any) -> str | None:
    return str(value) if value is not None and not isinstance(value, (list, dict)) else None


def _profiles(
    found: dict[tuple[str, str, str], str | None], nodes: dict[str, GraphNode], weights: dict[str, float],
) -> list[dict[str, Any]]:
    roles: dict[str, dict[str, int]] = defaultdict(lambda: {role: 0 for role in ROLES})
    claim_dates: dict[str, dict[str, str | None]] = defaultdict(dict)
    all_dates: dict[str, list[str]] = defaultdict(list)
    for (handle, role, path), date in found.items():
        roles[handle][role] += 1
        if date:
            all_dates[handle].append(date)
        known = claim_dates[handle]
        if path not in known:
            known[path] = date
        elif date is not None and (known[path] is None or date < known[path]):  # type: ignore[operator]
            known[path] = date
    profiles = []
    for handle in roles:
        claims = claim_dates[handle]
        domains: dict[str, int] = defaultdict(int)
        months: dict[str, dict[str, Any]] = {}
        for path, date in claims.items():
            domain = nodes[path].domain
            domains[domain] += 1
            if date:
                month = months.setdefault(date[:7], {"count": 0, "domains": set()})
                month["count"] += 1
                month["domains"].add(domain)
        dates = sorted(all_dates[handle])
        score = sum(count * weights[role] for role, count in roles[handle].items())
        profiles.append({
            "handle": handle,
            "roles": roles[handle],
            "weighted_score": round(score, 4),
            "domains": dict(sorted(domains.items())),
            "first_contribution": dates[0] if dates else None,
            "latest_contribution": dates[-1] if dates else None,
            "claim_count": len(claims),
            "timeline": [
                {"date": month, "count": data["count"], "domains": sorted(data["domains"])}
                for month, data in sorted(months.items())
            ],
        })
    profiles.sort(key=lambda p: (-p["weighted_score"], p["handle"]))
    return profiles


def sourced_claims(vault: Vault) -> dict[str, list[str]]:
    """Claim path → handles of the people who contributed a source listing it in `claims_extracted`
    (a source note's `contributor:` field, written by `teleo contribute source`)."""
    from teleo.notes import Kind, note_from_bytes

    found: dict[str, list[str]] = {}
    for path in vault.markdown_paths():
        if not path.startswith("inbox/"):
            continue
        try:
            data = (vault.root / path).read_bytes()
        except OSError:
            continue
        if b"contributor:" not in data:  # most sources: no parse (the export parses only its candidate notes)
            continue
        note = note_from_bytes(path, data)
        who = note.data.get("contributor") if note.kind is Kind.SOURCE else None
        if not isinstance(who, str) or not who.strip():
            continue
        listed = note.data.get("claims_extracted")
        for title in listed if isinstance(listed, list) else [listed] if listed else []:
            target = str(title).strip().removeprefix("[[").removesuffix("]]").split("|", 1)[0].strip()
            resolved = vault.resolver.resolve(target, path) if target else None
            if resolved is not None and resolved.path is not None:
                found.setdefault(resolved.path, []).append(who.strip().lower())
    return found
