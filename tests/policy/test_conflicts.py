"""Two active changes on the same hosts at the same time (through the inventory when there is one)."""

from __future__ import annotations

from datetime import UTC, datetime

from changekit.inventory.model import Group, Host, Inventory
from changekit.policy import policy_from_data

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def rec(rid: str, hosts: list[str], start: str, end: str, status: str = "scheduled") -> dict:
    return {
        "id": rid, "type": "normal", "risk": "low", "status": status,
        "requester": {"name": "R", "email": "r@example.org"}, "hosts": hosts,
        "window": {"start": f"2026-12-01T{start}:00+00:00", "end": f"2026-12-01T{end}:00+00:00", "timezone": "UTC"},
    }  # fmt: skip


def inventory() -> Inventory:
    return Inventory(
        hosts={
            "web1": Host("web1", groups={"web", "prod"}),
            "web2": Host("web2", groups={"web"}),
            "db1": Host("db1", groups={"db", "prod"}),
        },
        groups={
            "web": Group("web", hosts={"web1", "web2"}),
            "prod": Group("prod", hosts={"web1", "db1"}),
            "db": Group("db", hosts={"db1"}),
        },
    )


def test_literal_overlap_without_inventory():
    policy = policy_from_data({"version": 1})
    a = rec("CHG-20261201-aaaaaa", ["web1"], "02:00", "04:00")
    b = rec("CHG-20261201-bbbbbb", ["web1", "db1"], "03:00", "05:00")
    c = rec("CHG-20261201-cccccc", ["web1"], "04:00", "05:00")  # starts when a ends: no overlap
    problems = policy.check_submit(b, [a], None, NOW)
    assert [(p.code, p.message) for p in problems] == [
        ("conflict", "overlaps CHG-20261201-aaaaaa on web1 at the same time")
    ]
    assert policy.check_submit(c, [a], None, NOW) == []


def test_selectors_resolve_through_the_inventory():
    policy = policy_from_data({"version": 1})
    a = rec("CHG-20261201-aaaaaa", ["group:prod"], "02:00", "04:00")
    b = rec("CHG-20261201-bbbbbb", ["web*"], "03:00", "05:00")
    problems = policy.check_submit(b, [a], inventory(), NOW)
    assert [p.message for p in problems] == [
        "overlaps CHG-20261201-aaaaaa on web1 at the same time"
    ]
    # without the inventory the same selectors do not visibly overlap
    assert policy.check_submit(b, [a], None, NOW) == []


def test_inactive_records_do_not_conflict_and_allow_turns_it_into_a_warning():
    a = rec("CHG-20261201-aaaaaa", ["web1"], "02:00", "04:00", status="completed")
    b = rec("CHG-20261201-bbbbbb", ["web1"], "03:00", "05:00")
    assert policy_from_data({"version": 1}).check_submit(b, [a], None, NOW) == []
    a["status"] = "approved"
    warn = policy_from_data({"version": 1, "conflicts": {"allow": True}}).check_submit(
        b, [a], None, NOW
    )
    assert [p.severity for p in warn] == ["medium"]


def test_all_pairs_sweep_finds_each_pair_once():
    from changekit.policy.conflicts import ConflictIndex

    records = [
        rec(f"CHG-20261201-{i:06d}", [f"web{i % 3}"], f"{i % 20:02d}:00", f"{i % 20 + 2:02d}:00")
        for i in range(60)
    ]
    index = ConflictIndex(records, None, ("scheduled",))
    pairs = index.all_pairs()
    brute = set()
    for i, x in enumerate(records):
        for y in records[i + 1 :]:
            if (
                x["hosts"] == y["hosts"]
                and x["window"]["start"] < y["window"]["end"]
                and y["window"]["start"] < x["window"]["end"]
            ):
                brute.add(frozenset((x["id"], y["id"])))
    assert {frozenset((a["id"], b["id"])) for a, b, _ in pairs} == brute
