"""`teleo mcp` read tools and resources, driven in process by the official SDK's client."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mcp_helpers import MARKETS, MARKETS_PATH, THESEUS_BELIEF, call, error_text, flag_note, git_sample, with_client
from teleo.mcp.server import build_server
from teleo.mcp.tools import VaultTools
from teleo.vault import Vault

READ_TOOLS = {"search", "read_note", "similar", "neighbours", "list_proposals", "list_flags", "vault_stats"}


@pytest.fixture
def vault_root(tmp_path):
    flags = {
        "agents/theseus/flags/2026-03-10-alignment-has.md": flag_note(
            "2026-03-10-alignment-has", "theseus", THESEUS_BELIEF, MARKETS_PATH, priority="high"),
        "agents/rio/flags/2026-03-11-old-one.md": flag_note(
            "2026-03-11-old-one", "rio", THESEUS_BELIEF, MARKETS_PATH, status="resolved"),
    }
    return git_sample(tmp_path / "vault", flags)


@pytest.fixture
def server(vault_root):
    return build_server(VaultTools(Vault.open(vault_root), watch=False), writes=False)


def test_every_read_tool_is_listed_read_only_with_a_description_a_model_can_choose_by(server):
    tools = with_client(server, lambda c: c.list_tools()).tools
    by_name = {t.name: t for t in tools}
    assert READ_TOOLS <= set(by_name)
    for name in READ_TOOLS:
        assert len(by_name[name].description or "") > 150, name
        assert by_name[name].annotations.read_only_hint is True


def test_search_ranks_words_and_meaning_and_honours_the_command_lines_filters(server):
    hits = call(server, "search", {"query": "prediction markets", "limit": 5}).structured_content["hits"]
    assert hits[0]["title"] == MARKETS and hits[0]["domain"] == "internet-finance"
    health = call(server, "search", {"query": "blood pressure monitoring", "domain": ["health", "internet-finance"]}).structured_content["hits"]
    assert health and {h["domain"] for h in health} <= {"health", "internet-finance"} and health[0]["domain"] == "health"
    claims = call(server, "search", {"query": "markets", "type": ["claim"], "mode": "text"}).structured_content
    assert claims["mode"] == "text" and {h["kind"] for h in claims["hits"]} == {"claim"}


def test_search_refuses_an_empty_query_and_an_unknown_mode(server):
    assert "query: empty" in error_text(call(server, "search", {"query": "  "}))
    assert "mode" in error_text(call(server, "search", {"query": "x", "mode": "fuzzy"}))


def test_read_note_gives_frontmatter_body_links_sources_and_history(server):
    note = call(server, "read_note", {"note": MARKETS.upper()}).structured_content
    assert note["path"] == MARKETS_PATH and note["kind"] == "claim"
    assert note["frontmatter"]["confidence"] == note["confidence"]
    assert note["body"].lstrip().startswith("# ") and "---" not in note["body"][:4]
    assert any(link["from"] == "domains/internet-finance/_map.md" for link in note["backlinks"])
    assert {"depends_on", "challenged_by", "challenges", "sources", "unresolved_links"} <= set(note)
    assert note["history"] and note["history"][0]["subject"] == "initial"


def test_read_note_refuses_an_unknown_note_naming_it(server):
    message = error_text(call(server, "read_note", {"note": "prediction markets aggregate dispersed informaton"}))
    assert "no note titled 'prediction markets aggregate dispersed informaton'" in message
    assert "did you mean" in message and "Traceback" not in message


def test_similar_by_text_and_by_note_and_refuses_both_or_neither(server):
    by_text = call(server, "similar", {"text": "markets beat experts at forecasting", "kinds": ["claim"]}).structured_content
    assert by_text["hits"] and {h["kind"] for h in by_text["hits"]} == {"claim"}
    by_note = call(server, "similar", {"note": MARKETS, "limit": 3}).structured_content
    assert by_note["note"] == MARKETS_PATH and MARKETS_PATH not in [h["path"] for h in by_note["hits"]]
    assert "exactly one of text" in error_text(call(server, "similar", {}))
    assert "exactly one of text" in error_text(call(server, "similar", {"text": "a", "note": MARKETS}))


def test_neighbours_walks_links_both_ways_up_to_depth_two(server):
    one = call(server, "neighbours", {"note": MARKETS, "depth": 1}).structured_content
    two = call(server, "neighbours", {"note": MARKETS, "depth": 2}).structured_content
    near = {n["path"] for n in one["nodes"]}
    assert "domains/internet-finance/_map.md" in near and {n["distance"] for n in one["nodes"]} == {1}
    assert near < {n["path"] for n in two["nodes"]} and 2 in {n["distance"] for n in two["nodes"]}
    assert all(e["relation"] for e in two["edges"])
    assert "depth" in error_text(call(server, "neighbours", {"note": MARKETS, "depth": 3}))
    assert "no note titled" in error_text(call(server, "neighbours", {"note": "no such note anywhere"}))


def test_list_flags_reads_mains_open_flags_by_agent_and_priority(server):
    flags = call(server, "list_flags", {}).structured_content
    assert flags["read_from"] == "main" and [f["id"] for f in flags["flags"]] == ["2026-03-10-alignment-has"]
    assert call(server, "list_flags", {"agent": "rio"}).structured_content["flags"] == []
    resolved = call(server, "list_flags", {"agent": "rio", "include_resolved": True}).structured_content["flags"]
    assert [f["status"] for f in resolved] == ["resolved"]
    assert call(server, "list_flags", {"priority": "low"}).structured_content["flags"] == []
    assert "priority" in error_text(call(server, "list_flags", {"priority": "urgent"}))


def test_list_proposals_is_empty_on_a_fresh_vault_and_refused_outside_git(server, tmp_path):
    assert call(server, "list_proposals", {}).structured_content == {"proposals": []}
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "note.md").write_text("# a note\n", encoding="utf-8")
    bare = build_server(VaultTools(Vault.open(plain), watch=False), writes=False)
    assert "not inside a git repository" in error_text(call(bare, "list_proposals", {}))


def test_vault_stats_whole_or_one_section(server):
    claims = call(server, "vault_stats", {"section": "claims"}).structured_content
    assert set(claims) == {"vault", "claims"} and claims["claims"]["total"] >= 10
    whole = call(server, "vault_stats", {}).structured_content
    assert {"files", "sources", "links", "maps"} <= set(whole)
    assert "section" in error_text(call(server, "vault_stats", {"section": "everything"}))


def test_resources_give_each_agents_identity_and_beliefs_and_each_domains_map(server, vault_root):
    async def body(client):
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        identity = await client.read_resource("teleo://agents/theseus/identity")
        beliefs = await client.read_resource("teleo://agents/theseus/beliefs")
        health = await client.read_resource("teleo://domains/health/map")
        try:
            await client.read_resource("teleo://agents/rio/beliefs")
            missing = None
        except Exception as exc:  # the SDK raises the server's resource error
            missing = str(exc)
        return listed, identity, beliefs, health, missing

    listed, identity, beliefs, health, missing = with_client(server, body)
    for agent in ("leo", "rio", "theseus", "vida"):
        assert {f"teleo://agents/{agent}/identity", f"teleo://agents/{agent}/beliefs"} <= listed
    assert {"teleo://domains/health/map", "teleo://domains/ai-alignment/map"} <= listed
    assert identity.contents[0].text == (vault_root / "agents/theseus/identity.md").read_text(encoding="utf-8")
    assert "alignment has to be pursued" in beliefs.contents[0].text and "Belief files (1)" in beliefs.contents[0].text
    assert health.contents[0].text == (vault_root / "domains/health/_map.md").read_text(encoding="utf-8")
    assert missing and "agents/rio/beliefs.md" in missing


def test_the_servers_one_index_follows_edits_to_the_files(server, vault_root):

    async def body(client):
        first = await client.call_tool("search", {"query": "lighthouse keepers", "mode": "text"})
        (vault_root / "domains/health/lighthouse keepers sleep badly because the light turns all night.md").write_text(
            "---\ntype: claim\ndomain: health\ndescription: 'Shift work at sea.'\nconfidence: speculative\n"
            "source: test\ncreated: 2026-01-01\n---\n\n# lighthouse keepers sleep badly because the light turns all night\n",
            encoding="utf-8")
        import time
        time.sleep(1.1)  # no watcher in this test: the state re-checks the files at most once a second
        second = await client.call_tool("search", {"query": "lighthouse keepers", "mode": "text"})
        return first, second

    first, second = with_client(server, body)
    assert first.structured_content["hits"] == []
    assert [h["kind"] for h in second.structured_content["hits"]] == ["claim"]


def test_the_command_line_does_not_import_mcp_or_the_web_stack_at_start_up():
    code = ("import sys, teleo.cli.app; "
            "print(sorted(m for m in ('mcp', 'fastapi', 'starlette', 'uvicorn', 'claude_agent_sdk') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
