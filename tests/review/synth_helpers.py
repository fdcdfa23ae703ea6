"""A small vault for the synthesis tests: four agents, claims written here, real git.

Imported by name (`from synth_helpers import ...`). Every note here was written for these tests.
"""

from __future__ import annotations

import os
from pathlib import Path

from review_helpers import CONFIG, commit, git  # noqa: F401 - the review tests' four agents; git and commit for the tests here

ENV = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org",
       "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.org", "COLUMNS": "200"}

FOLDER = {"ai-alignment": "domains/ai-alignment", "internet-finance": "domains/internet-finance",
          "health": "domains/health", "grand-strategy": "core/grand-strategy"}


def claim(domain: str, title: str, description: str = "", body: str = "The argument is given here in full.",
          links: list[str] | None = None, **fields: str) -> tuple[str, str]:
    """(path, text) of a claim of `domain` titled `title`."""
    extra = "".join(f"{k}: {v}\n" for k, v in fields.items())
    description = description or f"Stated for the synthesis tests about {title.split()[0]} and what follows from it."
    related = "".join(f"\n- [[{t}]]" for t in links or [])
    text = (f"---\ntype: claim\ndomain: {domain}\ndescription: \"{description}\"\nconfidence: experimental\n"
            f"source: \"test fixture\"\ncreated: 2026-03-01\n{extra}---\n\n# {title}\n\n{body}\n"
            + (f"\nRelevant Notes:{related}\n" if related else ""))
    return f"{FOLDER[domain]}/{title}.md", text


def enrichment(n: int) -> str:
    return (f"\n### Additional Evidence (extend)\n*Source: [[2026-01-0{n}-some-source]] | Added: 2026-03-1{n} | "
            f"Extractor: test*\n\nMore evidence, block {n}.\n")


def new_vault(root: Path, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True)
    git(root.parent, "init", "-q", "-b", "main", str(root))
    base = {"teleo.toml": CONFIG, "agents/leo/identity.md": "# Leo\n\nThe evaluator.\n",
            "core/grand-strategy/_map.md": "# Grand strategy\n"}
    commit(root, {**base, **(files or {})}, "start")
    return root


def claims(domain: str, count: int, stem: str) -> dict[str, str]:
    """`count` distinct claims of `domain`."""
    out = {}
    for i in range(count):
        path, text = claim(domain, f"{stem} number {i} shapes outcomes in {domain} over time")
        out[path] = text
    return out
