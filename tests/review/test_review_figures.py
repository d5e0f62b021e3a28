"""The review of a generated history of known shape (``tests/review/generated.py``): every
figure of 2026Q4 and of 2026Q3 beside it, worked out by hand from the steps committed."""

from __future__ import annotations

import json

import jsonschema
import pytest

from changekit.yamlfile import load_schema
from tests.review.conftest import figure, review

A, B, C, D = (
    "CHG-20261001-q4aaaa",
    "CHG-20261005-q4bbbb",
    "CHG-20261006-q4cccc",
    "CHG-20261008-q4dddd",
)
E, F, G, H = (
    "CHG-20261222-q4eeee",
    "CHG-20261102-q4ffff",
    "CHG-20261110-q4gggg",
    "CHG-20261112-q4hhhh",
)
I = "CHG-20261103-q4iiii"  # noqa: E741
P1, P2, P3 = "CHG-20260701-q3aaaa", "CHG-20260803-q3bbbb", "CHG-20260901-q3cccc"
HOUR, DAY = 3600, 86400


def test_the_json_follows_the_published_schema(q4):
    jsonschema.validate(q4, load_schema("review"), format_checker=jsonschema.FormatChecker())
    assert q4["period"]["label"] == "2026Q4"
    assert q4["previous"]["label"] == "2026Q3"


@pytest.mark.parametrize(
    ("name", "dimension", "now", "before", "ids"),
    [
        ("changes filed", "all", 9, 3, [A, B, C, D, F, I, G, H, E]),
        ("changes ended", "all", 7, 3, [A, B, C, D, F, H, E]),
        ("by outcome", "completed", 4, 1, [A, C, D, E]),
        ("by outcome", "failed", 1, 0, [B]),
        ("by outcome", "rolled_back", 0, 1, []),
        ("by outcome", "cancelled", 1, 0, [F]),
        ("by outcome", "rejected", 1, 1, [H]),
        ("by class", "normal", 4, 3, [A, B, F, H]),
        ("by class", "IMAC", 2, 0, [C, D]),
        ("by class", "emergency", 1, 0, [E]),
        ("by type", "normal", 6, 3, [A, B, C, D, F, H]),
        ("by category", "install", 1, 0, [C]),
        ("by category", "add", 1, 0, [D]),
        ("by category", "change", 5, 3, [A, B, E, F, H]),
        ("by risk", "low", 4, 1, [A, C, D, H]),
        ("by risk", "medium", 1, 1, [F]),
        ("by risk", "high", 2, 1, [B, E]),
    ],
)
def test_counts_with_previous_quarter_delta_and_records(q4, name, dimension, now, before, ids):
    f = figure(q4, name, dimension)
    assert (f["value"], f["previous"], f["delta"]) == (now, before, now - before)
    assert f["records"] == sorted(ids)
    assert f["unit"] == "count"


def test_the_previous_quarter_names_its_records(q4):
    assert figure(q4, "by outcome", "rolled_back")["previous_records"] == [P2]
    assert figure(q4, "by outcome", "rejected")["previous_records"] == [P3]
    assert figure(q4, "changes ended", "all")["previous_records"] == [P1, P2, P3]


def test_success_rate_and_emergency_share(q4):
    rate = figure(q4, "success rate", "completed of finished")
    # 2026Q4: 4 completed of 5 that ran (A C D E; B failed); 2026Q3: 1 of 2 (P2 rolled back)
    assert (rate["value"], rate["previous"], rate["delta"]) == (80.0, 50.0, 30.0)
    share = figure(q4, "emergency share", "emergency of ended")
    assert (share["value"], share["previous"], share["delta"]) == (14.29, 0.0, 14.29)
    assert share["records"] == [E]


def test_lead_times_median_and_p90(q4):
    def lt(name, stat):
        f = figure(q4, name, stat)
        return f["value"], f["previous"], f["delta"]

    # filed to approved, 2026Q4: E 2h (approved after its emergency start), C 9h, B 12h,
    # A D I 24h; 2026Q3: P2 6h, P1 25h
    assert lt("filed to approved", "median") == (18 * HOUR, 15.5 * HOUR, 2.5 * HOUR)
    assert lt("filed to approved", "p90") == (DAY, 25 * HOUR, -HOUR)
    assert figure(q4, "filed to approved", "median")["records"] == sorted([A, B, C, D, E, I])
    # approved to start: A 12d17h, D 13d1h, C 13d16h, B 14d5h (E started before approval);
    # 2026Q3: P1 7d16h, P2 8d11h
    q4_median = (13 * DAY + HOUR + 13 * DAY + 16 * HOUR) / 2
    q3_median = (7 * DAY + 16 * HOUR + 8 * DAY + 11 * HOUR) / 2
    assert lt("approved to start", "median") == (q4_median, q3_median, q4_median - q3_median)
    assert lt("approved to start", "p90") == (
        14 * DAY + 5 * HOUR,
        8 * DAY + 11 * HOUR,
        5 * DAY + 18 * HOUR,
    )
    # announced to start: D 2d1h, A 11d14h, C 13d1h; nothing announced in 2026Q3
    assert lt("announced to start", "median") == (11 * DAY + 14 * HOUR, None, None)
    assert lt("announced to start", "p90") == (13 * DAY + HOUR, None, None)
    assert figure(q4, "approved to start", "median")["records"] == sorted([A, B, C, D])


