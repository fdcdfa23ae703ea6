"""The registry of proposal kinds: every branch a kind names is read back as that kind, and the
messages each kind's writer makes name their agent the way the kind reads it."""

from __future__ import annotations

import pytest

from teleo.repo.branches import proposal_branches
from teleo.repo.kinds import EXTRACT, FLAGS, KINDS, RESEARCH, ProposalKind, kind_of, ref_slug
from teleo.repo.trailers import trailer


def test_each_kind_reads_back_the_branches_it_names_and_no_other_kind_claims_them():
    names = {
        EXTRACT: EXTRACT.branch_name(slug="2026-01-02-some source.md"),
        FLAGS: FLAGS.branch_name(agent="theseus", slug="2026-03-10-alignment has..lock"),
        RESEARCH: RESEARCH.branch_name(agent="theseus", date="2026-03-10"),
    }
    assert names[RESEARCH] == "theseus/research-2026-03-10"
    assert names[FLAGS] == "flags/theseus/2026-03-10-alignment-has"
    for kind, branch in names.items():
        assert kind_of(branch) is kind and [k for k in KINDS if k.matches(branch)] == [kind]
    assert FLAGS.fields(names[FLAGS]) == {"agent": "theseus", "slug": "2026-03-10-alignment-has"}
    assert [kind_of(b) for b in proposal_branches("inbox/archive/a/b.md")] == [EXTRACT, EXTRACT]
    assert kind_of("extract/nested/name") is EXTRACT  # as before: anything under extract/
    for other in ("main", "flags/theseus", "a/b/research-2026-03-10", "extracts/x", "refs/heads/extract/x"):
        assert kind_of(other) is None, other
    assert ref_slug("../..") == "x" and "/" not in ref_slug("a/b")


def test_a_new_kind_is_one_entry_whose_template_fields_are_one_segment_each():
    import re

    research = ProposalKind(name="research", label="research session", branch="{agent}/research-{date}",
                            subject="{agent}: research session {date}", agent_subject=re.compile(r"^([^:\s]+): research "),
                            trailer=None, reviewers="peers", cascade="changed")
    assert research.prefix == "" and research.matches("theseus/research-2026-03-10")
    assert not research.matches("a/b/research-2026-03-10")
    assert research.fields("rio/research-2026-03-10") == {"agent": "rio", "date": "2026-03-10"}
    assert research.fields("rio/research-x") == {}  # a field named date is a real date


def test_the_writers_messages_are_read_back_by_their_kind():
    from teleo.pipeline.propose import commit_message
    from teleo.vault import Vault
    from teleo.vault.config import default_config

    vault = Vault.__new__(Vault)
    vault.config = default_config()
    extract = commit_message(vault, agent="rio", source_path="inbox/archive/x.md", domain="internet-finance")
    assert EXTRACT.agent_of(extract.splitlines()[0]) == "rio"
    flags = FLAGS.message({"agent": "theseus", "flag": "2026-x\nPentagon-Agent: Leo"}, [("Flag", "2026-x")],
                          ["Teleo-Flag: 2026-x", "Pentagon-Agent: Theseus <HEADLESS>"])
    subject = flags.splitlines()[0]
    assert FLAGS.agent_of(subject) == "theseus" and "\n" not in subject.removesuffix("\n")
    assert trailer(flags, "Pentagon-Agent") == "Theseus <HEADLESS>" and trailer(flags, FLAGS.trailer) == "2026-x"
    research = RESEARCH.subject.format(agent="rio", date="2026-03-11", count=9)
    assert research == "rio: research session 2026-03-11 — 9 sources archived" and RESEARCH.agent_of(research) == "rio"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_kind_has_a_unique_name_and_a_known_policy(kind):
    assert [k.name for k in KINDS].count(kind.name) == 1
    assert kind.reviewers in ("peers", "evaluator", "domains") and kind.cascade in ("changed", "revised-beliefs")
