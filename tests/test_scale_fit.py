"""bench/scale_bench.py's growth fits and projections: the arithmetic docs/scale.md rests on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import scale_bench  # noqa: E402
from scale_bench import fit, inside_shared, slope  # noqa: E402


def test_slope_of_a_power_law_is_its_exponent():
    assert slope([(1, 3.0), (10, 300.0), (100, 30_000.0)]) == pytest.approx(2.0)
    assert slope([(1_000, 5.0), (20_000, 5.0)]) == pytest.approx(0.0)


def test_slope_needs_two_positive_points():
    assert slope([(10, 1.0)]) is None
    assert slope([(10, 1.0), (20, 0.0)]) is None
    assert slope([(10, 1.0), (10, 2.0)]) is None


def test_projection_follows_the_last_segment_and_finds_the_crossing():
    # fixed cost then linear: the last segment's slope (1), not the flatter overall one, is projected
    points = [(1_000, 1.0), (20_000, 2.0), (100_000, 10.0)]
    out = fit(points, at=1_000_000, limit=50.0)
    assert out["slope_last"] == pytest.approx(1.0)
    assert out["slope_all"] < out["slope_last"]
    assert out["projected"] == pytest.approx(100.0)
    assert out["crosses_at"] == pytest.approx(500_000)
    assert out["crossed_measured"] is False


def test_a_limit_already_crossed_names_the_smallest_measured_size_over_it():
    out = fit([(1_000, 10.0), (20_000, 80.0), (100_000, 90.0)], at=1_000_000, limit=50.0)
    assert out["crosses_at"] == 20_000
    assert out["crossed_measured"] is True


def test_a_figure_that_fell_with_size_is_projected_flat_and_never_crosses():
    out = fit([(1_000, 4.0), (20_000, 6.0), (100_000, 5.0)], at=1_000_000, limit=50.0)
    assert out["slope_last"] < 0
    assert out["slope_used"] == 0
    assert out["projected"] == pytest.approx(5.0)
    assert out["crosses_at"] is None


def test_missing_figures_are_left_out():
    out = fit([(1_000, None), (50_000, 2.0), (100_000, 4.0)], at=200_000)
    assert out["projected"] == pytest.approx(8.0)


def test_the_shared_folder_is_refused(tmp_path):
    corpus = tmp_path / "shared" / "corpora" / "codex"
    corpus.mkdir(parents=True)
    assert inside_shared(tmp_path / "shared" / "out.json", corpus)
    assert not inside_shared(tmp_path / "elsewhere" / "out.json", corpus)


def test_the_scenario_budgets():
    assert scale_bench.MERGE_BUDGET_S == pytest.approx(86.4)
    assert scale_bench.WORKER_BUDGET_S == pytest.approx(4_320)
