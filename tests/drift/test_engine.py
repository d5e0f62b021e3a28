"""The whole analysis over a scan history: since-when, waivers, time drift, resolution."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from changekit.drift.engine import analyze, states_from_histories
from changekit.drift.timeline import RecordSpan
from changekit.drift.waivers import Waiver
from tests.drift.fleetdata import inventory, snapshot

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SCANS = [
    ("20261120T100000Z-aaaa", "2026-11-20T10:00:00+00:00"),
    ("20261121T100000Z-bbbb", "2026-11-21T10:00:00+00:00"),
    ("20261122T100000Z-cccc", "2026-11-22T10:00:00+00:00"),
]
HOSTS = [f"web{i:02d}" for i in range(1, 6)]
INV = inventory({"web": HOSTS})
NO_PDF = {"perl__PDF_COLON_API2": None}


def histories(planted: dict[int, dict[str, dict]]) -> dict[str, list[dict]]:
    """planted: scan index -> host -> changes."""
    out = {h: [] for h in HOSTS}
    for i, (sid, at) in enumerate(SCANS):
        for h in HOSTS:
            out[h].append(snapshot(h, sid, at, **planted.get(i, {}).get(h, {})))
    return out


def run(hist, **kw):
    return analyze(INV, states_from_histories(hist), now=NOW, **kw)


def test_since_is_the_first_scan_of_the_unbroken_run():
    result = run(histories({1: {"web04": NO_PDF}, 2: {"web04": NO_PDF}}), kinds=["peers"])
    [f] = result.findings
    assert (f.host, f.item, f.since) == ("web04", "perl:PDF::API2", SCANS[1][1])
    assert [t["overall"] for t in result.trend] == [100.0, 80.0, 80.0]
    assert result.trend[-1]["groups"] == {"web": 80.0}


def test_unrecorded_and_recorded_changes():
    hist = histories(
        {
            2: {
                "web02": {"dpkg__tzdata": {"version": "2024a-0+deb12u1"}},
                "web03": {"dpkg__gcc": {"version": "4:12.2.0-3"}},
            }
        }
    )
    rec = RecordSpan(
        "CHG-20261121-abc123",
        "completed",
        frozenset({"web03"}),
        datetime(2026, 11, 21, 20, tzinfo=UTC),
        datetime(2026, 11, 21, 22, tzinfo=UTC),
        approved=datetime(2026, 11, 21, 9, tzinfo=UTC),
    )
    result = run(hist, kinds=["time"], records=[rec])
    by_host = {f.host: f for f in result.findings}
    assert by_host["web02"].rule == "unrecorded-change" and by_host["web02"].is_open
    assert (
        by_host["web02"].expected == "2025b-0+deb12u1"
        and by_host["web02"].actual == "2024a-0+deb12u1"
    )
    assert by_host["web03"].status == "explained" and by_host["web03"].change == rec.id


def test_record_outside_its_window_or_hosts_explains_nothing():
    hist = histories({2: {"web02": {"dpkg__gcc": {"version": "1"}}}})
    late = RecordSpan(
        "CHG-20261123-aaaaaa",
        "completed",
        frozenset({"web02"}),
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 11, 23, 1, tzinfo=UTC),
    )
    other = RecordSpan(
        "CHG-20261121-bbbbbb",
        "completed",
        frozenset({"web01"}),
        datetime(2026, 11, 21, 20, tzinfo=UTC),
        datetime(2026, 11, 21, 22, tzinfo=UTC),
    )
    draft = RecordSpan(
        "CHG-20261121-cccccc",
        "draft",
        frozenset({"web02"}),
        datetime(2026, 11, 21, 20, tzinfo=UTC),
        datetime(2026, 11, 21, 22, tzinfo=UTC),
    )
    [f] = run(hist, kinds=["time"], records=[late, other, draft]).findings
    assert f.rule == "unrecorded-change" and f.is_open


def test_waiver_hides_until_it_expires():
    hist = histories({2: {"web04": NO_PDF}})
    good = Waiver(
        "W-1", ("web04",), "no PDFs there", "A <a@x.org>", date(2026, 12, 31), item="perl:*"
    )
    result = run(hist, kinds=["peers"], waivers=[good])
    assert [(f.status, f.waiver) for f in result.findings] == [("waived", "W-1")]
    old = Waiver(
        "W-2", ("web04",), "no PDFs there", "A <a@x.org>", date(2026, 11, 24), item="perl:*"
    )
    result = run(hist, kinds=["peers"], waivers=[old])
    assert [f.status for f in result.findings] == ["open"]
    assert result.expired_waivers == {"W-2"}


def test_completed_change_resolves_its_findings():
    hist = histories({0: {"web04": NO_PDF}, 1: {"web04": NO_PDF}})
    first = run({h: s[:2] for h, s in hist.items()}, kinds=["peers"])
    [f] = first.findings
    rec = RecordSpan(
        "CHG-20261121-fix000",
        "completed",
        frozenset({"web04"}),
        datetime(2026, 11, 21, 20, tzinfo=UTC),
        datetime(2026, 11, 21, 22, tzinfo=UTC),
        findings=(f.id,),
        approved=datetime(2026, 11, 21, 12, tzinfo=UTC),
    )
    after = run(hist, kinds=["peers", "time"], records=[rec])
    assert [x.id for x in after.findings if x.kind == "peers"] == []
    [res] = after.resolved
    assert (res.id, res.status, res.change) == (f.id, "resolved", rec.id)
    # the re-install itself is a change the same record explains
    assert [(x.item, x.status) for x in after.findings] == [("perl:PDF::API2", "explained")]
    # QA #21: selecting the host alone still judges it against its group, so the finding
    # the record linked is found in the older scan and listed as resolved
    alone = run(hist, kinds=["peers", "time"], records=[rec], selectors=["web04"])
    assert [(x.id, x.status) for x in alone.resolved] == [(f.id, "resolved")]
    assert alone.hosts == ["web04"]


def test_partial_scan_keeps_other_hosts_latest_state():
    hist = histories({})
    extra = snapshot("web01", "20261123T100000Z-dddd", "2026-11-23T10:00:00+00:00")
    hist["web01"].append(extra)
    states = states_from_histories(hist)
    assert [s.scan_id for s in states][-1] == "20261123T100000Z-dddd"
    assert len(states[-1].snapshots) == 5
    assert states[-1].snapshots["web02"]["scan_id"] == SCANS[2][0]


def test_a_standard_for_all_hosts(tmp_path):
    from changekit.drift.standards import FALLBACK_COLLECTORS, parse_standard

    path = tmp_path / "all.yaml"
    path.write_text("name: all\napplies_to: [all]\nrequirements:\n  - present: perl:PDF::API2\n")
    std = parse_standard(path, FALLBACK_COLLECTORS)
    result = run(histories({2: {"web04": NO_PDF}}), kinds=["standard"], standards=[std])
    assert [(f.host, f.rule) for f in result.findings] == [("web04", "present perl:PDF::API2")]
    assert len(result.checks) == len(HOSTS)


def test_a_change_within_the_same_second_as_the_scan_is_covered():
    hist = histories({2: {"web03": {"dpkg__gcc": {"version": "1"}}}})
    at = datetime(2026, 11, 22, 10, tzinfo=UTC)  # the second scan's own second
    rec = RecordSpan("CHG-20261122-quick0", "completed", frozenset({"web03"}), at, at, approved=at)
    [f] = run(hist, kinds=["time"], records=[rec]).findings
    assert (f.status, f.change) == ("explained", rec.id)


def test_a_record_approved_after_the_scan_that_saw_its_change_is_late():
    """Issue 8 item 6: explained means approved before it happened (before the scan saw it)."""
    hist = histories({2: {"web03": {"dpkg__gcc": {"version": "1"}}}})
    window = (datetime(2026, 11, 21, 20, tzinfo=UTC), datetime(2026, 11, 21, 22, tzinfo=UTC))
    scan = datetime(2026, 11, 22, 10, tzinfo=UTC)  # the scan that first saw the change
    after = RecordSpan("CHG-20261121-late00", "completed", frozenset({"web03"}), *window,
                       approved=scan + timedelta(seconds=1))  # fmt: skip
    [f] = run(hist, kinds=["time"], records=[after]).findings
    assert (f.status, f.change, f.rule) == ("recorded_late", after.id, "late-recorded-change")
    assert f.flagged and not f.is_open
    assert "recorded late by CHG-20261121-late00, approved only at 2026-11-22T10:00:01" in f.message
    never = replace(after, approved=None)
    [f] = run(hist, kinds=["time"], records=[never]).findings
    assert f.status == "recorded_late" and "never proves approved" in f.message
    # a record approved in time wins over a late one covering the same change
    good = replace(after, id="CHG-20261121-good00", approved=scan)
    [f] = run(hist, kinds=["time"], records=[after, good]).findings
    assert (f.status, f.change) == ("explained", good.id)
    # the finding keeps its id whatever explains it
    assert f.id == run(hist, kinds=["time"]).findings[0].id
