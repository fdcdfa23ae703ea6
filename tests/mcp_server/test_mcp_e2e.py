"""End to end: `teleo mcp` started as a subprocess over stdio, as Claude Code starts it, driving
propose → review → merge on a temporary git vault (the merge by `teleo merge`, as the institution does)."""

from __future__ import annotations

import os
import subprocess
import sys

import anyio
import pytest

from mcp_helpers import git_sample

pytestmark = pytest.mark.slow

SOURCE = "inbox/archive/2026-03-10-moreau-deployer-incentives-field-study.md"
TITLE = ("products paid by engagement time draw about three times the manipulation complaints of subscription "
         "products on the same model")
CLAIM = {
    "title": TITLE,
    "description": "Twelve companies on one licensed base model showed the payment model, not the weights, "
                   "predicting complaints about flattering answers.",
    "confidence": "experimental",
    "body": "The field study compares products built on the same weights with the same safety tuning.",
    "evidence": [{"text": "Products paid by engagement time produced roughly three times as many complaints about "
                          "manipulative or flattering answers as products paid by subscription"}],
}


def session(vault, agent: str, steps):
    """Start `teleo --vault VAULT mcp --agent AGENT` over stdio and run `steps(client)` in it."""
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "teleo.cli.app", "--vault", str(vault), "mcp",
                                                                 "--agent", agent],
                                   env={**os.environ, "TELEO_LOG_LEVEL": "warning"})

    async def main():
        async with Client(params, read_timeout_seconds=120) as client:
            return await steps(client)

    return anyio.run(main)


def teleo(vault, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "teleo.cli.app", "--vault", str(vault), *args],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def test_propose_review_merge_through_teleo_mcp_over_stdio(tmp_path):
    vault = git_sample(tmp_path / "vault")

    async def propose(client):
        names = {t.name for t in (await client.list_tools()).tools}
        found = await client.call_tool("search", {"query": "deployer incentives field study", "type": ["source"]})
        made = await client.call_tool("propose_claim", {"source": SOURCE, "claims": [CLAIM]})
        own = await client.call_tool("review_proposal", {"proposal": made.structured_content["branch"],
                                                         "verdict": "approve", "text": "my own"})
        return names, found, made, own

    names, found, made, own = session(vault, "theseus", propose)
    assert {"propose_claim", "review_proposal", "search", "read_note"} <= names
    assert found.structured_content["hits"][0]["path"] == SOURCE
    assert not made.is_error, made.content
    assert own.is_error and "self-review" in own.content[0].text
    branch, head = made.structured_content["branch"], made.structured_content["commit"]

    async def review(client):
        listed = await client.call_tool("list_proposals", {})
        verdict = await client.call_tool("review_proposal", {"proposal": branch, "head": head, "verdict": "approve",
                                                             "text": "Grounded in the field study; adds a new claim."})
        return listed, verdict

    listed, verdict = session(vault, "leo", review)
    assert [p["branch"] for p in listed.structured_content["proposals"]] == [branch]
    assert not verdict.is_error, verdict.content
    assert verdict.structured_content["status"] == "approved"

    merged = teleo(vault, "merge")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    on_main = subprocess.run(["git", "-C", str(vault), "ls-tree", "-r", "--name-only", "main"],
                             capture_output=True, text=True, check=True).stdout
    assert f"domains/ai-alignment/{TITLE}.md" in on_main

    async def read_back(client):
        return await client.call_tool("read_note", {"note": TITLE})

    note = session(vault, "rio", read_back)
    assert not note.is_error and note.structured_content["path"] == f"domains/ai-alignment/{TITLE}.md"
    assert any("Merge" in h["subject"] or "extract" in h["subject"] for h in note.structured_content["history"])
