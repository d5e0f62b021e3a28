"""The rpm half of ``integrity`` against a real rpm database (Debian's ``rpm`` package).

Packages with real files are built with rpmbuild and installed (relocated with ``--prefix``)
under a temp root, into a throwaway database that ``~/.rpmmacros`` points rpm at. The
collector's rpm snippet, behind the plan the collector would make from the previous run, runs
in a real ``sh``; after each change to the host the incremental result must equal what a full
``rpm -Va`` says of the same state. Needs ``rpm`` and ``rpmbuild``: skipped on a workstation
without them, a failure under CI.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from changekit_plugins.collectors import hostcache
from changekit_plugins.collectors.integrity import IntegrityCollector
from changekit_plugins.collectors.integrity_rpm import BASELINE_NAME
from changekit_plugins.collectors.integrity_rpm import SCRIPT as RPM_SCRIPT

from tests.needs import need_tools

SPEC = """\
Name: %{pkgname}
Version: %{pkgver}
Release: 1
Summary: changekit test package
License: MIT
Prefix: /opt/ck
BuildArch: noarch
%description
A relocatable package with a data file and a config file.
%install
mkdir -p %{buildroot}/opt/ck/%{pkgname}
echo "data of %{pkgname} %{pkgver}" > %{buildroot}/opt/ck/%{pkgname}/data.txt
echo "setting = %{pkgver}" > %{buildroot}/opt/ck/%{pkgname}/app.conf
%files
%defattr(-,%{ckuser},%{ckgroup},-)
%dir /opt/ck/%{pkgname}
/opt/ck/%{pkgname}/data.txt
%config /opt/ck/%{pkgname}/app.conf
"""

BUILDS = [("ckone", "1.0"), ("cktwo", "1.0"), ("cktwo", "2.0"), ("ckthree", "1.0")]
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rpms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    need_tools("rpm", "rpmbuild", "perl", hint="apt-get install rpm")
    base = tmp_path_factory.mktemp("rpmbuild")
    (base / "t.spec").write_text(SPEC)
    built = {}
    for name, version in BUILDS:
        defines = {
            "_topdir": str(base / "top"),
            "pkgname": name,
            "pkgver": version,
            # owned by whoever installs them (root in CI, anyone else on a workstation), so
            # rpm -V flags no U or G on a file nobody changed
            "ckuser": pwd.getpwuid(os.getuid()).pw_name,
            "ckgroup": grp.getgrgid(os.getgid()).gr_name,
        }
        args = [a for k, v in defines.items() for a in ("--define", f"{k} {v}")]
        subprocess.run(
            ["rpmbuild", "-bb", "--quiet", *args, str(base / "t.spec")],
            check=True,
            capture_output=True,
            timeout=120,
        )
        built[f"{name}-{version}"] = next(
            (base / "top" / "RPMS").rglob(f"{name}-{version}-1.noarch.rpm")
        )
    return built


class Host:
    """A throwaway rpm database, the root its packages are installed under, and a cache dir."""

    def __init__(self, base: Path, rpms: dict[str, Path]):
        self.base, self.rpms = base, rpms
        self.root = base / "root"
        self.home = base / "home"
        self.cache = base / "cache"
        for d in (self.root, self.home, self.cache, base / "db"):
            d.mkdir()
        (self.home / ".rpmmacros").write_text(f"%_dbpath {base / 'db'}\n")
        self.previous: dict | None = None

    def rpm(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["rpm", "--dbpath", str(self.base / "db"), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def install(self, key: str, upgrade: bool = False) -> None:
        flag = "-U" if upgrade else "-i"
        done = self.rpm(flag, "--nodeps", "--prefix", str(self.root), str(self.rpms[key]))
        assert done.returncode == 0, done.stderr

    def scan(self, path: str | None = None, **context) -> tuple[dict, dict, list[str]]:
        """One integrity run of the rpm snippet, planned from the previous run as a scan does."""
        context = {"now": NOW, "previous_runs": {"integrity": self.previous}, **context}
        script = hostcache.head(hostcache.plan_for("integrity", context)) + RPM_SCRIPT
        env = {"HOME": str(self.home), "PATH": path or os.environ["PATH"]}
        env["CHANGEKIT_HOST_CACHE"] = str(self.cache)
        out = subprocess.run(
            ["/bin/sh", "-c", script], capture_output=True, text=True, env=env, timeout=120
        ).stdout
        collector = IntegrityCollector()
        info = collector.run_info(out, context)
        self.previous = info
        lines = out.split("T rpm\n", 1)[1].splitlines()
        return collector.parse(out, context), info, sorted(lines)

    def full_verify(self) -> tuple[dict, list[str]]:
        """What ``rpm -Va`` says of the host as it is."""
        out = self.rpm("-Va", "--nodeps", "--noscripts").stdout
        return IntegrityCollector().parse("T rpm\n" + out, {}), sorted(out.splitlines())

    def settle(self) -> None:
        """Past the racy second: what changed before now is carried by the next run."""
        time.sleep(2.1)


@pytest.fixture
def host(tmp_path: Path, rpms: dict[str, Path]) -> Host:
    h = Host(tmp_path, rpms)
    for key in ("ckone-1.0", "cktwo-1.0"):
        h.install(key)
    edited = h.root / "ckone" / "data.txt"
    edited.write_text("edited\n")
    os.utime(edited, (1.6e9, 1.6e9))  # not the packaged mtime, even when built this second
    h.settle()
    return h


def assert_same_as_full(host: Host, facts: dict, lines: list[str]) -> None:
    assert (facts, lines) == host.full_verify()


def test_incremental_runs_equal_a_full_verify_through_edits_upgrades_and_removals(host):
    facts, info, lines = host.scan()
    assert info["mode"] == "full" and info["why"] == "no previous verified scan"
    assert (info["files"], info["hashed"], info["carried"]) == (6, 6, 0)
    assert info["baseline"] is not None
    assert facts[str(host.root / "ckone" / "data.txt")]["flags"] == "S.5....T."
    assert_same_as_full(host, facts, lines)

    facts, info, lines = host.scan()
    assert info["mode"] == "incremental"
    assert (info["hashed"], info["carried"]) == (0, 6)
    assert_same_as_full(host, facts, lines)

    # same size, mtime put back: only the ctime moved, and cktwo alone is verified again
    conf = host.root / "cktwo" / "app.conf"
    stat = conf.stat()
    conf.write_text(conf.read_text().replace("1", "9"))
    os.utime(conf, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    facts, info, lines = host.scan()
    assert (info["mode"], info["hashed"], info["carried"]) == ("incremental", 3, 3)
    assert facts[str(conf)] == {
        "manager": "rpm",
        "flags": "..5......",
        "config": True,
        "missing": False,
    }
    assert_same_as_full(host, facts, lines)

    host.install("cktwo-2.0", upgrade=True)
    assert host.rpm("-e", "--nodeps", "ckone").returncode == 0
    host.install("ckthree-1.0")
    host.settle()
    facts, info, lines = host.scan()
    assert info["mode"] == "incremental"
    assert (info["files"], info["hashed"], info["carried"]) == (6, 6, 0)
    assert not any("ckone" in path for path in facts)
    assert_same_as_full(host, facts, lines)

    (host.root / "ckthree" / "data.txt").unlink()
    facts, info, lines = host.scan()
    assert (info["hashed"], info["carried"]) == (3, 3)
    assert facts[str(host.root / "ckthree" / "data.txt")]["missing"] is True
    assert_same_as_full(host, facts, lines)

    host.settle()
    facts, info, lines = host.scan()
    assert (info["mode"], info["hashed"], info["carried"]) == ("incremental", 0, 6)
    assert_same_as_full(host, facts, lines)


def test_a_forged_cache_means_a_full_verify(host):
    host.scan()
    cache = host.cache / BASELINE_NAME
    # a forger drops the edited file's verdict so that it would be carried as clean
    cache.write_text("".join(ln for ln in cache.read_text().splitlines(True) if ln[0] != "V"))
    facts, info, lines = host.scan()
    assert info["mode"] == "full"
    assert info["why"] == "the baseline on the host is not the one the last scan recorded"
    assert str(host.root / "ckone" / "data.txt") in facts
    assert_same_as_full(host, facts, lines)


def test_full_verify_on_demand_and_on_schedule(host):
    host.scan()
    facts, info, lines = host.scan(full_verify=True)
    assert (info["mode"], info["why"], info["carried"]) == ("full", "requested (--full-verify)", 0)
    assert_same_as_full(host, facts, lines)
    facts, info, lines = host.scan(now=NOW + timedelta(days=8))
    assert info["mode"] == "full" and info["why"].startswith("scheduled")
    assert_same_as_full(host, facts, lines)


def test_without_perl_every_run_is_a_plain_rpm_va(host, tmp_path):
    bin_dir = tmp_path / "bin"  # every tool on PATH but perl
    bin_dir.mkdir()
    for d in os.environ["PATH"].split(os.pathsep):
        if not os.access(d, os.R_OK | os.X_OK) or not Path(d).is_dir():
            continue  # a PATH entry this user cannot list (su keeps root's PATH)
        for tool in Path(d).glob("*"):
            target = bin_dir / tool.name
            if tool.name != "perl" and not target.exists():
                target.symlink_to(tool)
    host.scan()
    facts, info, lines = host.scan(path=str(bin_dir))
    assert (info["mode"], info["why"]) == ("full", "no perl on the host")
    assert (info["files"], info["hashed"], info["carried"], info["baseline"]) == (6, 6, 0, None)
    assert not (host.cache / BASELINE_NAME).exists()
    assert_same_as_full(host, facts, lines)
