"""Events within one second: what a host's later scan saw comes after what its earlier one saw."""

from __future__ import annotations

from datetime import UTC, datetime

from changekit.review.timeline import Event

AT = datetime(2026, 12, 7, 2, 40, 5, tzinfo=UTC)


def test_two_scans_of_one_host_in_one_second_keep_their_order():
    # the earlier scan saw a change a record explains, the later one a hand removal
    explained = Event(AT, "observed-change", ("web07",), "added", "CHG-1", seq=0)
    by_hand = Event(AT, "observed-change", ("web07",), "removed", None, seq=1)
    assert sorted([by_hand, explained], key=Event.sort_key) == [explained, by_hand]
