"""`teleo demo`: the pipeline on a fresh copy of the bundled sample vault, offline.

`run_demo(target=None, sample=None)` copies the sample vault installed with the package
(`teleo/samples/sample-vault`, which the checkout's `examples/sample-vault` links to; its raw
files wait in `inbox/queue/`) into `target` (default: a new temporary folder), makes it a git
repository with one commit on `main`, then runs the pipeline — ingest the drop folder, extract
every unprocessed source into `extract/*` proposal branches — with the offline provider. The
bundled sample is never written to: everything happens in the copy.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, Field

import teleo
from teleo.pipeline.run import STAGES, RunReport, run
from teleo.repo import GitError, Repo
from teleo.repo.branches import base_ref, changed_paths, is_merged, open_proposals, tip
from teleo.repo.discover import open_repository
from teleo.vault import Vault

SAMPLE_IN_PACKAGE = Path("samples") / "sample-vault"
DEMO_STAGES = STAGES
"""Inbox to main: ingest, extract, review, merge (`teleo demo --until extract` stops at proposals)."""
_IGNORED = shutil.ignore_patterns(".git", ".teleo", "__pycache__")


class DemoError(Exception):
    """The demo could not start (no sample vault, a non-empty target, git missing)."""


class MadeBranch(BaseModel):
    """One proposal the demo's extraction made."""

    branch: str
    source: str
    agent: str = ""
    commit: str
    claims: int = 0
    enrichments: int = 0
    files: list[str] = Field(default_factory=list)
    open: bool = True
    """Still an open proposal (False once reviewed and merged)."""
    merged: bool = False
    """Its commit is on main."""


@dataclass
class DemoResult:
    root: Path
    sample: Path
    report: RunReport
    branches: list[MadeBranch] = field(default_factory=list)
    """The proposal branches the run's extraction made, in source order (merged ones too)."""


def locate_sample(explicit: Path | None = None) -> Path:
    """The sample vault: `explicit`, else the one installed with the package (`teleo/samples/`;
    `examples/sample-vault` of a source checkout links to it)."""
    if explicit is not None:
        if not (explicit / "teleo.toml").is_file():
            raise DemoError(f"{explicit} is not a Teleo vault (no teleo.toml there)")
        return explicit.resolve()
    bundled = Path(teleo.__file__).resolve().parent / SAMPLE_IN_PACKAGE
    if (bundled / "teleo.toml").is_file():
        return bundled
    raise DemoError(f"the sample vault is missing from the installed package ({bundled}): reinstall Teleo, "
                    "or pass --from PATH")


def prepare_demo(target: Path | None, sample: Path) -> Path:
    """Copy `sample` into `target` (created; must be empty) and commit it as the first commit on `main`."""
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="teleo-demo-")) / sample.name
    target = target.resolve()
    if target == sample or sample in target.parents:
        raise DemoError(f"{target} is inside the sample vault; choose another folder")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DemoError(f"{target} exists and is not an empty folder")
    if shutil.which("git") is None:
        raise DemoError("git is not installed (the demo makes a git repository)")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(sample, target, ignore=_IGNORED, dirs_exist_ok=True, symlinks=False)
    try:
        Repo.init(target).commit(None, "demo: the sample vault\n")
    except GitError as exc:
        raise DemoError(f"cannot make {target} a git repository: {exc}") from None
    return target


def run_demo(
    target: Path | None = None,
    sample: Path | None = None,
    *,
    stages: Iterable[str] = DEMO_STAGES,
    workers: int | None = None,
    **options: Any,
) -> DemoResult:
    """Copy the sample vault, commit it, run the pipeline offline; see the module doc."""
    sample = locate_sample(sample)
    return run_prepared(prepare_demo(target, sample), sample, stages=stages, workers=workers, **options)


def run_prepared(
    root: Path, sample: Path, *, stages: Iterable[str] = DEMO_STAGES, workers: int | None = None, **options: Any,
) -> DemoResult:
    """The pipeline on a demo vault made by `prepare_demo`, with the offline provider unless told otherwise."""
    vault = Vault.open(root)
    options.setdefault("provider", "offline")
    report = run(vault, stages, workers=workers, **options)
    return DemoResult(root=root, sample=sample, report=report, branches=made_branches(root, report))


def made_branches(root: Path, report: RunReport) -> list[MadeBranch]:
    """The proposals of the run's extraction jobs, read from their commits (which outlive a merged branch)."""
    repo = open_repository(root)
    if repo is None or report.extract is None:
        return []
    still_open = {p.branch for p in open_proposals(repo)}
    main = tip(repo, base_ref(repo))
    made = []
    for job in report.extract.jobs:
        branch, commit_id = job.result.get("branch"), job.result.get("commit")
        if job.result.get("status") not in ("proposed", "null") or not branch or not commit_id:
            continue
        commit = repo.get(commit_id)
        if commit is None:
            continue
        subject = (commit.message or "").split("\n", 1)[0]
        made.append(MadeBranch(
            branch=branch, source=job.source, agent=subject.split(":", 1)[0] if ":" in subject else "",
            commit=str(commit_id), claims=int(job.result.get("claims") or 0),
            enrichments=int(job.result.get("enrichments") or 0),
            files=changed_paths(repo, commit.parents[0] if commit.parents else None, commit),
            open=branch in still_open, merged=is_merged(repo, commit, main),
        ))
    return made
