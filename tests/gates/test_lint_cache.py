"""The lint cache: a warm run reports exactly what a cold run reports."""

from __future__ import annotations

import datetime as dt
import os

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
