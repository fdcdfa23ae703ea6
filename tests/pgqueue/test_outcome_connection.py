"""A worker keeps one connection for its jobs' outcomes and follow-ups, and opens it again when the
database dropped it (a restart, a failover) — the job's outcome is still written (issue 18.4/18.6)."""

from __future__ import annotations


def test_the_kept_connection_is_opened_again_after_the_server_dropped_it(pg_dsn):
    import psycopg

    from teleo.pipeline.pg import _Kept, init_schema, record_outcome

    init_schema(pg_dsn)
    kept = _Kept(pg_dsn)
    kept.use(lambda conn: record_outcome(conn, 1, "extract", "a.md", {"status": "null"}, None))
    first = kept.conn
    with psycopg.connect(pg_dsn, autocommit=True) as admin:  # what a restart does to every session
        admin.execute("SELECT pg_terminate_backend(%s)", (first.info.backend_pid,))
    kept.use(lambda conn: record_outcome(conn, 2, "extract", "b.md", {"status": "proposed"}, None))
    assert kept.conn is not first
    kept.use(lambda conn: record_outcome(conn, 3, "extract", "c.md", {"status": "null"}, None))
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT job_id, result->>'status' FROM teleo_job_outcomes ORDER BY job_id").fetchall()
    assert rows == [(1, "null"), (2, "proposed"), (3, "null")]
