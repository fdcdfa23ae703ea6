"""Start-up stays light (issue 17.1): importing the command line, `teleo --version`, `--help` and a
text search load none of the heavy modules they do not need. Each case runs in a fresh interpreter
and reads the `sys.modules` it ended with; timings are the bench's business
(bench/startup_bench.py), never a test's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("fastapi", "uvicorn", "pydantic_ai", "wordllama", "numpy", "pygit2", "trafilatura", "pypdf",
         "lemminflect", "regex", "bpe_openai", "semantic_text_splitter", "mcp", "procrastinate", "psycopg")
"""Third-party modules that cost tens to hundreds of milliseconds to import."""

ENGINE = ("teleo.gates", "teleo.index", "teleo.vault", "teleo.notes", "teleo.cascade", "teleo.repo",
          "teleo.extract", "teleo.review", "teleo.llm", "teleo.web", "teleo.ingest", "teleo.pipeline")
"""The engine's packages: the command line itself needs none of them until a command runs."""

PROBE = """
import atexit, json, sys
out, argv = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
if argv == ["--import-only"]:
    import teleo.cli.app
else:
    sys.argv = ["teleo", *argv]
    from teleo.cli.app import main
    main()
"""


def modules_after(tmp_path: Path, *argv: str) -> set[str]:
    """The modules a fresh interpreter holds after running `teleo ARGV` (or only importing the app)."""
    out = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), *argv], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}, timeout=120)
    assert out.exists(), done.stderr
    return set(json.loads(out.read_text()))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name in modules)


def test_importing_the_command_line_loads_no_heavy_module_and_no_engine(tmp_path):
    modules = modules_after(tmp_path, "--import-only")
    assert "teleo.cli.app" in modules
    assert loaded(modules, HEAVY) == []
    assert loaded(modules, ENGINE) == []
    assert "rich.console" not in modules  # printing the version needs no rich


def test_version_loads_no_heavy_module_and_no_engine(tmp_path):
    modules = modules_after(tmp_path, "--version")
    assert loaded(modules, HEAVY) == []
    assert loaded(modules, ENGINE) == []


def test_help_lists_every_command_without_heavy_modules(tmp_path):
    modules = modules_after(tmp_path, "--help")
    assert {"teleo.cli.search", "teleo.cli.flags", "teleo.cli.serve"} <= modules  # every command's help line
    assert loaded(modules, HEAVY) == []


def test_text_search_loads_no_model_server_or_git(sample_vault, tmp_path):
    from conftest import teleo_command

    subprocess.run([*teleo_command(), "--vault", str(sample_vault), "index"], check=True, capture_output=True)
    modules = modules_after(tmp_path, "--vault", str(sample_vault), "search", "--mode", "text", "claim")
    assert "teleo.index" in modules
    assert loaded(modules, HEAVY) == []
    assert loaded(modules, ("teleo.gates", "teleo.cascade", "teleo.repo", "teleo.web", "teleo.extract")) == []


@pytest.mark.parametrize("command", ["serve", "mcp", "ingest", "extract", "review", "worker", "queue"])
def test_a_command_help_loads_no_model_or_server(tmp_path, command):
    modules = modules_after(tmp_path, command, "--help")
    assert f"teleo.cli.{command}" in modules
    assert loaded(modules, ("fastapi", "uvicorn", "pydantic_ai", "wordllama", "numpy", "trafilatura", "pypdf",
                            "procrastinate", "psycopg")) == []


def test_a_mistyped_command_still_gets_the_nearest_names(tmp_path):
    from conftest import teleo_command

    done = subprocess.run([*teleo_command(), "serch", "x"], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"})
    assert done.returncode == 2
    assert "No such command 'serch'" in done.stderr and "'search'" in done.stderr
