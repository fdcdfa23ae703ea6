"""`teleo lint` run as the console script ends its process itself (`common.exit_now`): the output complete,
the exit code kept, `atexit` handlers run, and the interpreter's teardown skipped; run inside another
program (typer's test runner) it raises `typer.Exit` as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from teleo.cli.app import app

PROBE = """
import atexit, sys
marks = sys.argv[1]

class Teardown:
    def __del__(self, write=open, marks=marks):  # builtins may be gone by then: bound here
        write(marks, "a").write("teardown\\n")

keep = Teardown()  # freed by the interpreter's teardown, if it runs
atexit.register(lambda: open(marks, "a").write("atexit\\n"))
sys.argv = ["teleo", *sys.argv[2:]]
from teleo.cli.app import main
main()
"""


def run_lint(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    marks = tmp_path / "marks.txt"
    marks.write_text("")
    done = subprocess.run([sys.executable, "-c", PROBE, str(marks), "lint", *argv],
                          capture_output=True, text=True, timeout=120)
    return done, marks.read_text().split()


def test_lint_ends_its_own_process_with_the_output_whole(sample_vault, tmp_path):
    done, marks = run_lint(tmp_path, str(sample_vault), "--format", "json", "--no-cache")
    assert done.returncode == 1, done.stderr  # the sample vault has deliberate errors
    report = json.loads(done.stdout)
    assert report["summary"]["errors"] > 0 and len(report["findings"]) == report["summary"]["findings"]
    assert marks == ["atexit"]  # handlers ran; the teardown that would free every object did not


def test_a_clean_lint_exits_0_and_the_text_output_is_whole(make_vault, tmp_path):
    vault = make_vault({"domains/health/_map.md": "# health\n", "inbox/archive/.keep": ""})
    done, marks = run_lint(tmp_path, str(vault.root), "--rule", "parse")
    assert done.returncode == 0, done.stderr
    assert "no errors" in done.stdout
    assert marks == ["atexit"]


def test_inside_another_program_lint_returns_to_it(sample_vault):
    result = CliRunner().invoke(app, ["lint", str(sample_vault), "--format", "json", "--no-cache"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["summary"]["errors"] > 0
