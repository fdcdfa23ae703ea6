"""The `[llm]` table of `teleo.toml`: which provider extracts, and how hard it tries.

```toml
[llm]
provider = "openai"                       # offline (default) | anthropic | openai
model = "minimax/minimax-m2.5"
base_url = "http://127.0.0.1:8000/v1"     # openai only: vLLM, llama.cpp, Ollama, OpenRouter…
api_key_env = "OPENROUTER_API_KEY"        # the environment variable holding the key
timeout_s = 120
max_retries = 3
chunk_tokens = 12000                      # a longer source is split into overlapping chunks of this size

[llm.prices."my-local-model"]             # USD per million tokens, overrides the built-in table
input = 0.0
output = 0.0

[llm.review]                              # per role: these keys override [llm] for reviews only
provider = "claude-code"                  # (and [llm.extract] for extraction, [llm.research] for teleo research)
```

A role's table (`[llm.extract]`, `[llm.review]`) holds any key of `[llm]`; changing its provider
without naming a model takes that provider's default model.

Keys are never read from the file: only the *name* of the environment variable.
Only this table is read here (with `tomllib`); the rest of `teleo.toml` belongs
to `teleo.vault.config`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from teleo.vault.config import CONFIG_FILE, ConfigError

ProviderName = Literal["offline", "anthropic", "openai", "claude-code"]
PROVIDERS: tuple[str, ...] = ("offline", "anthropic", "openai", "claude-code")
ALIASES = {"openai-compatible": "openai", "openai_compatible": "openai", "claude": "anthropic", "none": "offline",
           "claude_code": "claude-code", "claudecode": "claude-code"}
ROLES: tuple[str, ...] = ("extract", "review", "synthesis", "research")
"""The roles a `[llm.<role>]` table can configure apart."""

DEFAULT_MODELS = {"offline": "offline", "anthropic": "claude-sonnet-4-6", "openai": "gpt-4o-mini",
                  "claude-code": "claude-sonnet-4-6"}
DEFAULT_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
DEFAULT_CHUNK_TOKENS = {"anthropic": 24_000, "openai": 12_000, "offline": 12_000, "claude-code": 24_000}
"""Source tokens per call when `chunk_tokens` is not set: well inside the context windows of the
default models (200 k for Claude, 128 k for gpt-4o-mini) with room for the system message (~3 k)
and the answer (`max_tokens`), and short enough that a model still reads all of it closely."""
LOCAL_CHUNK_TOKENS = 6_000
"""For an OpenAI-compatible server that is neither OpenAI nor OpenRouter (vLLM, llama.cpp, Ollama):
local models often run with 8–32 k context windows."""


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
    chunk_tokens: int | None = Field(default=None, ge=500, le=1_000_000)
    """Source tokens (cl100k) per call; a longer source is split into overlapping chunks, each extracted
    and the claims merged. None: `DEFAULT_CHUNK_TOKENS` of the provider (`LOCAL_CHUNK_TOKENS` for a local server)."""
    chunk_overlap_tokens: int = Field(default=200, ge=0, le=20_000)
    """Tokens neighbouring chunks share (at most half a chunk)."""
    similar_k: int = Field(default=8, ge=0, le=100)
    """How many similar existing claims the context builder puts in the prompt."""
    prices: dict[str, Price] = Field(default_factory=dict)
    """Per-model price overrides (model name → input/output USD per million tokens)."""
    cli_path: str | None = None
    """claude-code only: the Claude Code CLI to run (default: the one bundled with claude-agent-sdk)."""
    max_turns: int = Field(default=3, ge=1, le=20)
    """claude-code only: agent turns per query (the structured answer may take a second one)."""

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

    @model_validator(mode="before")
    @classmethod
    def _legacy_char_budget(cls, data: Any) -> Any:
        """`source_char_budget` (characters; the source was cut there) became `chunk_tokens`: nothing is cut now."""
        if isinstance(data, dict) and "source_char_budget" in data:
            data = dict(data)
            chars = data.pop("source_char_budget")
            if data.get("chunk_tokens") is None and isinstance(chars, int) and not isinstance(chars, bool):
                data["chunk_tokens"] = max(500, chars // 4)
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
    def source_tokens(self) -> int:
        """Source tokens per call: `chunk_tokens`, else the provider's default (see `DEFAULT_CHUNK_TOKENS`)."""
        if self.chunk_tokens is not None:
            return self.chunk_tokens
        if self.provider == "openai" and self.base_url and not _hosted(self.base_url):
            return LOCAL_CHUNK_TOKENS
        return DEFAULT_CHUNK_TOKENS[self.provider]

    @property
    def key_env(self) -> str:
        return self.api_key_env or DEFAULT_KEY_ENV.get(self.provider, "")


def _hosted(base_url: str) -> bool:
    """OpenAI's or OpenRouter's API (large context windows), not a local server."""
    host = (urlsplit(base_url).hostname or "").lower()
    return host in ("api.openai.com", "openrouter.ai") or host.endswith(".openrouter.ai")


def load_llm_settings(root: Path | str, role: str | None = None) -> LLMSettings:
    """The `[llm]` table of `<root>/teleo.toml` (with `[llm.<role>]` over it when `role` is given),
    or the defaults (offline)."""
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
    return settings_from_table(for_role(table, role, where=str(path)), where=str(path))


def for_role(table: dict[str, Any], role: str | None, *, where: str = CONFIG_FILE) -> dict[str, Any]:
    """`[llm]` without its role tables, with `[llm.<role>]`'s keys over it (a new provider without a
    model: that provider's default model). Every role table is checked, used or not."""
    base = {key: value for key, value in table.items() if key not in ROLES}
    chosen = dict(base)
    for name in ROLES:
        sub = table.get(name)
        if sub is None:
            continue
        if not isinstance(sub, dict):
            raise ConfigError(f"{where}: field 'llm.{name}': must be a table ([llm.{name}])")
        merged = {**base, **sub}
        if "provider" in sub and "model" not in sub:
            merged.pop("model", None)
        try:
            LLMSettings.model_validate(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(["llm", name, *(str(p) for p in first["loc"])])
            raise ConfigError(f"{where}: field '{field}': {first['msg'].removeprefix('Value error, ')}") from None
        if name == role:
            chosen = merged
    return chosen


def settings_from_table(table: dict[str, Any], *, where: str = CONFIG_FILE) -> LLMSettings:
    """Validate an `[llm]` table; errors name the file and the field."""
    try:
        return LLMSettings.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(["llm", *(str(p) for p in first["loc"])])
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{where}: field '{field}': {message}") from None
