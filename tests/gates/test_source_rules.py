"""Source gates: lifecycle (status ⇒ trace/notes/processed_by), trace entries resolve, filename convention."""

from __future__ import annotations

import datetime as dt

from teleo.gates import Severity, check
from teleo.gates.rules.sources import trace_entries, trace_targets
from teleo.vault import Vault

TODAY = dt.date(2026, 11, 26)
SOURCE_PATH = "inbox/archive/2026-03-01-proph3t-metadao-launch.md"
CLAIM_TITLE = "futarchy enables conditional ownership coins because markets price proposals"


def source(status: str = "unprocessed", extra: str = "") -> str:
    """A source note; `status` on line 8, `extra` from line 9."""
    lines = [
        "---", "type: source", 'title: "MetaDAO launch"', 'author: "Proph3t (@metaproph3t)"',
        "url: https://example.org/launch", "date: 2026-03-01", "domain: internet-finance", f"status: {status}",
    ]
    if extra:
        lines += extra.strip("\n").split("\n")
    return "\n".join(lines + ["---", "", "## Content", "", "Text.", ""])


def vault_with(make_vault, text: str, path: str = SOURCE_PATH) -> Vault:
    return make_vault({
        path: text,
        f"domains/internet-finance/{CLAIM_TITLE}.md": "---\ntype: claim\n---\n\n# x\n",
    })


def run(vault: Vault, rule: str):
    return [f for f in check(vault, rules=[rule], today=TODAY).findings if f.rule == rule]


# -- source-lifecycle ------------------------------------------------------------


def test_lifecycle_unprocessed_passes(make_vault):
    assert run(vault_with(make_vault, source()), "source-lifecycle") == []


def test_lifecycle_processed_with_trace_passes(make_vault):
    text = source("processed", f'processed_by: rio\nclaims_extracted:\n  - "{CLAIM_TITLE}"')
    assert run(vault_with(make_vault, text), "source-lifecycle") == []


def test_lifecycle_processed_without_trace(make_vault):
    [finding] = run(vault_with(make_vault, source("processed", "processed_by: rio\nclaims_extracted: []")),
                    "source-lifecycle")
    assert finding.severity == Severity.ERROR and finding.line == 8 and finding.field == "status"
    assert "claims_extracted" in finding.message and "null-result" in finding.suggestion


def test_lifecycle_placeholder_entries_do_not_count(make_vault):
    text = source("processed", "processed_by: rio\nclaims_extracted: 0\nenrichments: none")
    [finding] = run(vault_with(make_vault, text), "source-lifecycle")
    assert finding.field == "status"


def test_lifecycle_null_result_needs_notes(make_vault):
    [finding] = run(vault_with(make_vault, source("null-result", "processed_by: rio")), "source-lifecycle")
    assert finding.severity == Severity.ERROR and finding.field == "notes" and finding.line == 8


def test_lifecycle_null_result_with_extraction_notes_passes(make_vault):
    text = source("null-result", 'processed_by: rio\nextraction_notes: "a price page; no argument to extract"')
    assert run(vault_with(make_vault, text), "source-lifecycle") == []


def test_lifecycle_processed_by_missing_is_warning(make_vault):
    text = source("null-result", 'notes: "nothing new"')
    [finding] = run(vault_with(make_vault, text), "source-lifecycle")
    assert finding.severity == Severity.WARNING and finding.field == "processed_by"
    assert "processed_by:" in finding.suggestion


# -- source-trace ----------------------------------------------------------------


def test_trace_resolving_entries_pass(make_vault):
    text = source("processed", "\n".join([
        "claims_extracted:",
        f'  - "{CLAIM_TITLE}.md"',
        f'  - "[[{CLAIM_TITLE}]]"',
        f"  - {CLAIM_TITLE.replace(' ', '-')}",
        "enrichments:",
        f'  - target: "{CLAIM_TITLE}"',
        "    type: extend",
        f'  - "{CLAIM_TITLE} — evidence appended"',
    ]))
    assert run(vault_with(make_vault, text), "source-trace") == []


def test_trace_unresolved_entry_with_suggestion(make_vault):
    truncated = " ".join(CLAIM_TITLE.split()[:5])
    text = source("processed", f'claims_extracted:\n  - "{CLAIM_TITLE}"\n  - "{truncated}.md"')
    [finding] = run(vault_with(make_vault, text), "source-trace")
    assert finding.line == 11 and finding.field == "claims_extracted"
    assert f"'{truncated}'" in finding.message
    assert finding.suggestion == f"complete to '{CLAIM_TITLE}'"


def test_trace_inline_list_reports_the_key_line(make_vault):
    text = source("processed", 'enrichments_applied: ["no such claim anywhere in the vault at all"]')
    [finding] = run(vault_with(make_vault, text), "source-trace")
    assert finding.line == 9 and finding.field == "enrichments_applied" and finding.suggestion is None


def test_trace_entry_shapes():
    assert trace_entries([["a title"], {"target": "b"}, {"type": "x"}, None, "none", 0, "c"]) == ["a title", "b", "c"]
    assert trace_entries("one") == ["one"]
    assert trace_targets("[[x|alias]]") == ["x"]
    assert trace_targets("x.md -- enriched with data") == ["x.md -- enriched with data", "x"]


# -- source-filename -------------------------------------------------------------


def test_filename_passes(make_vault):
    assert run(vault_with(make_vault, source()), "source-filename") == []
    assert run(vault_with(make_vault, source(), "inbox/archive/2026-00-00-proph3t-metadao-launch.md"),
               "source-filename") == []


def test_filename_without_date(make_vault):
    [finding] = run(vault_with(make_vault, source(), "inbox/archive/metadao-launch.md"), "source-filename")
    assert finding.severity == Severity.INFO and finding.line == 1
    assert finding.suggestion == "rename to 2026-03-01-metaproph3t-metadao-launch.md"
