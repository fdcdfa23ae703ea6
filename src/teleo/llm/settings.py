"""The `[llm]` table of `teleo.toml`: which provider extracts, and how hard it tries.

```toml
[llm]
provider = "openai"                       # offline (default) | anthropic | openai
model = "minimax/minimax-m2.5"
base_url = "http://127.0.0.1:8000/v1"     # openai only: vLLM, llama.cpp, Ollama, OpenRouter…
api_key_env = "OPENROUTER_API_KEY"        # the environment variable holding the key
timeout_s = 120
max_retries = 3

[llm.prices."my-local-model"]             # USD per million tokens, overrides the built-in table
input = 0.0
output = 0.0
```

Keys are never read from the file: only the *name* of the environment variable.
Only this table is read here (with `tomllib`); the rest of `teleo.toml` belongs
to `teleo.vault.config`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from teleo.vault.config import CONFIG_FILE, ConfigError

ProviderName = Literal["offline", "anthropic", "openai"]
PROVIDERS: tuple[str, ...] = ("offline", "anthropic", "openai")
ALIASES = {"openai-compatible": "openai", "openai_compatible": "openai", "claude": "anthropic", "none": "offline"}

DEFAULT_MODELS = {"offline": "offline", "anthropic": "claude-sonnet-4-6", "openai": "gpt-4o-mini"}
DEFAULT_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}


class Price(BaseModel):
    """USD per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class LLMSettings(BaseModel):
    """Everything `provider_from_config` needs; all optional."""

    model_config = ConfigDict(extra="forbid")

    provider: ProviderName = "offline"
    model: str = ""
    """Empty: the provider's default (`claude-sonnet-4-6`, `gpt-4o-mini`)."""
    base_url: str | None = None
    """OpenAI-compatible endpoint (…/v1); empty: OpenAI's own."""
    api_key_env: str = ""
    """Name of the environment variable with the key; empty: ANTHROPIC_API_KEY / OPENAI_API_KEY."""
    timeout_s: float = Field(default=120.0, gt=0, le=3600)
    max_retries: int = Field(default=3, ge=0, le=10)
    """Retries of one call on HTTP 429/5xx, timeouts, malformed bodies and truncated output."""
    backoff_s: float = Field(default=1.0, ge=0, le=60)
    """First backoff; doubled each retry, with jitter, capped at `max_backoff_s`."""
    max_backoff_s: float = Field(default=30.0, ge=0, le=600)
    max_tokens: int = Field(default=8192, ge=256, le=200_000)
    temperature: float | None = Field(default=None, ge=0, le=2)
    """None: the model's default (some reasoning models reject the setting)."""
    output_mode: Literal["prompted", "native"] = "prompted"
    """prompted: the contract is in the prompt and the answer is parsed from text (works with any server);
    native: also ask the server for JSON-schema constrained output (OpenAI `response_format`, Anthropic structured output)."""
    source_char_budget: int = Field(default=60_000, ge=1_000, le=2_000_000)
    similar_k: int = Field(default=8, ge=0, le=100)
    """How many similar existing claims the context builder puts in the prompt."""
    prices: dict[str, Price] = Field(default_factory=dict)
    """Per-model price overrides (model name → input/output USD per million tokens)."""

    @model_validator(mode="before")
    @classmethod
    def _no_inline_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("api_key", "key", "token", "apikey"):
                if key in data:
                    raise ValueError(
                        f"'{key}' must not be written in teleo.toml: put the key in an environment variable "
                        "and name that variable with api_key_env"
                    )
        return data

    @field_validator("provider", mode="before")
    @classmethod
    def _alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return ALIASES.get(value, value)
        return value

    @property
    def model_name(self) -> str:
        return self.model or DEFAULT_MODELS[self.provider]

    @property
    def key_env(self) -> str:
        return self.api_key_env or DEFAULT_KEY_ENV.get(self.provider, "")


def load_llm_settings(root: Path | str) -> LLMSettings:
    """The `[llm]` table of `<root>/teleo.toml`, or the defaults (offline)."""
    path = Path(root) / CONFIG_FILE
    if not path.is_file():
        return LLMSettings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    table = raw.get("llm", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: field 'llm': must be a table")
    return settings_from_table(table, where=str(path))


def settings_from_table(table: dict[str, Any], *, where: str = CONFIG_FILE) -> LLMSettings:
    """Validate an `[llm]` table; errors name the file and the field."""
    try:
        return LLMSettings.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(["llm", *(str(p) for p in first["loc"])])
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{where}: field '{field}': {message}") from None
