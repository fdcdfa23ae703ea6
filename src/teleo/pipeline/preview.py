"""`teleo extract --show-prompt SOURCE`: the messages a job would send, and their size — nothing sent.

`preview(vault, source, provider=…, model=…)` does what a job does up to the call: reads the
source and its context from the base branch's tip (`build_request` on the `TreeVault`, as
`pipeline.job` does), applies the provider's settings (`[llm]` plus the flags; no API key is
needed, no provider is built) and renders the prompts of every chunk with `render_prompts`,
the function `ModelProvider.extract` calls. Only the fence tags differ from a real run: they
are drawn anew for every job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from teleo.extract.chunks import TOKENIZER_LABEL, count_tokens
from teleo.extract.context import build_request
from teleo.extract.prompt import Prompt, render_prompts
from teleo.llm.factory import resolve_settings
from teleo.llm.settings import LLMSettings
from teleo.vault import Vault


@dataclass(frozen=True)
class PromptPreview:
    source: str
    agent: str
    domain: str
    settings: LLMSettings
    read_from: str
    """Where the source and its context were read: the base branch, or the working tree."""
    prompts: list[Prompt]
    tokens: list[tuple[int, int]]
    """(system, user) tokens of each prompt, counted with `TOKENIZER_LABEL`."""

    @property
    def total_tokens(self) -> int:
        return sum(s + u for s, u in self.tokens)

    def as_json(self) -> dict:
        return {
            "source": self.source, "agent": self.agent, "domain": self.domain, "read_from": self.read_from,
            "provider": self.settings.provider, "model": self.settings.model_name,
            "chunk_tokens": self.settings.source_tokens, "overlap_tokens": self.settings.chunk_overlap_tokens,
            "tokenizer": TOKENIZER_LABEL, "sent": False, "total_tokens": self.total_tokens,
            "messages": [
                {"chunk": p.chunk.number, "chunks": p.chunk.count, "source_chars": [p.chunk.start, p.chunk.end],
                 "system": p.system, "user": p.user,
                 "tokens": {"system": s, "user": u, "total": s + u}}
                for p, (s, u) in zip(self.prompts, self.tokens)
            ],
        }


def preview(vault: Vault, source: str | Path, *, provider: str | None = None, model: str | None = None) -> PromptPreview:
    """The prompts a job would send for `source` (see the module doc). Raises `ContextError`,
    `ConfigError`, `UnsafePath` or `ValueError` for bad input."""
    from teleo.pipeline.job import relative_source

    rel = relative_source(vault, source)
    settings = resolve_settings(vault, provider, model)
    tree, read_from = _base_tree(vault)
    if not tree.exists(rel):
        raise ValueError(f"{rel} is not committed on {read_from} (a job reads its sources from there)")
    request = build_request(tree, rel, job_id=f"preview:{rel}")
    prompts = render_prompts(request, chunk_tokens=settings.source_tokens,
                             overlap_tokens=settings.chunk_overlap_tokens)
    tokens = [(count_tokens(p.system), count_tokens(p.user)) for p in prompts]
    return PromptPreview(rel, request.agent, request.domain, settings, read_from, prompts, tokens)


def _base_tree(vault: Vault):
    """The base branch's tip as a `TreeVault` (what a job reads), else the working tree."""
    from teleo.repo.branches import base_ref
    from teleo.repo.discover import open_repository
    from teleo.vault.tree import TreeVault

    repo = open_repository(vault.root)
    if repo is None:
        return vault, "the working tree (not a git repository)"
    try:
        ref = base_ref(repo)
        tree = TreeVault.at(vault, ref, repo=repo)
    except Exception:  # noqa: BLE001 - an empty repository: the working tree
        return vault, "the working tree (no base branch)"
    return tree, ref.removeprefix("refs/heads/")
