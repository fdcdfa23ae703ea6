"""The schema-date rule: the form YYYY-MM-DD, 00 placeholders, and days that exist in their month."""

import pytest

from teleo.gates.rules.schema import valid_date


@pytest.mark.parametrize("text", ["2026-02-28", "2024-02-29", "2026-01-00", "2026-00-00", "2026-04", "2026-12-31",
                                  "2026-03-05T10:00:00Z"])
def test_real_and_placeholder_dates_pass(text):
    assert valid_date(text)


@pytest.mark.parametrize("text", ["2026-02-30", "2025-02-29", "2026-04-31", "2026-13-01", "2026-01-32", "26-01-01",
                                  "yesterday"])
def test_impossible_dates_fail(text):
    assert not valid_date(text)
