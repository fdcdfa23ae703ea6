"""The lint cache: a warm run reports exactly what a cold run reports."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from teleo.gates import check
from teleo.vault import Vault

TODAY = dt.date(2026, 11, 26)

CLAIM = """---
type: claim
domain: health
description: "A description long enough to add something beyond the title itself."
confidence: experimental
source: "test"
created: 2026-03-01
---

# {title}

Evidence from a 2024 study of 1,200 patients. See [[{link}]].
"""


def files(link: str = "missing claim title here") -> dict[str, str]:
    return {
        "domains/health/screening finds more disease when invitations are personalised.md": CLAIM.format(
            title="screening finds more disease when invitations are personalised", link=link
        ),
        "domains/health/_map.md": "# health\n",
        "inbox/archive/.keep": "",
    }


def same(root) -> None:
    cold = check(Vault.open(root), today=TODAY)
    warm = check(Vault.open(root), today=TODAY, cache=True)
    assert warm.findings == cold.findings


def test_warm_run_equals_cold_run(make_vault):
    vault = make_vault(files())
    first = check(Vault.open(vault.root), today=TODAY, cache=True)
    assert (vault.root / ".teleo" / "lint-cache.pickle").exists()
    second = check(Vault.open(vault.root), today=TODAY, cache=True)
    assert first.findings == second.findings == check(Vault.open(vault.root), today=TODAY).findings
    assert any(f.rule == "link-unresolved" for f in second.findings)


def test_a_read_only_vault_gets_no_cache(make_vault):
    """A vault folder without write bits (a shared snapshot) is never written to, even by root."""
    vault = make_vault(files())
    mode = vault.root.stat().st_mode
    vault.root.chmod(0o555)
    try:
        before = vault.root.stat().st_mtime_ns
        report = check(Vault.open(vault.root), today=TODAY, cache=True)
        assert any(f.rule == "link-unresolved" for f in report.findings)
        assert not (vault.root / ".teleo").exists()
        assert vault.root.stat().st_mtime_ns == before
    finally:
        vault.root.chmod(mode)


def test_an_edited_note_is_linted_again(make_vault):
    vault = make_vault(files())
    check(Vault.open(vault.root), today=TODAY, cache=True)
    path = vault.root / "domains/health/screening finds more disease when invitations are personalised.md"
    text = path.read_text().replace("[[missing claim title here]]", "[[_map]]")
    path.write_text(text)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    warm = check(Vault.open(vault.root), today=TODAY, cache=True)
    assert not any(f.rule == "link-unresolved" for f in warm.findings)
    same(vault.root)


def test_an_edit_within_one_mtime_tick_of_the_lint_is_linted_again(make_vault):
    """A note written just before (or while) it is linted may change again within the same mtime tick
    (1–10 ms on some filesystems; a second on others) and keep its size: its stamp then says nothing,
    and the next lint must read it again rather than serve the findings of the older text."""
    vault = make_vault(files())
    path = vault.root / "domains/health/screening finds more disease when invitations are personalised.md"
    path.write_text(path.read_text())  # written now: within the tick of the lint below
    first = check(Vault.open(vault.root), today=TODAY, cache=True)
    assert any(f.rule == "link-unresolved" for f in first.findings)
    before = path.stat()
    old, new = "[[missing claim title here]]", "[[_map]]"
    text = path.read_text().replace(old, new + " " * (len(old) - len(new)))  # the same size
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime: one coarse tick
    warm = check(Vault.open(vault.root), today=TODAY, cache=True)
    assert not any(f.rule == "link-unresolved" for f in warm.findings)
    same(vault.root)


def test_the_cache_keeps_the_stamp_of_the_text_it_linted(make_vault):
    """A note the vault had read before the file changed is linted as the vault holds it; the cache then
    keeps the stamp of that older text, so the next lint reads the file again instead of serving the
    older text's findings as the new file's."""
    vault = make_vault(files())
    held = Vault.open(vault.root)
    path = vault.root / "domains/health/screening finds more disease when invitations are personalised.md"
    held.note(path.relative_to(vault.root).as_posix())  # read now, kept by this vault
    path.write_text(path.read_text().replace("[[missing claim title here]]", "[[_map]] and more"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    first = check(held, today=TODAY, cache=True)
    assert any(f.rule == "link-unresolved" for f in first.findings)  # the text the vault held
    warm = check(Vault.open(vault.root), today=TODAY, cache=True)
    assert not any(f.rule == "link-unresolved" for f in warm.findings)
    same(vault.root)


def test_a_new_note_that_a_link_names_clears_the_finding_in_another_note(make_vault):
    vault = make_vault(files(link="obesity drugs cut appetite through gut hormones"))
    check(Vault.open(vault.root), today=TODAY, cache=True)
    (vault.root / "domains/health/obesity drugs cut appetite through gut hormones.md").write_text(
        CLAIM.format(title="obesity drugs cut appetite through gut hormones", link="_map")
    )
    warm = check(Vault.open(vault.root), today=TODAY, cache=True)
    assert not any(f.rule == "link-unresolved" for f in warm.findings)
    same(vault.root)


def test_a_damaged_cache_is_ignored(make_vault):
    vault = make_vault(files())
    check(Vault.open(vault.root), today=TODAY, cache=True)
    (vault.root / ".teleo" / "lint-cache.pickle").write_bytes(b"not a pickle")
    same(vault.root)


ENTITY = "entities/health/metadao.md"


def test_another_day_recomputes_staleness(make_vault):
    """An entity touched 30 days before TODAY is fresh today and stale 400 days later (after 90):
    the cache filled today must not answer for that later day."""
    vault = make_vault({**files(), ENTITY: "---\ntype: entity\nlast_updated: 2026-10-27\ncreated: 2025-01-01\n---\n"})
    today = check(Vault.open(vault.root), today=TODAY, cache=True)
    assert not [f for f in today.findings if f.rule == "stale"]
    later_day = TODAY + dt.timedelta(days=400)
    later = check(Vault.open(vault.root), today=later_day, cache=True)
    assert [(f.file, f.rule) for f in later.findings if f.rule == "stale"] == [(ENTITY, "stale")]
    assert later.findings == check(Vault.open(vault.root), today=later_day).findings


RUN_CLI = "import sys; from teleo.cli.app import main; sys.argv = ['teleo', *sys.argv[1:]]; sys.exit(main())"


def _lint_json(package_parent, root) -> list[tuple[str, str]]:
    """`teleo lint ROOT --format json` (cache on) run from the copy of the package in `package_parent`."""
    env = {**os.environ, "PYTHONPATH": str(package_parent), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", RUN_CLI, "lint", str(root), "--format", "json"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode in (0, 1), done.stderr
    return [(f["rule"], f["message"]) for f in json.loads(done.stdout)["findings"]]


def test_a_changed_rule_drops_the_cached_findings(make_vault, tmp_path):
    """The cache is keyed on the rules' code, not only on the package version: editing a rule (here the
    message of link-unresolved) in an installed copy of the package, version unchanged, makes the next
    cached lint report what the edited rule says; an unchanged copy reuses the cache without rewriting it."""
    import teleo

    vault = make_vault(files())
    copy = tmp_path / "pkg"
    shutil.copytree(Path(teleo.__file__).parent, copy / "teleo", ignore=shutil.ignore_patterns("__pycache__"))
    cache_file = vault.root / ".teleo" / "lint-cache.pickle"

    first = _lint_json(copy, vault.root)
    assert ("link-unresolved", "[[missing claim title here]] does not resolve to any note") in first
    written = cache_file.stat().st_mtime_ns
    assert _lint_json(copy, vault.root) == first
    assert cache_file.stat().st_mtime_ns == written  # reused, not rewritten

    rule = copy / "teleo" / "gates" / "rules" / "links.py"
    rule.write_text(rule.read_text().replace("does not resolve to any note", "leads to no note"))
    after = _lint_json(copy, vault.root)
    assert ("link-unresolved", "[[missing claim title here]] leads to no note") in after
    assert not any("does not resolve" in message for _, message in after)
