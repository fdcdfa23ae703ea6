"""The identity Teleo's commits carry follows git's own reading of the config, its environment included."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pygit2
import pytest

from teleo.repo.identity import DEFAULT_IDENTITY, configured, identity_env, signature

IDENTITY_VARIABLES = [f"GIT_{role}_{part}" for role in ("AUTHOR", "COMMITTER") for part in ("NAME", "EMAIL")]


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No identity in the environment; a home whose ~/.gitconfig names somebody."""
    for variable in IDENTITY_VARIABLES + ["GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM"]:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Home Person\n\temail = home@example.org\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    return home


def make_repo(path: Path) -> pygit2.Repository:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return pygit2.Repository(str(path))


def test_an_emptied_global_config_leaves_no_identity(bare_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIT_CONFIG_GLOBAL=/dev/null hides ~/.gitconfig from git, so Teleo must fall back to its default
    (libgit2 alone would still read ~/.gitconfig and `git commit` would then fail for want of a name)."""
    repo = make_repo(tmp_path / "vault")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    assert configured(repo, "user.name") is None
    assert identity_env(repo)["GIT_COMMITTER_NAME"] == DEFAULT_IDENTITY[0]
    assert signature(repo).email == DEFAULT_IDENTITY[1]


def test_the_global_config_git_names_is_read(bare_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "vault")
    other = tmp_path / "other.gitconfig"
    other.write_text("[user]\n\tname = Named Elsewhere\n\temail = elsewhere@example.org\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(other))
    assert configured(repo, "user.name") == "Named Elsewhere"
    assert identity_env(repo) == {}


def test_the_repository_config_wins_and_a_change_to_it_is_seen(bare_env: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "vault")
    assert signature(repo).name == "Home Person"
    subprocess.run(["git", "-C", str(tmp_path / "vault"), "config", "user.name", "Local Person"], check=True)
    assert signature(repo).name == "Local Person"


def test_a_change_to_the_repository_config_within_one_mtime_tick_is_seen(bare_env: Path, tmp_path: Path) -> None:
    """Filesystems with coarse timestamps (a clock tick of 1–10 ms) can give the rewritten config the mtime
    of the one read just before: the cached identity must not be keyed on the mtime alone."""
    repo = make_repo(tmp_path / "vault")
    config = tmp_path / "vault" / ".git" / "config"
    assert signature(repo).name == "Home Person"
    before = config.stat()
    subprocess.run(["git", "-C", str(tmp_path / "vault"), "config", "user.name", "Local Person"], check=True)
    os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same tick as the read above
    assert signature(repo).name == "Local Person"
