"""Change classes in the policy: matching, service days, class lead times, monthly quotas per
customer (from the inventory) and the exception approval that lifts a quota or a service day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from changekit.errors import InputError, SchemaError
from changekit.inventory.model import Group, Host, Inventory
from changekit.policy import policy_from_data

POLICY = {
    "version": 1,
    "groups": {
        "ops": {"members": ["alice@example.org", "bob@example.org"]},
        "managers": {"members": ["mia@example.org"]},
    },
    "ownership": {"customer": "client"},
    "classes": [
        {
            "name": "IMAC",
            "match": {"type": ["standard", "normal"], "category": ["install", "move", "add"]},
            "lead_time": "3d",
            "require": [{"count": 1, "from": ["ops"]}],
            "quota": {"count": 2, "per": "customer"},
            "service_days": [
                {"days": ["tue"], "start": "09:00", "end": "13:00", "timezone": "Europe/Berlin"}
            ],
            "exception": {"require": [{"count": 1, "from": ["managers"]}]},
        },
        {"name": "emergency", "match": {"type": ["emergency"]}},
        {"name": "normal", "require": [{"count": 2, "from": ["ops"]}]},
    ],
}

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday


def inventory() -> Inventory:
    hosts = {
        "a1": Host("a1", groups={"acme"}, vars={"client": "acme"}),
        "a2": Host("a2", groups={"acme"}, vars={"client": "acme"}),
        "g1": Host("g1", groups={"globex"}, vars={"client": "globex"}),
        "x1": Host("x1"),
    }
    groups = {
        "acme": Group("acme", hosts={"a1", "a2"}),
        "globex": Group("globex", hosts={"g1"}),
    }
    return Inventory(hosts=hosts, groups=groups)


def record(rid: str, *, start: str = "2026-11-10T09:00:00+01:00", hours: int = 1, **kw) -> dict:
    begin = datetime.fromisoformat(start)
    end = begin.replace(hour=begin.hour + hours)
    data = {
        "id": rid,
        "type": "normal",
        "category": "install",
        "risk": "low",
        "requester": {"name": "Rita", "email": "rita@example.org"},
        "hosts": ["a1"],
        "status": "submitted",
        "window": {"start": begin.isoformat(), "end": end.isoformat(), "timezone": "Europe/Berlin"},
        "history": [
            {"status": "submitted", "at": "2026-11-01T10:00:00Z", "by": "rita@example.org"}
        ],
    }
    data.update(kw)
    return data


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def test_the_first_matching_class_is_the_records():
    policy = policy_from_data(POLICY)
    assert policy.class_name(record("c1")) == "IMAC"
    assert policy.class_name(record("c2", category="change")) == "normal"
    assert policy.class_name(record("c3", type="emergency")) == "emergency"
    bare = policy_from_data({"version": 1})
    assert bare.class_of(record("c4")) is None
    assert bare.class_name(record("c4")) == "normal"  # no classes: the type


def test_a_class_names_its_own_approval_rule():
    policy = policy_from_data(POLICY)
    assert [r.count for r in policy.required_approvals(record("c1"))] == [1]
    assert [r.count for r in policy.required_approvals(record("c2", category="change"))] == [2]


def test_outside_the_service_day_is_refused_with_the_next_slot():
    policy = policy_from_data(
        {**POLICY, "classes": [{k: v for k, v in POLICY["classes"][0].items() if k != "exception"}]}
    )
    inside = record("c1")  # Tuesday 2026-11-10 09:00-10:00 Berlin
    assert policy.check_submit(inside, [], inventory(), NOW) == []
    wednesday = record("c2", start="2026-11-11T09:00:00+01:00")
    problems = policy.check_submit(wednesday, [], inventory(), NOW)
    assert codes(problems) == ["outside-service-day"]
    assert "Tue 09:00-13:00" in problems[0].message
    assert "2026-11-17 09:00" in problems[0].hint  # the next Tuesday's opening
    too_long = record("c3", hours=5)
    assert codes(policy.check_submit(too_long, [], inventory(), NOW)) == ["outside-service-day"]


def test_a_class_lead_time_holds_without_an_outage():
    policy = policy_from_data(POLICY)
    soon = record("c1", start="2026-11-03T09:00:00+01:00")  # Tuesday, one day after NOW
    problems = policy.check_submit(soon, [], inventory(), NOW)
    assert codes(problems) == ["lead-time-too-short"]
    assert "a change of class IMAC needs 3d notice" in problems[0].message
    assert "2026-11-10 09:00" in problems[0].hint


def test_quota_counts_per_customer_from_the_inventory():
    policy = policy_from_data(
        {**POLICY, "classes": [{k: v for k, v in POLICY["classes"][0].items() if k != "exception"}]}
    )
    inv = inventory()
    acme = [
        record("a-1", hosts=["a1"], history=[{"status": "submitted", "at": "2026-11-01T10:00:00Z", "by": "r"}]),
        record("a-2", hosts=["group:acme"], status="completed",
               history=[{"status": "submitted", "at": "2026-11-01T11:00:00Z", "by": "r"}]),
        record("a-x", hosts=["a2"], status="cancelled"),  # withdrawn: uses no quota
        record("a-r", hosts=["a2"], status="rejected"),
        record("a-dec", hosts=["a2"], start="2026-12-01T09:00:00+01:00"),  # December
    ]  # fmt: skip
    third = record("a-3", hosts=["a2"], start="2026-11-17T09:00:00+01:00")
    problems = policy.check_submit(third, acme, inv, NOW)
    assert codes(problems) == ["over-quota"]
    assert problems[0].message == (
        "IMAC changes for acme are limited to 2 a month per customer; this is number 3 in 2026-11"
    )
    # December has one of two used: the first Tuesday of December is the next slot
    assert "2026-12-01 09:00" in problems[0].hint
    # another customer's change, or a host without a customer, is not counted against acme
    assert policy.check_submit(record("g-1", hosts=["g1"]), acme, inv, NOW) == []
    # a record's own field counts only when its hosts name no customer: no dodging
    assert codes(policy.check_submit({**third, "customer": "globex"}, acme, inv, NOW)) == [
        "over-quota"
    ]
    assert policy.check_submit(record("x-1", hosts=["x1"], customer="globex"), acme, inv, NOW) == []


def test_the_gate_ranks_by_filing_and_the_exception_approval_lifts_it():
    policy = policy_from_data(POLICY)
    inv = inventory()
    early = record(
        "a-1", history=[{"status": "submitted", "at": "2026-11-01T10:00:00Z", "by": "r"}]
    )
    mid = record("a-2", history=[{"status": "submitted", "at": "2026-11-01T11:00:00Z", "by": "r"}])
    late = record("a-3", history=[{"status": "submitted", "at": "2026-11-01T12:00:00Z", "by": "r"}])
    pool = [early, mid, late]
    over = [p for p in policy.check_record(late, pool, inv, NOW) if p.code == "over-quota"]
    assert over and "number 3" in over[0].message
    assert not [p for p in policy.check_record(mid, pool, inv, NOW) if p.code == "over-quota"]
    ops = {"by": {"email": "alice@example.org"}}
    manager = {"by": {"email": "mia@example.org"}}
    assert "over-quota" in codes(policy.check_record(late, pool, inv, NOW, approvals=[ops]))
    assert "over-quota" not in codes(
        policy.check_record(late, pool, inv, NOW, approvals=[ops, manager])
    )
    # the manager may approve (an exception approver), and counts only for the exception
    assert policy.approval_problem(late, "mia@example.org") is None
    assert not policy.is_approved(late, [manager])
    # with an exception possible, submitting is not refused: scheduling asks for the approval
    assert "over-quota" not in codes(policy.check_submit(late, [early, mid], inv, NOW))
    sched = policy.check_schedule({**late, "approvals": [ops]}, [early, mid], inv, NOW)
    over = [p for p in sched if p.code == "over-quota"]
    assert over and "needs the extra approval of 1 from managers" in over[0].hint
    manager_too = {**late, "approvals": [ops, manager]}
    assert "over-quota" not in codes(policy.check_schedule(manager_too, [early, mid], inv, NOW))


@pytest.mark.parametrize(
    ("change", "where", "expected"),
    [
        ({"require": [{"count": 1, "from": ["opps"]}]}, "classes[0]", "did you mean 'ops'?"),
        ({"quota": {"count": 1, "per": "department"}}, "classes[0].quota.per", None),
        (
            {"service_days": [{"days": ["tue"], "start": "9:00", "end": "13:00", "timezone": "UTC"}]},
            "classes[0].service_days[0].start",
            None,
        ),
        (
            {"service_days": [{"days": ["tue"], "start": "09:00", "end": "13:00", "timezone": "Mars/Base"}]},
            "classes[0].service_days[0].timezone",
            None,
        ),
    ],
)  # fmt: skip
def test_bad_classes_are_reported_by_field(change, where, expected):
    bad = {**POLICY, "classes": [{**POLICY["classes"][0], **change}]}
    with pytest.raises((InputError, SchemaError)) as info:
        policy_from_data(bad)
    assert info.value.field == where
    if expected:
        assert expected in (info.value.hint or "")


def test_a_class_defined_twice_is_refused():
    with pytest.raises(InputError, match="defined twice"):
        policy_from_data({**POLICY, "classes": [POLICY["classes"][1], POLICY["classes"][1]]})


def _no_exception(**quota) -> dict:
    imac = {k: v for k, v in POLICY["classes"][0].items() if k != "exception"}
    return {**POLICY, "classes": [{**imac, "quota": {**imac["quota"], **quota}}]}


def test_the_next_slot_of_a_full_month_is_one_that_passes():
    # attack: the quota's hint proposed the next month's first opening even when the class's
    # lead time (3d) rules it out: 2026-12-01 is a Tuesday two days after "now"
    policy = policy_from_data(_no_exception(count=1))
    inv = inventory()
    now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    used = record("a-1", start="2026-11-10T09:00:00+01:00")
    late = record("a-2", start="2026-11-24T09:00:00+01:00", status="draft", history=[])
    over = [p for p in policy.check_submit(late, [used], inv, now) if p.code == "over-quota"]
    assert over and "the next allowed window is Tue 2026-12-08 09:00 CET" in over[0].hint
    moved = record(
        "a-2", start="2026-12-08T09:00:00+01:00", status="draft", history=[]
    )  # the slot it names is really allowed
    assert policy.check_submit(moved, [used], inv, now) == []
    # a change with no window yet: the slot is shown in the zone whose months the quota counts
    quota_tz = policy_from_data(
        {
            **POLICY,
            "classes": [{"name": "IMAC", "quota": {"count": 1, "timezone": "Europe/Berlin"}}],
        }
    )
    nowin = {k: v for k, v in late.items() if k != "window"}
    hint = quota_tz.check_submit(nowin, [used], inv, now)[0].hint
    assert hint.startswith("the next allowed window is Tue 2026-12-01 00:00 CET")


def test_a_quota_of_zero_proposes_no_slot():
    # attack: with no month that has room, the hint named a window two years ahead that was
    # just as over the quota
    policy = policy_from_data(_no_exception(count=0))
    problems = policy.check_submit(record("a-1", status="draft", history=[]), [], inventory(), NOW)
    assert codes(problems) == ["over-quota"]
    assert "limited to 0 a month" in problems[0].message
    assert problems[0].hint == (
        "no month of the next two years has room for it, and the class names no exception approval"
    )
    with_exception = policy_from_data(
        {**POLICY, "classes": [{**POLICY["classes"][0], "quota": {"count": 0}}]}
    )
    sched = with_exception.check_schedule(record("a-1", status="approved"), [], inventory(), NOW)
    assert [p.hint for p in sched if p.code == "over-quota"] == [
        "no month of the next two years has room for it; or it needs the extra approval of 1 from managers"
    ]


def test_a_change_with_no_team_says_why_it_counts_against_every_team():
    # attack: `per: team` and no team anywhere: the change counts against the month's total,
    # and the refusal must say so instead of looking like another team's quota
    policy = policy_from_data(_no_exception(count=1, per="team"))
    inv = inventory()
    other = record("g-1", hosts=["g1"])
    mine = record("x-1", hosts=["x1"], start="2026-11-17T09:00:00+01:00", status="draft")
    problems = policy.check_submit(mine, [other], inv, NOW)
    assert codes(problems) == ["over-quota"]
    assert problems[0].message == (
        "IMAC changes are limited to 1 a month per team; this is number 2 in 2026-11 (it has "
        "no team: its hosts carry no `team` variable and the record no `team` field, so it "
        "counts against every IMAC change of the month)"
    )
    assert policy.check_submit({**mine, "team": "web"}, [other], inv, NOW) == []


def test_the_next_slot_is_never_seconds_inside_the_notice():
    # attack: "now" had seconds, the next slot was rounded down to the minute, and the slot
    # proposed (3 days from now, at 08:00) started 30 s inside the 3 days' notice
    policy = policy_from_data(
        {
            "version": 1,
            "classes": [{"name": "IMAC", "match": {"category": ["install"]}, "lead_time": "3d"}],
        }
    )
    now = datetime(2026, 11, 2, 8, 0, 30, tzinfo=UTC)
    soon = record("c1", start="2026-11-03T09:00:00+01:00", status="draft", history=[])
    hint = policy.check_submit(soon, [], None, now)[0].hint
    assert hint.startswith("the next allowed window is Thu 2026-11-05 09:01 CET")
    moved = {
        **soon,
        "window": {
            **soon["window"],
            "start": "2026-11-05T09:01:00+01:00",
            "end": "2026-11-05T10:01:00+01:00",
        },
    }
    assert policy.check_submit(moved, [], None, now) == []


def test_the_next_service_day_offered_is_in_a_month_with_room():
    # attack: outside the service day, the hint named the next Tuesday (2026-12-01) although
    # December was full for acme, so following it was refused as over the quota
    policy = policy_from_data(_no_exception(count=1))
    inv = inventory()
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # a Friday
    december = record("a-1", start="2026-12-08T09:00:00+01:00")
    wednesday = record("a-2", start="2026-11-25T09:00:00+01:00", status="draft", history=[])
    problems = policy.check_submit(wednesday, [december], inv, now)
    assert codes(problems) == ["outside-service-day"]
    assert problems[0].hint.startswith("the next allowed window is Tue 2027-01-05 09:00 CET")
    january = record("a-2", start="2027-01-05T09:00:00+01:00", status="draft", history=[])
    assert policy.check_submit(january, [december], inv, now) == []
