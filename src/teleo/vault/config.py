"""`teleo.toml`: domains, folders, agents, territories and thresholds.

With no file the defaults describe the teleo-codex layout (reference §3), so
Teleo works on that vault as it is. One routing table serves every stage:
domain → folder → owning agent.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONFIG_FILE = "teleo.toml"


class AgentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["proposer", "evaluator"] = "proposer"
    id: str = "HEADLESS"
    """What follows the name in the `Pentagon-Agent: Name <id>` trailer."""
    territory: list[str] | None = None
    """Folders (with trailing `/`) the agent may write; derived when absent."""
    tracks_entities: bool = True


class DomainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folder: str
    agent: str


class VaultSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "Teleo vault"
    evaluator: str = "leo"


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stale_musing_days: int = 30
    stale_sector_days: int = 60
    stale_entity_days: int = 90
    max_active_positions: int = 5
    description_min_chars: int = 40
    title_min_words: int = 6


class Config(BaseModel):
    """The whole vault configuration."""

    model_config = ConfigDict(extra="forbid")

    vault: VaultSettings = Field(default_factory=VaultSettings)
    agents: dict[str, AgentConfig] = Field(default_factory=dict)
    domains: dict[str, DomainConfig] = Field(default_factory=dict)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    llm: dict[str, Any] = Field(default_factory=dict)
    """The `[llm]` table, validated by `teleo.llm.settings` (the vault does not depend on LLMs)."""
    pipeline: dict[str, Any] = Field(default_factory=dict)
    """The `[pipeline]` table (workers, timeout_s, max_attempts, …), validated by `teleo.pipeline`."""
    forge: dict[str, Any] = Field(default_factory=dict)
    """The `[forge]` table (GitHub or Forgejo/Gitea), validated by `teleo.forge.settings`."""

    def may_follow_shared_remote(self) -> bool:
        """Whether teleo.toml can name a shared remote at all (`[pipeline] remote`, or `[forge]`, whose
        repository is the hosts' shared remote). When not, commands never import `teleo.pipeline` (~0.4 s)."""
        return bool(self.pipeline.get("remote") or self.forge)

    def agent_for_domain(self, domain: str | None) -> str:
        """The agent that owns `domain`; the evaluator for anything else."""
        if domain and domain in self.domains:
            return self.domains[domain].agent
        return self.vault.evaluator

    def domain_of_folder(self, folder: str) -> str | None:
        """The domain whose folder contains vault-relative `folder`."""
        best: tuple[int, str] | None = None
        for name, domain in self.domains.items():
            prefix = domain.folder.rstrip("/")
            if folder == prefix or folder.startswith(prefix + "/"):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), name)
        return best[1] if best else None

    def territory(self, agent: str) -> list[str]:
        """Folders `agent` may write (explicit, or derived from its domains)."""
        settings = self.agents.get(agent)
        if settings and settings.territory is not None:
            return list(settings.territory)
        owned = [d for d in self.domains.values() if d.agent == agent]
        folders = [d.folder.rstrip("/") + "/" for d in owned]
        folders += [f"agents/{agent}/", "inbox/archive/", "maps/"]
        if settings is None or settings.tracks_entities:
            folders += [f"entities/{name}/" for name, d in self.domains.items() if d.agent == agent]
        return sorted(set(folders))


class ConfigError(Exception):
    """A `teleo.toml` that cannot be used; the message names file and field."""


def load_config(root: Path) -> Config:
    """Read `teleo.toml` at the vault root, or return the teleo-codex defaults."""
    path = root / CONFIG_FILE
    if not path.exists():
        return default_config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        config = Config.model_validate(_with_defaults(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: field '{where}': {first['msg']}") from None
    _check_agents(config, path)
    return config


def _with_defaults(raw: dict) -> dict:
    """Tables the file leaves out fall back to the defaults.

    No `[domains]`: the teleo-codex domains and agents. `[domains]` without
    `[agents]`: one proposer per agent named there, plus the evaluator.
    """
    merged = dict(raw)
    if "domains" not in raw:
        defaults = default_config()
        merged["domains"] = {k: v.model_dump() for k, v in defaults.domains.items()}
        merged.setdefault("agents", {k: v.model_dump() for k, v in defaults.agents.items()})
    elif "agents" not in raw:
        evaluator = raw.get("vault", {}).get("evaluator", VaultSettings().evaluator)
        names = {d.get("agent") for d in raw["domains"].values() if isinstance(d, dict) and d.get("agent")}
        merged["agents"] = {name: {"role": "proposer"} for name in sorted(names - {evaluator})}
        merged["agents"][evaluator] = {"role": "evaluator"}
    return merged


def _check_agents(config: Config, path: Path) -> None:
    for name, domain in config.domains.items():
        if config.agents and domain.agent not in config.agents:
            raise ConfigError(f"{path}: field 'domains.{name}.agent': unknown agent '{domain.agent}'")


CODEX_DOMAINS: dict[str, tuple[str, str]] = {
    "internet-finance": ("domains/internet-finance", "rio"),
    "entertainment": ("domains/entertainment", "clay"),
    "ai-alignment": ("domains/ai-alignment", "theseus"),
    "health": ("domains/health", "vida"),
    "space-development": ("domains/space-development", "astra"),
    "grand-strategy": ("core/grand-strategy", "leo"),
    "mechanisms": ("core/mechanisms", "leo"),
    "living-capital": ("core/living-capital", "leo"),
    "living-agents": ("core/living-agents", "leo"),
    "teleohumanity": ("core/teleohumanity", "leo"),
    "critical-systems": ("foundations/critical-systems", "leo"),
    "collective-intelligence": ("foundations/collective-intelligence", "leo"),
    "teleological-economics": ("foundations/teleological-economics", "leo"),
    "cultural-dynamics": ("foundations/cultural-dynamics", "clay"),
}


def default_config() -> Config:
    """The teleo-codex layout: 14 domains, Leo evaluating, five proposers."""
    agents = {name: AgentConfig(role="proposer") for _, name in CODEX_DOMAINS.values()}
    agents["leo"] = AgentConfig(
        role="evaluator", territory=["core/", "foundations/", "agents/leo/", "maps/", "inbox/archive/"]
    )
    domains = {name: DomainConfig(folder=folder, agent=agent) for name, (folder, agent) in CODEX_DOMAINS.items()}
    return Config(agents=agents, domains=domains)


def render_config(config: Config) -> str:
    """`teleo.toml` text for `config` (used by `teleo init`)."""
    lines = ["[vault]", f'name = "{config.vault.name}"', f'evaluator = "{config.vault.evaluator}"', ""]
    for name, agent in config.agents.items():
        lines += [f"[agents.{name}]", f'role = "{agent.role}"', f'id = "{agent.id}"']
        if agent.territory is not None:
            lines.append("territory = [" + ", ".join(f'"{t}"' for t in agent.territory) + "]")
        lines.append("")
    for name, domain in config.domains.items():
        lines += [f"[domains.{name}]", f'folder = "{domain.folder}"', f'agent = "{domain.agent}"', ""]
    lines.append("[thresholds]")
    lines += [f"{key} = {value}" for key, value in config.thresholds.model_dump().items()]
    return "\n".join(lines) + "\n"
