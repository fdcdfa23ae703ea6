"""`--until` means the same for `teleo run` and `teleo demo`: `pipeline.run.stages_until`."""

import pytest

from teleo.pipeline.run import STAGES, stages_until


def test_until_a_stage_runs_every_stage_before_it_and_it():
    assert stages_until(None) == STAGES
    assert stages_until("extract") == ("ingest", "extract")
    assert stages_until("merge") == STAGES


def test_an_unknown_or_unoffered_stage_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown stage 'publish' \(one of: ingest, extract, review, merge\)"):
        stages_until("publish")
    with pytest.raises(ValueError, match=r"unknown stage 'ingest' \(one of: extract, review, merge\)"):
        stages_until("ingest", choices=("extract", "review", "merge"))
