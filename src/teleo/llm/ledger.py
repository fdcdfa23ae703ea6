"""The call ledger: one JSON line per model call, at `<vault>/.teleo/ledger.jsonl`.

Every call is appended as it ends — failed, retried and repair calls too — so
a job that dies half-way still leaves its cost behind (reference §8.13). Each
line is written with a single `os.write` on an `O_APPEND` descriptor, so
workers in several processes can share the file without interleaving lines.
`read_ledger` skips lines it cannot parse (a torn last line after a crash).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ValidationError

from teleo.llm.base import LLMCall

STATE_DIR = ".teleo"
LEDGER_FILE = "ledger.jsonl"

# USD per million tokens (input, output). LIST PRICES as published by the vendors
# when this table was written; they change — override them per model in
# `[llm.prices."<model>"]` of teleo.toml. For models not listed here, calls to
# Anthropic, OpenAI and OpenRouter themselves are priced from the offline price
# snapshot that ships with pydantic-ai (`genai-prices`); anything else (a local
# server, an unknown model) gets cost None, never a guess.
PRICES: dict[str, tuple[float, float]] = {
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.0),
    "minimax-m2-5": (0.30, 1.20),
    "minimax-m2": (0.30, 1.20),
    "offline": (0.0, 0.0),
}

GroupBy = Literal["provider", "model", "job", "day"]
GROUPS: tuple[str, ...] = ("provider", "model", "job", "day")


# -- where ---------------------------------------------------------------------


def vault_root(vault: Any) -> Path:
    """A `Vault` (anything with a `.root` folder) or a path → the vault's root folder."""
    if isinstance(vault, (str, os.PathLike)):
        return Path(vault)
    return Path(vault.root)


def ledger_path(vault: Any) -> Path:
    return vault_root(vault) / STATE_DIR / LEDGER_FILE


def ensure_state_dir(vault: Any) -> Path:
    """`<vault>/.teleo/`, created with a `.gitignore` of `*` so nothing in it is committed."""
    folder = vault_root(vault) / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        try:
            fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("*\n")
    return folder


# -- write and read --------------------------------------------------------------


class Ledger:
    """Append-only writer for one vault's ledger (or any JSONL path)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_vault(cls, vault: Any) -> Ledger:
        ensure_state_dir(vault)
        return cls(ledger_path(vault))

    def append(self, call: LLMCall) -> None:
        line = (call.model_dump_json() + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, line)
            if written != len(line):  # pragma: no cover - a full disk
                raise OSError(f"{self.path}: short write to the ledger ({written} of {len(line)} bytes)")
        finally:
            os.close(fd)

    def read(self) -> list[LLMCall]:
        return read_ledger_file(self.path)


class UsageTally(Protocol):
    """An outcome that counts the LLM calls made for it (an extraction job, a review)."""

    calls: int
    tokens: int
    cost: float | None


def add_usage(outcome: UsageTally, calls: list[LLMCall]) -> None:
    """Add `calls` to `outcome`'s call count, tokens and cost (None until one call has a known price)."""
    outcome.calls += len(calls)
    outcome.tokens += sum(c.prompt_tokens + c.completion_tokens for c in calls)
    known = [c.cost_usd for c in calls if c.cost_usd is not None]
    if known:
        outcome.cost = (outcome.cost or 0.0) + sum(known)


def append_call(vault: Any, call: LLMCall) -> None:
    Ledger.for_vault(vault).append(call)


def read_ledger(vault: Any, since: datetime | None = None) -> list[LLMCall]:
    """Every call recorded for `vault` (oldest first), optionally only those started at or after `since`."""
    calls = read_ledger_file(ledger_path(vault))
    if since is not None:
        calls = [c for c in calls if (_when(c) or datetime.min.replace(tzinfo=UTC)) >= since]
    return calls


def read_ledger_file(path: Path) -> list[LLMCall]:
    if not path.is_file():
        return []
    calls = []
    with path.open("rb") as handle:
        for raw in handle:
            try:
                calls.append(LLMCall.model_validate_json(raw))
            except (ValidationError, ValueError):
                continue
    return calls


# -- prices ------------------------------------------------------------------------


def normalise_model(model: str) -> str:
    """`anthropic/claude-sonnet-4.5` → `claude-sonnet-4-5`; dated suffixes and `:variants` dropped."""
    name = model.strip().lower().rsplit("/", 1)[-1].split(":", 1)[0]
    name = name.replace(".", "-").replace("_", "-")
    name = re.sub(r"-(20\d{6}|20\d\d-\d\d-\d\d|latest)$", "", name)
    return name


