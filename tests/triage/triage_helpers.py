"""A small vault of sources in every lifecycle state, claims dated around their judgements, and the real
`teleo` command run on it (imported by name: tests/triage has no conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the root conftest's helpers

from conftest import git_init, teleo_command, write_files  # noqa: E402

ARCHIVE = "inbox/archive"


def source(name: str, *, status: str | None, domain: str | None = "health", fmt: str = "report",
           extra: str = "", date: str = "2026-01-04") -> tuple[str, str]:
    lines = ["---", "type: source", f'title: "Source {name}"', 'author: "Some Author (@someone)"',
             f"url: https://example.org/{name}", f"date: {date}"]
    lines += [f"domain: {domain}"] if domain else []
    lines += [f"format: {fmt}"]
    lines += [f"status: {status}"] if status is not None else []
    text = "\n".join(lines) + "\n" + extra + "---\n\n" + f"# Source {name}\n\n## Content\n\n" + (
        "Reusable first stages account for most of the drop in launch costs because the booster is the most "
        "expensive part of the rocket.\n")
    return f"{ARCHIVE}/{date}-someone-{name}.md", text


def claim(domain: str, slug: str, created: str | None) -> tuple[str, str]:
    text = ("---\ntype: claim\n" f"domain: {domain}\n"
            "description: A claim used to date how much its domain has grown since a source was judged.\n"
            "confidence: likely\nsource: a test\n" + (f"created: {created}\n" if created else "") + "---\n\n"
            f"# {slug}\n\nThe body argues it.\n")
    return f"domains/{domain}/{slug}.md", text


NULL_NOTES = 'notes: "nothing arguable beyond what the domain holds"\nprocessed_by: vida\n'

SOURCES = dict([
    source("processed", status="processed",
           extra='processed_by: vida\nprocessed_date: 2026-02-01\nclaims_extracted: ["some claim"]\n'),
    source("queued", status="unprocessed", fmt="data"),
    source("nostatus", status=None, domain="ai-alignment"),
    source("freetext", status='"complete (13 pages)"'),
    # null results: health judged 2026-03-01 (last_attempted beats processed_date), ai-alignment 2026-03-01,
    # health 2026-03-10, one with no date (judged from git: the commit, today), one with no domain
    source("null-health", status="null-result",
           extra=NULL_NOTES + "processed_date: 2026-02-20\nlast_attempted: 2026-03-01\n"),
    source("null-ai", status="null-result", domain="ai-alignment",
           extra='notes: "nothing new"\nprocessed_by: theseus\nprocessed_date: 2026-03-01\n'),
    source("null-late", status="null-result", fmt="data", extra=NULL_NOTES + "processed_date: 2026-03-10\n"),
    source("null-undated", status="null-result", extra=NULL_NOTES),
    source("null-nodomain", status="null-result", domain=None, extra=NULL_NOTES + "processed_date: 2026-01-01\n"),
])

CLAIMS = dict([
    claim("health", "health claim created before", "2026-02-25"),
    claim("health", "health claim created on march second", "2026-03-02"),
    claim("health", "health claim created on march fifth", "2026-03-05"),
    claim("health", "health claim created on march ninth", "2026-03-09"),
    claim("health", "health claim created on march twelfth", "2026-03-12"),
    claim("health", "health claim with no created date", None),
    claim("ai-alignment", "alignment claim created the day it was judged", "2026-03-01"),
    claim("ai-alignment", "alignment claim created on march second", "2026-03-02"),
    claim("ai-alignment", "alignment claim created in march", "2026-03-00"),  # partial: its start, not after the 1st
    claim("ai-alignment", "alignment claim created on march third", "2026-03-03"),
])


def path_of(name: str) -> str:
    return next(p for p in SOURCES if p.endswith(f"-someone-{name}.md"))


def make_vault(root: Path, files: dict[str, str | bytes] | None = None, *, git: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, {"domains/health/_map.md": "# Health\n", "domains/ai-alignment/_map.md": "# AI alignment\n",
                       **(files if files is not None else {**SOURCES, **CLAIMS})})
    if git:
        git_init(root)
    return root


ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200", "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org",
       "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.org"}


def teleo(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The real command line, in the vault; never a traceback, whatever the input."""
    result = subprocess.run([*teleo_command(), *args], cwd=root, capture_output=True, text=True,
                            env={**os.environ, **ENV}, timeout=300, check=False)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def show_bytes(root: Path, path: str, ref: str = "main") -> bytes:
    """The file at `ref`, as stored (no newline translation)."""
    return subprocess.run(["git", "-C", str(root), "show", f"{ref}:{path}"], capture_output=True, check=True).stdout


def head(root: Path) -> str:
    return git(root, "rev-parse", "main").strip()


def status_on_main(root: Path, path: str) -> str | None:
    text = git(root, "show", f"main:{path}")
    front = text.split("---")[1]
    found = [line.split(":", 1)[1].strip() for line in front.splitlines() if line.startswith("status:")]
    return found[-1] if found else None
