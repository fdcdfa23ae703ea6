"""End to end: `teleo mcp` started as a subprocess over stdio, as Claude Code starts it, driving
propose → review → merge on a temporary git vault (the merge by `teleo merge`, as the institution does),
for a claim and for a flag resolution."""

from __future__ import annotations

import os
import subprocess
import sys

import anyio
import pytest

from mcp_helpers import THESEUS_BELIEF, flag_note, git_sample

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


FLAG = "2026-03-10-alignment-has"


def git(vault, *args: str) -> str:
    return subprocess.run(["git", "-C", str(vault), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_propose_review_merge_through_teleo_mcp_over_stdio(tmp_path):
    flag = flag_note(FLAG, "theseus", THESEUS_BELIEF, "domains/ai-alignment/some claim.md")
    vault = git_sample(tmp_path / "vault", {f"agents/theseus/flags/{FLAG}.md": flag})
    main_before = git(vault, "rev-parse", "main")

    async def propose(client):
        names = {t.name for t in (await client.list_tools()).tools}
        found = await client.call_tool("search", {"query": "deployer incentives field study", "type": ["source"]})
        made = await client.call_tool("propose_claim", {"source": SOURCE, "claims": [CLAIM]})
        own = await client.call_tool("review_proposal", {"proposal": made.structured_content["branch"],
                                                         "verdict": "approve", "text": "my own"})
        resolved = await client.call_tool("resolve_flag", {"flag": FLAG, "note": "re-read: still holds"})
        return names, found, made, own, resolved

    names, found, made, own, resolved = session(vault, "theseus", propose)
    assert not resolved.is_error, resolved.content
    flag_branch = resolved.structured_content["branch"]
    assert flag_branch == f"flags/theseus/{FLAG}" and git(vault, "rev-parse", "main") == main_before
    assert {"propose_claim", "review_proposal", "search", "read_note"} <= names
    assert found.structured_content["hits"][0]["path"] == SOURCE
    assert not made.is_error, made.content
    assert own.is_error and "self-review" in own.content[0].text
    branch, head = made.structured_content["branch"], made.structured_content["commit"]

    async def review(client):
        listed = await client.call_tool("list_proposals", {})
        verdict = await client.call_tool("review_proposal", {"proposal": branch, "head": head, "verdict": "approve",
                                                             "text": "Grounded in the field study; adds a new claim."})
        closing = await client.call_tool("review_proposal", {"proposal": flag_branch, "verdict": "approve",
                                                             "text": "The re-reading is recorded; the belief holds."})
        return listed, verdict, closing

    listed, verdict, closing = session(vault, "leo", review)
    assert sorted(p["branch"] for p in listed.structured_content["proposals"]) == sorted([branch, flag_branch])
    assert not verdict.is_error, verdict.content
    assert verdict.structured_content["status"] == "approved"
    assert not closing.is_error and closing.structured_content["status"] == "approved", closing.content

    merged = teleo(vault, "merge")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    on_main = subprocess.run(["git", "-C", str(vault), "ls-tree", "-r", "--name-only", "main"],
                             capture_output=True, text=True, check=True).stdout
    assert f"domains/ai-alignment/{TITLE}.md" in on_main

    async def read_back(client):
        flags = await client.call_tool("list_flags", {"include_resolved": True})
        return await client.call_tool("read_note", {"note": TITLE}), flags

    note, flags = session(vault, "rio", read_back)
    assert [(f["id"], f["status"]) for f in flags.structured_content["flags"]] == [(FLAG, "resolved")]
    assert not note.is_error and note.structured_content["path"] == f"domains/ai-alignment/{TITLE}.md"
    assert any("Merge" in h["subject"] or "extract" in h["subject"] for h in note.structured_content["history"])
