"""Bad input never crashes Teleo and is never written to.

Every malformed file becomes a finding with its file and line, through the API
(`check`) and through the real command line (`teleo lint --format json`), and
neither `teleo lint`, `teleo fix --dry-run` nor `teleo fix` changes a byte or
an mtime of anything.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import git_init, teleo_command, write_files

from teleo.gates import check
from teleo.gates.fixes import safe_fixes
from teleo.vault import Vault

HUGE = 10 * 1024 * 1024

BAD_FILES: dict[str, str | bytes] = {
    "domains/health/latin1.md": "---\ntype: claim\n---\n\ncaf\xe9 cr\xe8me\n".encode("latin-1"),
    "domains/health/binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01",
    "domains/health/empty.md": b"",
    "domains/health/huge.md": b"---\ntype: claim\n---\n" + b"a line of markdown [[link]]\n" * (HUGE // 28 + 1),
    "domains/health/unclosed.md": "---\ntype: claim\ndomain: health\n\n# The body never closes the frontmatter\n",
    "domains/health/duplicate keys.md": "---\ntype: claim\ndomain: health\ntype: claim\n---\n# dup\n",
    "domains/health/yaml list.md": "---\n- type: claim\n- domain: health\n---\n# list\n",
    "domains/health/yaml scalar.md": "---\njust a sentence, not a mapping\n---\n# scalar\n",
    "domains/health/invalid yaml.md": "---\ntype: claim\ntags: [one, two\ndomain: health\n---\n# invalid\n",
    "domains/health/tab indented.md": "---\ntype: claim\n\tdomain: health\n---\n# tabs\n",
    "domains/health/passwd link.md": "# passwd\n\nSee [[../../etc/passwd]] for details.\n",
    "inbox/archive/.keep": "",
}

# file → (rule, text in the message, line); one entry per expected finding of that file
EXPECTED: dict[str, tuple[str, str, int]] = {
    "domains/health/latin1.md": ("parse", "not UTF-8", 5),
    "domains/health/binary.md": ("parse", "binary", 1),
    "domains/health/empty.md": ("parse", "empty", 1),
    "domains/health/huge.md": ("parse", "too-large", 1),
    "domains/health/unclosed.md": ("parse", "never closed", 1),
    "domains/health/duplicate keys.md": ("parse", "duplicate-key", 4),
    "domains/health/yaml list.md": ("parse", "not a mapping", 2),
    "domains/health/yaml scalar.md": ("parse", "not a mapping", 2),
    "domains/health/invalid yaml.md": ("parse", "invalid YAML", 3),  # the line of the unclosed [, not the next
    "domains/health/tab indented.md": ("parse", "YAML", 3),
    "domains/health/passwd link.md": ("link-unsafe", "outside the vault", 3),
    "domains/health/link-out.md": ("parse", "outside the vault", 1),
    "domains/outside-dir": ("parse", "outside the vault", 1),
    "domains/health/dangling.md": ("parse", "cannot read", 1),
}


def run_teleo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200",
           "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    result = subprocess.run([*teleo_command(), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    return result


def lint_json(*args: str, cwd: Path) -> tuple[int, dict]:
    result = run_teleo("lint", "--format", "json", *args, cwd=cwd)
    return result.returncode, json.loads(result.stdout)


def snapshot(*roots: Path) -> dict[str, tuple[bytes | str, int]]:
    """Every file under `roots` (outside .git and the derived .teleo/ caches): its bytes (or link target)
    and its mtime, without following links."""
    state: dict[str, tuple[bytes | str, int]] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".git", ".teleo")]
            for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                path = os.path.join(folder, name)
                info = os.lstat(path)
                content = os.readlink(path) if os.path.islink(path) else Path(path).read_bytes()
                state[path] = (content, info.st_mtime_ns)
    return state


@pytest.fixture
def bad_vault(tmp_path) -> Path:
    """A git vault of malformed files, a symlink and a linked folder pointing outside, and the outside."""
    root = tmp_path / "vault"
    root.mkdir()
    write_files(root, BAD_FILES)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntype: claim\n---\n# outside\n", encoding="utf-8")
    (tmp_path / "outside.md").write_text("# outside the vault\n", encoding="utf-8")
    os.symlink(outside / "secret.md", root / "domains/health/link-out.md")
    os.symlink(outside, root / "domains/outside-dir")
    os.symlink("no-such-target.md", root / "domains/health/dangling.md")
    git_init(root)
    return root


def _found(findings, file: str) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["message"], f["line"]) for f in findings if f["file"] == file]


def _assert_expected(findings: list[dict]) -> None:
    for file, (rule, text, line) in EXPECTED.items():
        got = _found(findings, file)
        assert any(r == rule and text in m and ln == line for r, m, ln in got), (file, got)
    for f in findings:
        assert f["file"] and f["line"] >= 1 and f["message"], f
    assert not any("secret" in f["file"] for f in findings), "a file outside the vault was read"


# -- the API ----------------------------------------------------------------------------------------------


def test_check_reports_every_bad_file_with_file_and_line(bad_vault):
    before = snapshot(bad_vault.parent)
    vault = Vault.open(bad_vault)
    report = check(vault)
    findings = [f.model_dump(mode="json") for f in report.findings]
    _assert_expected(findings)
    assert report.has_errors
    empty = [f for f in report.findings if f.file == "domains/health/empty.md"]
    assert [f.severity.value for f in empty] == ["warning"]
    assert "domains/health/link-out.md" not in vault.markdown_paths()
    assert safe_fixes(vault) == []
    assert snapshot(bad_vault.parent) == before


@pytest.mark.parametrize("path", [p for p in EXPECTED if p.endswith(".md") and "link-out" not in p])
def test_check_on_one_bad_file(bad_vault, path):
    vault = Vault.open(bad_vault)
    report = check(vault, [path])
    rule, text, line = EXPECTED[path]
    got = [(f.rule, f.message, f.line) for f in report.findings]
    assert any(r == rule and text in m and ln == line for r, m, ln in got), got
    assert {f.file for f in report.findings} == {path}


@pytest.mark.parametrize("path", ["../outside.md", "domains/health/link-out.md"])
def test_check_reports_unsafe_paths_instead_of_raising(bad_vault, path):
    report = check(Vault.open(bad_vault), [path])
    assert any(f.file == path and f.line == 1 for f in report.findings)


def test_symlink_loop_is_a_finding(tmp_path):
    root = tmp_path / "vault"
    write_files(root, {"domains/health/ok.md": "# ok\n", "inbox/archive/.keep": ""})
    os.symlink("loop.md", root / "domains/health/loop.md")
    report = check(Vault.open(root))
    assert any(f.file == "domains/health/loop.md" and f.rule == "parse" for f in report.findings)
    code, payload = lint_json(cwd=root)  # run_teleo asserts there is no traceback
    assert code == 1
    assert any(f["file"] == "domains/health/loop.md" for f in payload["findings"])


def test_a_note_just_under_the_size_limit_is_read(tmp_path):
    body = "".join(f"Paragraph {i} links to [[note {i % 50}]] and `[[code {i}]]`.\n" for i in range(60_000))
    root = tmp_path / "vault"
    write_files(root, {"domains/health/big.md": "---\ntype: claim\ndomain: health\n---\n" + body, "inbox/archive/.keep": ""})
    assert (root / "domains/health/big.md").stat().st_size < 5 * 1024 * 1024
    report = check(Vault.open(root), rules=["parse", "link-unresolved", "link-unsafe"])
    unresolved = [f for f in report.findings if f.rule == "link-unresolved"]
    assert len(unresolved) == 60_000
    assert not any(f.rule == "parse" for f in report.findings)


# -- the command line ---------------------------------------------------------------------------------------


def test_cli_lint_reports_every_bad_file_and_exits_1(bad_vault):
    before = snapshot(bad_vault.parent)
    code, payload = lint_json(cwd=bad_vault)
    assert code == 1
    assert set(payload) == {"findings", "summary"}
    _assert_expected(payload["findings"])
    assert payload["summary"]["errors"] >= len(EXPECTED) - 1
    text = run_teleo("lint", cwd=bad_vault)
    assert text.returncode == 1
    assert "errors found" in text.stdout
    assert snapshot(bad_vault.parent) == before


def test_cli_lint_with_a_dot_dot_path_argument(bad_vault):
    before = snapshot(bad_vault.parent)
    for arg in ("../outside.md", "domains/../../outside.md", str(bad_vault.parent / "outside.md")):
        code, payload = lint_json(arg, cwd=bad_vault)
        assert code == 1, arg
        assert [(f["file"], f["line"], f["rule"]) for f in payload["findings"]] == [(arg, 1, "parse")]
        assert "outside the vault" in payload["findings"][0]["message"] or "leaves the vault" in payload["findings"][0]["message"]
    code, payload = lint_json("domains/health/link-out.md", cwd=bad_vault)
    assert code == 1
    assert [(f["file"], f["line"]) for f in payload["findings"]] == [("domains/health/link-out.md", 1)]
    assert snapshot(bad_vault.parent) == before


@pytest.mark.parametrize(
    "path", ["domains/health/latin1.md", "domains/health/duplicate keys.md", "domains/health/passwd link.md"]
)
def test_cli_lint_one_bad_file(bad_vault, path):
    code, payload = lint_json(path, cwd=bad_vault)
    assert code == 1
    rule, text, line = EXPECTED[path]
    assert any(f["rule"] == rule and text in f["message"] and f["line"] == line for f in payload["findings"])
    assert {f["file"] for f in payload["findings"]} == {path}


def test_cli_lint_empty_file_is_a_warning_only(bad_vault):
    code, payload = lint_json("domains/health/empty.md", cwd=bad_vault)
    assert code == 0
    assert [(f["rule"], f["severity"], f["line"]) for f in payload["findings"]] == [("parse", "warning", 1)]


def test_cli_fix_never_writes_bad_files(bad_vault):
    before = snapshot(bad_vault.parent)
    head = subprocess.run(["git", "-C", str(bad_vault), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout
    dry = run_teleo("fix", "--dry-run", cwd=bad_vault)
    assert dry.returncode == 0, dry.stderr
    assert "nothing to repair" in dry.stdout
    assert snapshot(bad_vault.parent) == before
    real = run_teleo("fix", cwd=bad_vault)
    assert real.returncode == 0, real.stderr
    assert "nothing to repair" in real.stdout
    assert snapshot(bad_vault.parent) == before
    json_run = run_teleo("fix", "--format", "json", cwd=bad_vault)
    assert json.loads(json_run.stdout)["summary"]["files"] == 0
    outside = run_teleo("fix", "../outside.md", cwd=bad_vault)
    assert outside.returncode == 0
    assert "outside the vault" in outside.stderr
    assert snapshot(bad_vault.parent) == before
    after = subprocess.run(["git", "-C", str(bad_vault), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout
    assert after == head


def test_cli_exit_0_when_clean(tmp_path):
    root = tmp_path / "clean"
    write_files(root, {"agents/leo/identity.md": "# Leo\n\nThe evaluator.\n", "inbox/archive/.keep": "", "domains/.keep": ""})
    code, payload = lint_json(cwd=root)
    assert (code, payload["findings"]) == (0, [])
    assert run_teleo("lint", cwd=root).returncode == 0


def test_cli_usage_errors_exit_2(bad_vault, tmp_path):
    unknown_rule = run_teleo("lint", "--rule", "no-such-rule", cwd=bad_vault)
    assert unknown_rule.returncode == 2
    assert "no-such-rule" in unknown_rule.stderr
    missing = run_teleo("--vault", str(tmp_path / "does-not-exist"), "lint", cwd=tmp_path)
    assert missing.returncode == 2
    assert "does-not-exist" in missing.stderr
    nowhere = tmp_path / "not-a-vault"
    nowhere.mkdir()
    for args in (("lint",), ("lint", "--format", "json"), ("fix", "--dry-run"), ("fix",)):
        result = run_teleo(*args, cwd=nowhere)
        assert result.returncode == 2, args
        assert "no vault" in result.stderr
    bad_option = run_teleo("lint", "--format", "yaml", cwd=bad_vault)
    assert bad_option.returncode == 2
    bad_config = tmp_path / "bad-config"
    write_files(bad_config, {"teleo.toml": "[vault\nname = 1\n", "domains/x/a.md": "# a\n"})
    result = run_teleo("lint", cwd=bad_config)
    assert result.returncode == 2
    assert "teleo.toml" in result.stderr


@pytest.mark.parametrize("command", ["extract", "run", "review", "merge", "proposals"])
def test_a_repository_with_no_commit_is_a_one_line_error(tmp_path, command):
    """A vault whose git repository has no commit yet: each command that reads branches says so, no traceback."""
    write_files(tmp_path, {
        "teleo.toml": "",
        "domains/health/.keep": "",
        "inbox/archive/a source.md": "---\ntype: source\ntitle: A source\nstatus: unprocessed\n---\nText.\n",
    })
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    done = run_teleo(command, cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "no commit yet" in done.stderr
