"""Vault text is printed as written, never read as Rich markup (issue 12, point 3).

`teleo show` printed `✗ []` for every unresolved link: `[[target]]` went to Rich as a tag.
Titles, field values, folder names and error messages are vault text too.
"""

from __future__ import annotations

import io

from conftest import git_init, write_files
from rich.console import Console
from typer.testing import CliRunner

from teleo.cli.app import app

runner = CliRunner()

TITLE = "remote monitoring [red] lowers events after [bold] discharge"
CLAIM = f"""\
---
type: claim
domain: health
description: "Weekly titration [italic]beats[/italic] clinic care in 2024 trials of 2,000 patients."
confidence: "[red]likely"
source: "A [bold]2024[/bold] trial"
created: 2026-01-05
depends_on:
  - "[[a missing dependency]]"
---

# {TITLE}

A 2024 trial found a 12% drop. See [[some missing claim]] and [[bold]].
"""


def _vault(tmp_path, name: str = "vault"):
    root = tmp_path / name
    write_files(root, {f"domains/health/{TITLE}.md": CLAIM, "domains/health/_map.md": f"# health\n\n- [[{TITLE}]]\n"})
    git_init(root)
    return root


def _run(root, *args: str) -> str:
    result = runner.invoke(app, ["--vault", str(root), *args], terminal_width=300)
    return result.output


def test_show_prints_unresolved_links_and_fields_as_written(tmp_path):
    out = _run(_vault(tmp_path), "show", TITLE, "--no-history")
    assert "✗ []" not in out
    assert "[[some missing claim]]" in out
    assert "[[bold]]" in out
    assert "a missing dependency" in out
    assert TITLE in out
    assert "[red]likely" in out
    assert "[italic]beats[/italic]" in out
    assert "A [bold]2024[/bold] trial" in out


def test_error_messages_keep_the_text_they_quote(tmp_path):
    result = runner.invoke(app, ["--vault", str(_vault(tmp_path)), "show", "[bold]nothing here"])
    assert result.exit_code == 1
    assert "no note titled '[bold]nothing here'" in result.output


def test_graph_summary_keeps_field_values(tmp_path):
    root = _vault(tmp_path)
    out = _run(root, "graph", "--out", str(tmp_path / "out"))
    assert "[red]likely 1" in out


def test_lint_table_names_a_bracketed_vault_folder(tmp_path):
    root = _vault(tmp_path, "[b]vault")
    out = _run(root, "lint")
    assert "teleo lint — [b]vault" in out


def test_stats_map_rows_keep_folder_names(tmp_path):
    root = tmp_path / "vault"
    write_files(root, {
        "teleo.toml": '[vault]\nname = "t"\n[domains."[red]x"]\nfolder = "domains/[red]x"\nagent = "vida"\n',
        "domains/[red]x/a claim in a bracketed folder that says something.md": CLAIM.replace("domain: health", "domain: '[red]x'"),
    })
    git_init(root)
    out = _run(root, "stats", "-s", "maps")
    assert "domains/[red]x" in out


def test_ledger_rows_keep_model_names():
    from teleo.cli.ledger import table
    from teleo.llm.ledger import LedgerRow, LedgerSummary

    buffer = io.StringIO()
    Console(file=buffer, width=200).print(table(LedgerSummary(by="model", rows=[LedgerRow(key="[red]m1", calls=1)],
                                                               total=LedgerRow(key="total", calls=1))))
    assert "[red]m1" in buffer.getvalue()
