"""`LinkResolver.extended` (used for a proposal's overlay) answers exactly like a resolver built from scratch."""

from __future__ import annotations

from teleo.vault.resolver import LinkResolver

BASE = [f"domains/d{i % 3}/claim number {i}.md" for i in range(60)] + ["a/Same.md", "b/same.md", "maps/_map.md"]
ADDED = ["domains/d1/claim number 5.md", "c/same.md", "c/a brand new claim.md", "a/SAME.md", "domains/d2/_map.md"]
TARGETS = ["same", "Same", "claim number 5", "a brand new claim", "_map", "a/same", "claim number", "nothing like it"]


def test_extended_resolves_like_a_fresh_resolver():
    fresh = LinkResolver(BASE + ADDED)
    extended = LinkResolver(BASE).extended(ADDED)
    for target in TARGETS:
        for origin in ("c/x.md", "domains/d1/x.md", ""):
            assert extended.resolve(target, origin) == fresh.resolve(target, origin), (target, origin)
    for target in ("a brand new cla", "claim numbr 7", "sme", "nothing like it at all"):
        assert extended.suggest(target) == fresh.suggest(target), target
    assert extended.titles() == fresh.titles()
    assert extended.duplicates() == fresh.duplicates()


def test_extended_leaves_the_original_alone():
    base = LinkResolver(BASE)
    before = (dict(base.titles()), list(base._sorted_norms))
    base.extended(ADDED)
    assert not base.resolve("a brand new claim", "c/x.md").resolved
    assert (dict(base.titles()), list(base._sorted_norms)) == before
