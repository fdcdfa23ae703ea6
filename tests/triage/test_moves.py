"""`triage.moves.plan_moves` in process: what is refused before anything is written, file, line and field named."""

from __future__ import annotations

from triage_helpers import SOURCES, make_vault, path_of, source

from teleo.gates import Finding, Severity
from teleo.triage import moves
from teleo.triage.moves import plan_moves
from teleo.vault import Vault
from teleo.vault.tree import TreeVault


def tree_of(root) -> TreeVault:
    return TreeVault.at(Vault.open(root))


def test_a_frontmatter_that_cannot_be_edited_line_by_line_is_refused(tmp_path):
    flow = "inbox/archive/2026-01-04-someone-flow.md"
    root = make_vault(tmp_path / "v", {flow: "---\n{type: source, title: x, domain: health, status: processed}\n---\n\n# x\n"})
    plan = plan_moves(tree_of(root), [flow], "reset", "why")
    assert not plan.writable and plan.files == {}
    assert str(plan.refused[0]).startswith(f"{flow}:1: frontmatter: frontmatter cannot be edited line by line")


def test_an_edit_the_lint_gate_refuses_is_not_planned(tmp_path, monkeypatch):
    root = make_vault(tmp_path / "v")
    seen = {}

    def gate(base, files, **_):
        seen.update(files)
        return [Finding(rule="schema-enum", severity=Severity.ERROR, file=path_of("processed"), line=9,
                        message="a finding the gate made up", field="status")]

    monkeypatch.setattr(moves, "new_errors", gate)
    plan = plan_moves(tree_of(root), [path_of("processed")], "reset", "why")
    assert list(seen) == [path_of("processed")] and "status: unprocessed" in seen[path_of("processed")]
    assert not plan.writable
    assert str(plan.refused[0]) == (f"{path_of('processed')}:9: status: the edit would add a lint error (schema-enum): "
                                    "a finding the gate made up")


def test_the_real_gate_passes_a_plain_move_and_the_plan_is_pure(tmp_path):
    root = make_vault(tmp_path / "v")
    before = (root / path_of("null-ai")).read_bytes()
    plan = plan_moves(tree_of(root), [path_of("null-ai"), path_of("queued")], "park", "data")
    assert plan.writable and [m.after for m in plan.moves] == ["entity-data", "entity-data"]
    assert [m.before for m in plan.moves] == ["null-result", "unprocessed"]
    assert (root / path_of("null-ai")).read_bytes() == before  # nothing written


def test_a_source_with_no_status_gets_one(tmp_path):
    path, text = source("bare", status=None)
    root = make_vault(tmp_path / "v", {path: text, **{p: SOURCES[p] for p in (path_of("queued"),)}})
    plan = plan_moves(tree_of(root), [path], "park", "data")
    assert plan.writable and plan.moves[0].before is None
    assert plan.files[path] == text.replace("format: report\n", "format: report\nstatus: entity-data\n")
