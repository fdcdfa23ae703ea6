"""Proposal kinds: which branches are proposals, how their commits read, who reviews them.

A proposal is a branch off `main` that reaches `main` only through review and `teleo merge`.
`teleo proposals`, `teleo review`, `teleo merge`, the web UI and the MCP tools list every branch
whose name fits one of the kinds below (`open_proposals` in `teleo.repo.branches`), and review and
merge read the kind for what differs between them. Each kind is one entry of `KINDS`:

| kind | branch | commit subject | body / trailers | reviewers | cascade after the merge |
|---|---|---|---|---|---|
| `extract` | `extract/<source-slug>` | `<agent>: extract from <file>.md` | `- Source:`, `- Domain:`; `Pentagon-Agent` | the evaluator and the domain peers (`review.selection`) | every changed note |
| `flags` | `flags/<agent>/<flag-id>` | `<agent>: resolve flag <id>` | `- Flag:`, `- Target:`, `- Status:`; `Teleo-Flag`, `Pentagon-Agent` | the evaluator alone (another agent when the evaluator resolves its own) | only the beliefs it revised or abandoned |
| `synthesis` | `synthesis/<agent>/<entry-id>` | `<agent>: synthesize <title>` | `- Trigger:`, `- Domain:`, `- Sides:`; `Teleo-Synthesis`, `Pentagon-Agent` | one domain peer per touched domain, at least two (`review.selection`) | every changed note |
| `contrib` | `contrib/<handle>/<slug>` | `contrib: add …` / `contrib: propose claim — …` / `contrib: challenge — …` | `- Contributor:`, `- Domain:`, …; `Contributor: <handle>` (no agent speaks for it) | the evaluator and the domain peers, as an extraction (the domain's owning agent) | every changed note |
| `research` | `<agent>/research-<date>` | `<agent>: research session <date> — <n> sources archived` | `Pentagon-Agent` (reference §4.2, §4.13) | the evaluator alone, as Leo reviews research PRs (its scope gate: only unprocessed sources, the session's musing and the journal appended) | every changed note |

**Adding a kind** is one `ProposalKind(...)` in `KINDS` (a name, a branch template whose `{fields}`
are slugged when a branch is named and matched as one path segment each — the last may hold
`/` — the subject template and the pattern that reads the agent back from it, the kind's trailer,
its reviewers and its cascade), plus the code that writes its branches. Templates must not
overlap: a branch belongs to the first kind it fits. A field named `date` must be a real
`YYYY-MM-DD` date; a field named in `agent_field` must be one of the vault's agents when the caller
gives them (`kind_of(branch, agents=vault.config.agents)`: every caller holding a vault does) — the
research kind has no fixed prefix, so without both any `<x>/research-<y>` would be taken for a
session (and `teleo merge` would delete such a branch once merged, as a merged proposal). A kind whose changes must stay inside a scope
(a flag resolution only closes flags) adds its check to `teleo.review.gates.KIND_SCOPES`.

Reviewers: `peers` is the full selection (the evaluator on every proposal it did not make, the
fitting domain peers, two of them for the evaluator's own or a synthesis); `evaluator` is the
evaluator alone, or — when the evaluator made the proposal, since nobody reviews their own work —
one other agent; `domains` is one peer from each domain the proposal touches (its claims' domain,
`secondary_domains` and the domains of what they `depends_on`), at least two, besides the evaluator
when it did not propose it — a synthesis (reference §4.7: ≥2 domain agents, all touched domains). Cascade: `changed` plans the cascade from every note the merge changed;
`revised-beliefs` only from the beliefs it took from `under_review` to revised or abandoned (a
re-review's `last_evaluated` lines and closed flags change no conclusion).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Literal

from teleo.notes.untrusted import one_line

Reviewers = Literal["peers", "evaluator", "domains"]
Cascade = Literal["changed", "revised-beliefs"]

_FIELD = re.compile(r"\{(\w+)\}")
_REF_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_PART_CHARS = 120


def ref_slug(text: str, *, fallback: str = "x") -> str:
    """`text` as one segment of a branch name: anything git refuses in a ref replaced by `-`."""
    slug = _REF_UNSAFE.sub("-", text)
    slug = re.sub(r"\.{2,}", ".", slug)
    slug = re.sub(r"-{2,}", "-", slug).strip(".-")
    while slug.lower().endswith(".lock"):
        slug = slug[:-5].rstrip(".-")
    slug = slug[:MAX_PART_CHARS].rstrip(".-")
    return slug or fallback


@dataclass(frozen=True)
class ProposalKind:
    """One kind of proposal branch (module doc)."""

    name: str
    label: str
    """What one proposal of the kind is, for people: `extraction`, `flag resolution`."""
    branch: str
    """The branch template, e.g. `flags/{agent}/{slug}`."""
    subject: str
    """The commit subject's template, e.g. `{agent}: resolve flag {flag}`."""
    agent_subject: re.Pattern[str]
    """Reads the proposing agent from a commit subject (group 1)."""
    trailer: str | None
    """The kind's own trailer key, beside `Pentagon-Agent` (None: none)."""
    reviewers: Reviewers
    cascade: Cascade
    agent_field: str | None = None
    """The branch field that must name one of the vault's agents (checked when `matches` is given them)."""
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = _FIELD.split(self.branch)  # literal, field, literal, …, literal
        regex = ""
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.escape(part)
            else:
                last = i == len(parts) - 2 and parts[-1] == ""  # the template ends with this field
                regex += f"(?P<{part}>{'.+' if last else '[^/]+'})"
        object.__setattr__(self, "_pattern", re.compile(regex))

    @property
    def prefix(self) -> str:
        """The template's fixed start (`extract/`, `flags/`; empty for `{agent}/research-{date}`)."""
        return _FIELD.split(self.branch)[0]

    def matches(self, branch: str, agents: Collection[str] | None = None) -> bool:
        """Whether `branch` is a proposal of this kind: it fits the template, a `date` field is a real
        date, and — when `agents` (the vault's) are given — the `agent_field` names one of them."""
        return bool(self.fields(branch, agents))

    def fields(self, branch: str, agents: Collection[str] | None = None) -> dict[str, str]:
        """The template's fields read back from `branch` ({} when it does not fit, see `matches`)."""
        found = self._pattern.fullmatch(branch)
        if found is None:
            return {}
        values = found.groupdict()
        if "date" in values and not _real_date(values["date"]):
            return {}
        if self.agent_field and agents is not None and values[self.agent_field] not in {ref_slug(a) for a in agents}:
            return {}
        return values

    def branch_name(self, **fields: str) -> str:
        """The branch for `fields`, each slugged into one segment (`ref_slug`)."""
        return self.branch.format(**{key: ref_slug(value) for key, value in fields.items()})

    def agent_of(self, subject: str) -> str | None:
        found = self.agent_subject.match(subject)
        return found.group(1) if found else None

    def message(self, subject: dict[str, str], body: Iterable[tuple[str, str]], trailers: Iterable[str]) -> str:
        """A commit message of this kind: the subject template filled, `- Key: value` lines, the trailers.
        Every value is written on one line (`notes.untrusted.one_line`), so no value adds lines or trailers."""
        lines = [self.subject.format(**{k: one_line(v)[:250] for k, v in subject.items()}), ""]
        lines += [f"- {key}: {one_line(value)[:500]}" for key, value in body]
        lines += ["", *trailers]
        return "\n".join(lines) + "\n"


