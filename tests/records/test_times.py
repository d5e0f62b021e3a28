"""Times people type become timezone-aware and stay right across daylight saving."""

from __future__ import annotations

import pytest

from changekit.errors import InputError
from changekit.records.drafts import make_window
from changekit.records.times import parse_day_or_moment, parse_moment


def test_berlin_window_in_winter_and_summer():
    assert (
        make_window("2026-12-06 02:00", "2026-12-06 04:00", "Europe/Berlin")["start"]
        == "2026-12-06T02:00:00+01:00"
    )
    assert (
        make_window("2026-07-05T02:00", "2026-07-05T04:00", "Europe/Berlin")["end"]
        == "2026-07-05T04:00:00+02:00"
    )


def test_window_over_the_autumn_change_keeps_wall_clock_times():
    w = make_window("2026-10-24 22:00", "2026-10-25 06:00", "Europe/Berlin")
    assert (w["start"], w["end"]) == ("2026-10-24T22:00:00+02:00", "2026-10-25T06:00:00+01:00")


def test_skipped_hour_is_refused():
    with pytest.raises(InputError, match="does not exist in Europe/Berlin"):
        parse_moment("2026-03-29 02:30", "Europe/Berlin", field="window.start")


def test_explicit_offset_is_kept_and_converted_to_the_zone():
    moment = parse_moment("2026-12-06T01:00:00+00:00", "Europe/Berlin", field="x")
    assert moment.isoformat() == "2026-12-06T02:00:00+01:00"


def test_naive_time_without_zone_is_an_error():
    with pytest.raises(InputError) as info:
        parse_moment("2026-12-06 02:00", None, field="window.start")
    assert "has no time zone" in info.value.message and "--tz" in info.value.hint


def test_unknown_zone_and_bad_text():
    with pytest.raises(InputError, match="unknown time zone 'Europe/Berlyn'"):
        make_window("2026-12-06 02:00", "2026-12-06 03:00", "Europe/Berlyn")
    with pytest.raises(InputError, match="is not a date and time"):
        parse_moment("next sunday", "UTC", field="x")
    with pytest.raises(InputError, match="ends"):
        make_window("2026-12-06 03:00", "2026-12-06 02:00", "UTC")


def test_day_bounds():
    assert (
        parse_day_or_moment("2026-12-06", "Europe/Berlin", field="f").isoformat()
        == "2026-12-06T00:00:00+01:00"
    )
    assert parse_day_or_moment("2026-12-06", None, field="f", end=True).hour == 23
