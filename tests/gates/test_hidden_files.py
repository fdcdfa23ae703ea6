"""Files the walk does not take into the vault are named, never dropped in silence (issue 12, point 2).

`.git/` and `.teleo/` are git's and Teleo's own and stay unnamed. A markdown file whose name or
folder starts with `.` is not part of the vault (not indexed, not a link target), but lint names
it and checks it on its own; one in `node_modules/` or `__pycache__/` is named and not read.
`teleo stats` counts and names them all.
"""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from teleo.cli.app import app

runner = CliRunner()

HIDDEN_CLAIM = """\
---
type: claim
domain: health
confidence: certainish
created: 2026-13-45
---

# hidden

See [[../../../etc/passwd]].
"""

FILES = {
    "domains/health/_map.md": "# health\n",
    "domains/health/.hidden-claim.md": HIDDEN_CLAIM,
    ".drafts/idea.md": "# idea\n\nSee [[nowhere at all]].\n",
    "node_modules/pkg/README.md": "# a package\n",
    ".git-like/not-git.md": "# kept in view\n",
    ".teleo/notes.md": "# Teleo's own folder\n",
    "domains/health/.obsidian.json": "{}",
}


def _lint(vault, *args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["--vault", str(vault.root), "lint", "--format", "json", *args])
    return result.exit_code, json.loads(result.output)


def test_whole_vault_lint_names_and_checks_hidden_notes(make_vault):
    vault = make_vault(FILES, git=True)
    code, data = _lint(vault)
    by_file: dict[str, set[str]] = {}
    for finding in data["findings"]:
        by_file.setdefault(finding["file"], set()).add(finding["rule"])
    hidden = "domains/health/.hidden-claim.md"
    assert {"walk-skipped", "link-unsafe", "schema-enum", "schema-date"} <= by_file[hidden]
    assert {"walk-skipped", "link-unresolved"} <= by_file[".drafts/idea.md"]
    assert by_file["node_modules/pkg/README.md"] == {"walk-skipped"}  # named, not read
    assert "walk-skipped" in by_file[".git-like/not-git.md"]
    assert not any(path.startswith((".git/", ".teleo/")) for path in by_file)
    assert not any(path.endswith(".json") for path in by_file)  # not markdown: not a note, not skipped
    assert code == 1  # the hidden claim's errors count


def test_hidden_findings_with_and_without_the_cache(make_vault):
    vault = make_vault(FILES, git=True)
    first = _lint(vault)
    again = _lint(vault)  # from the cache
    uncached = _lint(vault, "--no-cache")
    assert first == again == uncached


def test_folder_lint_includes_the_hidden_notes_in_it(make_vault):
    vault = make_vault(FILES, git=True)
    code, data = _lint(vault, str(vault.root / "domains" / "health"))
    files = {f["file"] for f in data["findings"]}
    assert "domains/health/.hidden-claim.md" in files
    assert ".drafts/idea.md" not in files
    assert code == 1


def test_the_walk_message_says_why(make_vault):
    vault = make_vault(FILES, git=True)
    _, data = _lint(vault, "--rule", "walk-skipped")
    messages = {f["file"]: f["message"] for f in data["findings"]}
    assert "starts with '.'" in messages["domains/health/.hidden-claim.md"]
    assert "node_modules" in messages["node_modules/pkg/README.md"]
    assert "not read" in messages["node_modules/pkg/README.md"]


def test_stats_count_and_name_the_skipped_files(make_vault):
    vault = make_vault(FILES, git=True)
    result = runner.invoke(app, ["stats", str(vault.root), "-f", "json", "-s", "files"])
    assert result.exit_code == 0, result.output
    files = json.loads(result.output)["files"]
    assert files["skipped"] == 4
    assert set(files["skipped_files"]) == {
        "domains/health/.hidden-claim.md", ".drafts/idea.md", "node_modules/pkg/README.md", ".git-like/not-git.md",
    }
    text = runner.invoke(app, ["stats", str(vault.root), "-s", "files"], terminal_width=200).output
    row = next(line for line in text.splitlines() if "skipped by the walk" in line)
    assert re.search(r"\b4\b", row), row
    assert "domains/health/.hidden-claim.md" in text


def test_hidden_notes_stay_out_of_the_vault(make_vault):
    vault = make_vault(FILES, git=True)
    assert "domains/health/.hidden-claim.md" not in vault.markdown_paths()
    assert vault.resolver.resolve("hidden-claim", "domains/health/_map.md").path is None
