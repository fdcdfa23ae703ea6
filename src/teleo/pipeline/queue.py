"""One job queue, two backends: the embedded SQLite lease table and Procrastinate on PostgreSQL.

`[pipeline] backend` in `teleo.toml` chooses (`"sqlite"`, the default, or `"postgres"` with
`dsn`, which `TELEO_PG_DSN` overrides). Both implement `JobQueue`:

- `enqueue(kind, target, then=…, version=…)` — add a job; **one job per target**: a second
  enqueue of a target already waiting (or running) is refused and returns False (on PostgreSQL,
  Procrastinate's queueing lock; on SQLite, the table's primary key);
- `claim(owner)` — take one ready job (None when none is ready);
- `finish(job, result)` / `fail(job, error)` — the job is done, or failed: retried later until
  its attempts are spent, then `failed`;
- `jobs()` / `counts()` — what the queue holds, in one vocabulary of states (`STATES`).

What runs the jobs differs: on SQLite the command that enqueued (`teleo extract`, `teleo run`)
supervises its own worker processes (`workers.Supervisor`); on PostgreSQL `teleo worker`s,
long-lived on any host with a clone of the vault, take them (`teleo.pipeline.pg`).

A DSN may hold a password: it is never printed, logged or put in an error — every message names
the queue by `redact_dsn(dsn)`, and `QueueUnavailable` scrubs the password out of the driver's
text as well.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

BACKENDS = ("sqlite", "postgres")
KINDS = ("extract", "review", "merge")
"""Job kinds: extract a source (target: its vault path), review a proposal (target: the branch),
merge the approved proposals into main (target: the base branch)."""
STATES = ("pending", "running", "done", "failed")
DSN_ENV = "TELEO_PG_DSN"
"""Environment variable whose DSN overrides `[pipeline] dsn` (a password belongs there, not in git)."""


class QueueError(Exception):
    """The queue cannot be used as configured (one line, the DSN without its password)."""


class QueueUnavailable(QueueError):
    """The database cannot be reached, or holds no queue yet."""


@dataclass(frozen=True)
class QueuedJob:
    """A job as either backend reports it."""

    id: str
    kind: str
    target: str
    state: str
    """One of `STATES`."""
    attempts: int = 0
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    then: tuple[str, ...] = ()
    """The stages to enqueue after this one succeeds (an extraction → its review → the merge)."""


class JobQueue(Protocol):
    """What pipeline code needs of a queue, whichever backend holds it (see the module doc)."""

    backend: str

    def enqueue(self, kind: str, target: str, *, then: Sequence[str] = (), version: str = "") -> bool:
        """Add a job; False when one for `target` is waiting or running already (nothing added)."""
        ...

    def claim(self, owner: str) -> QueuedJob | None:
        ...

    def finish(self, job: QueuedJob, result: dict[str, Any]) -> None:
        ...

    def fail(self, job: QueuedJob, error: str) -> str:
        """Record a failed attempt; returns the job's new state (`pending` for a retry, or `failed`)."""
        ...

    def jobs(self, kind: str | None = None) -> list[QueuedJob]:
        ...

    def counts(self) -> dict[str, int]:
        ...

    def close(self) -> None:
        ...


# -- DSNs ------------------------------------------------------------------------------------

_KEYWORD_PASSWORD = re.compile(r"""(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']*)""", re.IGNORECASE)


def redact_dsn(dsn: str) -> str:
    """The DSN with any password replaced by `***` (URL form `postgresql://u:pw@h/db?password=…`,
    or libpq's keyword form `host=h password=pw`): what messages and logs may show."""
    dsn = dsn.strip()
    if "://" not in dsn:
        return _KEYWORD_PASSWORD.sub(lambda m: m.group(1) + "***", dsn)
    try:
        parts = urlsplit(dsn)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            if ":" in userinfo:
                userinfo = userinfo.split(":", 1)[0] + ":***"
            netloc = f"{userinfo}@{host}"
        query = parts.query
        if query:
            pairs = [(k, "***" if k.lower() == "password" else v) for k, v in parse_qsl(query, keep_blank_values=True)]
            query = urlencode(pairs, safe="*/")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "<a DSN that could not be parsed>"


def dsn_password(dsn: str) -> str | None:
    """The password a DSN holds, if any (only to scrub it out of other text)."""
    dsn = dsn.strip()
    if "://" not in dsn:
        match = _KEYWORD_PASSWORD.search(dsn)
        value = match.group(2) if match else ""
        return value.strip("'") or None
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() == "password" and value:
            return value
    return parts.password or None


def scrub(text: str, dsn: str) -> str:
    """`text` (a driver's error, say) with the DSN's password removed wherever it appears, and the
    DSN itself, if quoted whole, replaced by its redacted form."""
    text = text.replace(dsn, redact_dsn(dsn))
    secret = dsn_password(dsn)
    if secret:
        from urllib.parse import unquote

        for form in {secret, unquote(secret)}:
            if form:
                text = text.replace(form, "***")
    return text


def dsn_from(table_dsn: str, environ: dict[str, str] | None = None) -> str:
    """The DSN in force: `TELEO_PG_DSN` when set and not empty, else `[pipeline] dsn`."""
    env = os.environ if environ is None else environ
    return (env.get(DSN_ENV) or "").strip() or table_dsn.strip()
