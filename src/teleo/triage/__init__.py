"""Source triage: the sources by lifecycle state, and the moves an operator makes between states.

The lifecycle itself is data (`notes.lifecycle.LIFECYCLE`); this package reads the sources where
extraction reads them (`sources.py`), moves them by one commit on the base branch (`moves.py`:
`teleo sources reset | park | unpark`) and puts back in the queue the null results whose domain has
grown since they were judged (`requeue.py`: `teleo sources requeue-null`).

Entry points: `read_sources(vault)` here; `moves.move_sources(vault, names, command, reason)` and
`requeue.requeue_null(vault, min_new_claims, apply=…)` from their modules, which load the lint gate
(the package itself stays light for `teleo sources list`).
"""

from teleo.triage.sources import SourceFilter, SourceListing, SourceRecord, read_sources

__all__ = ["SourceFilter", "SourceListing", "SourceRecord", "read_sources"]
