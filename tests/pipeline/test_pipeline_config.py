"""The `[pipeline]` table of teleo.toml: read into PipelineSettings, flags override, bad values named."""

from __future__ import annotations

import pytest

from teleo.pipeline import PipelineSettings

CONFIG = """
[domains.health]
folder = "domains/health"
agent = "vida"

[pipeline]
{table}
"""


def test_the_table_sets_the_queue_and_flags_override_it(make_vault):
    vault = make_vault({}, config=CONFIG.format(table="workers = 3\nmax_attempts = 5\nbackoff_s = 2.5"))
    settings = PipelineSettings.from_vault(vault)
    assert (settings.workers, settings.max_attempts, settings.backoff_s) == (3, 5, 2.5)
    assert PipelineSettings.from_vault(vault, workers=1, timeout_s=None).workers == 1


def test_no_table_gives_the_defaults(make_vault):
    vault = make_vault({}, config=CONFIG.format(table=""))
    assert PipelineSettings.from_vault(vault) == PipelineSettings()


@pytest.mark.parametrize(("table", "named"), [
    ("worker = 2", "pipeline.worker"),
    ("workers = 0", "pipeline.workers"),
    ('timeout_s = "soon"', "pipeline.timeout_s"),
    ("max_attempts = true", "pipeline.max_attempts"),
    ("start_method = 3", "pipeline.start_method"),
])
def test_a_bad_setting_names_its_field(make_vault, table, named):
    vault = make_vault({}, config=CONFIG.format(table=table))
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        PipelineSettings.from_vault(vault)
