"""The whole `## Content` of a source reaches the extractor and the prompt: its own `##`/`###`/`#`
headings, tables, lists and code do not end it; only a source note's known sections do."""

from __future__ import annotations

import pytest
from e2e_helpers import base_files, git, show
from fake_llm import fake_provider

from teleo.extract import offline
from teleo.extract.context import build_request, source_text
from teleo.pipeline.job import extract_source
from teleo.llm import OfflineProvider
from teleo.notes import note_from_text

STRUCTURED = "inbox/archive/2026-01-05-depotco-proposal-fund-orbital-depots.md"
CONTENT_LINES = [
    "#### Author(s)",
    "Depot Working Group",
    "## Overview",
    "The proposal funds two orbital propellant depots for 18 million dollars over three years.",
    "### The features",
    "- Refuelling at 550 km lets a medium launcher deliver 40 percent more mass to lunar orbit.",
    "- Boil-off stays below 0.1 percent per day with the sunshield design.",
    "### The config changes",
    "| parameter | before | after |",
    "|---|---|---|",
    "| pass threshold | 5% | 3% |",
    "# TL;DR",
    "1. Depots cut the cost of lunar missions by up to 60 percent according to the 2019 study.",
    "```text",
    "## Agent Notes (inside a code block: still the source's text)",
    "```",
    "## Risks",
    "A depot that fails in orbit strands the propellant of every mission that planned to use it.",
]
AFTER = ["Agent notes: the curator thinks this matters.", "PRIMARY CONNECTION: depots", "- Proposal account: `Xy7`"]
SOURCE_TEXT = f"""\
---
type: source
title: "DepotCo: fund orbital depots?"
author: "DepotCo (@depotco)"
url: https://example.org/depots
date: 2026-01-05
domain: space-development
format: data
status: unprocessed
---

## Proposal Details
- Status: Passed

## Summary

### Key Points
A machine summary written before the content.

## Content

{chr(10).join(line + chr(10) for line in CONTENT_LINES)}
## Agent Notes
{AFTER[0]}

## Curator Notes (structured handoff for extractor)
{AFTER[1]}

## Raw Data
{AFTER[2]}
"""


def test_source_text_keeps_every_heading_table_list_and_code_of_the_content():
    note = note_from_text(STRUCTURED, SOURCE_TEXT)
    text = source_text(note)
    assert text.section == "content"
    for line in CONTENT_LINES:
        assert line in text.text
    for line in AFTER + ["A machine summary written before the content."]:
        assert line not in text.text
    lines = SOURCE_TEXT.splitlines()
    within = text.text.splitlines().index("## Risks") + 1
    assert lines[text.file_line(within) - 1] == "## Risks"


@pytest.mark.parametrize("ender", ["## Agent Notes", "## Curator Notes", "## **Key Facts**", "# Raw Data", "## KEY FACTS:"])
def test_known_sections_end_the_content(ender):
    body = "---\ntype: source\n---\n\n## Content\n\nThe text.\n\n## Overview\n\nMore text.\n\n" + ender + "\n\nNot the source.\n"
    text = source_text(note_from_text("inbox/archive/x.md", body)).text
    assert "More text." in text and "Not the source." not in text


def test_without_a_content_section_the_body_ends_at_the_notes_but_keeps_raw_data():
    body = ("---\ntype: source\n---\n\n## Launch Details\n- Raise: $3M\n\n## Team / Description\nWe build depots.\n\n"
            "## Raw Data\n- Closed: 2025-10-10\n\n## Key Facts\n- an earlier extraction's fact\n")
    text = source_text(note_from_text("inbox/archive/x.md", body))
    assert text.section == "body"
    assert "We build depots." in text.text and "Closed: 2025-10-10" in text.text
    assert "an earlier extraction's fact" not in text.text
    only_notes = "---\ntype: source\n---\n\n## Agent Notes\nEverything is here.\n"
    assert "Everything is here." in source_text(note_from_text("inbox/archive/y.md", only_notes)).text


