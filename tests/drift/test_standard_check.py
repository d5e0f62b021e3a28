from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from changekit.drift.standard_check import check_standard
from changekit.drift.standards import FALLBACK_COLLECTORS, parse_standard
from changekit.drift.waivers import Waiver
from tests.drift.fleetdata import snapshot

T = "2026-11-20T10:00:00+00:00"
S = "20261120T100000Z-abcd"
KNOWN = FALLBACK_COLLECTORS


def standard(tmp_path: Path, body: str):
    path = tmp_path / "std.yaml"
    path.write_text("name: s\napplies_to: [group:web]\nrequirements:\n" + body)
    return parse_standard(path, KNOWN)


def test_conforming_hosts_have_no_findings(tmp_path):
    std = standard(
        tmp_path,
        (
            "  - present: perl:PDF::API2\n    version: '>= 2.040'\n"
            "  - present: dpkg:apache2\n    version: same\n"
            "  - absent: dpkg:gcc*\n  - absent: preload:*\n  - enabled: ssh\n"
            f"  - file: /etc/apache2/apache2.conf\n    sha256: '{'a' * 64}'\n"
            "  - integrity: dpkg\n"
        ),
    )
    snaps = {h: snapshot(h, S, T) for h in ("web01", "web02")}
    assert check_standard(std, snaps) == []


def test_each_requirement_kind_reports_its_deviation(tmp_path):
    std = standard(
        tmp_path,
        (
            "  - present: perl:PDF::API2\n    version: '>= 2.050'\n"
            "  - present: dpkg:apache2\n    version: same\n"
            "  - absent: dpkg:gcc*\n  - absent: preload:*\n    severity: critical\n"
            "  - enabled: ssh\n"
            f"  - file: /etc/apache2/apache2.conf\n    sha256: '{'a' * 64}'\n"
            "  - integrity: dpkg\n"
        ),
    )
    snaps = {
        "web01": snapshot("web01", S, T),
        "web02": snapshot("web02", S, T),
        "web03": snapshot(
            "web03",
            S,
            T,
            dpkg__apache2={"version": "2.4.57-2"},
            dpkg__gcc_12={"version": "12.2.0-14"},
            preload={"ld_so_preload": ["/usr/lib/x86_64-linux-gnu/libpthread.so.0"]},
            services={"manager": "systemd", "services": {"ssh.service": {"state": "disabled"}}},
            files={"/etc/apache2/apache2.conf": {"sha256": "b" * 64}},
            integrity={"/usr/share/perl5/PDF/API2.pm": {"manager": "dpkg", "flags": "??5??????"}},
        ),
    }
    found = check_standard(std, snaps)
    web03 = {f.rule: (f.expected, f.actual) for f in found if f.host == "web03"}
    assert web03 == {
        "present perl:PDF::API2": ("installed >= 2.050", "2.044"),
        "present dpkg:apache2": ("same as scope: 2.4.62-1~deb12u2", "2.4.57-2"),
        "absent dpkg:gcc*": ("absent", "present: gcc-12"),
        "absent preload:*": ("absent", "present: /usr/lib/x86_64-linux-gnu/libpthread.so.0"),
        "enabled services:ssh": ("enabled", "disabled"),
        "file files:/etc/apache2/apache2.conf": (f"sha256 {'a' * 64}", f"sha256 {'b' * 64}"),
        "integrity dpkg": (
            "no dpkg package file fails verification",
            "1 failed: /usr/share/perl5/PDF/API2.pm",
        ),
    }
    assert {f.rule for f in found if f.host == "web01"} == {"present perl:PDF::API2"}
    integrity = next(f for f in found if f.rule == "integrity dpkg")
    assert integrity.item == "integrity:dpkg"  # COLLECTOR:ITEM like every finding (QA #7)
    assert integrity.evidence["files"] == ["/usr/share/perl5/PDF/API2.pm"]
    waiver = Waiver("W-i", ("web03",), "tuned by hand", "A <a@example.org>", date(2099, 1, 1))
    assert replace(waiver, item="integrity:*").matches(integrity)
    preload = next(f for f in found if f.rule == "absent preload:*")
    assert preload.severity == "critical"
    assert preload.evidence["scan_id"] == S and preload.evidence["collected_at"] == T


def test_missing_item_and_missing_collector(tmp_path):
    std = standard(tmp_path, "  - present: perl:PDF::API2\n")
    snap = snapshot("web07", S, T, perl={})
    broken = snapshot("web08", S, T)
    del broken["facts"]["perl"]
    broken["errors"] = {"perl": "perl: not found"}
    found = check_standard(std, {"web07": snap, "web08": broken})
    assert [(f.host, f.actual) for f in found] == [
        ("web07", "missing"),
        ("web08", "not collected: perl: not found"),
    ]
