"""A lint streams its notes (none left in the vault), checks many notes in forked workers with the
same findings, and writes its JSON a finding at a time, byte for byte what json.dumps writes."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest

import teleo
from teleo.cli.lint import write_json
from teleo.gates import Finding, Severity, check, parallel
from teleo.gates.registry import RULES
from teleo.vault import Vault

SAMPLE = Path(teleo.__file__).parent / "samples" / "sample-vault"


@pytest.fixture
def sample(tmp_path) -> Path:
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".git", ".teleo"))
    claim = next(p for p in sorted((root / "domains").rglob("*.md")) if not p.name.startswith("_"))
    (root / "core" / "copies").mkdir(parents=True)
    shutil.copy(claim, root / "core" / "copies" / claim.name)  # a duplicate title, for the vault rule
    return root


def test_a_lint_leaves_no_note_it_read_in_the_vault(sample):
    vault = Vault.open(sample)
    paths = vault.markdown_paths()
    held = vault.note(paths[0])  # read before the lint: stays
    report = check(vault)
    assert report.summary.files >= len(paths) and report.findings
    assert vault.holds(paths[0]) and vault.note(paths[0]) is held
    assert [p for p in paths[1:] if vault.holds(p)] == []


def test_the_parallel_pass_reports_what_the_serial_pass_reports(sample, monkeypatch):
    monkeypatch.setenv("TELEO_LINT_WORKERS", "1")
    serial = check(Vault.open(sample))
    assert serial.findings and {f.rule for f in serial.findings} >= {"link-unresolved", "title-duplicate"}

    calls = []
    original = parallel.check_parallel

    def spy(ctx, paths, note_rules):
        calls.append(len(paths))
        yield from original(ctx, paths, note_rules)

    monkeypatch.setenv("TELEO_LINT_WORKERS", "2")
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 2)
    monkeypatch.setattr(parallel, "CHUNK", 3)
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    monkeypatch.setattr(parallel, "check_parallel", spy)
    assert check(Vault.open(sample)) == serial
    cold = check(Vault.open(sample), cache=True)
    warm = check(Vault.open(sample), cache=True)
    assert cold == warm == serial
    assert calls == [len(serial_targets(sample))] * 2  # the plain run and the cold cached one; the warm read the cache


def test_chunks_shrink_towards_the_end_and_keep_every_path_in_order():
    paths = [f"n{i:05}.md" for i in range(5_000)]
    chunks = parallel.split(paths, 2)
    assert [p for chunk in chunks for p in chunk] == paths
    sizes = [len(chunk) for chunk in chunks]
    assert sizes[0] == parallel.CHUNK and sizes == sorted(sizes, reverse=True)[:-1] + sizes[-1:]
    assert min(sizes[:-1]) == parallel.LAST_CHUNK


def test_this_process_checks_the_next_chunks_while_a_worker_is_not_back(monkeypatch):
    """The chunks are shared as each process is free: while the worker's chunk is not back, the calling
    process checks the next untaken ones (at most MINE_AHEAD) instead of waiting, and the rows still come in
    path order."""
    from concurrent.futures import Future

    checked_here: list[str] = []

    def check_paths(ctx, paths, note_rules):
        for path in paths:
            checked_here.append(path)
            yield path, "claim", [], None, None

    class SlowPool:
        """A worker that gets to its chunk only when asked for the result."""

        def submit(self, fn, chunk):
            future = Future()
            future.chunk = chunk
            future.result = lambda timeout=None: [(p, "claim", [], None, None) for p in chunk]
            return future

    monkeypatch.setattr(parallel, "check_paths", check_paths)
    chunks = [[f"c{c}-n{n}" for n in range(3)] for c in range(12)]
    rows = list(parallel._shared(None, chunks, [], SlowPool(), queued=2))
    assert [row[0] for row in rows] == [p for chunk in chunks for p in chunk]
    here = sorted({int(path.split("-")[0][1:]) for path in checked_here})
    # the worker has 0 and 1 queued; waiting on 0, this process takes 2–5 (MINE_AHEAD); on 1, none more (its
    # four are not yet yielded); the worker is given 6 and 7; waiting on 6, this process takes 8–11
    assert parallel.MINE_AHEAD == 4 and here == [2, 3, 4, 5, 8, 9, 10, 11]


def test_the_vault_rules_read_no_note_again(sample, monkeypatch):
    """title-duplicate, position-active-count and entity-duplicate take what they need of each note from the
    note pass (its H1 line; a position's status, agent, created and status line; an entity's record) instead
    of reading the notes again: a
    lint reads each note once, and reports what a run that must read them (a warm cached run: no pass)
    reports."""
    from teleo.vault import vault as vault_module

    position = next((sample / "agents" / "theseus" / "positions").glob("*.md"))
    for n in range(6):  # more active positions than the limit, for the count rule to report
        shutil.copy(position, position.with_name(f"copy {n} of a position.md"))
    entity = next((sample / "entities").rglob("*.md"))
    shutil.copy(entity, entity.with_name("the same company again.md"))  # same name: entity-duplicate
    reads: list[str] = []  # the notes read while a vault rule runs
    in_vault_rule = [False]
    original = vault_module.read_note
    monkeypatch.setattr(vault_module, "read_note",
                        lambda root, path: (reads.append(path) if in_vault_rule[0] else None) or original(root, path))
    for rule_id in ("title-duplicate", "position-active-count", "entity-duplicate"):
        rule = RULES[rule_id]

        def spied(ctx, vault_check=rule.vault_check):
            in_vault_rule[0] = True
            try:
                yield from vault_check(ctx)
            finally:
                in_vault_rule[0] = False

        monkeypatch.setitem(RULES, rule_id, dataclasses.replace(rule, vault_check=spied))
    monkeypatch.setenv("TELEO_LINT_WORKERS", "1")
    cold = check(Vault.open(sample), cache=True)
    assert {"title-duplicate", "position-active-count", "entity-duplicate"} <= {f.rule for f in cold.findings}
    assert reads == []

    warm = check(Vault.open(sample), cache=True)
    assert reads  # no note pass ran (every note's findings came from the cache): the vault rules read notes
    assert warm == cold


def serial_targets(root: Path) -> list[str]:
    vault = Vault.open(root)
    return vault.markdown_paths() + vault.hidden_paths()


def test_the_json_output_is_what_json_dumps_writes(sample):
    report = check(Vault.open(sample))
    odd = Finding(rule="parse", severity=Severity.ERROR, file='a "quoted" \\ name é\u2028.md', line=2,
                  message="tab\there, newline\nthere, control \x01, emoji ✓", field="title", suggestion=None)
    summary = report.summary.model_dump()
    for findings in (report.findings + [odd], []):
        out = io.StringIO()
        write_json(out, findings, summary)
        expected = json.dumps({"findings": [f.model_dump(mode="json") for f in findings], "summary": summary},
                              ensure_ascii=False, indent=1) + "\n"
        assert out.getvalue() == expected


def test_a_lint_leaves_its_objects_out_of_the_youngest_generation(sample):
    """The collector is paused during a lint; what the lint made then goes to the oldest generation, so
    the first collections after it do not scan every note, link and finding as young objects (the old
    way, 115,000 objects of the sample vault's lint went through generation 0 into 1)."""
    import gc

    gc.collect()
    report = check(Vault.open(sample))
    young = gc.get_objects(generation=0) + gc.get_objects(generation=1)
    assert report.findings and len(young) < 1_000, len(young)
    assert gc.isenabled()
