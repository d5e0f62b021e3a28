"""Debian version ordering (changekit.versions, used by facts diff) agrees with dpkg itself."""

from __future__ import annotations

import itertools
import subprocess

from changekit.versions import compare
from tests.needs import need_tools

VERSIONS = [
    "0",
    "1",
    "1.0",
    "1.0-1",
    "1.0-2",
    "1.0-10",
    "1.0~rc1",
    "1.0~rc1-1",
    "1.0~~",
    "1.0~",
    "1.0+b1",
    "1.0+dfsg-1",
    "1.0a",
    "1.0.1",
    "1.00",
    "1:0.1",
    "2:1.0",
    "1.0-1~bpo12+1",
    "1.0-1+deb12u1",
    "1.0-1ubuntu1",
    "2.36-9+deb12u9",
    "2.36-9+deb12u10",
    "2024a-0+deb12u1",
    "2025b-0+deb12u1",
    "7.88.1-10+deb12u8",
    "1.2.3-4.1",
    "10",
    "9.9",
    "a",
    "1.0-0",
    "0:1.0",
    "1.0-a",
    "3.0.11-1~deb12u2",
    "1.18.0-6+b1",
    "5.36.0-7+deb12u1",
]


def test_versions_order_like_dpkg_compare_versions():
    need_tools("dpkg", hint="needed to check Debian version ordering")
    pairs = list(itertools.combinations(VERSIONS, 2))
    # one dpkg process per pair is slow; one sh loop checks them all
    lines = "".join(f"{a} {b}\n" for a, b in pairs)
    script = 'while read a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done'
    out = subprocess.run(
        ["sh", "-c", script], input=lines, capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(out) == len(pairs) > 500
    wrong = [
        (a, b, int(want), compare("dpkg", a, b))
        for (a, b), want in zip(pairs, out, strict=True)
        if compare("dpkg", a, b) != int(want)
    ]
    assert not wrong
