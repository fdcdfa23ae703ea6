"""The extractors behind the seam: offline, and any pydantic-ai model (Anthropic, OpenAI-compatible, test models).

`ModelProvider` owns the loop that makes an LLM safe to call from a pipeline:

- one *logical* request is sent up to `1 + max_retries` times: HTTP 429/5xx,
  timeouts, connection errors, malformed response bodies and truncated
  completions (`finish_reason == "length"`) are retried with exponential
  backoff and jitter (a `Retry-After` is honoured up to `max_backoff_s`);
  other 4xx (bad key, unknown model, prompt too long) fail at once;
- the answer is parsed (fences and leading prose tolerated) and validated
  against `ExtractionResult` plus its `problems()`; an invalid answer gets one
  *repair* request that sends the errors back, then one fresh attempt, then
  `ProviderError`;
- every HTTP attempt is one `LLMCall`, appended to the ledger as it ends and
  attached to the result or the error.

pydantic-ai is used at the model level (`pydantic_ai.direct.model_request`),
not through `Agent`: the agent's own retry loop would hide failed attempts
from the ledger and cannot tell a truncated completion from a bad one. The SDK
clients' own retries are switched off (`max_retries=0`) so that this loop is
the only one. pydantic-ai is imported lazily: importing `teleo.llm` stays cheap.

`extract()` is synchronous (it drives its own event loop per thread): call it
from worker threads or processes, not from inside a running asyncio loop.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from teleo.contract.extraction import Dropped, ExtractionResult, SourceUpdate
from teleo.extract.merge import merge_results
from teleo.extract.prompt import clean_source, render_prompts
from teleo.contract.request import ExtractionRequest
from teleo.llm.base import LLMCall, Provider, ProviderError, ProviderResult
from teleo.llm.ledger import Ledger, cost_of, utc_now_iso
from teleo.llm.output import InvalidOutput, parse_result
from teleo.llm.settings import LLMSettings

if TYPE_CHECKING:  # pragma: no cover
    from pydantic_ai.messages import ModelMessage, ModelResponse
    from pydantic_ai.models import Model

T = TypeVar("T")
MAX_ERROR_CHARS = 500
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})

REPAIR_TEMPLATE = """\
Your previous answer could not be used:
{errors}

