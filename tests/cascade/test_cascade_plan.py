"""plan_cascade on small vaults: chains, recursion, cycles, beliefs.md sections, priorities, edits."""

from __future__ import annotations

import pytest
from cascade_helpers import (
    BELIEF,
    BELIEF_PATH,
    BELIEFS_DOC,
    CHALLENGE_BLOCK,
    CLAIM_PATH,
    DERIVED_BELIEF,
    DERIVED_PATH,
    EXTEND_BLOCK,
    POSITION2_PATH,
    POSITION_PATH,
    ROOT_CLAIM,
    SECOND_PATH,
    THIRD_PATH,
    UNRELATED_PATH,
    append,
    base_files,
    belief,
    claim,
    commit_all,
    findings_of,
    position,
    write_plan,
)

from teleo.cascade import Change, Flag, plan_cascade, read_flags
from teleo.notes import Kind, note_from_text
from teleo.vault import Vault

WHEN = "2026-03-10"


def plan_for(vault, changed, **kwargs):
    options = {"commit": "c0ffee1234567890", "when": WHEN, "why": "merge extract/fixture-source"}
    options.update(kwargs)
    return plan_cascade(vault, changed, **options)


def by_target(plan) -> dict[str, Flag]:
    return {(f.target + ("#" + f.section if f.section else "")): f for f in plan.flags}


def test_claim_to_belief_to_position_chain(make_vault):
    vault = make_vault(base_files())
    append(vault.root, CLAIM_PATH, EXTEND_BLOCK)
    plan = plan_for(Vault.open(vault.root), [CLAIM_PATH])
    flags = by_target(plan)
    assert set(flags) >= {BELIEF_PATH, DERIVED_PATH, POSITION_PATH, POSITION2_PATH}
    assert flags[POSITION_PATH].changed[0].chain == [CLAIM_PATH, BELIEF_PATH, DERIVED_PATH, POSITION_PATH]
    assert flags[POSITION2_PATH].changed[0].chain[-2:] == [POSITION_PATH, POSITION2_PATH]  # position on position
    assert flags[DERIVED_PATH].changed[0].chain == [CLAIM_PATH, BELIEF_PATH, DERIVED_PATH]  # belief on belief
    assert sorted(plan.under_review) == sorted([BELIEF_PATH, DERIVED_PATH])
    for path in (BELIEF_PATH, DERIVED_PATH):
        assert note_from_text(path, plan.files[path]).data["status"] == "under_review"
    assert POSITION_PATH not in plan.files  # positions are flagged, never edited
    flag = flags[BELIEF_PATH]
    assert (flag.agent, flag.target_kind, flag.status, flag.commit, flag.when) == (
        "astra", "belief", "open", "c0ffee1234567890", WHEN)
    assert flag.changed[0].change is Change.EXTEND  # read from the block dated today (no git here)
    assert plan.summary() == "4 flags: astra (2 beliefs, 2 positions)"


def test_each_target_flagged_once_with_every_changed_claim(make_vault):
    vault = make_vault(base_files())
    plan = plan_for(vault, [CLAIM_PATH, SECOND_PATH])
    targets = [f.target + (f.section or "") for f in plan.flags]
    assert len(targets) == len(set(targets))
    flag = by_target(plan)[BELIEF_PATH]
    assert sorted(v.path for v in flag.changed) == sorted([CLAIM_PATH, SECOND_PATH])


def test_cycles_terminate_and_flag_each_target_once(make_vault):
    files = base_files()
    files[BELIEF_PATH] = belief(BELIEF, [ROOT_CLAIM, DERIVED_BELIEF])
    files[DERIVED_PATH] = belief(DERIVED_BELIEF, [BELIEF, ROOT_CLAIM])
    files[CLAIM_PATH] = claim(ROOT_CLAIM, extra='depends_on:\n  - "[[' + BELIEF + ']]"\n')  # a claim citing a belief
    vault = make_vault(files)
    plan = plan_for(vault, [CLAIM_PATH])
    flags = by_target(plan)
    assert flags[BELIEF_PATH].changed[0].chain == [CLAIM_PATH, BELIEF_PATH]
    assert flags[DERIVED_PATH].changed[0].chain == [CLAIM_PATH, DERIVED_PATH]
    assert len(plan.flags) == len(flags)


