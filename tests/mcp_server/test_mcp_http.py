"""MCP over streamable HTTP: `teleo serve`'s `/mcp` and `teleo mcp --http`, real processes on loopback."""

from __future__ import annotations

import pytest

from mcp_helpers import MARKETS, git_sample, http_call, mcp_http_process
from teleo.web.launch import serve_process

pytestmark = pytest.mark.slow


def test_teleo_serve_mounts_the_same_tools_at_mcp(tmp_path):
    vault = git_sample(tmp_path / "vault")
    with serve_process(vault, tmp_path / "serve.log") as served:
        names, result = http_call(served.base + "/mcp", "search", {"query": "prediction markets", "limit": 3})
    assert {"search", "read_note", "neighbours", "list_flags"} <= set(names)
    assert result.structured_content["hits"][0]["title"] == MARKETS


def test_teleo_mcp_http_serves_the_tools(tmp_path):
    vault = git_sample(tmp_path / "vault")
    with mcp_http_process(vault, tmp_path / "mcp.log") as url:
        names, result = http_call(url, "read_note", {"note": MARKETS, "history": False})
    assert "read_note" in names and result.structured_content["title"] == MARKETS


SOURCE = "inbox/archive/2026-03-10-moreau-deployer-incentives-field-study.md"
CLAIM = {
    "title": "products paid by engagement time draw about three times the manipulation complaints of subscription "
             "products on the same model",
    "description": "Twelve companies on one licensed base model showed the payment model, not the weights, "
                   "predicting complaints about flattering answers.",
    "confidence": "experimental",
    "evidence": [{"text": "Products paid by engagement time produced roughly three times as many complaints"}],
}
PROPOSE = {"source": SOURCE, "claims": [CLAIM], "agent": "theseus"}


def test_write_tools_in_teleo_serve_need_the_write_token(tmp_path):
    vault = git_sample(tmp_path / "vault")
    with serve_process(vault, tmp_path / "off.log") as served:
        _, off = http_call(served.base + "/mcp", "propose_claim", PROPOSE)
    assert off.is_error and "write tools over HTTP are off" in off.content[0].text
    with serve_process(vault, tmp_path / "on.log", env={"TELEO_WRITE_TOKEN": "s3cret-token-for-tests"}) as served:
        _, wrong = http_call(served.base + "/mcp", "propose_claim", PROPOSE, headers={"X-Teleo-Token": "guess"})
        _, right = http_call(served.base + "/mcp", "propose_claim", PROPOSE,
                             headers={"Authorization": "Bearer s3cret-token-for-tests"})
    assert wrong.is_error and "need the write token" in wrong.content[0].text
    assert not right.is_error, right.content
    assert right.structured_content["branch"] == "extract/2026-03-10-moreau-deployer-incentives-field-study"


def test_teleo_mcp_http_refuses_writes_without_its_token(tmp_path):
    vault = git_sample(tmp_path / "vault")
    with mcp_http_process(vault, tmp_path / "mcp.log", "--agent", "theseus") as url:
        _, refused = http_call(url, "propose_claim", {"source": SOURCE, "claims": [CLAIM]})
    assert refused.is_error and "--write-token" in refused.content[0].text