def price_of(model: str, overrides: dict[str, Any] | None = None) -> tuple[float, float] | None:
    """(input, output) USD per million tokens for `model`, or None when unknown.

    Names match exactly after `normalise_model` (never by prefix: `claude-opus-4-7` is not priced as `claude-opus-4`)."""
    for key, price in (overrides or {}).items():
        if key == model or normalise_model(key) == normalise_model(model):
            return (float(_get(price, "input")), float(_get(price, "output")))
    return PRICES.get(normalise_model(model))


def cost_of(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    overrides: dict[str, Any] | None = None,
    vendor: str | None = None,
) -> float | None:
    """USD for one call: `[llm.prices]` overrides, then `PRICES`, then (when `vendor` names the
    API actually called: anthropic, openai, openrouter) the genai-prices snapshot; else None."""
    price = price_of(model, overrides)
    if price is not None:
        return round((prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000, 8)
    if vendor:
        return _snapshot_cost(model, prompt_tokens, completion_tokens, vendor)
    return None


def _snapshot_cost(model: str, prompt_tokens: int, completion_tokens: int, vendor: str) -> float | None:
    try:
        from genai_prices import Usage, calc_price

        price = calc_price(Usage(input_tokens=prompt_tokens, output_tokens=completion_tokens), model, provider_id=vendor)
        return round(float(price.total_price), 8)
    except Exception:  # not installed, not listed, or a changed API: unknown, not a guess
        return None


def _get(price: Any, field: str) -> Any:
    return price[field] if isinstance(price, dict) else getattr(price, field)


# -- sums ----------------------------------------------------------------------


class LedgerRow(BaseModel):
    """The sum over one group of calls."""

    key: str
    calls: int = 0
    failures: int = 0
    jobs: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """The sum of known costs."""
    unknown_cost_calls: int = 0
    """Calls whose price was unknown (not in `cost_usd`)."""
    prompt_chars: int = 0
    mean_latency_s: float = 0.0
    p95_latency_s: float = 0.0


class LedgerSummary(BaseModel):
    by: str
    since: str | None = None
    rows: list[LedgerRow]
    total: LedgerRow


def summarize(calls: Iterable[LLMCall], by: GroupBy = "provider", since: datetime | None = None) -> LedgerSummary:
    """Sum `calls` per provider, model, job or day (UTC), with a total row."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping '{by}' (choose from {', '.join(GROUPS)})")
    chosen = [c for c in calls if since is None or (_when(c) or datetime.min.replace(tzinfo=UTC)) >= since]
    groups: dict[str, list[LLMCall]] = {}
    for call in chosen:
        groups.setdefault(_key(call, by), []).append(call)
    rows = [_row(key, members) for key, members in sorted(groups.items())]
    return LedgerSummary(
        by=by,
        since=since.isoformat() if since else None,
        rows=rows,
        total=_row("total", chosen),
    )


def _key(call: LLMCall, by: str) -> str:
    if by == "day":
        return call.started_at[:10] or "unknown"
    return getattr(call, by) or "unknown"


def _row(key: str, calls: list[LLMCall]) -> LedgerRow:
    latencies = sorted(c.latency_s for c in calls)
    return LedgerRow(
        key=key,
        calls=len(calls),
        failures=sum(not c.ok for c in calls),
        jobs=len({c.job for c in calls}),
        prompt_tokens=sum(c.prompt_tokens for c in calls),
        completion_tokens=sum(c.completion_tokens for c in calls),
        cost_usd=round(sum(c.cost_usd for c in calls if c.cost_usd is not None), 8),
        unknown_cost_calls=sum(c.cost_usd is None for c in calls),
        prompt_chars=sum(c.prompt_chars for c in calls),
        mean_latency_s=round(sum(latencies) / len(latencies), 4) if latencies else 0.0,
        p95_latency_s=round(_percentile(latencies, 95), 4),
    )


def _percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _when(call: LLMCall) -> datetime | None:
    try:
        moment = datetime.fromisoformat(call.started_at)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`2026-03-01`, an ISO datetime, or a span back from now: `7d`, `24h`, `30m`."""
    text = text.strip()
    now = now or datetime.now(UTC)
    span = re.fullmatch(r"(\d+)\s*([dhm])", text)
    if span:
        amount, unit = int(span.group(1)), span.group(2)
        return now - timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: amount})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD), an ISO datetime, or a span like 7d / 24h") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
