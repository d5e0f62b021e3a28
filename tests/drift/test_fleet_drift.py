"""Drift on the real sshd test fleet, scanned with `changekit scan`: the planted differences
are found, hosts that match their peers have no findings, a proposed change that completes
resolves its findings, and the report accounts for all of it."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from changekit.facts.backend import open_store
from changekit.workspace import Workspace
from tests.conftest import runner_home
from tests.records.gitrepos import ck, git, ok, policy_with, set_identity
from tests.testfleet.layout import EXPECTED

pytestmark = pytest.mark.fleet

# web05's modified /usr/share/perl5/PDF/API2.pm is no conffile: the built-in baseline flags it
# (a standard finding), peers compare only conffiles (web03's apache2.conf)
# one root cause, one finding: web07's missing Perl module is part of its missing package's
# finding, web03's failing conffile row part of its edited file's
PLANTED = {
    ("web07", "dpkg:libpdf-api2-perl", "missing-vs-peers"),
    ("web03", "files:/etc/apache2/apache2.conf", "version-outlier"),
    ("db02", "dpkg:tzdata", "version-outlier"),
}
PARTS = {
    "dpkg:libpdf-api2-perl": ["perl:PDF::API2"],
    "files:/etc/apache2/apache2.conf": ["integrity:/etc/apache2/apache2.conf"],
}
STANDARD = """\
name: prod-baseline
applies_to: [group:prod]
requirements:
  - absent: preload:*
    severity: critical
  - integrity: dpkg
  - absent: dpkg:gcc
  - absent: dpkg:g++*
  - enabled: ssh
"""
WEB_STANDARD = """\
name: web-baseline
applies_to: [group:web]
requirements:
  - present: perl:PDF::API2
    version: ">= 2.040"
  - present: dpkg:apache2
    version: same
