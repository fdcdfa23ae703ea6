"""Shared fixtures: tiny vaults written on the fly, the sample vault, the corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from teleo.vault import Vault

REPO = Path(__file__).resolve().parents[1]
SAMPLE_VAULT = REPO / "examples" / "sample-vault"
CORPUS = Path(os.environ.get("TELEO_CORPUS", REPO.parent / "shared" / "corpora" / "teleo-codex"))


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write `files` (vault-relative path → text, dedented, or raw bytes) under `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def make_vault(tmp_path):
    """`make_vault({path: text})` → a Vault with the teleo-codex default config."""

    def factory(files: dict[str, str | bytes], *, git: bool = False, config: str | None = None) -> Vault:
        root = tmp_path / "vault"
        root.mkdir(exist_ok=True)
        if config is not None:
            (root / "teleo.toml").write_text(textwrap.dedent(config), encoding="utf-8")
        write_files(root, files)
        if git:
            git_init(root)
        return Vault.open(root)

    return factory


GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
                "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
"""For the tests' own `git commit`/`git merge`: a clean machine (CI in a container, as root) may have no
`user.name` in any git config, and git then refuses to commit."""


def git_init(root: Path) -> None:
    env = {**os.environ, **GIT_IDENTITY}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "initial"], check=True, env=env)


@pytest.fixture
def counted_parses(monkeypatch) -> list[str]:
    """The paths `teleo.vault.tree` parses from git blobs while the test runs, in order (its memo of parsed
    notes starts empty, with the default bound)."""
    import teleo.vault.tree as tree_module

    parsed: list[str] = []
    real = tree_module.note_from_bytes

    def counting(path, data):
        parsed.append(path)
        return real(path, data)

    monkeypatch.setattr(tree_module, "note_from_bytes", counting)
    monkeypatch.setattr(tree_module, "_PARSED", tree_module.ParsedNotes())
    return parsed


@pytest.fixture
def sample_vault(tmp_path) -> Path:
    """A private copy of the bundled sample vault."""
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE_VAULT, target)
    return target


def teleo_command() -> list[str]:
    """The `teleo` installed for the interpreter running the tests (the script beside it in its
    venv), else that interpreter with `-m` — never whichever `teleo` comes first on PATH."""
    script = Path(sys.executable).parent / "teleo"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "teleo.cli.app"]


def corpus_available() -> bool:
    return (CORPUS / "domains").is_dir()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """A private copy of the teleo-codex snapshot (no `.git`, no `.teleo`), made once per session;
    tests that need it skip when it is absent.

    A copy, so no test can write into the corpus, and so nothing around the corpus folder
    (an enclosing git repository, say) is seen by the code under test."""
    if not corpus_available():
        pytest.skip(f"teleo-codex corpus not found at {CORPUS} (set TELEO_CORPUS to run corpus tests)")
    return copy_corpus(tmp_path_factory.mktemp("corpus") / CORPUS.name)


def copy_corpus(target: Path) -> Path:
    shutil.copytree(CORPUS, target, ignore=shutil.ignore_patterns(".git", ".teleo"), symlinks=True)
    return target


def corpus_state(root: Path) -> dict[str, tuple[bool, int, int]]:
    """Every entry under `root`, hidden ones included: relative path → (is a folder, size, mtime_ns)."""
    state = {".": (True, 0, os.stat(root).st_mtime_ns)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            is_dir = os.path.isdir(path) and not os.path.islink(path)
            state[os.path.relpath(path, root)] = (is_dir, 0 if is_dir else info.st_size, info.st_mtime_ns)
    return state


@pytest.fixture(scope="session", autouse=True)
def corpus_untouched():
    """The suite leaves the corpus folder exactly as it found it: no file or folder added,
    removed, resized or modified (checked at the end of the session; nothing to check without a corpus)."""
    if not corpus_available():
        yield
        return
    before = corpus_state(CORPUS)
    yield
    after = corpus_state(CORPUS)
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    assert not changed, f"the test suite changed the corpus at {CORPUS}: {changed[:20]}"


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the queue's tests (tests/pg_harness.py: CI's, or a private cluster, or a skip)."""
    from pg_harness import Server

    server = Server.start()
    yield server
    server.stop()


@pytest.fixture
def pg_dsn(pg_server) -> str:
    """A fresh, empty database on `pg_server` for one test (dropped after it); its keyword DSN."""
    dsn = pg_server.create_database()
    yield dsn
    pg_server.drop_database(dsn)
