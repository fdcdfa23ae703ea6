"""Provider `claude-code`: extraction and review through Claude Code, with `claude-agent-sdk`.

The reference system's agents run as `claude -p`; a person with a Claude Code login and no API key
can run Teleo's extraction this way. The SDK (optional extra `teleo[claude]`) ships the Claude Code
CLI in its wheel and talks to it over its stream-JSON protocol; nothing downloads at run time. The
CLI authenticates itself: a logged-in Claude Code, or `ANTHROPIC_API_KEY` in the environment.

`ClaudeCodeProvider` is a `ModelProvider` whose one request (`_send`) is a Claude Code query instead
of an HTTP call, so everything else is shared with the other providers: the prompt and its chunks,
the repair request after invalid output, retries with backoff on timeouts and crashes, validation
against the contract, the ledger, and reviews (`ModelReviewer`). Each query:

- gets the system prompt as Claude Code's system prompt and the conversation (one user message, or
  the first answer and the repair request after it) as one prompt, with every built-in tool off
  (`tools=[]`: the model reads and answers, it never touches files) and the user's and project's
  Claude Code settings not loaded;
- asks for structured output against the contract's JSON schema (`ExtractionResult` for
  extraction, `ReviewAnswer` for reviews, `ResearchPlan` for research sessions); the structured answer (or, without one, the result's
  text) is what the provider parses, so a malformed answer goes through the same repair path;
- reports the usage (input, cache and output tokens) and the CLI's own `total_cost_usd` into the
  ledger;
- ends with a clear `ProviderError` when the extra is missing, the CLI cannot start, or it is not
  logged in (`Not logged in · Please run /login`, an invalid API key, HTTP 401): none of those is
  retried. A timeout (`timeout_s` per query), a crash (non-zero exit) and an API error are.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from teleo.llm.providers import ModelProvider, _Failure
from teleo.llm.settings import LLMSettings

EXTRA_HINT = "pip install 'teleo[claude]'"
LOGIN_HINT = "log in with `claude` (then /login), or set ANTHROPIC_API_KEY"
_LOGIN_MARKERS = ("not logged in", "please run /login", "invalid api key", "authentication_error",
                  "oauth token has expired", "credit balance is too low")
_ROLE_SCHEMA = {"review": "review", "review-repair": "review", "research": "research", "research-repair": "research"}


class ClaudeCodeUnavailable(Exception):
    """The `claude` extra is not installed (the message says how to install it)."""


def require_sdk() -> None:
    """Raise `ClaudeCodeUnavailable` with the install command when `claude-agent-sdk` is missing."""
    try:
        import claude_agent_sdk  # noqa: F401
    except ImportError:
        raise ClaudeCodeUnavailable(
            f"provider claude-code needs the claude extra (the Claude Agent SDK and its bundled CLI): {EXTRA_HINT}"
        ) from None


class ClaudeCodeProvider(ModelProvider):
    """Claude Code behind the provider seam (module doc)."""

    def __init__(self, settings: LLMSettings, *, cli_path: str | None = None, ledger=None, **kwargs: Any) -> None:
        require_sdk()
        logging.getLogger("claude_agent_sdk").setLevel(logging.CRITICAL)  # its failures reach us as exceptions
        super().__init__(lambda: None, name="claude-code", model_name=settings.model_name, settings=settings,
                         ledger=ledger, vendor="anthropic", **kwargs)
        self.cli_path = cli_path or settings.cli_path or None
        self._purpose = threading.local()

    def _request(self, job, messages, purpose: str):
        """As every provider's request; the purpose picks the output schema, and the CLI's cost is kept."""
        self._purpose.value = purpose
        response, call = super()._request(job, messages, purpose)
        cost = (response.provider_details or {}).get("total_cost_usd")
        if isinstance(cost, (int, float)):
            call = call.model_copy(update={"cost_usd": float(cost)})
        return response, call

    def _send(self, messages):
        import anyio

        system, prompt = flatten(messages)
        schema = self._schema(getattr(self._purpose, "value", "extract"))
        try:
            return anyio.run(self._query, system, prompt, schema)
        except _Failure:
            raise
        except TimeoutError:
            raise _Failure(f"timeout: Claude Code gave no result within {self.settings.timeout_s:g} s", True) from None
        except Exception as exc:  # noqa: BLE001 - classified: the SDK's own errors, else not retried
            raise classify(exc) from exc

    def _schema(self, purpose: str) -> dict[str, Any]:
        if _ROLE_SCHEMA.get(purpose) == "research":
            from teleo.contract.research import ResearchPlan

            return ResearchPlan.model_json_schema()
        if _ROLE_SCHEMA.get(purpose) == "review":
            from teleo.contract.review import ReviewAnswer

            return ReviewAnswer.model_json_schema()
        from teleo.extract.prompt import contract_schema

        return contract_schema()

    async def _query(self, system: str, prompt: str, schema: dict[str, Any]):
        import anyio
        from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, ResultMessage, TextBlock, query

        stderr: list[str] = []
        options = ClaudeAgentOptions(
            system_prompt=system, model=self.model or None, tools=[], max_turns=self.settings.max_turns,
            output_format={"type": "json_schema", "schema": schema}, setting_sources=[],
            cli_path=self.cli_path, stderr=stderr.append,
        )
        texts: list[str] = []
        result: ResultMessage | None = None
        try:
            with anyio.fail_after(self.settings.timeout_s):
                async for message in query(prompt=prompt, options=options):
                    if isinstance(message, AssistantMessage):
                        texts.extend(block.text for block in message.content if isinstance(block, TextBlock))
                    elif isinstance(message, ResultMessage):
                        result = message
        except Exception as exc:
            if result is None:  # an error result is followed by a non-zero exit: the result says why
                raise classify(exc, stderr) from exc
        return response_of(result, texts, self.model)


def flatten(messages) -> tuple[str, str]:
    """A pydantic-ai conversation as Claude Code's (system prompt, prompt): the system parts, and the
    user turns with any earlier answer of the model quoted between them (the repair request)."""
    from pydantic_ai.messages import ModelRequest, ModelResponse, SystemPromptPart, TextPart, UserPromptPart

    system: list[str] = []
    turns: list[str] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, SystemPromptPart):
                    system.append(part.content)
                elif isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    turns.append(part.content)
        elif isinstance(message, ModelResponse):
            answer = "".join(p.content for p in message.parts if isinstance(p, TextPart))
            turns.append(f"Your previous answer was:\n<previous-answer>\n{answer}\n</previous-answer>")
    return "\n\n".join(system), "\n\n".join(turns)


def response_of(result, texts: list[str], model: str):
    """The `ModelResponse` the provider parses: the structured output as JSON (else the result's text),
    the usage, and the CLI's cost in `provider_details`; a failed result becomes a classified failure."""
    from pydantic_ai.messages import ModelResponse, TextPart
    from pydantic_ai.usage import RequestUsage

    if result is None:
        raise _Failure("Claude Code ended without a result", True)
    text = result.result or "".join(texts)
    if result.is_error or (result.subtype or "success") != "success":
        raise failure_of(result.subtype, text, result.api_error_status, result.errors)
    if _not_logged_in(text) and result.structured_output is None:
        raise _Failure(f"Claude Code is not logged in ({_first_line(text)}): {LOGIN_HINT}", False)
    body = json.dumps(result.structured_output, ensure_ascii=False) if result.structured_output is not None else text
    usage = result.usage or {}
    prompt_tokens = sum(int(usage.get(key) or 0) for key in
                        ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
    details = {"total_cost_usd": result.total_cost_usd, "session_id": result.session_id, "turns": result.num_turns}
    finish = "length" if result.stop_reason == "max_tokens" else "stop"
    return ModelResponse(parts=[TextPart(content=body)], model_name=model, finish_reason=finish,
                         usage=RequestUsage(input_tokens=prompt_tokens, output_tokens=int(usage.get("output_tokens") or 0)),
                         provider_name="claude-code", provider_details=details)


def failure_of(subtype: str | None, text: str, status: int | None, errors: list[str] | None) -> _Failure:
    """An error result, classified: a login problem is final, an API error or a cut-off run is retried."""
    said = "; ".join([_first_line(text)] + [e for e in errors or [] if e]) or (subtype or "error")
    if status == 401 or _not_logged_in(said):
        return _Failure(f"Claude Code is not logged in ({said}): {LOGIN_HINT}", False)
    if status in (400, 403, 404):
        return _Failure(f"Claude Code's API call was refused (HTTP {status}): {said}", False)
    return _Failure(f"Claude Code returned an error ({subtype}): {said}", True)


def classify(exc: Exception, stderr_lines: list[str] | None = None) -> _Failure:
    """The SDK's exceptions: a missing CLI is final; a crash or broken output is retried. `stderr_lines`:
    what the CLI wrote on stderr (the SDK hands it to a callback, not to the exception)."""
    from claude_agent_sdk import CLIConnectionError, CLIJSONDecodeError, CLINotFoundError, ProcessError

    if isinstance(exc, _Failure):
        return exc
    if isinstance(exc, TimeoutError):
        raise exc
    if isinstance(exc, CLINotFoundError):
        return _Failure(f"the Claude Code CLI was not found ({exc}); reinstall the extra ({EXTRA_HINT}) or set "
                        "[llm] cli_path", False)
    if isinstance(exc, ProcessError):
        said = "\n".join(line for line in stderr_lines or [] if line.strip())
        stderr = _first_line(said) or ("" if "check stderr" in (exc.stderr or "").lower() else _first_line(exc.stderr or ""))
        if _not_logged_in(f"{exc} {said}"):
            return _Failure(f"Claude Code is not logged in ({stderr or exc}): {LOGIN_HINT}", False)
        return _Failure(f"Claude Code exited with code {exc.exit_code}" + (f": {stderr}" if stderr else ""), True)
    if isinstance(exc, (CLIJSONDecodeError, CLIConnectionError)):
        return _Failure(f"Claude Code: {_first_line(str(exc))}", True)
    return _Failure(f"{type(exc).__name__}: {_first_line(str(exc))}", False)


def _not_logged_in(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _LOGIN_MARKERS)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:300]
