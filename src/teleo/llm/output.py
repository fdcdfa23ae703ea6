"""Reading a model's answer: find the JSON object, validate it against the contract.

Models wrap JSON in ```json fences or put a sentence before it; that is
tolerated. Anything else — no object, a broken object, a schema violation, a
contract rule broken (`ExtractionResult.problems()`), an enrichment aimed at a
claim the model was never shown — is an `InvalidOutput` whose message is
meant to be sent back to the model for a repair.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from teleo.contract.extraction import ExtractionResult
from teleo.contract.request import ExtractionRequest

MAX_ERRORS_SHOWN = 15


class InvalidOutput(ValueError):
    """The answer is not a valid `ExtractionResult`; `errors` are short, model-readable lines."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors or ["the answer is invalid"]
        super().__init__("; ".join(self.errors[:3]) + (f" (+{len(self.errors) - 3} more)" if len(self.errors) > 3 else ""))


_FENCE = re.compile(r"```[ \t]*(?:json|JSON|json5)?[ \t]*\n(.*?)\n?[ \t]*```", re.DOTALL)


def extract_json_object(text: str) -> dict[str, Any]:
    """The outermost JSON object in `text` (bare, fenced, or after leading prose); else `InvalidOutput`."""
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise InvalidOutput(["the answer was empty: return one JSON object"])
    try:
        value = json.loads(stripped)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    candidates = [m.group(1) for m in _FENCE.finditer(stripped)] + [stripped]
    for candidate in candidates:
        found = _largest_object(candidate)
        if found is not None:
            return found
    if isinstance(value, list):
        raise InvalidOutput(["the answer is a JSON array: return one JSON object with claims, enrichments, source_update"])
    raise InvalidOutput(["the answer contains no complete JSON object (it may be cut off or not JSON at all)"])


_CONTRACT_KEYS = frozenset(ExtractionResult.model_fields)


def _largest_object(text: str) -> dict[str, Any] | None:
    """The longest `{…}` that decodes (one with contract keys first), scanning from each `{`
    and skipping past each decoded object, so nested objects never compete with their parent."""
    decoder = json.JSONDecoder()
    best: tuple[tuple[bool, int], dict[str, Any]] | None = None
    index = text.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict):
            score = (bool(_CONTRACT_KEYS & value.keys()), end - index)
            if best is None or score > best[0]:
                best = (score, value)
        index = text.find("{", end)
    return best[1] if best else None


def parse_result(text: str, request: ExtractionRequest | None = None) -> ExtractionResult:
    """`text` → a valid `ExtractionResult`, or `InvalidOutput` listing every problem found."""
    data = extract_json_object(text)
    try:
        result = ExtractionResult.model_validate(data)
    except ValidationError as exc:
        raise InvalidOutput(validation_lines(exc)) from None
    problems = list(result.problems())
    if request is not None:
        result, more = _check_targets(result, request)
        problems += more
    if problems:
        raise InvalidOutput(problems)
    return result


def validation_lines(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors()[:MAX_ERRORS_SHOWN]:
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        lines.append(f"{where}: {error['msg']}")
    hidden = exc.error_count() - MAX_ERRORS_SHOWN
    if hidden > 0:
        lines.append(f"… and {hidden} more errors")
    return lines


def _norm(text: str) -> str:
    return " ".join(text.split()).rstrip(".").casefold()


def _check_targets(result: ExtractionResult, request: ExtractionRequest) -> tuple[ExtractionResult, list[str]]:
    """Enrichment targets must be listed similar claims; matched titles are made exact."""
    if not result.enrichments:
        return result, []
    known: dict[str, str] = {}
    for claim in request.similar:
        known[_norm(claim.title)] = claim.title
        stem = claim.path.rsplit("/", 1)[-1].removesuffix(".md")
        known.setdefault(_norm(stem), claim.title)
    problems = []
    fixed = []
    for number, enrichment in enumerate(result.enrichments):
        title = known.get(_norm(enrichment.target.removesuffix(".md").strip("[]")))
        if title is None:
            problems.append(
                f"enrichments.{number}.target: '{enrichment.target[:120]}' is not one of the listed similar claims "
                "(use an exact listed title, or propose a new claim instead)"
            )
            fixed.append(enrichment)
        else:
            fixed.append(enrichment.model_copy(update={"target": title}))
    return result.model_copy(update={"enrichments": fixed}), problems
