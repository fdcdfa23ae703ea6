"""Which merges still owe their cascade: a record kept from before the merge moves main, not a search.

A merge killed before its cascade gets it from the next `teleo merge` however many commits
followed; a cascade that changes nothing is planned once, not on every run.
"""

from __future__ import annotations

from review_helpers import NEW_TITLE, good_files, make_proposal, make_review_vault

from teleo.repo.branches import tip
from teleo.repo.discover import open_repository
from teleo.repo.mainline import TRAILER_HEAD, TRAILER_PROPOSAL, commit_onto, merge_into, pending_cascades
from teleo.review import merge_all
from teleo.vault import Vault

MAIN = "refs/heads/main"


def teleo_merge(vault: Vault, branch: str = "extract/audit") -> str:
    """A merge as `teleo merge` writes it, with no cascade after it (a run killed right after the swap)."""
    head = make_proposal(vault, branch, good_files())
    message = f"Merge pull request 'audit' from {branch} into main\n\n{TRAILER_PROPOSAL}: {branch}\n{TRAILER_HEAD}: {head}\n"
    return merge_into(open_repository(vault.root), MAIN, head, message).commit


def other_commits(vault: Vault, count: int) -> None:
    repo = open_repository(vault.root)
    for number in range(count):
        commit_onto(repo, MAIN, lambda base, n=number: {f"notes/n{n}.md": f"# Note {n}\n".encode()}, f"note {number}\n")


def test_a_merge_killed_before_its_cascade_gets_it_however_many_commits_followed(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    merge = teleo_merge(vault)
    other_commits(vault, 35)
    repo = open_repository(vault.root)
    assert pending_cascades(repo, MAIN) == [merge]
    report = merge_all(Vault.open(vault.root))
    assert [c.merge for c in report.cascades] == [merge] and report.cascades[0].error is None
    assert pending_cascades(repo, MAIN) == []


def test_a_cascade_that_changes_nothing_is_planned_once(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    merge = teleo_merge(vault)
    first = merge_all(Vault.open(vault.root))
    assert [c.merge for c in first.cascades] == [merge] and first.cascades[0].commit is None  # nothing to flag
    assert merge_all(Vault.open(vault.root)).cascades == []
    assert pending_cascades(open_repository(vault.root), MAIN) == []


def test_owed_cascades_come_oldest_first_and_a_merge_never_on_main_is_not_owed(tmp_path):
    vault = make_review_vault(tmp_path / "v")
    first = teleo_merge(vault, "extract/one")
    other_commits(vault, 2)
    repo = open_repository(vault.root)
    parent = tip(repo, MAIN)
    head = make_proposal(vault, "extract/two", {f"domains/ai-alignment/{NEW_TITLE} two.md": "# two\n"})
    # a merge commit built but never swapped in (its writer lost the swap and was killed)
    stray = repo.create_commit(None, parent.author, parent.author, f"Merge\n\n{TRAILER_PROPOSAL}: x\n",
                               parent.tree.id, [parent.id, repo[head].id])
    repo.references.create(f"refs/teleo/cascade-owed/{stray}", stray)
    second = merge_into(repo, MAIN, head, f"Merge two\n\n{TRAILER_PROPOSAL}: extract/two\n").commit
    assert pending_cascades(repo, MAIN) == [first, second]
