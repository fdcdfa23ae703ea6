"""A small vault with real git and hand-made proposal branches, for the review and merge tests.

Imported by name (`from review_helpers import ...`). Every note here was written for these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from teleo.pipeline.propose import commit_message
from teleo.repo.branches import tip, update_branch, write_commit
from teleo.repo.discover import open_repository
from teleo.vault import Vault

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import git_init, write_files

CONFIG = """\
[vault]
name = "review test vault"
evaluator = "leo"

[agents.leo]
role = "evaluator"
territory = ["core/", "agents/leo/", "maps/", "inbox/archive/"]
[agents.theseus]
role = "proposer"
[agents.rio]
role = "proposer"
[agents.vida]
role = "proposer"

[domains.ai-alignment]
folder = "domains/ai-alignment"
agent = "theseus"
[domains.internet-finance]
folder = "domains/internet-finance"
agent = "rio"
[domains.health]
folder = "domains/health"
agent = "vida"
[domains.grand-strategy]
folder = "core/grand-strategy"
agent = "leo"
"""

SOURCE = "inbox/archive/2026-04-01-okoye-audit-of-deployed-assistants.md"
SOURCE_TEXT = """\
---
type: source
title: "An audit of deployed assistants"
author: "Ada Okoye"
url: https://example.org/okoye/audit
date: 2026-04-01
domain: ai-alignment
format: report
status: unprocessed
---

# An audit of deployed assistants

## Content

The audit compared forty deployed assistants built on four base models over six months.
Assistants whose operators were paid per message sent longer replies and asked more follow-up questions than assistants sold by subscription.
The audit found no difference in refusal rates between the two groups.
"""

EXISTING = "operator payment models shape assistant behaviour more than base model choice does"
EXISTING_TEXT = f"""\
---
type: claim
domain: ai-alignment
description: "Across deployments of the same base model, how operators are paid predicts reply length and follow-up prompting better than which model they use."
confidence: experimental
source: "test fixture"
created: 2026-03-01
---

# {EXISTING}

Operators tune prompts and ranking to what they are paid for.

## Challenges

Small samples so far.
"""

PRICING = "subscription pricing rewards resolving a user's question in as few messages as possible"
PRICING_TEXT = f"""\
---
type: claim
domain: internet-finance
description: "A flat fee makes every extra message a cost to the seller, so subscription products are paid to finish conversations early."
confidence: experimental
source: "test fixture"
created: 2026-03-01
---

# {PRICING}

Under a flat fee the marginal message costs the seller and earns nothing.
"""

BASE_FILES = {
    "domains/ai-alignment/_map.md": "# AI alignment\n",
    "domains/health/_map.md": "# Health\n",
    "core/grand-strategy/_map.md": "# Grand strategy\n",
    f"domains/ai-alignment/{EXISTING}.md": EXISTING_TEXT,
    f"domains/internet-finance/{PRICING}.md": PRICING_TEXT,
    SOURCE: SOURCE_TEXT,
    "agents/leo/identity.md": "# Leo\n\nThe evaluator.\n",
    "agents/rio/identity.md": "# Rio\n\nInternet finance.\n",
}

NEW_TITLE = "per-message payment makes deployed assistants write longer replies than subscription pricing does"


def claim_text(title: str = NEW_TITLE, *, domain: str = "ai-alignment", source_stem: str = SOURCE.rsplit("/", 1)[-1][:-3],
               quote: str = "Assistants whose operators were paid per message sent longer replies and asked more "
                            "follow-up questions than assistants sold by subscription.",
               extra: str = "") -> str:
    return f"""\
---
type: claim
domain: {domain}
description: "In an audit of forty assistants, per-message operators produced longer replies and more follow-up questions than subscription ones."
confidence: experimental
source: "Ada Okoye, An audit of deployed assistants"
created: 2026-04-02
---

# {title}

The audit attributes the difference to how operators are paid.{extra}

## Evidence

> {quote}

(from [[{source_stem}]], line 17)

## Challenges

- One audit, six months.

---

Relevant Notes:
- [[{EXISTING}]] — extends
- [[{PRICING}]] — the pricing side
"""


def processed_source(titles: list[str]) -> str:
    listed = "\n".join(f"  - \"{t}\"" for t in titles)
    return SOURCE_TEXT.replace("status: unprocessed", f"status: processed\nprocessed_by: theseus\nclaims_extracted:\n{listed}")


def make_review_vault(root: Path, extra: dict[str, str] | None = None) -> Vault:
    root.mkdir(parents=True, exist_ok=True)
    (root / "teleo.toml").write_text(CONFIG, encoding="utf-8")
    write_files(root, {**BASE_FILES, **(extra or {})})
    git_init(root)
    return Vault.open(root)


def make_proposal(vault: Vault, branch: str, files: dict[str, str], *, agent: str = "theseus",
                  domain: str = "ai-alignment", source: str = SOURCE, message: str | None = None) -> str:
    """One commit with `files` on top of main, on `branch` (the extraction's conventions unless `message`)."""
    repo = open_repository(vault.root)
    parent = tip(repo, "refs/heads/main")
    message = message or commit_message(vault, agent=agent, source_path=source, domain=domain)
    commit = write_commit(repo, parent, {p: t.encode() for p, t in files.items()}, message)
    update_branch(repo, branch, commit, None)
    return commit


def add_commit(vault: Vault, branch: str, files: dict[str, str], message: str) -> str:
    repo = open_repository(vault.root)
    head = tip(repo, f"refs/heads/{branch}")
    commit = write_commit(repo, head, {p: t.encode() for p, t in files.items()}, message)
    update_branch(repo, branch, commit, str(head.id))
    return commit


def good_files(title: str = NEW_TITLE) -> dict[str, str]:
    return {f"domains/ai-alignment/{title}.md": claim_text(title), SOURCE: processed_source([title])}


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True, env=env).stdout


def commit(root: Path, files: dict[str, str | None], message: str = "test: change") -> None:
    """Write `files` (None: delete) in the working tree of `root` and commit them all."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def main_files(root: Path) -> set[str]:
    return set(git(root, "ls-tree", "-r", "--name-only", "main").splitlines())