Return the corrected answer: ONE JSON object that validates against the output contract, and nothing else. \
Keep what was valid; fix only what is listed."""

CONCISE_HINT = (
    "Note: a previous answer to this request was cut off at the output limit. Be more concise: fewer claims, "
    "shorter bodies, and close every JSON bracket."
)


class OfflineProvider(Provider):
    """The deterministic extractor (`teleo.extract.offline`), recorded in the ledger like any other."""

    name = "offline"
    model = "offline"

    def __init__(self, ledger: Ledger | None = None) -> None:
        self.ledger = ledger

    def extract(self, request: ExtractionRequest) -> ProviderResult[ExtractionResult]:
        from teleo.extract.offline import extract_offline_detailed  # imported when first used

        started, clock = utc_now_iso(), time.monotonic()
        call = LLMCall(provider=self.name, model=self.model, job=request.job_id, cost_usd=0.0,
                       prompt_chars=len(request.source_text), started_at=started)
        try:
            detailed = extract_offline_detailed(request)
            result = detailed.result
            if not isinstance(result, ExtractionResult):
                result = ExtractionResult.model_validate(result)
            problems = result.problems()
            dropped = [Dropped(kind="candidate", subject=d.subject, reason=d.reason, code=d.code)
                       for d in detailed.dropped]
        except Exception as exc:  # the offline extractor must not take a worker down
            call = call.model_copy(update={"ok": False, "error": _short(f"{type(exc).__name__}: {exc}"),
                                           "latency_s": _since(clock)})
            self._record(call)
            raise ProviderError(f"offline extraction failed for {request.source_path}: {call.error}", [call]) from exc
        call = call.model_copy(update={"latency_s": _since(clock)})
        if problems:
            call = call.model_copy(update={"ok": False, "error": _short("invalid output: " + "; ".join(problems))})
            self._record(call)
            raise ProviderError(f"offline extraction broke the contract for {request.source_path}: {call.error}", [call])
        self._record(call)
        return ProviderResult[ExtractionResult](output=result, calls=[call], dropped=dropped)

    def _record(self, call: LLMCall) -> None:
        if self.ledger is not None:
            self.ledger.append(call)


class _Failure(Exception):
    """One failed HTTP attempt, classified."""

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class ModelProvider(Provider):
    """Any pydantic-ai `Model` behind the seam, with retries, repair, validation and the ledger.

    `model` is a `pydantic_ai.models.Model` (e.g. `FunctionModel`/`TestModel` in
    tests) or a zero-argument factory returning one; a factory is called once
    per thread, so HTTP clients are never shared between event loops.
    """

    def __init__(
        self,
        model: Model | Callable[[], Model],
        *,
        name: str = "model",
        model_name: str = "",
        settings: LLMSettings | None = None,
        ledger: Ledger | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        secrets: tuple[str, ...] = (),
        vendor: str | None = None,
    ) -> None:
        self.name = name
        self.vendor = vendor
        """The API really called (anthropic, openai, openrouter), for prices beyond `PRICES`; None for local servers."""
        self._secrets = tuple(s for s in secrets if len(s) >= 8)
        self.settings = settings or LLMSettings()
        self.ledger = ledger
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._local = threading.local()
        if callable(model) and not _is_model(model):
            self._factory: Callable[[], Model] | None = model
            self._model: Model | None = None
        else:
            self._factory = None
            self._model = model  # type: ignore[assignment]
        self.model = model_name or (self._model.model_name if self._model is not None else "")

    # -- the job ------------------------------------------------------------------

    def extract(self, request: ExtractionRequest) -> ProviderResult[ExtractionResult]:
        """Every chunk of the source extracted (one call chain each, all in the ledger), the answers merged.
        A source with no text left after cleaning is a null result that says so, and costs no call."""
        if not clean_source(request.source_text).strip():
            empty = ExtractionResult(source_update=SourceUpdate(
                notes="The source is empty after cleaning (no text in its Content section or body): nothing to extract."))
            return ProviderResult[ExtractionResult](output=empty, calls=[], chunks=0)
        prompts = render_prompts(request, chunk_tokens=self.settings.source_tokens,
                                 overlap_tokens=self.settings.chunk_overlap_tokens)
        results: list[ExtractionResult] = []
        calls: list[LLMCall] = []
        for prompt in prompts:
            job = _Job(request=request, system=prompt.system, user=prompt.user,
                       chunk=prompt.chunk.number, chunks=prompt.chunk.count)
            try:
                results.append(self._extract_chunk(job))
            except ProviderError as exc:
                where = f" (part {job.chunk} of {job.chunks})" if job.chunks > 1 else ""
                raise ProviderError(f"{exc}{where}", calls + job.calls) from None
            calls.extend(job.calls)
        return ProviderResult[ExtractionResult](output=merge_results(results), calls=calls, chunks=len(prompts))

    def _extract_chunk(self, job: _Job) -> ExtractionResult:
        request = job.request
        plan = ("extract", "repair", "extract")
        for purpose in plan:
            messages = self._messages(job, purpose)
            response, call = self._request(job, messages, purpose)
            text = _response_text(response)
            try:
                result = parse_result(text, request)
            except InvalidOutput as exc:
                job.last_text, job.last_errors = text, exc.errors
                self._finish(job, call.model_copy(update={"ok": False, "error": _short(f"invalid output: {exc}")}))
                continue
            self._finish(job, call)
            return result
        raise ProviderError(
            f"{self.name}:{self.model} gave no valid extraction for {request.source_path} after "
            f"{len(job.calls)} calls (repair and retry included): {'; '.join(job.last_errors[:3])}",
            job.calls,
        )

    def _messages(self, job: _Job, purpose: str) -> list[ModelMessage]:
        from pydantic_ai.messages import (
            ModelRequest,
            ModelResponse,
            SystemPromptPart,
            TextPart,
            UserPromptPart,
        )

        user = job.user + ("\n" + CONCISE_HINT if job.truncated else "")
        first = ModelRequest(parts=[SystemPromptPart(content=job.system), UserPromptPart(content=user)])
        if purpose != "repair" or job.last_text is None:
            return [first]
        errors = "\n".join(f"- {line}" for line in job.last_errors)
        return [
            first,
            ModelResponse(parts=[TextPart(content=job.last_text)]),
            ModelRequest(parts=[UserPromptPart(content=REPAIR_TEMPLATE.format(errors=errors))]),
        ]

    def _request(self, job: _Job, messages: list[ModelMessage], purpose: str) -> tuple[ModelResponse, LLMCall]:
        """One logical request: the response and its (not yet recorded) call; retries recorded here."""
        chars = sum(_chars(m) for m in messages)
        retries = self.settings.max_retries
        for retry in range(retries + 1):
            if retry and job.truncated and purpose == "extract":
                messages = self._messages(job, purpose)  # carry the "be concise" hint
                chars = sum(_chars(m) for m in messages)
            started, clock = utc_now_iso(), time.monotonic()
            base = dict(provider=self.name, model=self.model, job=job.request.job_id, prompt_chars=chars,
                        started_at=started, attempt=len(job.calls) + 1, purpose=purpose,
                        chunk=getattr(job, "chunk", 1), chunks=getattr(job, "chunks", 1))  # reviews pass jobs of their own
            try:
                response = self._send(messages)
            except _Failure as failure:
                call = LLMCall(**base, latency_s=_since(clock), ok=False, error=_short(self._redact(str(failure))))
                self._finish(job, call)
                if not failure.retryable:
                    raise ProviderError(f"{self.name}:{self.model} failed for {job.request.source_path}: {call.error}",
                                        job.calls) from None
                if retry < retries:
                    self._sleep(self._backoff(retry, failure.retry_after))
                continue
            usage = response.usage
            prompt_tokens, completion_tokens = int(usage.input_tokens or 0), int(usage.output_tokens or 0)
            call = LLMCall(
                **base,
                latency_s=_since(clock),
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost_usd=cost_of(self.model, prompt_tokens, completion_tokens, self.settings.prices, self.vendor),
                finish_reason=response.finish_reason,
            )
            if response.finish_reason == "length":
                job.truncated = True
                self._finish(job, call.model_copy(update={
                    "ok": False, "error": f"truncated: the completion hit the output limit ({self.settings.max_tokens} tokens)"}))
                if retry < retries:
                    self._sleep(self._backoff(retry, None))
                continue
            return response, call
        raise ProviderError(
            f"{self.name}:{self.model} failed for {job.request.source_path}: {retries + 1} attempts, "
            f"last: {job.calls[-1].error if job.calls else 'no attempt'}",
            job.calls,
        )

    def ask(self, job: Any, parse: Callable[[str], T], purpose: str, what: str) -> T:
        """One structured answer for `job` (`request`, `system`, `user`, `calls`, `last_text`, `truncated`):
        the answer's text given to `parse` (a `ValueError` marks it invalid), then one repair request
        with the error, then one fresh attempt — every call in the ledger (`purpose`, `<purpose>-repair`).
        Raises `ProviderError` naming `what` when no answer was valid. Reviews and syntheses ask this way."""
        from pydantic_ai.messages import ModelRequest, ModelResponse, SystemPromptPart, TextPart, UserPromptPart

        first = ModelRequest(parts=[SystemPromptPart(content=job.system), UserPromptPart(content=job.user)])
        errors: list[str] = []
        for attempt in (purpose, f"{purpose}-repair", purpose):
            messages: list[ModelMessage] = [first]
            if attempt != purpose and job.last_text is not None:
                fix = ("Your answer could not be used:\n" + "\n".join(f"- {e}" for e in errors)
                       + "\nReturn ONE corrected JSON object and nothing else.")
                messages += [ModelResponse(parts=[TextPart(content=job.last_text)]),
                             ModelRequest(parts=[UserPromptPart(content=fix)])]
            response, call = self._request(job, messages, attempt)
            text = _response_text(response)
            try:
                result = parse(text)
            except ValueError as exc:
                job.last_text, errors = text, [str(exc)[:500]]
                self._finish(job, call.model_copy(update={"ok": False, "error": f"invalid {purpose}: {str(exc)[:300]}"}))
                continue
            self._finish(job, call)
            return result
        raise ProviderError(f"{self.name}:{self.model} gave no valid {what}: {'; '.join(errors)}", job.calls)

    def _send(self, messages: list[ModelMessage]) -> ModelResponse:
        from pydantic_ai.direct import model_request_sync

        try:
            return model_request_sync(self._current_model(), messages, model_settings=self._model_settings(),
                                      model_request_parameters=self._parameters())
        except Exception as exc:  # classified below; anything unknown is not retried
            raise _classify(exc) from exc

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        ceiling = self.settings.max_backoff_s
        delay = min(ceiling, self.settings.backoff_s * (2**retry))
        delay = delay / 2 + self._rng.random() * delay / 2  # jitter: between half and all of it
        if retry_after is not None and retry_after > delay:
            delay = min(retry_after, ceiling)
        return delay

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def _finish(self, job: _Job, call: LLMCall) -> None:
        job.calls.append(call)
        if self.ledger is not None:
            self.ledger.append(call)

    # -- pydantic-ai plumbing --------------------------------------------------------

    def _current_model(self) -> Model:
        if self._model is not None:
            return self._model
        model = getattr(self._local, "model", None)
        if model is None:
            assert self._factory is not None
            model = self._local.model = self._factory()
        return model

    def _model_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "max_tokens": self.settings.max_tokens,
            "timeout": self.settings.timeout_s,
            "request_timeout": self.settings.timeout_s,
            "max_retries": 0,
        }
        if self.settings.temperature is not None:
            settings["temperature"] = self.settings.temperature
        return settings

    def _parameters(self) -> Any:
        from pydantic_ai.models import ModelRequestParameters

        if self.settings.output_mode != "native":
            return ModelRequestParameters()
        from pydantic_ai.output import OutputObjectDefinition

        definition = OutputObjectDefinition(
            json_schema=ExtractionResult.model_json_schema(), name="extraction_result",
            description="The claims, enrichments and source update extracted from one source.", strict=False,
        )
        return ModelRequestParameters(output_mode="native", output_object=definition)


class _Job:
    """One chunk's call chain (extract, repair, extract) and what it learnt."""

    def __init__(self, request: ExtractionRequest, system: str, user: str, chunk: int = 1, chunks: int = 1) -> None:
        self.request = request
        self.system = system
        self.user = user
        self.chunk = chunk
        self.chunks = chunks
        self.calls: list[LLMCall] = []
        self.last_text: str | None = None
        self.last_errors: list[str] = []
        self.truncated = False


