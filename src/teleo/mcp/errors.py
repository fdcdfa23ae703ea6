"""How a refusal reaches the model: as an MCP tool error (`isError`), never a crash — shared by the read
tools (`server.py`) and the write tools (`write.py`), which both register tools through it."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from mcp.server.mcpserver.exceptions import ToolError

from teleo.mcp.tools import Refusal

F = TypeVar("F", bound=Callable[..., Any])


def refusals_as_tool_errors(fn: F) -> F:
    """A `Refusal` (or a bad value a library rejected) reaches the model as a tool error, not a crash."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Refusal as exc:
            raise ToolError(str(exc)) from None

    return wrapper  # type: ignore[return-value]
