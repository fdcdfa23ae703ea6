"""The provider seam: offline, Anthropic and OpenAI-compatible extractors, retries, the call ledger.

Entry point: `provider_from_config(vault, override=None, model=None) -> Provider`.
Importing this package does not import pydantic-ai (that happens when an LLM
provider is first built).
"""

from __future__ import annotations

from typing import Any

from teleo.llm.base import LLMCall, Provider, ProviderError, ProviderResult
from teleo.llm.ledger import Ledger, cost_of, read_ledger, summarize
from teleo.llm.settings import LLMSettings, load_llm_settings

__all__ = [
    "AnthropicProvider",
    "LLMCall",
    "LLMSettings",
    "Ledger",
    "ModelProvider",
    "OfflineProvider",
    "OpenAICompatibleProvider",
    "Provider",
    "ProviderError",
    "ProviderResult",
    "cost_of",
    "load_llm_settings",
    "provider_from_config",
    "read_ledger",
    "summarize",
]

_LAZY = {
    "provider_from_config": "teleo.llm.factory",
    "OfflineProvider": "teleo.llm.providers",
    "ModelProvider": "teleo.llm.providers",
    "AnthropicProvider": "teleo.llm.providers",
    "OpenAICompatibleProvider": "teleo.llm.providers",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'teleo.llm' has no attribute {name!r}")