"""


def scan(ws: Path, fleet, *selectors: str):
    return ck(
        ws,
        "scan",
        "--known-hosts",
        str(fleet.known_hosts),
        "--ssh-config",
        "none",
        "--file",
        "/etc/apache2/apache2.conf",
        *selectors,
    )


def drift_json(ws: Path, *args: str) -> dict:
    result = ck(ws, "drift", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def scanned(fleet, tmp_path_factory):
    """A workspace with the fleet inventory and one scan of group prod."""
    root = tmp_path_factory.mktemp("fleetdrift") / "ws"
    with runner_home(tmp_path_factory):
        ok(root.parent, "init", str(root))
        (root / "changekit.yaml").write_text(policy_with(["bob@example.org"]))
        shutil.copy(fleet.inventory, root / "inventories" / "fleet.yaml")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "policy and inventory")
        first = scan(root, fleet, "group:prod")
    assert first.exit_code == 0, first.output
    return root


def test_peers_find_exactly_the_planted_drift(scanned, fleet):
    data = drift_json(scanned, "--kind", "peers", "group:prod")
    found = {(f["host"], f["item"], f["rule"]) for f in data["findings"]}
    preload = ("app02", f"preload:{_preload_entry(fleet)}", "only-on-few-hosts")
    assert found == PLANTED | {preload}
    flagged = {f["host"] for f in data["findings"]}
    clean = (
        set(fleet.names(group="web") + fleet.names(group="db") + fleet.names(group="app")) - flagged
    )
    # (web05's modified package file is no peer finding: the built-in baseline reports it,
    # see test_standards_on_the_fleet_and_fail_on)
    assert clean and not clean & {"web03", "web07", "db02", "app02"}
    for f in data["findings"]:
        assert [p["item"] for p in f["evidence"].get("parts", [])] == PARTS.get(f["item"], [])
    pdf = next(f for f in data["findings"] if f["item"] == "dpkg:libpdf-api2-perl")
    assert pdf["message"] == (
        "libpdf-api2-perl 2.044-1 is on 11 of 12 hosts of group web; missing on web07"
        " (the same cause: the Perl module PDF::API2)"
    )
    assert pdf["evidence"]["scan_id"] == data["scan_id"]
    tz = next(f for f in data["findings"] if f["host"] == "db02")
    assert tz["actual"] != tz["expected"].split(" ")[0]


def test_an_edited_conffile_is_hashed_by_the_integrity_collector(scanned):
    from changekit.facts.backend import open_store
    from changekit.workspace import Workspace

    store = open_store(Workspace(scanned))
    facts = store.latest("web03")["facts"]
    row = facts["integrity"]["/etc/apache2/apache2.conf"]
    assert row["config"] and row["package"] == "apache2"
    assert row["sha256"] == facts["files"]["/etc/apache2/apache2.conf"]["sha256"]
    web05 = store.latest("web05")["facts"]["integrity"]
    assert "sha256" not in web05["/usr/share/perl5/PDF/API2.pm"]  # no conffile: not hashed


def _preload_entry(fleet) -> str:
    return (fleet.root("app02") / "etc/ld.so.preload").read_text().split()[0]


def test_standards_on_the_fleet_and_fail_on(scanned, fleet):
    (scanned / "standards" / "prod.yaml").write_text(STANDARD)
    (scanned / "standards" / "web.yaml").write_text(WEB_STANDARD)
    try:
        data = drift_json(scanned, "--kind", "standard", "group:prod")
        found = {(f["host"], f["rule"]) for f in data["findings"]}
        assert found == {
            ("app02", "absent preload:*"),
            ("web03", "integrity dpkg"),
            ("web05", "integrity dpkg"),
            ("web05", "integrity any (not config)"),  # the built-in baseline
            ("web07", "present perl:PDF::API2"),
        }
        baseline = next(f for f in data["findings"] if f["rule"] == "integrity any (not config)")
        assert "the libpdf-api2-perl package" in baseline["message"], baseline["message"]
        assert ck(scanned, "drift", "--kind", "standard", "--fail-on", "critical").exit_code == 1
        assert (
            ck(scanned, "drift", "--kind", "standard", "--fail-on", "critical", "web*").exit_code
            == 0
        )
        junit = ck(scanned, "report", "--format", "junit", "--kind", "standard", "group:prod")
        root = ET.fromstring(junit.stdout)
        std = next(
            s for s in root.findall("testsuite") if s.get("name") == "standard prod-baseline"
        )
        assert int(std.get("tests")) == 18 * 5 and int(std.get("failures")) == 3
        # QA #7: --propose with no id on an integrity finding gives a command, not a crash
        set_identity(scanned, "Alice", "alice@example.org")
        proposed = ck(scanned, "drift", "--propose", "--kind", "standard", "web03")
        assert proposed.exit_code == 0, proposed.output
        [step] = [ln for ln in proposed.stdout.splitlines() if "--reinstall" in ln]
        assert "/etc/apache2/apache2.conf" in step
        # the package lookup the command runs works on the real host
        lookup = step.split("$(", 1)[1].rsplit(")", 1)[0]
        assert fleet.ssh("web03", lookup).stdout.split() == ["apache2"]
    finally:
        for name in ("prod.yaml", "web.yaml"):
            (scanned / "standards" / name).unlink()


def test_a_broken_standard_is_refused_with_file_and_line(scanned):
    bad = scanned / "standards" / "bad.yaml"
    bad.write_text(
        "name: bad\napplies_to: [group:web]\nrequirements:\n  - present: pelr:PDF::API2\n"
    )
    try:
        result = ck(scanned, "drift")
        assert result.exit_code == 3
        assert "standards/bad.yaml:4:14: unknown collector 'pelr'" in result.stderr
        assert "did you mean 'perl'?" in result.stderr
    finally:
        bad.unlink()


def test_proposed_change_resolves_its_findings_after_completion(scanned, fleet):
    entry = _preload_entry(fleet)
    data = drift_json(scanned, "--kind", "peers", "app*")
    [target] = [f for f in data["findings"] if f["host"] == "app02"]
    set_identity(scanned, "Alice", "alice@example.org")
    proposed = ck(scanned, "drift", "--propose", target["id"], "--kind", "peers", "app*")
    assert proposed.exit_code == 0, proposed.output
    rid = proposed.stdout.split()[2].rstrip(":")
    record = yaml.safe_load((scanned / "change_records" / f"{rid}.yaml").read_text())
    assert record["status"] == "draft" and record["hosts"] == ["app02"]
    assert record["links"] == {"findings": [target["id"]]}
    assert any("ld.so.preload" in step for step in record["implementation"])
    assert record["verification"][0] == "changekit scan app02"
    assert record["rollback"]
    # review and run it for real on app02, then re-scan
    ok(scanned, "change", "submit", rid)
    set_identity(scanned, "Bob", "bob@example.org")
    ok(scanned, "change", "approve", rid)
    set_identity(scanned, "Alice", "alice@example.org")
    ok(scanned, "change", "start", rid)
    fleet.ssh("app02", "cp -a /etc/ld.so.preload /root/ld.so.preload.bak && rm /etc/ld.so.preload")
    try:
        ok(scanned, "change", "complete", rid)
        assert scan(scanned, fleet, "app02").exit_code == 0
        after = drift_json(scanned, "--all", "app*")
        assert target["id"] not in {f["id"] for f in after["findings"] if f["status"] == "open"}
        assert [(r["id"], r["change"]) for r in after["resolved"]] == [(target["id"], rid)]
        [change] = [f for f in after["findings"] if f["kind"] == "time"]
        assert (change["item"], change["status"], change["change"]) == (
            f"preload:{entry}",
            "explained",
            rid,
        )
        report = json.loads(ck(scanned, "report", "--format", "json", "app*").stdout)
        assert report["summary"]["resolved"] == 1 and report["summary"]["open"] == 0
        assert report["summary"]["accounted_for"] is True
        assert [t["conformance"] for t in report["summary"]["trend"]] == [
            pytest.approx(66.7),
            100.0,
        ]
        html = ck(scanned, "report", "--format", "html", "-o", str(scanned / "r.html"), "app*")
        assert html.exit_code == 0 and f"resolved ({rid})" in (scanned / "r.html").read_text()
    finally:
        fleet.ssh("app02", "mv /root/ld.so.preload.bak /etc/ld.so.preload")
    assert _preload_entry(fleet) == entry
    assert EXPECTED["ld_so_preload"] == ["app02"]


def test_unrecorded_change_is_flagged(scanned, fleet):
    fleet.ssh(
        "db03", "touch /etc/ld.so.preload.tmp && printf '%s\\n' /lib/none.so > /etc/ld.so.preload"
    )
    try:
        assert scan(scanned, fleet, "db03").exit_code == 0
        data = drift_json(scanned, "--kind", "time", "db*")
        [f] = data["findings"]
        assert (f["host"], f["item"], f["rule"], f["status"]) == (
            "db03",
            "preload:/lib/none.so",
            "unrecorded-change",
            "open",
        )
        assert f["evidence"]["previous_scan_id"] != f["evidence"]["scan_id"]
        assert ck(scanned, "drift", "--kind", "time", "--fail-on", "high", "db*").exit_code == 1
    finally:
        fleet.ssh("db03", "rm -f /etc/ld.so.preload /etc/ld.so.preload.tmp")


def test_module_to_package_mapping_matches_real_hosts(scanned):
    """The packages the hook names for modules really ship them on the fleet's hosts."""
    from changekit.plugins import hook

    for host, ecosystem, module in (
        ("web01", "perl", "PDF::API2"),
        ("app01", "perl", "JSON"),
        ("app01", "python", "PyYAML"),
    ):
        snap = open_store(Workspace(scanned)).latest(host)
        name = module if ecosystem == "perl" else module.lower()
        assert name in snap["facts"][ecosystem], (host, module)
        package = hook().package_for_module(ecosystem=ecosystem, module=module, os_family="debian")
        assert package in snap["facts"]["dpkg"], (host, module, package)


