"""`[pipeline] backend`, `dsn` and `stall_seconds`: read, overridden by TELEO_PG_DSN, checked — and a
password in a DSN never shown (issue 18.1)."""

from __future__ import annotations

import pytest

from teleo.pipeline import PipelineSettings
from teleo.pipeline.queue import redact_dsn, scrub

CONFIG = """
[pipeline]
{table}
"""


def test_sqlite_is_the_default_backend(make_vault, monkeypatch):
    monkeypatch.delenv("TELEO_PG_DSN", raising=False)
    settings = PipelineSettings.from_vault(make_vault({}, config=CONFIG.format(table="")))
    assert (settings.backend, settings.dsn, settings.stall_seconds) == ("sqlite", "", 60.0)


def test_the_table_chooses_postgres_and_the_environment_overrides_its_dsn(make_vault, monkeypatch):
    monkeypatch.delenv("TELEO_PG_DSN", raising=False)
    vault = make_vault({}, config=CONFIG.format(
        table='backend = "postgres"\ndsn = "postgresql://teleo@db.internal/teleo"\nstall_seconds = 15'))
    settings = PipelineSettings.from_vault(vault)
    assert (settings.backend, settings.dsn, settings.stall_seconds) == ("postgres", "postgresql://teleo@db.internal/teleo", 15)
    monkeypatch.setenv("TELEO_PG_DSN", "postgresql://teleo:pw@other/teleo")
    assert PipelineSettings.from_vault(vault).dsn == "postgresql://teleo:pw@other/teleo"


def test_postgres_without_a_dsn_says_which_field(make_vault, monkeypatch):
    monkeypatch.delenv("TELEO_PG_DSN", raising=False)
    vault = make_vault({}, config=CONFIG.format(table='backend = "postgres"'))
    with pytest.raises(ValueError, match=r"pipeline\.dsn.*TELEO_PG_DSN"):
        PipelineSettings.from_vault(vault)


@pytest.mark.parametrize(("table", "named"), [
    ('backend = "redis"', "pipeline.backend"),
    ("stall_seconds = 0", "pipeline.stall_seconds"),
    ("dsn = 5", "pipeline.dsn"),
])
def test_a_bad_queue_setting_names_its_field(make_vault, table, named):
    vault = make_vault({}, config=CONFIG.format(table=table))
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        PipelineSettings.from_vault(vault)


def test_the_settings_repr_never_shows_the_dsn():
    settings = PipelineSettings(backend="postgres", dsn="postgresql://teleo:hunter2@db/teleo")
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(("dsn", "shown"), [
    ("postgresql://teleo:hunter2@db.internal:5432/teleo", "postgresql://teleo:***@db.internal:5432/teleo"),
    ("postgres://teleo:hun%40ter2@db/teleo?sslmode=require", "postgres://teleo:***@db/teleo?sslmode=require"),
    ("postgresql://db/teleo?user=teleo&password=hunter2", "postgresql://db/teleo?user=teleo&password=***"),
    ("postgresql://teleo@db/teleo", "postgresql://teleo@db/teleo"),
    ("host=db dbname=teleo user=teleo password=hunter2", "host=db dbname=teleo user=teleo password=***"),
    ("host=db password='hun ter2' dbname=teleo", "host=db password=*** dbname=teleo"),
    ("host=/tmp/sock dbname=teleo", "host=/tmp/sock dbname=teleo"),
])
def test_redact_dsn_hides_the_password_in_every_form(dsn, shown):
    assert redact_dsn(dsn) == shown


def test_scrub_removes_the_password_from_a_drivers_message():
    dsn = "postgresql://teleo:hunter2@db/teleo"
    said = scrub(f'connection to "{dsn}" failed: password hunter2 rejected', dsn)
    assert "hunter2" not in said and "postgresql://teleo:***@db/teleo" in said