# -- the two HTTP providers ------------------------------------------------------------


class AnthropicProvider(ModelProvider):
    """Claude through Anthropic's API; the key from `api_key_env` (default ANTHROPIC_API_KEY)."""

    def __init__(self, settings: LLMSettings, *, api_key: str, ledger: Ledger | None = None, **kwargs: Any) -> None:
        model_name = settings.model_name

        def factory() -> Model:
            from anthropic import AsyncAnthropic
            from pydantic_ai.models.anthropic import AnthropicModel
            from pydantic_ai.providers.anthropic import AnthropicProvider as _Anthropic

            client = AsyncAnthropic(api_key=api_key, base_url=settings.base_url or None, max_retries=0,
                                    timeout=settings.timeout_s)
            return AnthropicModel(model_name, provider=_Anthropic(anthropic_client=client))

        vendor = "anthropic" if not settings.base_url else None
        super().__init__(factory, name="anthropic", model_name=model_name, settings=settings, ledger=ledger,
                         secrets=(api_key,), vendor=vendor, **kwargs)


class OpenAICompatibleProvider(ModelProvider):
    """Any OpenAI-compatible chat-completions endpoint: OpenAI, vLLM, llama.cpp server, Ollama, OpenRouter."""

    def __init__(self, settings: LLMSettings, *, api_key: str, ledger: Ledger | None = None, **kwargs: Any) -> None:
        model_name = settings.model_name
        self.base_url = settings.base_url

        def factory() -> Model:
            from openai import AsyncOpenAI
            from pydantic_ai.models.openai import OpenAIChatModel
            from pydantic_ai.providers.openai import OpenAIProvider as _OpenAI

            client = AsyncOpenAI(api_key=api_key, base_url=settings.base_url or None, max_retries=0,
                                 timeout=settings.timeout_s)
            return OpenAIChatModel(model_name, provider=_OpenAI(openai_client=client))

        super().__init__(factory, name="openai", model_name=model_name, settings=settings, ledger=ledger,
                         secrets=(api_key,), vendor=_vendor_of(settings.base_url), **kwargs)


