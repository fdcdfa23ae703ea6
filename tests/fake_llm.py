"""A real `ModelProvider` over pydantic-ai's `FunctionModel`: scripted answers, no network.

Imported by name (`from fake_llm import fake_provider`): `tests/` is on the path, as for `conftest`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from teleo.llm import LLMSettings, ModelProvider


def fake_provider(*answers: Any, ledger: Any = None, model_name: str = "fake-model") -> tuple[ModelProvider, list]:
    """A ModelProvider answering `answers` in turn (dicts as JSON; the last one repeats); records the prompts."""
    seen: list = []
    queue = list(answers)

    def fn(messages, info: AgentInfo) -> ModelResponse:
        seen.append(messages)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return ModelResponse(parts=[TextPart(text)], usage=RequestUsage(input_tokens=1200, output_tokens=300))

    settings = LLMSettings(max_retries=0, backoff_s=0.0, max_backoff_s=0.0)
    model = FunctionModel(fn, model_name=model_name)
    return ModelProvider(model, name="fake", settings=settings, ledger=ledger, sleep=lambda s: None), seen