def test_beliefs_md_sections_are_flagged_without_editing_the_file(make_vault):
    vault = make_vault(base_files())
    plan = plan_for(vault, [THIRD_PATH])
    flags = by_target(plan)
    assert list(flags) == [f"{BELIEFS_DOC}#2. Storage will not close the predictability gap before 2030"]
    flag = plan.flags[0]
    assert flag.target == BELIEFS_DOC and flag.changed[0].chain == [THIRD_PATH, f"{BELIEFS_DOC}#2"]
    assert BELIEFS_DOC not in plan.files and plan.under_review == []


def test_a_section_linking_its_full_file_is_that_belief(make_vault):
    # section 1 links beliefs/<BELIEF>.md: the claim reaches the file, not a second target
    vault = make_vault(base_files())
    plan = plan_for(vault, [SECOND_PATH])
    keys = set(by_target(plan))
    assert BELIEF_PATH in keys
    assert not any(key.startswith(f"{BELIEFS_DOC}#1") for key in keys)
    assert f"{BELIEFS_DOC}#2. Storage will not close the predictability gap before 2030" in keys


def test_links_outside_the_grounding_block_are_not_dependencies(make_vault):
    vault = make_vault(base_files())
    plan = plan_for(vault, [UNRELATED_PATH])
    assert plan.flags == [] and plan.files == {} and plan.summary() == "no flags"


def test_belief_body_is_byte_identical_but_the_status_line(make_vault):
    vault = make_vault(base_files())
    before = (vault.root / BELIEF_PATH).read_text(encoding="utf-8")
    after = plan_for(vault, [CLAIM_PATH]).files[BELIEF_PATH]
    old_lines, new_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old_lines) == len(new_lines)
    differing = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert differing == [("status: active\n", "status: under_review\n")]


def test_flags_are_lint_clean_and_read_back(make_vault):
    vault = make_vault(base_files())
    baseline = findings_of(vault)
    plan = plan_for(vault, [CLAIM_PATH, THIRD_PATH], why="merge of [[a forged link]] from a source")
    write_plan(vault.root, plan.files)
    reread = Vault.open(vault.root)
    assert findings_of(reread) - baseline == set()
    assert {reread.note(f.flag_path).kind for f in plan.flags} == {Kind.FLAG}
    flags, problems = read_flags(reread)
    assert problems == []
    read_back = {f.id: f.model_dump(exclude={"path"}) for f in flags}
    assert read_back == {f.id: f.model_dump(exclude={"path"}) for f in plan.flags}
    assert all("[[a forged link]]" not in reread.note(f.flag_path).doc.text for f in plan.flags)


def test_flag_ids_never_collide_with_existing_flags(make_vault):
    vault = make_vault(base_files())
    first = plan_for(vault, [CLAIM_PATH])
    write_plan(vault.root, {p: t for p, t in first.files.items() if "/flags/" in p})
    second = plan_for(Vault.open(vault.root), [CLAIM_PATH])
    old = {f.flag_path for f in first.flags}
    new = {f.flag_path for f in second.flags}
    assert old.isdisjoint(new) and all(path.endswith("-2.md") for path in new)


def test_abandoned_beliefs_closed_positions_and_changed_targets_are_not_flagged(make_vault):
    files = base_files()
    files[BELIEF_PATH] = belief(BELIEF, [ROOT_CLAIM], status="abandoned")
    files[POSITION_PATH] = position("x", [ROOT_CLAIM], status="closed")
    vault = make_vault(files)
    keys = set(by_target(plan_for(vault, [CLAIM_PATH])))
    assert BELIEF_PATH not in keys and POSITION_PATH not in keys
    assert DERIVED_PATH in keys  # the abandoned belief still passes the change on
    keys = set(by_target(plan_for(make_vault(base_files()), [CLAIM_PATH, DERIVED_PATH])))
    assert DERIVED_PATH not in keys and POSITION_PATH in keys  # its owner just changed it; what rests on it is flagged


def test_a_removed_claim_still_reaches_what_linked_it(make_vault):
    vault = make_vault(base_files())
    (vault.root / CLAIM_PATH).unlink()
    plan = plan_for(Vault.open(vault.root), [CLAIM_PATH])
    flag = by_target(plan)[BELIEF_PATH]
    assert flag.changed[0].change is Change.REMOVED and flag.priority == "high"