# -- helpers ---------------------------------------------------------------------------


def _vendor_of(base_url: str | None) -> str | None:
    """Whose prices apply to an OpenAI-compatible endpoint: OpenAI's, OpenRouter's, or nobody's (a local server)."""
    if not base_url:
        return "openai"
    host = urlsplit(base_url).hostname or ""
    if host == "api.openai.com":
        return "openai"
    if host == "openrouter.ai" or host.endswith(".openrouter.ai"):
        return "openrouter"
    return None


def _is_model(value: Any) -> bool:
    try:
        from pydantic_ai.models import Model
    except ImportError:  # pragma: no cover
        return False
    return isinstance(value, Model)


def _classify(exc: Exception) -> _Failure:
    """Which failures a retry can cure."""
    from pydantic_ai import exceptions as e

    message = f"{type(exc).__name__}: {exc}"
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(exc, (e.ModelRateLimitError, e.ModelServerError, e.ModelUnavailableError, e.ModelConnectionError,
                        e.ModelRequestTimeout)):
        return _Failure(message, True, retry_after)
    if isinstance(exc, e.ModelQuotaExceededError):
        return _Failure(message, False)
    if isinstance(exc, e.ModelHTTPError):
        return _Failure(message, exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500, retry_after)
    if isinstance(exc, e.ModelRequestRejectedError):
        return _Failure(message, False)
    if isinstance(exc, (e.ModelAPIError, e.UnexpectedModelBehavior, TimeoutError, ConnectionError)):
        return _Failure(message, True, retry_after)  # malformed or cut-off response bodies, stray timeouts
    return _Failure(message, False)


def _response_text(response: ModelResponse) -> str:
    from pydantic_ai.messages import TextPart

    return "".join(part.content for part in response.parts if isinstance(part, TextPart))


def _chars(message: Any) -> int:
    return sum(len(content) for part in message.parts if isinstance(content := getattr(part, "content", None), str))


def _since(clock: float) -> float:
    return round(time.monotonic() - clock, 4)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
