"""The source lifecycle: a source note's `status` values and the moves between them, as one table.

Reference §2.4 (and §9 item 8): `unprocessed → processing → processed | null-result`, plus
`enrichment` (only enrichments were produced) and `entity-data` (a data-only page *parked*: kept
out of extraction); triage puts sources back to `unprocessed`. `LIFECYCLE` below is the whole
machine — every legal move, the command(s) that make it and why — and everything else reads it:
the schema's status enum (`notes.schema.SOURCE_STATUS`), what extraction takes
(`EXTRACTABLE`, `is_parked`) and `teleo sources`, which refuses a move that is not in the table
and names the moves that are.

| from | to | made by |
|---|---|---|
| unprocessed | processing | `claim`: an agent extracts it by hand (Track A; extraction skips it) |
| unprocessed, processing | processed, null-result, enrichment | `extract`: an extraction's proposal, once merged |
| processing, processed, null-result, enrichment | unprocessed | `reset`: `teleo sources reset` (to be extracted again) |
| null-result | unprocessed | `requeue-null`: `teleo sources requeue-null` (its domain has grown since) |
| unprocessed, null-result | entity-data | `park`: `teleo sources park` (data only, kept out of extraction) |
| entity-data | unprocessed | `unpark`: `teleo sources unpark` |

A source with no `status` (or an empty one) is `unprocessed`, as extraction has always read it;
any other value outside the table (free text such as `complete (13 pages)`, a legacy value
`teleo fix` coerces) is no state of the lifecycle: nothing moves it but an edit by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

UNPROCESSED = "unprocessed"
PROCESSING = "processing"
PROCESSED = "processed"
NULL_RESULT = "null-result"
ENRICHMENT = "enrichment"
PARKED = "entity-data"
"""The reference's name for a data page parked out of extraction (its Futardio pages)."""

STATUSES: tuple[str, ...] = (UNPROCESSED, PROCESSING, PROCESSED, NULL_RESULT, ENRICHMENT, PARKED)
"""Every state, in the order listings show them."""


@dataclass(frozen=True)
class Transition:
    """One legal move of a source's status."""

    before: str
    after: str
    commands: tuple[str, ...]
    """What may make it: `teleo sources <command>`, or `extract` / `claim` (an extraction, an agent)."""
    why: str


LIFECYCLE: tuple[Transition, ...] = (
    Transition(UNPROCESSED, PROCESSING, ("claim",), "an agent extracts it by hand; extraction skips it meanwhile"),
    Transition(UNPROCESSED, PROCESSED, ("extract",), "claims or enrichments extracted"),
    Transition(UNPROCESSED, NULL_RESULT, ("extract",), "nothing worth a claim, with notes saying why"),
    Transition(UNPROCESSED, ENRICHMENT, ("extract",), "only enrichments of existing claims"),
    Transition(PROCESSING, PROCESSED, ("extract",), "the agent's extraction merged"),
    Transition(PROCESSING, NULL_RESULT, ("extract",), "the agent found nothing worth a claim"),
    Transition(PROCESSING, ENRICHMENT, ("extract",), "the agent's enrichments merged"),
    Transition(PROCESSING, UNPROCESSED, ("reset",), "the agent gave it up: back to the queue"),
    Transition(PROCESSED, UNPROCESSED, ("reset",), "to be extracted again"),
    Transition(ENRICHMENT, UNPROCESSED, ("reset",), "to be extracted again"),
    Transition(NULL_RESULT, UNPROCESSED, ("reset", "requeue-null"), "to be judged again (its domain has grown)"),
    Transition(UNPROCESSED, PARKED, ("park",), "data only: kept out of extraction"),
    Transition(NULL_RESULT, PARKED, ("park",), "data only: kept out of extraction and of requeue-null"),
    Transition(PARKED, UNPROCESSED, ("unpark",), "back to the queue"),
)
"""The source lifecycle (see the module doc): every legal move, and what makes it."""

COMMAND_TARGET: dict[str, str] = {"reset": UNPROCESSED, "requeue-null": UNPROCESSED, "park": PARKED, "unpark": UNPROCESSED}
"""The status each `teleo sources` command moves a source to."""

EXTRACTABLE: tuple[str | None, ...] = (None, "", UNPROCESSED)
"""`status` values (as `pipeline.job.source_status` reads them) that extraction takes without being forced."""

SOURCE_FOLDERS = ("inbox/archive/", "inbox/")
"""Where source notes live: a note there that reads as a source is in the lifecycle."""
DROP_PREFIX = "inbox/queue/"
"""Raw files waiting for `teleo run` to archive them: never sources themselves."""


def is_source_path(path: str) -> bool:
    """Whether vault-relative `path` is where a source note may live (the drop folder aside)."""
    return path.startswith(SOURCE_FOLDERS) and not path.startswith(DROP_PREFIX)


class IllegalTransition(ValueError):
    """A move the lifecycle does not allow; the message names the allowed ones."""


def transitions_from(status: str) -> list[Transition]:
    """The legal moves out of `status` (a state of `STATUSES`), in table order."""
    return [move for move in LIFECYCLE if move.before == status]


def describe_moves(status: str) -> str:
    """`→ unprocessed (reset), → entity-data (park)`: the moves out of `status`, for messages."""
    moves = transitions_from(status)
    if not moves:
        return "none"
    return ", ".join(f"→ {move.after} ({' or '.join(_command_name(c) for c in move.commands)})" for move in moves)


_MADE_BY = {"claim": "an agent extracting it by hand", "extract": "an extraction"}


def _command_name(command: str) -> str:
    return f"teleo sources {command}" if command in COMMAND_TARGET else _MADE_BY.get(command, command)


def check_move(status: str | None, command: str) -> Transition:
    """The move `command` makes from `status` (a state, or None when the written value is none),
    or `IllegalTransition` naming what is allowed from there."""
    target = COMMAND_TARGET[command]
    if status is None:
        raise IllegalTransition(f"its status is no state of the source lifecycle ({', '.join(STATUSES)}), so "
                                f"`teleo sources {command}` cannot move it; set status by hand first")
    for move in transitions_from(status):
        if move.after == target and command in move.commands:
            return move
    raise IllegalTransition(f"{command} moves a source to {target}, but from {status} the lifecycle allows only: "
                            f"{describe_moves(status)}")


def lifecycle_state(written: object) -> str | None:
    """The state a `status` value stands for: missing or blank is `unprocessed` (extraction's
    reading), a value of `STATUSES` (surrounding spaces aside) itself, anything else None."""
    if written is None:
        return UNPROCESSED
    if not isinstance(written, str):
        return None
    value = written.strip()
    if not value:
        return UNPROCESSED
    return value if value in STATUSES else None


def is_parked(written: object) -> bool:
    """True for a parked source (`status: entity-data`): extraction never takes it, even when forced."""
    return lifecycle_state(written) == PARKED
