"""Shared fixtures: tiny vaults written on the fly, the sample vault, the corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
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


def git_init(root: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "initial"], check=True, env=env)


@pytest.fixture
def sample_vault(tmp_path) -> Path:
    """A private copy of the bundled sample vault."""
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE_VAULT, target)
    return target


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The teleo-codex snapshot; tests that need it skip when it is absent."""
    if not (CORPUS / "domains").is_dir():
        pytest.skip(f"teleo-codex corpus not found at {CORPUS} (set TELEO_CORPUS to run corpus tests)")
    return CORPUS
