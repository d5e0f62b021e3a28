"""A small drift result with every kind of finding and status, for the renderer tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from changekit.drift.engine import analyze, states_from_histories
from changekit.drift.standards import FALLBACK_COLLECTORS, parse_standard
from changekit.drift.timeline import RecordSpan
from changekit.drift.waivers import Waiver
from changekit.reports.model import build_report
from tests.drift.fleetdata import inventory, snapshot

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HOSTS = [f"web{i:02d}" for i in range(1, 7)]
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
SCANS = [
    ("20261120T100000Z-aaaa", "2026-11-20T10:00:00+00:00"),
    ("20261121T100000Z-bbbb", "2026-11-21T10:00:00+00:00"),
    ("20261122T100000Z-cccc", "2026-11-22T10:00:00+00:00"),
]
GOOD_CONF = "a" * 64


def sample_result():
    planted = {
        1: {"web04": {"perl__PDF_COLON_API2": None}},
        2: {
            "web04": {"perl__PDF_COLON_API2": None},
            "web02": {"dpkg__tzdata": {"version": "2024a-0+deb12u1"}},
            "web05": {"dpkg__gcc_12": {"version": "12.2.0-14"}},
            "web06": {"files": {"/etc/apache2/apache2.conf": {"sha256": "<b>&" + "c" * 60}}},
        },
    }
    hist = {
        h: [
            snapshot(h, sid, at, **planted.get(i, {}).get(h, {}))
            for i, (sid, at) in enumerate(SCANS)
        ]
        for h in HOSTS
    }
    std_path = EXAMPLES / "standards/good/web-baseline.yaml"
    std = parse_standard(std_path, FALLBACK_COLLECTORS)
    waivers = [
        Waiver(
            "W-tz",
            ("web02",),
            "billing needs the old zones",
            "Alice <alice@example.org>",
            date(2026, 12, 31),
            item="dpkg:tzdata",
        ),
        Waiver(
            "W-old",
            ("web06",),
            "was tuned by hand",
            "Bob <bob@example.org>",
            date(2026, 1, 1),
            item="files:*",
        ),
    ]
    record = RecordSpan(
        "CHG-20261121-gcc001",
        "completed",
        frozenset({"web05"}),
        datetime(2026, 11, 21, 20, tzinfo=UTC),
        datetime(2026, 11, 21, 22, tzinfo=UTC),
        approved=datetime(2026, 11, 21, 9, tzinfo=UTC),
    )
    return analyze(
        inventory({"web": HOSTS}),
        states_from_histories(hist),
        standards=[std],
        waivers=waivers,
        records=[record],
        now=NOW,
    )


def sample_report():
    return build_report(sample_result())


# Names a host may report (package names, versions, paths): each must reach every output
# harmless, and the letters of any script intact.
HOSTILE = {
    "ctl": "ctl\x00\x01\x08\x0b\x0c\x0e\x1f\x7fend",
    "esc": "esc\x1b[31mred\x1b[0m\x1b]0;title\x07",
    "cmd": "=cmd|' /C calc'!A0",
    "plus": "+1",
    "minus": "-2",
    "at": "@SUM(1)",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "script": "<script>alert(1)</script>",
    "pipe": "a|b",
    "tick": "back`tick`",
    "quote": 'it\'s "quoted"',
    "rlo": "evil\u202egnp.exe",
    "ja": "日本語",
    "ar": "العربية",
}


def hostile_report():
    """Like ``sample_report``, but web03's last scan has a new package per hostile text, named
    after it and with it as its version, and a file under a hostile path; the title, a
    waiver and its approver carry hostile text too."""
    planted = {f"dpkg__{key}-{value}": {"version": value} for key, value in HOSTILE.items()}
    hist = {
        h: [
            snapshot(h, sid, at, **(planted if (h, i) == ("web03", 2) else {}))
            for i, (sid, at) in enumerate(SCANS)
        ]
        for h in HOSTS
    }
    hist["web03"][2]["facts"]["files"]["/etc/" + HOSTILE["script"] + HOSTILE["esc"]] = {
        "sha256": HOSTILE["cmd"]
    }
    waivers = [
        Waiver(
            "W-" + HOSTILE["pipe"],
            ("web03",),
            "why: " + HOSTILE["script"] + HOSTILE["esc"] + HOSTILE["ja"],
            HOSTILE["cmd"] + " <" + HOSTILE["rlo"] + ">",
            date(2026, 12, 31),
            item="dpkg:ctl-*",
        ),
    ]
    result = analyze(
        inventory({"web": HOSTS}),
        states_from_histories(hist),
        waivers=waivers,
        now=NOW,
    )
    return build_report(result, title="Report " + HOSTILE["script"] + HOSTILE["esc"])