def test_forced_start_with_its_reason_and_the_emergency_in_the_freeze(q4):
    forced = figure(q4, "started outside their window", "forced")
    assert (forced["value"], forced["previous"], forced["records"]) == (1, 0, [D])
    assert q4["forced_starts"] == [
        {
            "record": D,
            "started": "2026-10-22T10:00:00+00:00",
            "window_start": "2026-10-21T10:00:00+00:00",
            "window_end": "2026-10-21T11:00:00+00:00",
            "reason": "started while its window is over, forced: vendor delivered late",
        }
    ]
    frozen = figure(q4, "freeze exceptions", "ran during a freeze")
    assert (frozen["value"], frozen["records"]) == (1, [E])
    assert q4["freeze_exceptions"][0]["record"] == E
    assert "year-end" in q4["freeze_exceptions"][0]["freeze"]


def test_quota_use_per_month_per_customer_and_service_days(q4):
    oct_acme = figure(q4, "quota use IMAC", "2026-10 acme")
    assert (oct_acme["value"], oct_acme["previous"], oct_acme["limit"]) == (2, 0, 2)
    assert oct_acme["records"] == [C, D]
    assert figure(q4, "quota use IMAC", "2026-11 globex")["records"] == [I]
    assert figure(q4, "quota use IMAC", "2026-12 acme")["value"] == 0
    days = figure(q4, "service-day adherence", "IMAC")
    # C started on a Tuesday at 10:00 (inside 09:00-13:00), D on a Thursday
    assert (days["value"], days["previous"], days["records"]) == (50.0, None, [C])
    outside = figure(q4, "started outside service days", "IMAC")
    assert (outside["value"], outside["records"]) == (1, [D])


def test_notices_on_time_late_and_not_sent(q4):
    # A (an outage: 2 days' notice) told 11d14h ahead, C (IMAC: 3 days) 13d1h ahead: on
    # time; D told 2d1h ahead of its start: late. B, E need no notice.
    assert figure(q4, "notices", "on time")["records"] == [A, C]
    assert figure(q4, "notices", "late")["records"] == [D]
    assert figure(q4, "notices", "not sent")["value"] == 0
    assert figure(q4, "notices on time", "share")["value"] == 66.67


def test_waivers_opened_expired_and_expiring_from_git_dates(q4):
    assert figure(q4, "waivers", "opened")["records"] == ["w-kernel"]
    assert figure(q4, "waivers", "opened")["previous_records"] == ["w-tls"]
    assert figure(q4, "waivers", "expired")["records"] == ["w-kernel"]
    assert figure(q4, "waivers", "expiring within 30 days after")["records"] == ["w-tls"]


def test_a_hand_edited_status_counts_for_nothing_and_is_listed(q4):
    assert G not in figure(q4, "by outcome", "completed")["records"]
    assert G not in figure(q4, "changes ended", "all")["records"]
    assert G in figure(q4, "changes filed", "all")["records"]
    assert q4["records"][G]["status"] == "submitted"
    assert q4["records"][G]["claimed_status"] == "completed"
    (listed,) = [u for u in q4["unproven"] if u["record"] == G]
    assert "mallory@example.org" in listed["problems"][0]


def test_every_id_behind_a_figure_is_described(q4):
    for section in q4["sections"]:
        for f in section["figures"]:
            if f["section"] != "waivers":
                assert set(f["records"] + f["previous_records"]) <= set(q4["records"])


def test_per_customer(workspace):
    data = json.loads(
        review(workspace, "--quarter", "2026Q4", "--customer", "globex", "--format", "json").stdout
    )
    assert data["scope"] == {"customer": "globex"}
    assert figure(data, "changes ended", "all")["records"] == sorted([B, F])
    assert figure(data, "changes ended", "all")["previous_records"] == [P2]
    assert figure(data, "quota use IMAC", "2026-11 globex")["records"] == [I]
    # the waivers cover web* hosts only: none is globex's
    assert figure(data, "waivers", "opened")["value"] == 0


def test_a_month_against_the_month_before(workspace):
    data = json.loads(review(workspace, "--month", "2026-10", "--format", "json").stdout)
    assert (data["period"]["label"], data["previous"]["label"]) == ("2026-10", "2026-09")
    ended = figure(data, "changes ended", "all")
    assert (ended["records"], ended["previous_records"]) == (sorted([A, B, C, D]), [P3])


def test_the_observed_section_from_the_stored_scans(q4):
    def count(name):
        f = figure(q4, name, "all")
        return f["value"], f["previous"]

    # 2026Q4: scans of 10-10, 10-15, 11-05 (web2 failed), 12-01, 12-10; 2026Q3: 07-05, 08-20
    assert count("scans") == (5, 2)
    assert count("failed scans") == (1, 0)
    # web1's tzdata in A's window, web2's in D's (both approved before the scan that saw
    # it); db1's nmap with no record; 2026Q3: web2's nmap with no record
    assert count("changes observed") == (3, 1)
    assert count("explained by a record") == (2, 0)
    assert count("unrecorded") == (1, 1)
    assert [(i["host"], i["item"], i["status"]) for i in q4["observed"]["changes"]["items"]] == [
        ("db1", "dpkg:nmap", "unrecorded")
    ]
    assert q4["observed"]["scans"]["failures"][0]["host"] == "web2"
    end = figure(q4, "conformance at the period's end", "globex")
    assert (end["value"], end["unit"]) == (100.0, "percent")


def test_the_notable_events_of_the_timeline(q4):
    assert [(e["record"], e["why"], e["time"]) for e in q4["timeline"]] == [
        (B, "failed", "2026-10-20T02:40:00+00:00"),
        (D, "forced start", "2026-10-22T10:00:00+00:00"),
        (E, "emergency start", "2026-12-22T01:10:00+00:00"),
    ]
    assert q4["timeline"][0]["hosts"] == ["db1"]
    assert {e["record"] for e in q4["timeline"]} <= set(q4["records"])
