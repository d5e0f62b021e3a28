"""WHEN strings: scan ids, dates (end of day, local), yesterday, ISO times, relative ages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from changekit.errors import InputError
from changekit.facts.when import resolve

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
TZ = timezone(timedelta(hours=1))


def test_scan_id_gives_the_id_and_its_time():
    assert resolve("20261124T020000Z-abc123", now=NOW) == (
        "20261124T020000Z-abc123",
        datetime(2026, 11, 24, 2, tzinfo=UTC),
    )


def test_yesterday_and_dates_mean_the_end_of_that_local_day():
    _, t = resolve("yesterday", now=NOW, tz=TZ)
    assert t.isoformat().startswith("2026-11-24T23:59:59") and t.utcoffset() == timedelta(hours=1)
    _, d = resolve("2026-11-20", now=NOW, tz=TZ)
    assert (d.date().isoformat(), d.hour) == ("2026-11-20", 23)


def test_iso_times_keep_their_offset_and_naive_ones_are_local():
    assert resolve("2026-11-20T10:00:00+05:00", now=NOW)[1].utcoffset() == timedelta(hours=5)
    assert resolve("2026-11-20T10:00", now=NOW, tz=TZ)[1].utcoffset() == timedelta(hours=1)


def test_relative_ages():
    assert resolve("3d", now=NOW)[1] == NOW - timedelta(days=3)
    assert resolve("12h ago", now=NOW)[1] == NOW - timedelta(hours=12)


def test_nonsense_is_an_input_error_with_the_accepted_forms():
    with pytest.raises(InputError) as err:
        resolve("last tuesday", now=NOW)
    assert "yesterday" in err.value.hint