def test_propose_for_the_missing_module_installs_its_package(scanned):
    data = drift_json(scanned, "--kind", "peers", "web*")
    pdf = next(f for f in data["findings"] if f["item"] == "dpkg:libpdf-api2-perl")
    assert pdf["evidence"]["parts"][0]["item"] == "perl:PDF::API2"  # one cause, one fix
    result = ck(scanned, "drift", "--propose", pdf["id"], "--kind", "peers", "web*")
    assert result.exit_code == 0, result.output
    assert "on web07: apt-get install -y --no-install-recommends libpdf-api2-perl" in result.stdout


def test_a_removed_package_is_one_time_finding_on_real_facts(scanned):
    """QA #14: web02's real facts minus libpdf-api2-perl and every PDF::API2 module it
    ships (what `dpkg -r libpdf-api2-perl` leaves) are one change, not one per module."""
    from changekit.drift import remediation
    from changekit.drift.timeline import changes_between

    old = open_store(Workspace(scanned)).latest("web02")
    new = json.loads(json.dumps(old))
    new["scan_id"], new["collected_at"] = "20991231T000000Z-zzzz", "2099-12-31T00:00:00+00:00"
    del new["facts"]["dpkg"]["libpdf-api2-perl"]
    gone = [m for m in new["facts"]["perl"] if m == "PDF::API2" or m.startswith("PDF::API2::")]
    assert len(gone) > 50  # the real distribution ships many modules
    for m in gone:
        del new["facts"]["perl"][m]
    found = changes_between({"web02": old}, {"web02": new}, [], package_of=remediation.package_for)
    assert [(f.item, f.actual) for f in found] == [("dpkg:libpdf-api2-perl", "absent")]
    assert len(found[0].evidence["folded"]) == len(gone)
    assert found[0].since == "2099-12-31T00:00:00+00:00"
