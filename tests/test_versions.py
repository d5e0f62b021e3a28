"""Version ordering per ecosystem, checked against the orderings dpkg, rpm, PEP 440 and Perl define."""

from __future__ import annotations

import pytest

from changekit import versions
from changekit.drift.constraints import parse_constraint


@pytest.mark.parametrize(
    ("collector", "older", "newer"),
    [
        ("dpkg", "1.0~rc1", "1.0"),
        ("dpkg", "1.0", "1.0+b1"),
        ("dpkg", "2.0", "1:1.0"),
        ("dpkg", "1.0-1", "1.0-2"),
        ("dpkg", "2.043-1", "2.044-1"),
        ("dpkg", "1.9", "1.10"),
        ("dpkg", "2024a-0+deb12u1", "2025b-0+deb12u1"),
        ("dpkg", "1.0~~", "1.0~"),
        ("rpm", "1.0~rc1", "1.0"),
        ("rpm", "1.0", "1.0^post1"),
        ("rpm", "1.9", "1.10"),
        ("rpm", "2.0-1.el9", "2.0-2.el9"),
        ("rpm", "1.0", "1:0.5"),
        ("python", "2.4", "2.31.0"),
        ("python", "1.0rc1", "1.0"),
        ("python", "1.0", "1.0.post1"),
        ("perl", "2.044", "2.5"),
        ("perl", "1.23", "1.23_01"),
        ("perl", "v1.2.3", "1.003"),
    ],
)
def test_ordering(collector, older, newer):
    assert versions.compare(collector, older, newer) == -1
    assert versions.compare(collector, newer, older) == 1
    assert versions.compare(collector, older, older) == 0


def test_perl_decimal_equals_dotted():
    assert versions.compare("perl", "v1.2.3", "1.002003") == 0
    assert versions.perl_tuple("2.044") == (2, 44)


@pytest.mark.parametrize(
    ("collector", "version", "valid"),
    [
        ("dpkg", "2.044-1", True),
        ("dpkg", "x.y", False),
        ("dpkg", "a:1.0", False),
        ("python", "2.31.0", True),
        ("python", "two", False),
        ("perl", "v1.2.3", True),
        ("perl", "1.2a", False),
        ("rpm", "1:3.0.7-27.el9", True),
    ],
)
def test_validity(collector, version, valid):
    assert versions.is_valid(collector, version) is valid


def test_debian_ordering_agrees_with_dpkg_itself():
    """Cross-check against the real `dpkg --compare-versions` on many tricky pairs."""
    import itertools
    import shutil
    import subprocess

    if not shutil.which("dpkg"):
        pytest.fail("dpkg is needed for this check (Debian/Ubuntu machine)")
    samples = [
        "1.0",
        "1.0-1",
        "1.0-1~bpo1",
        "1.0~rc1-1",
        "1:0.9",
        "1.0+dfsg-2",
        "1.0a",
        "1.0.1",
        "2.044-1",
        "2.5-1",
        "1.10",
        "1.9",
        "0.0~git20200101",
        "1.0-1+deb12u1",
        "1.0-1.1",
    ]
    for a, b in itertools.combinations(samples, 2):
        lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False).returncode == 0
        gt = subprocess.run(["dpkg", "--compare-versions", a, "gt", b], check=False).returncode == 0
        expected = -1 if lt else (1 if gt else 0)
        assert versions.compare("dpkg", a, b) == expected, (a, b)


RPM_SAMPLES = [
    "1.0",
    "1.0-1",
    "1.0-2.el9",
    "1.0~rc1-1",
    "1:0.9-1",
    "1.0^post1-1",
    "1.0a-1",
    "1.0.1-1",
    "1.10-1",
    "1.9-1",
    "2.0-1.fc39",
    "2.0-1.fc39.1",
    "0.0.20200101git-1",
]
PERL_SAMPLES = [
    "2.044",
    "2.5",
    "1.23",
    "1.23_01",
    "v1.2.3",
    "1.002003",
    "1.2",
    "1.02",
    "0.98",
    "v2.0.1",
    "10.0",
    "1.10",
]


def _pairs(samples):
    import itertools

    return list(itertools.combinations(samples, 2))


def test_rpm_ordering_agrees_with_rpm_itself():
    import shutil
    import subprocess

    if not shutil.which("rpm"):
        pytest.fail("rpm is needed for this check (apt-get install rpm)")
    pairs = _pairs(RPM_SAMPLES)
    lua = "".join(f'print(rpm.vercmp("{a}", "{b}") .. " ") ' for a, b in pairs)
    out = subprocess.run(
        ["rpm", "--eval", f"%{{lua: {lua}}}"], capture_output=True, text=True, check=True
    ).stdout.split()
    checked = 0
    for (a, b), expected in zip(pairs, out, strict=True):
        if ("-" in a) != ("-" in b):
            # deliberate: like rpm's dependency matching, "1.0" means any release of 1.0
            assert versions.compare("rpm", a, b) in (0, int(expected)), (a, b)
            continue
        assert versions.compare("rpm", a, b) == int(expected), (a, b)
        checked += 1
    assert checked > 50


def test_perl_ordering_agrees_with_perls_version_module():
    import subprocess

    pairs = _pairs(PERL_SAMPLES)
    script = "use version; for (my $i = 0; $i < @ARGV; $i += 2) { print version->parse($ARGV[$i]) <=> version->parse($ARGV[$i+1]), qq{\\n} }"
    out = subprocess.run(
        ["perl", "-e", script, *[v for p in pairs for v in p]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for (a, b), expected in zip(pairs, out, strict=True):
        assert versions.compare("perl", a, b) == int(expected), (a, b)


@pytest.mark.parametrize(
    "version, older_than_1",
    [
        ("undef", True),
        ("", True),
        ("0.9x", True),
        ("1.2x", False),
        ("1.2-TRIAL", False),
        ("1.2.3a", False),
        ("1.2\x00x", False),
        ("v2.x.1", False),
    ],
)
def test_perl_versions_a_host_reports_compare_without_crashing(version, older_than_1):
    """The perl collector reports ``undef`` for a computed $VERSION, and a module may set any
    string: each is numified as Perl does (leading digits; none is 0), never a crash that
    takes the whole ``drift`` run down with it."""
    assert (versions.compare("perl", version, "1.0") < 0) is older_than_1
    assert parse_constraint("perl", ">= 1.0").satisfied_by(version) is not older_than_1
