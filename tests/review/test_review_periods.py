"""Periods as typed, and the previous period of the same length (pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from changekit.errors import InputError
from changekit.review.periods import periods

NOW = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)


def span(p):
    return p.label, p.start.isoformat(), p.end.isoformat()


def test_a_quarter_against_the_quarter_before_across_a_year():
    now, before = periods(quarter="2026Q1", now=NOW, tz=UTC)
    assert span(now) == ("2026Q1", "2026-01-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00")
    assert span(before) == ("2025Q4", "2025-10-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00")


def test_a_month_against_the_month_before_across_a_year():
    now, before = periods(month="2026-01", now=NOW, tz=UTC)
    assert (now.label, before.label) == ("2026-01", "2025-12")
    assert before.end == now.start


def test_days_against_as_many_days_before():
    now, before = periods(since="2026-11-01", until="2026-11-10", now=NOW, tz=UTC)
    assert span(now) == (
        "2026-11-01 to 2026-11-10",
        "2026-11-01T00:00:00+00:00",
        "2026-11-11T00:00:00+00:00",
    )
    assert span(before) == (
        "2026-10-22 to 2026-10-31",
        "2026-10-22T00:00:00+00:00",
        "2026-11-01T00:00:00+00:00",
    )


def test_by_default_the_quarter_so_far_against_the_same_stretch_before():
    now, before = periods(now=NOW, tz=UTC)
    assert (now.label, now.start.isoformat(), now.end) == (
        "2026Q4 so far",
        "2026-10-01T00:00:00+00:00",
        NOW,
    )
    assert before.label == "2026Q3 (same stretch)"
    assert before.start.isoformat() == "2026-07-01T00:00:00+00:00"
    assert before.end - before.start == now.end - now.start


def test_days_begin_in_the_zone_given():
    now, _ = periods(month="2026-11", now=NOW, tz=ZoneInfo("Europe/Berlin"))
    assert now.start.astimezone(UTC).isoformat() == "2026-10-31T23:00:00+00:00"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quarter": "26Q4"},
        {"month": "2026-00"},
        {"since": "2026-10-01"},
        {"since": "x", "until": "y"},
    ],
)
def test_bad_periods_are_refused(kwargs):
    with pytest.raises(InputError):
        periods(now=NOW, tz=UTC, **kwargs)
