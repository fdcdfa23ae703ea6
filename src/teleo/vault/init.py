"""`teleo init`: a new vault with the teleo-codex layout, lint-clean from the start."""

from __future__ import annotations

from pathlib import Path

from teleo.notes import atomic_write
from teleo.notes.schema import SPECS, Kind
from teleo.vault.config import CODEX_DOMAINS, AgentConfig, Config, DomainConfig, VaultSettings, render_config
from teleo.vault.vault import RAW_DIR

DEFAULT_DOMAINS = ("ai-alignment", "internet-finance", "entertainment", "health", "space-development", "grand-strategy")
EVALUATOR = "leo"


class InitError(Exception):
    """The folder cannot become a vault (it already is one, or is not empty)."""


def parse_domains(items: list[str] | tuple[str, ...] = DEFAULT_DOMAINS) -> dict[str, str | None]:
    """`NAME` or `NAME=AGENT` items (`teleo init --domain`) → domain → agent (None: the codex's, or
    the name's first word). Raises InitError for an item that is no plain name."""
    chosen: dict[str, str | None] = {}
    for item in items:
        key, _, agent = item.partition("=")
        if not key.strip() or "/" in key or ".." in key:
            raise InitError(f"--domain '{item}': a domain is a plain name such as ai-alignment")
        chosen[key.strip()] = agent.strip() or None
    return chosen


def init_config(name: str, domains: dict[str, str | None]) -> Config:
    """A config with one agent per domain; codex domains keep their codex agent and folder."""
    domain_configs: dict[str, DomainConfig] = {}
    for domain, agent in domains.items():
        folder, codex_agent = CODEX_DOMAINS.get(domain, (f"domains/{domain}", domain.split("-")[0]))
        domain_configs[domain] = DomainConfig(folder=folder, agent=agent or codex_agent)
    agents = {EVALUATOR: AgentConfig(role="evaluator")}
    for domain in domain_configs.values():
        agents.setdefault(domain.agent, AgentConfig(role="proposer"))
    return Config(vault=VaultSettings(name=name, evaluator=EVALUATOR), agents=agents, domains=domain_configs)


def create_vault(root: Path, config: Config) -> list[str]:
    """Write the skeleton of a vault at `root`; return the files written."""
    if (root / "teleo.toml").exists():
        raise InitError(f"{root} is already a vault (teleo.toml exists)")
    if root.exists() and any(p for p in root.iterdir() if p.name != ".git"):
        raise InitError(f"{root} is not empty; choose a new folder")
    files = _skeleton(config)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
    return sorted(files)


def _skeleton(config: Config) -> dict[str, str]:
    files = {
        "teleo.toml": render_config(config),
        ".gitignore": f".teleo/\n{RAW_DIR}/\n",  # derived state; raw research dumps (never committed, §4.1)
        "README.md": _readme(config),
        "inbox/archive/.gitkeep": "",
        "maps/overview.md": _overview(config),
    }
    for kind in (Kind.CLAIM, Kind.SOURCE, Kind.ENTITY, Kind.BELIEF, Kind.POSITION, Kind.MUSING):
        files[f"schemas/{kind.value}.md"] = _schema_doc(kind)
    for name, domain in config.domains.items():
        files[f"{domain.folder}/_map.md"] = _domain_map(name, domain.agent)
    for agent, settings in config.agents.items():
        files[f"agents/{agent}/identity.md"] = _identity(agent, settings.role, config)
    return files


def _readme(config: Config) -> str:
    rows = "\n".join(f"| {name} | `{d.folder}/` | {d.agent} |" for name, d in config.domains.items())
    return f"""# {config.vault.name}

A Teleo knowledge base: markdown notes with YAML frontmatter and `[[wiki links]]`, kept in git.

- **Claims** live in their domain's folder, one file per claim; the file name is the claim.
- **Sources** go to `inbox/archive/` as `YYYY-MM-DD-author-slug.md` with `status: unprocessed`.
- **Agents** (`agents/<name>/`) hold identities, beliefs, positions and musings.
- **Schemas** (`schemas/`) say what each note must carry; `teleo lint` checks it.

| domain | folder | agent |
|---|---|---|
{rows}

Evaluator: {config.vault.evaluator}. Start with `teleo lint`, then `teleo fix --dry-run`.
"""


def _overview(config: Config) -> str:
    lines = "\n".join(f"- [[{d.folder}/_map]] — {name}" for name, d in config.domains.items())
    return f"# Overview\n\nThe topic maps of this vault, one per domain.\n\n{lines}\n"


def _domain_map(domain: str, agent: str) -> str:
    return (
        f"# {domain}\n\nThe topic map of the {domain} domain, kept by {agent}. "
        "Add each new claim under a themed section as `- [[claim title]] — why it matters`.\n\n"
        "## Claims\n"
    )


def _identity(agent: str, role: str, config: Config) -> str:
    owned = [name for name, d in config.domains.items() if d.agent == agent]
    duty = (
        "Reviews every proposal against the quality gates and synthesises across domains."
        if role == "evaluator"
        else "Proposes claims extracted from sources in its domain."
    )
    territory = ", ".join(f"`{t}`" for t in config.territory(agent))
    domains = ", ".join(owned) if owned else "all domains, as reviewer"
    return f"# {agent.capitalize()}\n\nRole: {role}. Domains: {domains}.\n\n{duty}\n\nMay write: {territory}.\n"


def _schema_doc(kind: Kind) -> str:
    spec = SPECS[kind]
    required = "\n".join(f"- `{field}`" for field in spec.required)
    enums = "\n".join(f"- `{field}`: {', '.join(values)}" for field, values in spec.enums.items())
    dates = ", ".join(f"`{d}`" for d in spec.dates)
    return (
        f"# {kind.value} schema\n\n## Required fields\n\n{required}\n\n## Allowed values\n\n{enums}\n\n"
        f"## Dates\n\n{dates} are written `YYYY-MM-DD`; `00` stands for an unknown month or day.\n"
    )
