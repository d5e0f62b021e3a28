"""Incremental package verify: the plan (pure), and the collector's parser and run notes from
output recorded on the test fleet's web05 (a full run, an incremental one after /usr/bin/yes
was rewritten with its mtime put back and /usr/bin/tac removed, and a full one the host fell
back to because its baseline was not the recorded one)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from changekit_plugins.collectors.integrity import IntegrityCollector
from changekit_plugins.collectors.integrity_plan import plan

from tests.plugins.collectors.test_linux_parsers import fixture

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DIGEST = "59f857c068464055fd303aa30c36260e108d55d272236d4d084fc89f02cb8da8"


def previous(days_ago: float = 1, digest: str = DIGEST) -> dict:
    return {"baseline": digest, "full_at": (NOW - timedelta(days=days_ago)).isoformat()}


def test_plan_is_incremental_with_a_recent_full_verify_and_a_recorded_baseline():
    p = plan(previous(), NOW, 7, False)
    assert (p.mode, p.digest, p.why) == ("incremental", DIGEST, "")
    assert p.full_at == (NOW - timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("prev", "days", "forced", "why"),
    [
        (None, 7, False, "no previous verified scan"),
        (previous(), 7, True, "requested (--full-verify)"),
        (previous(days_ago=7), 7, False, "scheduled: the last full verify was 2026-11-29"),
        (previous(days_ago=2), 2, False, "scheduled"),
        ("garbage", 7, False, "the previous result is unreadable"),
        ({"baseline": DIGEST, "full_at": "yesterday"}, 7, False, "unreadable"),
        ({"baseline": DIGEST, "full_at": "2026-12-05T00:00:00"}, 7, False, "unreadable"),
        (previous(digest=None), 7, False, "left no baseline on the host"),
        (previous(digest="$(touch /tmp/x)"), 7, False, "left no baseline on the host"),
    ],
    ids=["none", "forced", "weekly", "every-2", "not-a-dict", "bad-time", "naive-time",
         "no-digest", "hostile-digest"],
)  # fmt: skip
def test_plan_falls_back_to_a_full_verify(prev, days, forced, why):
    p = plan(prev, NOW, days, forced)
    assert p.mode == "full" and why in p.why and p.digest == ""


def test_a_full_run_parses_like_dpkg_verify_and_notes_its_baseline():
    out = fixture("integrity", "fleet-web05-full.txt")
    ctx = {"now": NOW}
    facts = IntegrityCollector().parse(out, ctx)
    assert facts == {
        "/usr/share/perl5/PDF/API2.pm": {
            "manager": "dpkg",
            "flags": "??5??????",
            "config": False,
            "missing": False,
            "package": "libpdf-api2-perl",
        }
    }
    assert IntegrityCollector().run_info(out, ctx) == {
        "mode": "full",
        "why": "no previous verified scan",
        "files": 8940,
        "hashed": 8940,
        "carried": 0,
        "baseline": DIGEST,
        "full_at": NOW.isoformat(),
    }


def test_an_incremental_run_merges_carried_and_fresh_verdicts():
    out = fixture("integrity", "fleet-web05-incremental.txt")
    ctx = {"now": NOW, "previous_runs": {"integrity": previous(days_ago=3)}}
    facts = IntegrityCollector().parse(out, ctx)
    assert sorted(facts) == ["/usr/bin/tac", "/usr/bin/yes", "/usr/share/perl5/PDF/API2.pm"]
    assert facts["/usr/bin/tac"]["missing"] and facts["/usr/bin/tac"]["package"] == "coreutils"
    assert facts["/usr/bin/yes"]["flags"] == "??5??????"
    info = IntegrityCollector().run_info(out, ctx)
    assert info["mode"] == "incremental" and "why" not in info
    assert (info["files"], info["hashed"], info["carried"]) == (8940, 1, 8938)
    assert info["hashed_paths"] == ["/usr/bin/yes"]
    assert info["full_at"] == (NOW - timedelta(days=3)).isoformat(timespec="seconds")
    assert info["baseline"] != DIGEST and len(info["baseline"]) == 64


def test_a_host_that_fell_back_to_a_full_run_says_why():
    out = fixture("integrity", "fleet-web05-fallback.txt")
    ctx = {"now": NOW, "previous_runs": {"integrity": previous()}}
    info = IntegrityCollector().run_info(out, ctx)
    assert info["mode"] == "full" and info["full_at"] == NOW.isoformat()
    assert info["why"] == "the baseline on the host is not the one the last scan recorded"


def test_run_notes_without_dpkg_and_from_garbage():
    rpm_only = "T rpm\nS.5....T.  c /etc/ssh/sshd_config\n"
    assert IntegrityCollector().run_info(rpm_only, {}) is None
    with pytest.raises(ValueError, match="count of hashed"):
        IntegrityCollector().run_info("T meta mode full\nT meta files 3\nT meta carried 0\n", {})
    none_kept = "T meta mode full\nT meta files 3\nT meta hashed 3\nT meta carried 0\n"
    assert (
        IntegrityCollector().run_info(none_kept + "T meta baseline none\n", {})["baseline"] is None
    )


def test_the_script_quotes_the_plan_and_is_valid_sh():
    ctx = {"now": NOW, "previous_runs": {"integrity": previous()}}
    text = IntegrityCollector().script(ctx)
    assert text.startswith(f"ck_mode=incremental; ck_want={DIGEST}; ck_why=''\n")
    hostile = {"now": NOW, "previous_runs": {"integrity": previous(digest="x'; touch /tmp/p; '")}}
    full = IntegrityCollector().script(hostile)
    assert full.startswith("ck_mode=full; ck_want=''; ck_why='the previous scan left no baseline")
    assert "touch /tmp/p" not in full
    for script in (text, full):
        assert subprocess.run(["sh", "-n"], input=script, text=True).returncode == 0
