"""The link resolver: resolution order, the ambiguity rule, unsafe targets, suggestions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teleo.gates import check
from teleo.notes import split_link
from teleo.vault.resolver import LinkResolver, choose, normalise_title

PATHS = [
    "README.md",
    "domains/ai-alignment/_map.md",
    "domains/health/_map.md",
    "core/grand-strategy/_map.md",
    "domains/ai-alignment/Futarchy enables x.md",
    "domains/ai-alignment/model-level alignment is insufficient for beneficial outcomes because deployment incentives decide.md",
    "domains/ai-alignment/models don't share values.md",
    "core/grand-strategy/shared title.md",
    "domains/ai-alignment/shared title.md",
    "inbox/archive/shared title.md",
    "foundations/ci/twin.md",
    "agents/leo/twin.md",
    "entities/ai/ACME Corp.md",
    "zz/other/twin.md",
]


@pytest.fixture(scope="module")
def resolver() -> LinkResolver:
    return LinkResolver(PATHS)


def resolve(resolver: LinkResolver, raw: str, from_path: str = "domains/health/note.md"):
    target, _ = split_link(raw)
    return resolver.resolve(target, from_path)


# -- resolution order ---------------------------------------------------------------------------------


def test_exact_title(resolver):
    found = resolve(resolver, "Futarchy enables x")
    assert (found.path, found.method, found.ambiguous, found.unsafe) == (
        "domains/ai-alignment/Futarchy enables x.md", "exact", False, False,
    )
    assert found.resolved


def test_title_with_md_suffix(resolver):
    found = resolve(resolver, "Futarchy enables x.md")
    assert (found.path, found.method) == ("domains/ai-alignment/Futarchy enables x.md", "md-suffix")
    assert resolve(resolver, "README.md").path == "README.md"


def test_case_insensitive_title(resolver):
    found = resolve(resolver, "FUTARCHY ENABLES X")
    assert (found.path, found.method) == ("domains/ai-alignment/Futarchy enables x.md", "case")
    assert resolve(resolver, "acme corp").path == "entities/ai/ACME Corp.md"
    assert resolve(resolver, "readme").path == "README.md"


@pytest.mark.parametrize(
    "raw",
    [
        "futarchy-enables-x",
        "Futarchy  enables   X",
        "futarchy enables x.",
        " Futarchy enables x ",
        "Futarchy_enables_x",
        "futarchy, enables: x!",
        "\uff26utarchy enables x",  # fullwidth F folds under NFKC
    ],
)
def test_normalised_title(resolver, raw):
    found = resolve(resolver, raw)
    assert found.path == "domains/ai-alignment/Futarchy enables x.md"
    assert found.method in ("normalised", "exact", "case")


def test_apostrophes_and_quotes_are_dropped(resolver):
    for raw in ("models dont share values", "models don\u2019t share values", "Models Don't Share Values"):
        assert resolve(resolver, raw).path == "domains/ai-alignment/models don't share values.md", raw


def test_normalise_title():
    assert normalise_title("  Futarchy-Enables_X. ") == "futarchy enables x"
    assert normalise_title("don\u2019t \u201cquote\u201d") == "dont quote"
    assert normalise_title("a\t\nb") == "a b"
    assert normalise_title("Straße") == "strasse"
    assert normalise_title("...") == ""


@pytest.mark.parametrize(
    "raw",
    ["domains/ai-alignment/_map", "domains/ai-alignment/_map.md", "DOMAINS/AI-ALIGNMENT/_MAP", "./domains/ai-alignment/_map"],
)
def test_path_forms(resolver, raw):
    found = resolve(resolver, raw, "core/grand-strategy/x.md")
    assert (found.path, found.method, found.ambiguous) == ("domains/ai-alignment/_map.md", "path", False)


def test_stale_path_falls_back_on_its_last_segment(resolver):
    found = resolve(resolver, "domains/old-folder/Futarchy enables x")
    assert (found.path, found.method) == ("domains/ai-alignment/Futarchy enables x.md", "basename")
    assert not resolve(resolver, "domains/old-folder/no such note").resolved


def test_alias_and_heading_resolve_by_title(resolver):
    assert resolve(resolver, "Futarchy enables x|the futarchy claim").path == "domains/ai-alignment/Futarchy enables x.md"
    assert resolve(resolver, "Futarchy enables x#Evidence").path == "domains/ai-alignment/Futarchy enables x.md"
    assert resolve(resolver, "Futarchy enables x#Evidence|see").path == "domains/ai-alignment/Futarchy enables x.md"
    assert resolve(resolver, "domains/health/_map#Claims|health").path == "domains/health/_map.md"


def test_unresolved_and_empty(resolver):
    assert not resolve(resolver, "nothing like this exists anywhere").resolved
    empty = resolver.resolve("  ", "x.md")
    assert not empty.resolved and not empty.unsafe


# -- the ambiguity rule --------------------------------------------------------------------------------


def test_map_resolves_to_the_notes_own_folder(resolver):
    for folder in ("domains/ai-alignment", "domains/health", "core/grand-strategy"):
        found = resolve(resolver, "_map", f"{folder}/some claim.md")
        assert (found.path, found.ambiguous) == (f"{folder}/_map.md", False)
        assert len(found.candidates) == 3


def test_map_from_elsewhere_is_ambiguous_and_follows_the_folder_order(resolver):
    found = resolve(resolver, "_map", "agents/leo/identity.md")
    # no shared folder: top-level order puts domains/ first, then byte order
    assert (found.path, found.ambiguous) == ("domains/ai-alignment/_map.md", True)


def test_duplicate_titles_prefer_the_most_shared_leading_folders(resolver):
    from_domains = resolve(resolver, "shared title", "domains/health/x.md")
    assert (from_domains.path, from_domains.ambiguous) == ("domains/ai-alignment/shared title.md", True)
    from_core = resolve(resolver, "shared title", "core/other/x.md")
    assert (from_core.path, from_core.ambiguous) == ("core/grand-strategy/shared title.md", True)
    same_folder = resolve(resolver, "shared title", "inbox/archive/x.md")
    assert (same_folder.path, same_folder.ambiguous) == ("inbox/archive/shared title.md", False)
    from_root = resolve(resolver, "shared title", "README.md")
    assert (from_root.path, from_root.ambiguous) == ("domains/ai-alignment/shared title.md", True)


def test_folder_order_then_byte_order(resolver):
    found = resolve(resolver, "twin", "maps/x.md")
    assert (found.path, found.ambiguous) == ("foundations/ci/twin.md", True)
    assert set(found.candidates) == {"foundations/ci/twin.md", "agents/leo/twin.md", "zz/other/twin.md"}
    assert choose(["zz/b/t.md", "zz/a/t.md"], "q/x.md") == ("zz/a/t.md", True)
    assert choose(["inbox/t.md", "zz/t.md", "agents/t.md"], "q/x.md") == ("agents/t.md", True)
    assert choose(["only/t.md"], "q/x.md") == ("only/t.md", False)


def test_ambiguity_is_memoised_per_folder_not_per_note(resolver):
    a = resolver.resolve("_map", "domains/health/a.md")
    b = resolver.resolve("_map", "domains/health/b.md")
    c = resolver.resolve("_map", "domains/ai-alignment/c.md")
    assert a.path == b.path == "domains/health/_map.md"
    assert c.path == "domains/ai-alignment/_map.md"


def test_duplicates(resolver):
    dups = resolver.duplicates()
    assert set(dups) == {"_map", "shared title", "twin"}
    assert len(dups["_map"]) == 3


# -- unsafe targets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["../../etc/passwd", "../outside", "domains/../../x", "..", "/etc/passwd", "\\\\server\\share", "C:\\Windows\\x", "a\\..\\..\\b"],
)
def test_unsafe_targets_never_resolve(resolver, raw):
    found = resolve(resolver, raw)
    assert found.unsafe
    assert not found.resolved
    assert found.path is None


def test_dots_inside_a_title_are_not_unsafe(resolver):
    assert not resolve(resolver, "version 2..3 of x").unsafe
    assert not resolve(resolver, "...and then").unsafe


@settings(max_examples=500, deadline=None)
@given(st.text("ab./\\:C ", max_size=12))
def test_unsafe_is_its_three_patterns(target):
    """`_unsafe` answers at once for a target none of its patterns can match: the same answer as the patterns."""
    import re

    from teleo.vault.resolver import _unsafe

    patterns = (".." in re.split(r"[\\/]", target) or target.startswith(("/", "\\"))
                or bool(re.match(r"^[A-Za-z]:[\\/]", target)))
    assert _unsafe(target) == patterns


# -- suggestions ------------------------------------------------------------------------------------------


def test_prefix_suggestion_for_a_truncated_title(resolver):
    truncated = "model-level alignment is insufficient for beneficial outcomes because"
    assert not resolve(resolver, truncated).resolved
    suggestion = resolver.suggest(truncated)
    assert suggestion is not None
    assert suggestion.reason == "prefix"
    assert suggestion.path.startswith("domains/ai-alignment/model-level alignment is insufficient")
    assert suggestion.title == suggestion.path.rsplit("/", 1)[1][:-3]


def test_fuzzy_suggestion_for_a_typo(resolver):
    suggestion = resolver.suggest("Futarchy enabels x")
    assert suggestion is not None
    assert (suggestion.title, suggestion.reason) == ("Futarchy enables x", "similar")
    assert 82 <= suggestion.score <= 100


def test_no_suggestion_for_something_unrelated(resolver):
    assert resolver.suggest("quantum chromodynamics of breakfast cereal") is None
    assert resolver.suggest("...") is None


@settings(max_examples=300, deadline=None)
@given(st.text("abc de", max_size=40), st.text("abc de", max_size=40))
def test_the_length_window_keeps_every_title_that_reaches_the_cutoff(target, title):
    from rapidfuzz import fuzz

    from teleo.vault.resolver import SIMILAR, _lengths_within

    shortest, longest = _lengths_within(len(target))
    if fuzz.ratio(target, title) >= SIMILAR:
        assert shortest <= len(title) <= longest


def test_a_large_vault_suggests_what_scoring_every_blocked_title_would():
    """Over 2,000 titles the candidates are those sharing one of the target's rarest words and of a length
    that can reach the cutoff: the suggestion is the one scoring every title sharing such a word gives."""
    from rapidfuzz import fuzz, process

    from teleo.vault.resolver import SIMILAR

    words = "market price signal vote token claim agent model value risk".split()
    titles = [f"{words[i % 10]} {words[i // 10 % 10]} {words[i // 100 % 10]} note {i} of the {'long ' * (i % 7)}set"
              for i in range(2_500)]
    resolver = LinkResolver(f"domains/x/{t}.md" for t in titles)
    for target in ("market price signal note 12 of the set", "vote token claim note 2345 of the long long set",
                   "risk risk risk note 999 of the long lon set", "agent modle value note 140 of the set"):
        norm = normalise_title(target)
        shared = [t for t in sorted(normalise_title(t) for t in titles) if set(t.split(" ")) & set(norm.split(" "))]
        rarest = sorted(set(norm.split(" ")), key=lambda w: sum(w in t.split(" ") for t in shared))
        rare = [w for w in rarest if any(w in t.split(" ") for t in shared)][:3]
        blocked = list(dict.fromkeys(t for w in rare for t in shared if w in t.split(" ")))
        best = process.extractOne(norm, blocked, scorer=fuzz.ratio, score_cutoff=SIMILAR)
        suggestion = resolver.suggest(target)
        assert (suggestion.title.casefold() if suggestion else None) == (best[0] if best else None)
        assert suggestion is None or suggestion.score == round(best[1], 1)


def test_short_prefixes_are_not_completed(resolver):
    # fewer than four words: too vague to complete
    assert resolver.completions(normalise_title("Futarchy enables")) == []


# -- through the gates ------------------------------------------------------------------------------------


def test_link_findings_through_check(make_vault):
    vault = make_vault(
        {
            "domains/health/_map.md": "# Health\n",
            "domains/ai-alignment/_map.md": "# AI\n",
            "domains/health/remote monitoring lowers cardiovascular events through faster titration.md": "# x\n",
            "domains/health/a note.md": """\
                # a note

                [[_map]] [[remote monitoring lowers cardiovascular events]] [[Remote Monitoring Lowers Cardiovascular Events Through Faster Titration]]
                [[remote monitoring lowers cardiovasculr events through faster titration]] [[../../etc/passwd]]
                """,
            "agents/leo/n.md": "# n\n\n[[_map]]\n",
        }
    )
    report = check(vault, rules=["link-unresolved", "link-unsafe", "link-ambiguous"])
    got = {(f.rule, f.file, f.line, f.suggestion) for f in report.findings}
    title = "remote monitoring lowers cardiovascular events through faster titration"
    assert got == {
        ("link-unresolved", "domains/health/a note.md", 3, f"complete to [[{title}]]"),
        ("link-unresolved", "domains/health/a note.md", 4, f"did you mean [[{title}]]"),
        ("link-unsafe", "domains/health/a note.md", 4, None),
        ("link-ambiguous", "agents/leo/n.md", 3, "link by path to pick another: domains/health/_map.md"),
    }


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab./ _-é")), max_size=24))
def test_path_stem_is_the_path_objects_stem(path):
    from pathlib import PurePosixPath

    from teleo.vault.resolver import path_stem

    assert path_stem(path) == PurePosixPath(path).stem


def test_path_stem_of_vault_paths():
    from teleo.vault.resolver import path_stem

    assert path_stem("domains/health/a claim.md") == "a claim"
    assert path_stem("domains/v3 x.y z.md") == "v3 x.y z"
    assert path_stem("notes/.md") == ".md" and path_stem("a/b.") == "b." and path_stem("x.md") == "x"
