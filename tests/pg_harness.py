"""PostgreSQL for the tests: the server `.ci/run` started (TELEO_TEST_PG_DSN), else a private cluster
started here with `scripts/pg-cluster` when PostgreSQL's programs are installed, else a skip that
says why — a failure instead when TELEO_REQUIRE_POSTGRES=1 (set by `.ci/run`).

The fixtures (`pg_server`, `pg_dsn`) are exposed by the root conftest; `pg_dsn` is a fresh,
empty database per test on that server, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CLUSTER = REPO / "scripts" / "pg-cluster"


def unavailable(reason: str) -> None:
    if os.environ.get("TELEO_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} — TELEO_REQUIRE_POSTGRES=1 requires the PostgreSQL tests to run", pytrace=False)
    pytest.skip(reason)


def driver() -> None:
    """The extra `teleo[postgres]` is installed (psycopg, Procrastinate)."""
    try:
        import procrastinate  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        unavailable(f"the postgres extra is not installed ({exc.name}): pip install -e '.[test,postgres]'")


def with_dbname(dsn: str, name: str) -> str:
    """The keyword DSN with another database name."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    params["dbname"] = name
    return make_conninfo(**params)


class Server:
    """A PostgreSQL server the tests may create databases on; `stop()` only stops one started here."""

    def __init__(self, admin_dsn: str, folder: Path | None = None) -> None:
        self.admin_dsn = admin_dsn
        self.folder = folder

    @classmethod
    def start(cls) -> "Server":
        driver()
        given = os.environ.get("TELEO_TEST_PG_DSN", "").strip()
        if given:
            return cls(given)
        if subprocess.run([str(CLUSTER), "bin"], capture_output=True).returncode != 0:
            unavailable("PostgreSQL is not installed (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin; "
                        "apt-get install postgresql, or set TELEO_TEST_PG_DSN)")
        folder = Path(tempfile.mkdtemp(prefix="teleo-pg-"))
        started = subprocess.run([str(CLUSTER), "start", str(folder)], capture_output=True, text=True)
        if started.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            unavailable(f"could not start a private PostgreSQL cluster: {started.stderr.strip()[-500:]}")
        return cls(started.stdout.strip().splitlines()[-1], folder)

    def create_database(self) -> str:
        import psycopg

        name = f"teleo_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return with_dbname(self.admin_dsn, name)

    def drop_database(self, dsn: str) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        name = conninfo_to_dict(dsn)["dbname"]
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def cluster_folder(self) -> Path | None:
        """The folder of the cluster behind this server when it is one of `scripts/pg-cluster`'s
        (started here, or by `.ci/run`: the DSN's socket folder holds `data/`), else None."""
        if self.folder is not None:
            return self.folder
        from psycopg.conninfo import conninfo_to_dict

        host = str(conninfo_to_dict(self.admin_dsn).get("host") or "")
        folder = Path(host) if host.startswith("/") else None
        return folder if folder is not None and (folder / "data" / "PG_VERSION").is_file() else None

    def halt(self) -> None:
        """Stop the server (a fast shutdown: sessions are cut, as a crash or a restart would cut them)."""
        subprocess.run([str(CLUSTER), "stop", str(self.restartable())], capture_output=True, check=True)

    def resume(self) -> None:
        """Start the server again after `halt` (same data, same socket, same DSN)."""
        started = subprocess.run([str(CLUSTER), "start", str(self.restartable())], capture_output=True, text=True)
        if started.returncode != 0:
            raise AssertionError(f"PostgreSQL did not start again: {started.stderr.strip()[-500:]}")

    def restartable(self) -> Path:
        folder = self.cluster_folder()
        if folder is None:
            unavailable("the test server cannot be restarted from here (TELEO_TEST_PG_DSN is not a scripts/pg-cluster "
                        "socket folder): the fault test needs to restart PostgreSQL")
        return folder

    def stop(self) -> None:
        if self.folder is not None:
            subprocess.run([str(CLUSTER), "stop", str(self.folder)], capture_output=True)
            shutil.rmtree(self.folder, ignore_errors=True)