@pytest.mark.parametrize(
    ("edit", "change", "belief_priority"),
    [
        (lambda root: append(root, CLAIM_PATH, CHALLENGE_BLOCK), Change.CHALLENGE, "high"),
        (lambda root: append(root, CLAIM_PATH, EXTEND_BLOCK), Change.EXTEND, "normal"),
        (lambda root: append(root, CLAIM_PATH, "\nRelevant Notes:\n- [[" + DERIVED_BELIEF + "]] — extends\n"), Change.LINKED, "low"),
        (lambda root: _set(root, CLAIM_PATH, "confidence: experimental", "confidence: speculative"), Change.CONFIDENCE_DOWN, "high"),
        (lambda root: _set(root, CLAIM_PATH, "confidence: experimental", "confidence: likely"), Change.CONFIDENCE_UP, "normal"),
        (lambda root: _set(root, CLAIM_PATH, "12 percent", "14 percent"), Change.MODIFIED, "normal"),
    ],
)
def test_priority_follows_the_change_read_from_git(make_vault, edit, change, belief_priority):
    vault = make_vault(base_files(), git=True)
    edit(vault.root)
    commit = commit_all(vault.root)
    plan = plan_cascade(Vault.open(vault.root), [CLAIM_PATH], commit=commit, when=WHEN, why="merge")
    flags = by_target(plan)
    assert flags[BELIEF_PATH].changed[0].change is change
    assert flags[BELIEF_PATH].priority == belief_priority
    # the active position is load-bearing: one step up (never above high)
    expected = {"low": "normal", "normal": "high", "high": "high"}[belief_priority]
    assert flags[POSITION_PATH].priority == expected


def test_load_bearing_beliefs_and_multi_claim_hits_go_up_one_step(make_vault):
    files = base_files()
    files[BELIEF_PATH] = belief(BELIEF, [ROOT_CLAIM], extra="load_bearing: true\n")
    vault = make_vault(files)
    assert by_target(plan_for(vault, [CLAIM_PATH]))[BELIEF_PATH].priority == "high"
    section = f"{BELIEFS_DOC}#2. Storage will not close the predictability gap before 2030"
    assert by_target(plan_for(vault, [THIRD_PATH]))[section].priority == "normal"
    assert by_target(plan_for(vault, [THIRD_PATH, SECOND_PATH]))[section].priority == "high"


def test_link_doctor_repairs_touched_notes_only_and_strips_nothing(make_vault):
    files = base_files()
    lenient = "Tidal Power Output Is Predictable Years Ahead Because It Follows Orbital Mechanics"
    body = f"\nRelated: [[{lenient}]], [[grid operators value predictable supply]] and [[a claim nobody wrote]].\n"
    files[THIRD_PATH] = claim("storage costs fall about twenty percent for each doubling of installed capacity") + body
    files[UNRELATED_PATH] = claim("urban beekeeping raises local pollination rates within two kilometres of the hives",
                                  domain="health") + f"\nSee [[{lenient}]].\n"
    vault = make_vault(files)
    plan = plan_for(vault, [THIRD_PATH])
    fixed = plan.files[THIRD_PATH]
    assert f"[[{ROOT_CLAIM}]]" in fixed
    assert "[[grid operators value predictable supply above cheap intermittent supply at high renewable shares]]" in fixed
    assert "[[a claim nobody wrote]]" in fixed  # unresolved: kept as it is
    assert fixed.count("[[") == files[THIRD_PATH].count("[[")
    assert UNRELATED_PATH not in plan.files
    assert len(plan.link_fixes[THIRD_PATH]) == 2 and "2 link fixes in 1 note" in plan.summary()


def test_bad_arguments_are_refused_clearly(make_vault):
    vault = make_vault(base_files())
    with pytest.raises(ValueError, match="not a YYYY-MM-DD"):
        plan_for(vault, [CLAIM_PATH], when="yesterday")
    with pytest.raises(ValueError, match="commit is required"):
        plan_for(vault, [CLAIM_PATH], commit=" ")


def test_non_markdown_and_unknown_paths_are_ignored(make_vault):
    vault = make_vault(base_files())
    plan = plan_for(vault, ["agents/astra/network.json", "domains/space-development/nothing here.md"])
    assert plan.flags == [] and plan.files == {}


def _set(root, path: str, old: str, new: str) -> None:
    full = root / path
    text = full.read_text(encoding="utf-8")
    assert old in text
    full.write_text(text.replace(old, new, 1), encoding="utf-8")
