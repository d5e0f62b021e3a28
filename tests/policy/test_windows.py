"""Weekly maintenance windows: DST-correct, past midnight, and the next allowed window."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from changekit.policy import policy_from_data
from changekit.policy.windows import Window

BERLIN = ZoneInfo("Europe/Berlin")


def win(**kw) -> Window:
    data = {
        "name": "w",
        "days": ["sun"],
        "start": "02:00",
        "end": "06:00",
        "timezone": "Europe/Berlin",
        **kw,
    }
    return Window.from_policy(data, ZoneInfo(data["timezone"]))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_inside_and_outside():
    w = win()
    assert w.contains(at("2026-11-29T02:00:00+01:00"), at("2026-11-29T06:00:00+01:00"))
    assert not w.contains(at("2026-11-29T01:59:00+01:00"), at("2026-11-29T03:00:00+01:00"))
    assert not w.contains(at("2026-11-29T05:00:00+01:00"), at("2026-11-29T06:01:00+01:00"))
    assert not w.contains(
        at("2026-11-30T02:00:00+01:00"), at("2026-11-30T03:00:00+01:00")
    )  # a Monday


def test_same_local_hours_in_summer_and_winter():
    w = win()
    # summer (CEST, +02:00): 02:00-06:00 local is 00:00-04:00 UTC
    assert w.contains(at("2026-07-05T00:00:00+00:00"), at("2026-07-05T04:00:00+00:00"))
    assert not w.contains(at("2026-07-05T04:00:00+00:00"), at("2026-07-05T05:00:00+00:00"))
    # winter (CET, +01:00): 01:00-05:00 UTC
    assert w.contains(at("2026-12-06T01:00:00+00:00"), at("2026-12-06T05:00:00+00:00"))
    assert not w.contains(at("2026-12-06T00:30:00+00:00"), at("2026-12-06T01:30:00+00:00"))


def test_dst_switch_night_is_shorter_and_longer():
    w = win()
    # 2026-03-29: clocks jump 02:00 -> 03:00 in Berlin; the window is 3 real hours long
    openings = [
        o
        for o in w.occurrences(at("2026-03-28T00:00:00+00:00"))
        if o[0].date().isoformat() <= "2026-03-29"
    ]
    start, end = openings[-1]
    assert (end - start).total_seconds() == 3 * 3600
    # 2026-10-25: clocks fall back 03:00 -> 02:00; the window is 5 real hours long
    start, end = next(o for o in w.occurrences(at("2026-10-24T00:00:00+00:00")))
    assert (end - start).total_seconds() == 5 * 3600
    assert end == at("2026-10-25T06:00:00+01:00")


def test_window_past_midnight_and_to_midnight():
    w = win(days=["fri"], start="22:00", end="02:00")
    assert w.contains(at("2026-11-27T23:00:00+01:00"), at("2026-11-28T01:30:00+01:00"))
    assert not w.contains(
        at("2026-11-28T23:00:00+01:00"), at("2026-11-29T00:30:00+01:00")
    )  # Saturday night
    m = win(days=["sat"], start="20:00", end="24:00")
    assert m.contains(at("2026-11-28T20:00:00+01:00"), at("2026-11-29T00:00:00+01:00"))


def test_other_zone_window():
    w = win(timezone="America/New_York", days=["wed"], start="22:00", end="23:00")
    assert w.contains(at("2026-11-26T03:00:00+00:00"), at("2026-11-26T04:00:00+00:00"))


POLICY = {
    "version": 1,
    "windows": [
        {
            "name": "sunday night",
            "groups": ["web"],
            "days": ["sun"],
            "start": "02:00",
            "end": "06:00",
            "timezone": "Europe/Berlin",
        }
    ],
    "freezes": [
        {"name": "year end", "from": "2026-12-15", "to": "2027-01-15", "timezone": "Europe/Berlin"}
    ],
    "lead_time": "2d",
}


def record(start: str, end: str, hosts=("group:web",), outage=True) -> dict:
    return {
        "id": "CHG-20261125-aaaaaa",
        "type": "normal",
        "risk": "low",
        "requester": {"name": "R", "email": "r@example.org"},
        "hosts": list(hosts),
        "outage": {"expected": outage},
        "status": "draft",
        "window": {"start": start, "end": end, "timezone": "Europe/Berlin"},
    }


def test_next_allowed_window_skips_the_freeze_and_keeps_the_length():
    policy = policy_from_data(POLICY)
    rec = record("2026-12-20T02:00:00+01:00", "2026-12-20T03:30:00+01:00")
    slot = policy.next_allowed(rec, None, at("2026-12-16T12:00:00+00:00"))
    # every Sunday until the freeze ends on 2027-01-15 (inclusive) is frozen; next: Sun 2027-01-17
    assert slot == (at("2027-01-17T02:00:00+01:00"), at("2027-01-17T03:30:00+01:00"))


def test_submit_outside_window_says_when_the_next_one_is():
    policy = policy_from_data(POLICY)
    now = at("2026-11-25T12:00:00+00:00")
    problems = policy.check_submit(
        record("2026-11-26T10:00:00+01:00", "2026-11-26T11:00:00+01:00"), [], None, now
    )
    codes = [p.code for p in problems]
    assert codes == ["outside-maintenance-window", "lead-time-too-short"]
    assert "sunday night (Sun 02:00-06:00 Europe/Berlin)" in problems[0].message
    # the lead time (2 days from now) rules out nothing on Sunday the 29th at 02:00 CET
    assert (
        problems[0].hint
        == "the next allowed window is Sun 2026-11-29 02:00 CET to Sun 2026-11-29 03:00 CET"
    )


def test_lead_time_pushes_the_next_window_a_week():
    policy = policy_from_data(POLICY)
    now = at("2026-11-28T12:00:00+00:00")  # Saturday: Sunday 02:00 is less than 2 days away
    problems = policy.check_submit(
        record("2026-11-29T02:00:00+01:00", "2026-11-29T03:00:00+01:00"), [], None, now
    )
    assert [p.code for p in problems] == ["lead-time-too-short"]
    assert "2d notice" in problems[0].message and "after now" in problems[0].message
    assert (
        problems[0].hint
        == "the next allowed window is Sun 2026-12-06 02:00 CET to Sun 2026-12-06 03:00 CET"
    )


def test_lead_time_counts_from_the_announcement():
    policy = policy_from_data(POLICY)
    rec = record("2026-11-29T02:00:00+01:00", "2026-11-29T03:00:00+01:00")
    rec["announcement"] = {"announced_at": "2026-11-20T09:00:00+01:00"}
    assert policy.check_submit(rec, [], None, at("2026-11-28T12:00:00+00:00")) == []


def test_emergency_with_a_reason_is_exempt_but_not_without():
    policy = policy_from_data(POLICY)
    rec = record("2026-12-20T10:00:00+01:00", "2026-12-20T11:00:00+01:00")
    rec["type"] = "emergency"
    now = at("2026-12-20T08:00:00+00:00")
    assert {p.code for p in policy.check_submit(rec, [], None, now)} >= {"window-in-freeze"}
    rec["emergency"] = {"reason": "payment service down"}
    assert policy.check_submit(rec, [], None, now) == []


def test_hosts_outside_window_groups_are_free_but_freeze_for_all_applies():
    policy = policy_from_data(POLICY)
    rec = record(
        "2026-11-30T10:00:00+01:00", "2026-11-30T11:00:00+01:00", hosts=["db1"], outage=False
    )
    assert policy.check_submit(rec, [], None, at("2026-11-25T12:00:00+00:00")) == []
    rec = record(
        "2026-12-16T10:00:00+01:00", "2026-12-16T11:00:00+01:00", hosts=["db1"], outage=False
    )
    assert [
        p.code for p in policy.check_submit(rec, [], None, at("2026-11-25T12:00:00+00:00"))
    ] == ["window-in-freeze"]


def test_schedule_needs_a_window_and_approval():
    policy = policy_from_data(POLICY)
    rec = record("2026-11-29T02:00:00+01:00", "2026-11-29T03:00:00+01:00")
    del rec["window"]
    now = at("2026-11-25T12:00:00+00:00")
    assert [p.code for p in policy.check_schedule(rec, [], None, now)] == ["window-missing"]
    rec = record("2026-11-29T02:00:00+01:00", "2026-11-29T03:00:00+01:00")
    assert [p.code for p in policy.check_schedule(rec, [], None, now)] == ["not-approved"]
    rec["approvals"] = [
        {"by": {"name": "A", "email": "a@example.org"}, "at": "2026-11-25T10:00:00Z"}
    ]
    assert policy.check_schedule(rec, [], None, now) == []


def test_dst_window_in_utc_is_accepted():
    policy = policy_from_data(POLICY)
    # a July Sunday 02:00-03:00 Berlin written in UTC
    rec = record("2026-07-05T00:00:00+00:00", "2026-07-05T01:00:00+00:00")
    assert policy.check_submit(rec, [], None, at("2026-06-01T00:00:00+00:00")) == []
    assert BERLIN  # the zone database is present (tzdata)
    assert UTC
