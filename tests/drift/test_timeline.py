"""Drift over time: what counts as a change, folding, since, and the history window (QA #5, #8, #14)."""

from __future__ import annotations

from datetime import UTC, datetime

from changekit.drift import remediation
from changekit.drift.engine import analyze, states_from_histories
from changekit.drift.timeline import changes_between
from tests.drift.fleetdata import inventory, snapshot

A = ("20261120T100000Z-aaaa", "2026-11-20T10:00:00+00:00")
B = ("20261121T100000Z-bbbb", "2026-11-21T10:00:00+00:00")
C = ("20261122T100000Z-cccc", "2026-11-22T10:00:00+00:00")
NOW = datetime(2026, 11, 25, tzinfo=UTC)
PERL = {
    "PDF::API2": {"version": "2.044"},
    "PDF::API2::Annotation": {"version": "2.044"},
    "PDF::API2::Basic::PDF::File": {"version": "2.044"},
    "JSON": {"version": "4.10"},
}


def test_one_removed_package_is_one_change_with_its_modules_folded_in():
    old = {"web02": snapshot("web02", *A, perl=dict(PERL))}
    new = {
        "web02": snapshot(
            "web02", *B, perl={"JSON": {"version": "4.10"}}, dpkg__libpdf_api2_perl=None
        )
    }
    found = changes_between(old, new, [], package_of=remediation.package_for)
    assert [f.item for f in found] == ["dpkg:libpdf-api2-perl"]
    (f,) = found
    assert set(f.evidence["folded"]) == {
        "perl:PDF::API2",
        "perl:PDF::API2::Annotation",
        "perl:PDF::API2::Basic::PDF::File",
    }
    assert f.since == B[1]  # the scan that first showed it, not the one before
    assert f.evidence["previous_scan_id"] == A[0]
    # without the package going too, submodules still fold into their parent module
    alone = {"web02": snapshot("web02", *B, perl={"JSON": {"version": "4.10"}})}
    (mod,) = changes_between(old, alone, [], package_of=remediation.package_for)
    assert mod.item == "perl:PDF::API2" and len(mod.evidence["folded"]) == 2


def test_a_file_hashed_for_the_first_time_is_not_a_change():
    old = {"web01": snapshot("web01", *A, files={})}
    new = {"web01": snapshot("web01", *B)}  # now hashes /etc/apache2/apache2.conf
    assert changes_between(old, new, []) == []
    # a file that really appears was collected before as missing: that is a change
    gone = {"web01": snapshot("web01", *A, files={"/etc/apache2/apache2.conf": {"missing": True}})}
    assert [f.item for f in changes_between(gone, new, [])] == ["files:/etc/apache2/apache2.conf"]


def test_every_interval_of_the_history_window_is_reported():
    hist = {
        "web01": [
            snapshot("web01", *A),
            snapshot("web01", *B, dpkg__tzdata={"version": "2024a-1"}),
            snapshot("web01", *C, dpkg__tzdata={"version": "2024a-1"}),
        ]
    }
    states = states_from_histories(hist)
    kw = dict(kinds=("time",), now=NOW, package_of=remediation.package_for)
    result = analyze(inventory({"web": ["web01"]}), states, **kw)
    assert [(f.item, f.rule, f.since) for f in result.findings] == [
        ("dpkg:tzdata", "unrecorded-change", B[1])
    ]
    assert analyze(inventory({"web": ["web01"]}), states, history=2, **kw).findings == []


def test_a_change_finished_as_a_scan_ran_explains_nothing_after_that_scan():
    """QA #8 edge: completed 22:44:42, scanned 22:44:42: the next interval is not its work."""
    from changekit.drift.timeline import RecordSpan

    t = datetime(2026, 11, 25, 22, 44, 42, tzinfo=UTC)
    later = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    rec = RecordSpan("CHG-1", "completed", frozenset({"web07"}), t.replace(minute=40), t)
    assert rec.covers("web07", t.replace(minute=30), t)  # the interval it ran in
    assert not rec.covers("web07", t, later)  # the next one
