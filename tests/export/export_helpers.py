"""Git helpers for the export tests: commits with chosen messages, dates and merges."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path


def git(root: Path, *args: str, date: str = "2026-03-01T12:00:00+00:00") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
        "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    }
    result = subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env)
    return result.stdout


def init(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")


def commit(root: Path, files: dict[str, str], message: str, date: str = "2026-03-01T12:00:00+00:00") -> str:
    """Write `files` (dedented) and commit them with `message`; return the sha."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    git(root, "add", "-A", date=date)
    git(root, "commit", "-q", "-m", message, date=date)
    return git(root, "rev-parse", "HEAD").strip()


def merge(root: Path, branch: str, message: str, date: str = "2026-03-02T12:00:00+00:00") -> str:
    git(root, "merge", "-q", "--no-ff", "-m", message, branch, date=date)
    return git(root, "rev-parse", "HEAD").strip()


def claim(domain: str, body: str = "Body.", **fields: str) -> str:
    """A claim note's text."""
    lines = ["---", "type: claim", f"domain: {domain}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    lines += ["---", "", body, ""]
    return "\n".join(lines)
