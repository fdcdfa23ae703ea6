"""The source lifecycle table (`teleo.notes.lifecycle`): its states, its moves, its refusals, its doc."""

from __future__ import annotations

import itertools
import re

import pytest

from teleo.notes import lifecycle
from teleo.notes.lifecycle import (
    COMMAND_TARGET,
    LIFECYCLE,
    PARKED,
    STATUSES,
    IllegalTransition,
    check_move,
    describe_moves,
    is_parked,
    lifecycle_state,
    transitions_from,
)
from teleo.notes.schema import SOURCE_STATUS


def test_the_states_are_the_references_and_the_schemas():
    """Reference §2.4: unprocessed → processing → processed | null-result, plus enrichment and entity-data."""
    assert set(STATUSES) == {"unprocessed", "processing", "processed", "null-result", "enrichment", "entity-data"}
    assert SOURCE_STATUS == STATUSES  # one list: the schema's enum is the lifecycle's


def test_every_move_joins_two_states_once():
    pairs = [(move.before, move.after) for move in LIFECYCLE]
    assert len(pairs) == len(set(pairs)), "a (from, to) pair listed twice"
    for move in LIFECYCLE:
        assert move.before in STATUSES and move.after in STATUSES and move.before != move.after
        assert move.commands and move.why


def test_the_references_main_path_and_triage_moves_are_there():
    allowed = {(m.before, m.after) for m in LIFECYCLE}
    for pair in [("unprocessed", "processing"), ("processing", "processed"), ("processing", "null-result"),
                 ("unprocessed", "processed"), ("unprocessed", "null-result"), ("unprocessed", "enrichment"),
                 ("processed", "unprocessed"), ("null-result", "unprocessed"), ("unprocessed", "entity-data"),
                 ("entity-data", "unprocessed")]:
        assert pair in allowed, pair
    for pair in [("processed", "null-result"), ("processed", "entity-data"), ("entity-data", "processed"),
                 ("null-result", "processed"), ("enrichment", "entity-data")]:
        assert pair not in allowed, pair


def test_every_state_can_go_back_to_the_queue_and_every_state_is_reachable_from_it():
    def reachable(start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for move in transitions_from(todo.pop()):
                if move.after not in seen:
                    seen.add(move.after)
                    todo.append(move.after)
        return seen

    assert reachable("unprocessed") == set(STATUSES)
    for status in STATUSES:
        assert "unprocessed" in reachable(status), status


@pytest.mark.parametrize("command", sorted(COMMAND_TARGET))
def test_check_move_allows_exactly_the_table_and_refuses_the_rest_naming_the_allowed(command):
    target = COMMAND_TARGET[command]
    legal = {m.before for m in LIFECYCLE if m.after == target and command in m.commands}
    assert legal, f"{command} makes no move"
    for status in STATUSES:
        if status in legal:
            move = check_move(status, command)
            assert (move.before, move.after) == (status, target)
            continue
        with pytest.raises(IllegalTransition) as refused:
            check_move(status, command)
        message = str(refused.value)
        assert f"from {status} the lifecycle allows only" in message
        for move in transitions_from(status):
            assert f"→ {move.after}" in message  # each allowed move named


def test_the_commands_targets():
    assert COMMAND_TARGET == {"reset": "unprocessed", "requeue-null": "unprocessed", "park": "entity-data",
                              "unpark": "unprocessed"}
    assert {m.before for m in LIFECYCLE if "park" in m.commands} == {"unprocessed", "null-result"}
    assert {m.before for m in LIFECYCLE if "requeue-null" in m.commands} == {"null-result"}
    assert {m.before for m in LIFECYCLE if "unpark" in m.commands} == {"entity-data"}
    assert {m.before for m in LIFECYCLE if "reset" in m.commands} == {"processing", "processed", "null-result", "enrichment"}


def test_a_status_outside_the_lifecycle_cannot_be_moved():
    with pytest.raises(IllegalTransition, match="no state of the source lifecycle"):
        check_move(None, "reset")


def test_describe_moves_names_commands_and_who_else_moves_a_source():
    text = describe_moves("null-result")
    assert text == "→ unprocessed (teleo sources reset or teleo sources requeue-null), → entity-data (teleo sources park)"
    assert "an extraction" in describe_moves("unprocessed")


@pytest.mark.parametrize(("written", "state"), [
    (None, "unprocessed"), ("", "unprocessed"), ("  ", "unprocessed"), (" processed ", "processed"),
    ("entity-data", "entity-data"), ("complete (13 pages)", None), ("Processed", None), ("partial", None),
    (5, None), (["processed"], None), (True, None),
])
def test_lifecycle_state_reads_a_written_status(written, state):
    assert lifecycle_state(written) == state


def test_is_parked():
    assert is_parked(PARKED) and is_parked(" entity-data")
    assert not any(is_parked(v) for v in (None, "", "unprocessed", "null-result", "parked"))


def test_the_module_doc_table_is_the_table():
    """The lifecycle is documented where it is defined: the doc's table lists exactly LIFECYCLE's moves."""
    documented = set()
    for line in (lifecycle.__doc__ or "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.match(r"`[a-z-]+`", cells[2]):
            continue
        command = re.match(r"`([a-z-]+)`", cells[2]).group(1)
        befores = [s.strip() for s in cells[0].split(",")]
        afters = [s.strip() for s in cells[1].split(",")]
        documented |= {(b, a, command) for b, a in itertools.product(befores, afters)}
    defined = {(m.before, m.after, c) for m in LIFECYCLE for c in m.commands}
    assert documented == defined
