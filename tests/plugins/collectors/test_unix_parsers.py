"""rpm, AIX lslpp, HP-UX swlist and Solaris pkginfo parsers, from real recorded output
(sources in tests/fixtures/collectors/<collector>/README.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from changekit_plugins.collectors.aix_lslpp import LslppCollector
from changekit_plugins.collectors.hpux_swlist import SwlistCollector
from changekit_plugins.collectors.rpm import RpmCollector
from changekit_plugins.collectors.solaris_pkginfo import PkginfoCollector

from changekit.plugins import collect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "collectors"
COLLECTORS = [RpmCollector(), LslppCollector(), SwlistCollector(), PkginfoCollector()]


def fixture(collector: str, name: str) -> str:
    return (FIXTURES / collector / name).read_text(encoding="utf-8")


def test_rpm_rhel5_epoch_none_is_left_out():
    data = RpmCollector().parse(fixture("rpm", "rhel5.txt"), {})
    assert len(data) == 10
    assert data["bash"] == {"version": "3.2-32.el5", "arch": "x86_64"}
    assert data["basesystem"] == {"version": "8.0-5.1.1", "arch": "noarch"}
    assert data["libxml2"]["version"] == "2.6.26-2.1.12.el5_7.2"


def test_rpm_epochnum_output_with_real_epochs_and_a_gpg_key():
    data = RpmCollector().parse(fixture("rpm", "sl7-epochnum.txt"), {})
    assert len(data) == 23
    assert data["grub2"] == {"version": "1:2.02-0.44.el7", "arch": "x86_64"}
    assert data["ivtv-firmware"] == {"version": "2:20080701-26.el7", "arch": "noarch"}
    assert data["findutils"]["version"] == "1:4.5.11-5.el7"
    assert data["libselinux"]["version"] == "2.5-6.el7"  # EPOCHNUM 0 == EPOCH (none)
    assert data["gpg-pubkey"] == {"version": "1aa2f65c-53c583c0", "arch": None}


@pytest.mark.parametrize("name", ["rocky8.txt", "oraclelinux8.txt"])
def test_rpm_el8_listings(name):
    data = RpmCollector().parse(fixture("rpm", name), {})
    assert len(data) == 10
    assert data["glibc"]["arch"] == "x86_64" and data["glibc"]["version"].startswith("2.28-211.")
    assert all(item["version"] and "-" in item["version"] for item in data.values())


def test_rpm_multilib_and_multiversion_logic():
    # Pure logic (no public recording of these cases was found): lines in the collector's format.
    out = (
        "glibc (none) 2.17 326.el7_9 x86_64\n"
        "glibc (none) 2.17 326.el7_9 i686\n"
        "kernel (none) 3.10.0 1160.el7 x86_64\n"
        "kernel (none) 3.10.0 1160.102.1.el7 x86_64\n"
        "kernel (none) 3.10.0 957.el7 x86_64\n"
        "libgcc (none) 4.8.5 44.el7 i686\n"
    )
    data = RpmCollector().parse(out, {})
    assert data["glibc"] == {"version": "2.17-326.el7_9", "arch": "x86_64"}
    assert data["glibc.i686"] == {"version": "2.17-326.el7_9", "arch": "i686"}
    assert data["kernel"]["version"] == "3.10.0-1160.102.1.el7"  # rpm ordering, not text ordering
    assert data["kernel"]["versions"] == [
        "3.10.0-957.el7",
        "3.10.0-1160.el7",
        "3.10.0-1160.102.1.el7",
    ]
    assert data["libgcc"] == {"version": "4.8.5-44.el7", "arch": "i686"}  # only arch: plain name


def test_lslpp_filesets_and_toolbox_rpms():
    data = LslppCollector().parse(fixture("lslpp", "aix72.txt"), {})
    assert len(data) == 33
    assert data["bos.rte"] == {
        "version": "7.2.4.1",
        "arch": None,
        "type": "fileset",
        "state": "committed",
        "description": "Base Operating System Runtime",
    }
    assert data["bos.mp64"]["version"] == "7.2.4.4"
    assert data["GSKit8.gskcrypt64.ppc.rte"]["type"] == "fileset"  # blank type column
    # RPM lines: keyed by package name, version from Level, colons in the build date survive
    assert data["bash"]["version"] == "5.1.4-2" and data["bash"]["type"] == "rpm"
    assert data["dnf"]["version"] == "4.2.17-32_1"
    assert data["git-daemon"]["description"] == "Git protocol dæmon"
    assert data["perl-Net-SMTP-SSL"]["description"] == "SSL support for Net::SMTP"


def test_lslpp_rpm_named_like_a_fileset_keeps_both():
    line_fs = "perl:perl:5.30.3.0: : :C:F:Perl Version 5 Runtime Environment: : : : : : :0:0:/:"
    line_rpm = fixture("lslpp", "aix72.txt").splitlines()[-3]
    data = LslppCollector().parse(f"{line_fs}\n{line_rpm}\n", {})
    assert data["perl"]["type"] == "fileset" and data["rpm:perl"]["type"] == "rpm"


def test_swlist_bundles_products_and_patches():
    a = SwlistCollector().parse(fixture("swlist", "hpux-11.23-a.txt"), {})
    b = SwlistCollector().parse(fixture("swlist", "hpux-11.23-b.txt"), {})
    assert (len(a), len(b)) == (77, 122)
    assert a["HPUXBaseOS"] == {
        "version": "B.11.23",
        "arch": None,
        "level": "bundle",
        "description": "HP-UX Base OS",
    }
    assert a["OpenSSL"]["version"] == "A.00.09.07e.013"
    assert a["PHKL_37755"] == {
        "version": "1.0",
        "arch": None,
        "level": "product",
        "description": "memory leak in swap fix; copyout() path",
    }
    assert a["BUNDLE"]["description"] == "Patch Bundle"
    # the same product on two hosts, at different revisions: what drift will compare
    assert (a["perl"]["version"], b["perl"]["version"]) == ("D.5.8.3.C", "D.5.8.8.B")
    assert (a["sudo"]["version"], b["sudo"]["version"]) == ("1.7.4p6", "1.7.4p6")


def test_swlist_fileset_level_lines_parse_the_same():
    # Hand-made, in the shape swlist prints at -l fileset (no public recording was found).
    out = (
        "# OpenSSL                A.00.09.07e.013 Secure Network Communications Protocol\n"
        "  OpenSSL.openssl        A.00.09.07e.013 OpenSSL\n"
    )
    assert SwlistCollector().parse(out, {})["OpenSSL.openssl"]["level"] == "fileset"


def test_pkginfo_blocks():
    data = PkginfoCollector().parse(fixture("pkginfo", "solaris10-x86.txt"), {})
    assert list(data) == ["SUNWauda", "SUNWbip", "SUNWgtar"]
    assert data["SUNWgtar"] == {
        "version": "11.10.0,REV=2005.01.08.01.09",
        "arch": "i386",
        "status": "completely installed",
        "description": "gtar - GNU tar",
    }
    sparc = PkginfoCollector().parse(fixture("pkginfo", "solaris-sparc-SUNWman.txt"), {})
    assert sparc["SUNWman"]["arch"] == "sparc" and sparc["SUNWman"]["version"] == "43.0,REV=67.0"


@pytest.mark.parametrize(
    ("collector", "garbage"),
    [
        (RpmCollector(), "error: rpmdb: BDB0113 Thread/process 1234 failed\n"),
        (RpmCollector(), "bash notanepoch 3.2 32.el5 x86_64\n"),
        (LslppCollector(), "lslpp: 0504-132  Fileset bos.foo not installed.\n"),
        (LslppCollector(), "bos:bos.rte:7.2.4.1: : :C:Z:Weird type: : : : : : :0:0:/:2015\n"),
        (SwlistCollector(), "ERROR:   Could not contact host\n"),
        (PkginfoCollector(), 'pkginfo: ERROR: information for "SUNWfoo" was not found\n'),
        (PkginfoCollector(), "   PKGINST:  SUNWfoo\n      NAME:  no version\n"),
    ],
)
def test_garbage_is_a_value_error(collector, garbage):
    with pytest.raises(ValueError):
        collector.parse(garbage, {})


@pytest.mark.parametrize("collector", COLLECTORS, ids=lambda c: c.name)
def test_empty_output_is_no_packages(collector):
    assert collector.parse("", {}) == {}


@pytest.mark.parametrize("collector", COLLECTORS, ids=lambda c: c.name)
def test_script_prints_nothing_and_succeeds_where_the_tool_is_absent(collector, tmp_path):
    # A real POSIX sh with a PATH that has no rpm/lslpp/swlist/pkginfo (as on the Debian fleet).
    result = subprocess.run(
        ["/bin/sh", "-c", collector.script({})],
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path)},
        timeout=30,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_collectors_are_registered_as_inventory_plugins():
    registered = {c.name: c for c in collect("register_collectors")}
    for name in ("rpm", "lslpp", "swlist", "pkginfo"):
        assert registered[name].kind == "inventory"
