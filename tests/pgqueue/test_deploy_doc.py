"""docs/deploy.md stays true: its SQL runs on the queue's schema, its settings table names every
`[pipeline]` key, and README and architecture.md link to it (issue 18.7)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def sql_statements() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", DOC, flags=re.S)
    text = "\n".join(line for block in blocks for line in block.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def test_the_monitoring_queries_run_on_the_queue_schema(pg_dsn):
    import psycopg

    from teleo.pipeline.pg import init_schema

    init_schema(pg_dsn)
    statements = [s for s in sql_statements() if not s.upper().startswith(("CREATE ROLE", "CREATE DATABASE", "DELETE"))]
    assert len(statements) >= 6
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.replace("…", "0")).fetchall()


def test_the_settings_table_names_every_pipeline_key():
    from teleo.pipeline.workers import PipelineSettings

    named = set(re.findall(r"^\| `([a-z_]+)`", DOC, flags=re.M)) | set(re.findall(r"`([a-z_]+)`", DOC))
    assert set(PipelineSettings.__dataclass_fields__) <= named


def test_readme_and_architecture_link_to_it():
    for doc in ("README.md", "docs/architecture.md"):
        assert "deploy.md" in (ROOT / doc).read_text(encoding="utf-8"), doc