EXTRACT = ProposalKind(
    name="extract", label="extraction", branch="extract/{slug}", subject="{agent}: extract from {source}",
    agent_subject=re.compile(r"^([^:\s]+): extract from "), trailer=None, reviewers="peers", cascade="changed",
)
FLAGS = ProposalKind(
    name="flags", label="flag resolution", branch="flags/{agent}/{slug}", subject="{agent}: resolve flag {flag}",
    agent_subject=re.compile(r"^([^:\s]+): resolve flag "), trailer="Teleo-Flag", reviewers="evaluator",
    cascade="revised-beliefs",
)

SYNTHESIS = ProposalKind(
    name="synthesis", label="synthesis", branch="synthesis/{agent}/{slug}", subject="{agent}: synthesize {title}",
    agent_subject=re.compile(r"^([^:\s]+): synthesize "), trailer="Teleo-Synthesis", reviewers="domains",
    cascade="changed",
)


CONTRIB = ProposalKind(
    name="contrib", label="contribution", branch="contrib/{handle}/{slug}", subject="contrib: {what}",
    agent_subject=re.compile(r"(?!)"), trailer="Contributor", reviewers="peers", cascade="changed",
)
"""A person's contribution (`teleo contribute`, reference §4.9): no agent proposes it, so its subject
names none; the `Contributor:` trailer names the person."""


RESEARCH = ProposalKind(
    name="research", label="research session", branch="{agent}/research-{date}",
    subject="{agent}: research session {date} — {count} sources archived",
    agent_subject=re.compile(r"^([^:\s]+): research session "), trailer=None, reviewers="evaluator", cascade="changed",
    agent_field="agent",
)

KINDS: tuple[ProposalKind, ...] = (EXTRACT, FLAGS, SYNTHESIS, CONTRIB, RESEARCH)
"""Every kind of proposal branch, in the order a branch is matched against them."""


def kind_of(branch: str, agents: Collection[str] | None = None) -> ProposalKind | None:
    """The kind `branch` (a name without `refs/heads/`) is a proposal of; None: not a proposal branch.
    `agents`: the vault's (`vault.config.agents`), so a kind's agent field names one of them (module doc)."""
    return next((kind for kind in KINDS if kind.matches(branch, agents)), None)


def _real_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def kind_named(name: str | None) -> ProposalKind | None:
    return next((kind for kind in KINDS if kind.name == name), None)
