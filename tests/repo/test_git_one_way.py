"""The git layer's one way of each thing: opening, the environment, the fallback identity."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest

from teleo.repo import Repo
from teleo.repo.command import GitError, git_env, run_git
from teleo.repo.discover import is_repository, open_repository, vault_prefix
from teleo.repo.identity import DEFAULT_IDENTITY, identity_env, signature


@pytest.fixture
def nobody(tmp_path, monkeypatch):
    """A machine with no git identity anywhere: no global or system config, no GIT_* variables."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    level = pygit2.enums.ConfigLevel.GLOBAL
    before = pygit2.settings.search_path[level]
    pygit2.settings.search_path[level] = str(home)  # libgit2 reads $HOME once: point it at the empty one
    yield home
    pygit2.settings.search_path[level] = before


def test_a_commit_on_a_machine_with_no_identity_is_teleos_on_both_paths(tmp_path, nobody):
    root = tmp_path / "vault"
    root.mkdir()
    (root / "a.md").write_text("# A\n", encoding="utf-8")
    repo = Repo.init(root)
    commit = repo.commit(None, "first\n")
    author = run_git(root, "log", "-1", "--format=%an <%ae> / %cn <%ce>", commit, check=True).stdout.strip()
    name, email = DEFAULT_IDENTITY
    assert author == f"{name} <{email}> / {name} <{email}>"
    assert (signature(open_repository(root)).name, signature(open_repository(root)).email) == DEFAULT_IDENTITY


def test_a_configured_identity_wins_over_the_fallback(tmp_path, nobody):
    root = tmp_path / "vault"
    Repo.init(root)
    run_git(root, "config", "user.name", "Ada", check=True)
    repo = open_repository(root)
    assert signature(repo).name == "Ada" and signature(repo).email == DEFAULT_IDENTITY[1]
    assert identity_env(repo) == {"GIT_AUTHOR_EMAIL": DEFAULT_IDENTITY[1], "GIT_COMMITTER_EMAIL": DEFAULT_IDENTITY[1]}


def test_opening_finds_the_repository_from_any_folder_inside_and_nothing_outside(tmp_path):
    root = tmp_path / "repo"
    (root / "vault" / "deep").mkdir(parents=True)
    Repo.init(root)
    assert Repo.open(root / "vault" / "deep").root == root.resolve()
    assert is_repository(root / "vault") and not is_repository(tmp_path)
    assert vault_prefix(open_repository(root / "vault"), root / "vault") == "vault/"
    assert Repo.open(tmp_path) is None and open_repository(tmp_path / "missing") is None


def test_git_commands_ignore_a_callers_git_dir(tmp_path, monkeypatch):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    Repo.init(ours)
    Repo.init(theirs)
    monkeypatch.setenv("GIT_DIR", str(theirs / ".git"))  # as inside another repository's hook
    assert "GIT_DIR" not in git_env()
    top = run_git(ours, "rev-parse", "--show-toplevel", check=True).stdout.strip()
    assert Path(top) == ours.resolve()


def test_a_failing_git_command_says_what_git_said(tmp_path):
    with pytest.raises(GitError, match="log"):
        run_git(tmp_path, "-c", "core.quotePath=false", "log", check=True)
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0


def test_trailers_are_the_last_paragraph_of_the_body_never_the_subject():
    from teleo.repo.history import Commit
    from teleo.repo.trailers import trailer, trailers

    message = "rio: extract from x.md\n\n- Source: x\n\nPentagon-Agent: Rio <R1>\nContributor: a\nContributor: b\n"
    assert trailers(message) == {"Pentagon-Agent": ["Rio <R1>"], "Contributor": ["a", "b"]}
    assert trailer(message, "Contributor") == "b" and trailer(message, "Cascade-Of") is None
    assert trailers("Cascade-Of: abc") == {} and trailers("subject\n\nbody text, no trailer") == {}
    commit = Commit("0" * 40, (), "n", "e", "d", "rio: extract from x.md", message.split("\n\n", 1)[1])
    assert commit.trailers == trailers(message)


def test_the_agent_of_a_commit_is_its_trailer_else_a_known_subject_prefix():
    from teleo.repo.agents import AUTO_FIX, agent_trailer, commit_agent, known_agent

    known = {"rio", "theseus"}
    assert commit_agent("rio: extract from x.md\n\nPentagon-Agent: Rio <R1>\n", known) == "rio"
    assert commit_agent("rio/claims-x: add\n", known) == "rio"
    assert commit_agent("fix: typo\n", known) is None  # a subject prefix counts only when it is an agent
    assert commit_agent("auto-fix: address review feedback\n\nPentagon-Agent: Auto-Fix <HEADLESS>\n", known) == AUTO_FIX
    # the trailer is the statement: a subject naming another agent does not override it
    disagreeing = "theseus: extract from x.md\n\nPentagon-Agent: Mallory <M>\n"
    assert commit_agent(disagreeing, known) == "mallory" and known_agent(disagreeing, known) is None

    class Settings:
        id = "R1\nInjected: yes"

    assert agent_trailer("rio", {"rio": Settings()}) == "Pentagon-Agent: Rio <R1 Injected: yes>"
    assert agent_trailer("vida", {}) == "Pentagon-Agent: Vida <HEADLESS>"
