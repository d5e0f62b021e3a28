"""WHEN for a timeline's period (pure: a fixed now and zone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from changekit.errors import InputError
from changekit.review.period import period

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 6, 22, 30, tzinfo=UTC)  # 23:30 in Berlin


def _p(since, until=None):
    return period(since, until, now=NOW, tz=BERLIN)


def test_defaults_are_the_last_seven_days():
    assert _p(None) == (NOW - timedelta(days=7), NOW)


def test_days_start_at_their_first_instant_and_end_at_their_last_in_the_local_zone():
    start, end = _p("yesterday", "yesterday")
    assert start == datetime(2026, 12, 5, 0, 0, tzinfo=BERLIN)
    assert end == datetime(2026, 12, 5, 23, 59, 59, 999999, tzinfo=BERLIN)
    start, end = _p("2026-11-30", "today")
    assert start == datetime(2026, 11, 30, tzinfo=BERLIN)
    assert end.date().isoformat() == "2026-12-06"


def test_durations_and_times():
    assert _p("36h")[0] == NOW - timedelta(hours=36)
    assert _p("2w", "1d")[1] == NOW - timedelta(days=1)
    naive = _p("2026-12-01T14:00")[0]
    assert naive == datetime(2026, 12, 1, 14, 0, tzinfo=BERLIN)  # local without an offset
    assert _p("2026-12-01T14:00+00:00")[0] == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert _p(datetime(2026, 12, 1, tzinfo=UTC))[0] == datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("last tuesday", None, "--since: cannot read 'last tuesday' as a time"),
        ("7d", "soon", "--until: cannot read 'soon' as a time"),
        ("2026-13-01", None, "--since: cannot read '2026-13-01' as a time"),
        ("now", "7d", "the period ends (2026-11-29T22:30:00+00:00) before it starts"),
    ],
)
def test_bad_values_say_what_is_wrong_and_what_works(since, until, message):
    with pytest.raises(InputError) as err:
        _p(since, until)
    assert message in err.value.message
    assert err.value.hint


def test_a_naive_datetime_from_python_is_refused():
    with pytest.raises(InputError, match="since has no time zone"):
        _p(datetime(2026, 12, 1))


def test_local_days_follow_daylight_saving_time(monkeypatch):
    # attack: in December, a summer day in Europe/Berlin began an hour late (the local zone was
    # read as today's fixed +01:00, not as Berlin's rules), so events of its first hour were lost
    monkeypatch.setenv("TZ", "Europe/Berlin")
    start, end = period("2026-07-01", "2026-07-01", now=NOW)
    assert start == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 7, 1, 21, 59, 59, 999999, tzinfo=UTC)
    assert period("2026-07-01T10:00", None, now=NOW)[0] == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    # the day the clocks went back has 25 hours
    start, end = period("2026-10-25", "2026-10-25", now=NOW)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25, microseconds=-1)


@pytest.mark.parametrize("since", ["9999999d", "99999999999999999999d", "0001-01-01T00:00+01:00"])
def test_a_period_out_of_range_is_refused_not_a_crash(since):
    # attack: a huge duration or an instant before the year 1 in UTC was an OverflowError
    with pytest.raises(InputError) as err:
        _p(since)
    assert err.value.message.startswith(f"--since: {since!r} is out of range")
    assert err.value.hint