@pytest.fixture
def vault(make_vault):
    return make_vault(base_files(**{STRUCTURED: SOURCE_TEXT}), git=True)


def _fenced(user: str) -> str:
    start = user.index("<source-")
    return user[start:user.index("</source-")]


def test_the_whole_content_reaches_the_offline_extractor(vault, monkeypatch):
    seen = []
    real = offline.extract_offline_detailed

    def recording(request, **options):
        seen.append(request.source_text)
        return real(request, **options)

    monkeypatch.setattr(offline, "extract_offline_detailed", recording)
    extract_source(vault, STRUCTURED, provider=OfflineProvider(ledger=None))
    [text] = seen
    for line in CONTENT_LINES:
        assert line in text
    for line in AFTER:
        assert line not in text


def test_the_whole_content_reaches_the_prompt_and_a_quote_after_a_heading_is_grounded(vault):
    quote = "Boil-off stays below 0.1 percent per day with the sunshield design"
    payload = {
        "claims": [{
            "title": "a sunshield keeps depot boil-off below a tenth of a percent of propellant per day",
            "description": "The DepotCo design quotes a boil-off rate low enough for propellant to wait months in orbit.",
            "confidence": "experimental",
            "body": "The proposal quotes the boil-off rate of its sunshield design.",
            "evidence": [{"text": quote}],
        }],
        "enrichments": [],
        "source_update": {"key_facts": [], "notes": ""},
    }
    provider, seen = fake_provider(payload)
    outcome = extract_source(vault, STRUCTURED, provider=provider)
    assert outcome.status == "proposed", outcome.error
    [messages] = seen
    user = messages[0].parts[1].content
    inside = _fenced(user)
    for line in CONTENT_LINES:
        assert line in inside
    for line in AFTER:
        assert line not in user
    claim = show(vault.root, outcome.branch, outcome.files[0] if outcome.files[0].startswith("domains/") else outcome.files[1])
    line_number = SOURCE_TEXT.splitlines().index("- " + quote + ".") + 1
    assert f"line {line_number})" in claim


def test_build_request_carries_the_whole_content(vault):
    request = build_request(vault, STRUCTURED, k=0)
    for line in CONTENT_LINES:
        assert line in request.source_text


def test_a_job_over_the_budget_is_chunked_and_says_how_many_chunks(vault):
    quote = "Boil-off stays below 0.1 percent per day with the sunshield design"
    payload = {
        "claims": [{
            "title": "a sunshield keeps depot boil-off below a tenth of a percent of propellant per day",
            "description": "The DepotCo design quotes a boil-off rate low enough for propellant to wait months in orbit.",
            "confidence": "experimental", "body": "The proposal quotes its boil-off rate.", "evidence": [{"text": quote}],
        }],
        "enrichments": [], "source_update": {"key_facts": [], "notes": ""},
    }
    provider, seen = fake_provider(payload)
    provider.settings = provider.settings.model_copy(update={"chunk_tokens": 500, "chunk_overlap_tokens": 50})
    long_vault_text = SOURCE_TEXT.replace("## Risks", "\n\n".join(
        f"Paragraph {n}: the depot's tank {n} holds {n * 3} tonnes of liquid oxygen." for n in range(120)) + "\n\n## Risks")
    (vault.root / STRUCTURED).write_text(long_vault_text, encoding="utf-8")
    git(vault.root, "commit", "-qam", "a longer source")
    outcome = extract_source(vault, STRUCTURED, provider=provider)
    assert outcome.status == "proposed", outcome.error
    assert outcome.chunks == len(seen) > 1 and outcome.calls == len(seen)
    assert len(outcome.claims) == 1  # every chunk proposed it: merged once
    users = [m[0].parts[1].content for m in seen]
    assert all("Paragraph 119: the depot's tank 119" in u for u in users[-1:])
    assert any(CONTENT_LINES[-1] in u for u in users)
