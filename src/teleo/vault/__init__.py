"""The vault: a knowledge base on disk — config, discovery, the link resolver.

Entry point: `Vault.open(path)` / `Vault.discover()`.
"""

from teleo.vault.config import Config, ConfigError, default_config, load_config
from teleo.vault.resolver import LinkResolver, Resolution, Suggestion, normalise_title
from teleo.vault.vault import PathProblem, UnsafePath, Vault, VaultNotFound

__all__ = [
    "Config", "ConfigError", "LinkResolver", "PathProblem", "Resolution", "Suggestion", "UnsafePath",
    "Vault", "VaultNotFound", "default_config", "load_config", "normalise_title",
]
