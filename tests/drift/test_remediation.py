"""Proposed fixes: commands per host, rollbacks, module -> package mapping through the hook."""

from __future__ import annotations

import pytest
from changekit_plugins.packagemap import debian_package, redhat_package

from changekit.api import hookimpl
from changekit.drift import remediation
from changekit.drift.findings import Finding
from changekit.plugins import get_manager, hook
from tests.drift.fleetdata import snapshot

T = "2026-11-20T10:00:00+00:00"
S = "20261120T100000Z-abcd"


def finding(host, item, rule, expected, actual, kind="peers"):
    return Finding(
        kind=kind,
        scope="group:web",
        rule=rule,
        host=host,
        item=item,
        expected=expected,
        actual=actual,
        severity="medium",
        message=f"{item} on {host}",
    )


@pytest.mark.parametrize(
    ("ecosystem", "module", "debian", "redhat"),
    [
        ("perl", "PDF::API2", "libpdf-api2-perl", "perl-PDF-API2"),
        ("perl", "JSON", "libjson-perl", "perl-JSON"),
        ("perl", "Net::SSLeay", "libnet-ssleay-perl", "perl-Net-SSLeay"),
        ("python", "requests", "python3-requests", "python3-requests"),
        ("python", "PyYAML", "python3-yaml", "python3-pyyaml"),
        ("python", "python_dateutil", "python3-dateutil", "python3-dateutil"),
    ],
)
def test_debian_and_redhat_naming(ecosystem, module, debian, redhat):
    assert debian_package(ecosystem, module) == debian
    assert redhat_package(ecosystem, module) == redhat
    assert (
        hook().package_for_module(ecosystem=ecosystem, module=module, os_family="debian") == debian
    )


def test_missing_module_becomes_an_apt_install_with_a_purge_rollback():
    f = finding("web07", "perl:PDF::API2", "missing-vs-peers", "2.044 (on 11 of 12)", "missing")
    plan = remediation.plan([f], {"web07": snapshot("web07", S, T)})
    [step] = plan.steps
    assert (step.host, step.command, step.rollback) == (
        "web07",
        "apt-get install -y --no-install-recommends libpdf-api2-perl",
        "apt-get purge -y libpdf-api2-perl",
    )
    fields = remediation.record_fields([f], plan)
    assert fields["hosts"] == ["web07"]
    assert fields["implementation"] == [
        "on web07: apt-get install -y --no-install-recommends libpdf-api2-perl"
    ]
    assert fields["links"] == {"findings": [f.id]}
    assert fields["category"] == "install"
    assert f.id in fields["verification"][1] and fields["verification"][0] == "changekit scan web07"


def test_version_outlier_pins_the_peers_version_and_quotes_names():
    f = finding(
        "db02", "dpkg:tzdata", "version-outlier", "2025b-0+deb12u1 (on 2 of 3)", "2024a-0+deb12u1"
    )
    [step] = remediation.plan([f], {}).steps
    assert step.command == "apt-get install -y --allow-downgrades tzdata=2025b-0+deb12u1"
    assert step.rollback == "apt-get install -y --allow-downgrades tzdata=2024a-0+deb12u1"
    evil = finding("x", "dpkg:a;rm -rf /", "missing-vs-peers", "1", "missing")
    [step] = remediation.plan([evil], {}).steps
    assert step.command == "apt-get install -y --no-install-recommends 'a;rm -rf /'"


def test_redhat_hosts_get_dnf_and_unknown_modules_are_skipped():
    snap = snapshot("r1", S, T, os={"family": "redhat"})
    f = finding("r1", "python:requests", "missing-vs-peers", "2.31 (on 3 of 3)", "missing")
    [step] = remediation.plan([f], {"r1": snap}).steps
    assert step.command == "dnf install -y python3-requests"
    odd = finding("r1", "lslpp:bos.rte", "missing-vs-peers", "7.2", "missing")
    plan = remediation.plan([odd], {"r1": snap})
    assert plan.steps == [] and plan.skipped[0][0] == odd.id


def test_absent_requirement_purges_what_was_found():
    f = finding(
        "web05", "dpkg:gcc*", "absent dpkg:gcc*", "absent", "present: gcc, gcc-12", kind="standard"
    )
    [step] = remediation.plan([f], {}).steps
    assert step.command == "apt-get purge -y gcc gcc-12"


def test_a_site_plugin_overrides_the_builtin_package_map():
    class Local:
        @hookimpl
        def package_for_module(self, ecosystem, module, os_family):
            return "acme-perl-bundle" if module.startswith("Acme::") else None

    pm = get_manager()
    pm.register(Local(), "local-map")
    try:
        assert (
            hook().package_for_module(ecosystem="perl", module="Acme::Foo", os_family="debian")
            == "acme-perl-bundle"
        )
        assert (
            hook().package_for_module(ecosystem="perl", module="JSON", os_family="debian")
            == "libjson-perl"
        )
    finally:
        pm.unregister(name="local-map")


def test_a_standard_integrity_finding_proposes_reinstalling_the_owning_packages():
    """QA #7: integrity findings have a COLLECTOR:ITEM item and a command, never a crash."""
    f = finding(
        "web03",
        "integrity:dpkg",
        "integrity dpkg",
        "no dpkg package file fails",
        "2 failed: ...",
        kind="standard",
    )
    f.evidence["files"] = ["/etc/apache2/apache2.conf", "/usr/share/perl5/PDF/API2.pm"]
    p = remediation.plan([f], {"web03": snapshot("web03", S, T)})
    assert [s.command for s in p.steps] == [
        "apt-get install -y --reinstall $(dpkg -S /etc/apache2/apache2.conf "
        "/usr/share/perl5/PDF/API2.pm | cut -d: -f1 | sort -u)"
    ]
    bare = finding("web03", "oddity", "x", "y", "z", kind="standard")
    skipped = remediation.plan([bare], {})
    assert skipped.steps == [] and "no command known" in skipped.skipped[0][1]
