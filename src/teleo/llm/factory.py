"""`provider_from_config`: the provider a vault's `teleo.toml` (or a flag) asks for."""

from __future__ import annotations

import os
from typing import Any

from teleo.llm.base import Provider
from teleo.llm.ledger import Ledger, vault_root
from teleo.llm.settings import (
    PROVIDERS,
    LLMSettings,
    load_llm_settings,
    settings_from_table,
)
from teleo.vault.config import ConfigError

LOCAL_PLACEHOLDER_KEY = "no-key-needed"
"""Sent to OpenAI-compatible servers that need no key (the client insists on one)."""


def provider_from_config(
    vault: Any,
    override: str | None = None,
    model: str | None = None,
    *,
    settings: LLMSettings | None = None,
    ledger: Ledger | None | bool = True,
    role: str = "extract",
    **kwargs: Any,
) -> Provider:
    """The extractor for `vault` (a `Vault` or its root path).

    `override` (a `--provider` flag) replaces `[llm].provider`; `model` (a
    `--model` flag) replaces `[llm].model`. Keys come from the environment
    variable named by `[llm].api_key_env`. `role` (`extract`, `review`) applies that role's
    `[llm.<role>]` table over `[llm]`. Calls are appended to
    `<vault>/.teleo/ledger.jsonl` unless `ledger=False` (or another `Ledger` is given).
    Raises `ConfigError` for an unknown provider or a missing key.
    """
    root = vault_root(vault)
    chosen = resolve_settings(root, override, model, settings=settings, role=role)
    if ledger is True:
        ledger = Ledger.for_vault(root)
    elif ledger is False:
        ledger = None

    if chosen.provider == "offline":
        from teleo.llm.providers import OfflineProvider

        return OfflineProvider(ledger=ledger)
    if chosen.provider == "anthropic":
        from teleo.llm.providers import AnthropicProvider

        return AnthropicProvider(chosen, api_key=_key(chosen, required=True), ledger=ledger, **kwargs)
    if chosen.provider == "claude-code":
        from teleo.llm.claude_code import ClaudeCodeProvider, ClaudeCodeUnavailable

        try:
            return ClaudeCodeProvider(chosen, ledger=ledger, **kwargs)
        except ClaudeCodeUnavailable as exc:
            raise ConfigError(str(exc)) from None
    from teleo.llm.providers import OpenAICompatibleProvider

    return OpenAICompatibleProvider(chosen, api_key=_key(chosen, required=not chosen.base_url), ledger=ledger, **kwargs)


def resolve_settings(vault: Any, override: str | None = None, model: str | None = None, *,
                     settings: LLMSettings | None = None, role: str | None = None) -> LLMSettings:
    """The `[llm]` settings of `vault` (`[llm.<role>]` over them) with the `--provider`/`--model`
    flags applied (no key needed)."""
    chosen = settings or load_llm_settings(vault_root(vault), role)
    if override:
        chosen = _replace(chosen, provider=override)
    if model:
        chosen = _replace(chosen, model=model)
    return chosen


def _replace(settings: LLMSettings, **changes: Any) -> LLMSettings:
    data = settings.model_dump()
    data.update(changes)
    if "provider" in changes and "model" not in changes:
        data["model"] = "" if settings.provider != changes["provider"] else settings.model
    try:
        return settings_from_table(data, where="--provider/--model")
    except ConfigError:
        if "provider" in changes:
            raise ConfigError(
                f"unknown provider '{changes['provider']}' (choose from {', '.join(PROVIDERS)})"
            ) from None
        raise


def _key(settings: LLMSettings, *, required: bool) -> str:
    name = settings.key_env
    value = os.environ.get(name, "").strip() if name else ""
    if value:
        return value
    if required:
        raise ConfigError(
            f"the {settings.provider} provider needs an API key: set the environment variable {name}"
            + ("" if settings.api_key_env else " (or name another one with [llm] api_key_env in teleo.toml)")
        )
    return LOCAL_PLACEHOLDER_KEY
