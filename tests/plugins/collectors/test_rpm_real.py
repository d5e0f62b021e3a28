"""The rpm collector's own script against a real rpm database (Debian's ``rpm`` package).

Real packages are built with rpmbuild and registered in a throwaway database; the
collector's snippet runs in a real ``sh`` with ``~/.rpmmacros`` pointing rpm at that
database, and its stdout goes through the parser. Needs ``rpm`` and ``rpmbuild``
(``apt-get install rpm``): skipped on a workstation without them, a failure under CI.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from changekit_plugins.collectors.rpm import RpmCollector

from tests.needs import need_tools

SPEC = """\
Name: %{pkgname}
Version: %{pkgver}
Release: %{pkgrel}
%{?pkgepoch:Epoch: %{pkgepoch}}
Summary: changekit test package
License: MIT
%description
A package that installs no files, for changekit's rpm collector tests.
%files
"""

PACKAGES = [  # name, version, release, epoch, target
    ("ckdemo", "1.0", "1", "2", "x86_64"),
    ("ckdemo", "1.0", "1", "2", "i686"),
    ("ckkernel", "5.14.0", "70.13.1.el9_0", None, "x86_64"),
    ("ckkernel", "5.14.0", "162.6.1.el9_1", None, "x86_64"),
    ("cknoarch", "0.9", "3", None, "noarch"),
]


def _need_rpm() -> None:
    need_tools("rpm", "rpmbuild", hint="apt-get install rpm")


@pytest.fixture(scope="module")
def rpm_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_rpm()
    base = tmp_path_factory.mktemp("rpm")
    (base / "t.spec").write_text(SPEC)
    built = []
    for name, version, release, epoch, target in PACKAGES:
        defines = {
            "_topdir": str(base / "top"),
            "pkgname": name,
            "pkgver": version,
            "pkgrel": release,
        }
        if epoch:
            defines["pkgepoch"] = epoch
        args = [a for k, v in defines.items() for a in ("--define", f"{k} {v}")]
        subprocess.run(
            ["rpmbuild", "-bb", "--quiet", *args, "--target", target, str(base / "t.spec")],
            check=True,
            capture_output=True,
            timeout=120,
        )
        built.append(
            next((base / "top" / "RPMS").rglob(f"{name}-{version}-{release}.{target}.rpm"))
        )
    (base / "db").mkdir()
    for rpm in built:  # one at a time: two versions of ckkernel side by side, like kernels
        subprocess.run(
            [
                "rpm",
                "--dbpath",
                str(base / "db"),
                "-i",
                "--nodeps",
                "--ignorearch",
                "--justdb",
                str(rpm),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    home = base / "home"
    home.mkdir()
    (home / ".rpmmacros").write_text(f"%_dbpath {base / 'db'}\n")
    return home


def test_collector_script_and_parser_against_a_real_rpm_database(rpm_home):
    collector = RpmCollector()
    result = subprocess.run(
        ["/bin/sh", "-c", collector.script({})],
        capture_output=True,
        text=True,
        env={"HOME": str(rpm_home), "PATH": os.environ["PATH"]},
        timeout=60,
        check=True,
    )
    data = collector.parse(result.stdout, {})
    assert data["ckdemo"] == {"version": "2:1.0-1", "arch": "x86_64"}
    assert data["ckdemo.i686"] == {"version": "2:1.0-1", "arch": "i686"}
    assert data["ckkernel"]["version"] == "5.14.0-162.6.1.el9_1"
    assert data["ckkernel"]["versions"] == ["5.14.0-70.13.1.el9_0", "5.14.0-162.6.1.el9_1"]
    assert data["cknoarch"] == {"version": "0.9-3", "arch": "noarch"}
    assert len(data) == 4
