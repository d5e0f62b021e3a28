"""Version ordering per ecosystem: Debian (dpkg), RPM, PEP 440 (python) and Perl.

``compare(ecosystem, a, b)`` returns -1, 0 or 1. ``is_valid`` says whether a string
is a well-formed version in that ecosystem. Results are cached: a fleet has few
distinct versions and many hosts.
"""

from __future__ import annotations

import re
from functools import lru_cache

from packaging.version import InvalidVersion, Version

# -- Debian: deb-version(7), the algorithm of dpkg's verrevcmp -----------------

_DEB_UPSTREAM = re.compile(r"^[0-9][A-Za-z0-9.+~:-]*$")
_DEB_REVISION = re.compile(r"^[A-Za-z0-9.+~]+$")


def _deb_split(v: str) -> tuple[int, str, str]:
    epoch = 0
    if ":" in v:
        head, v = v.split(":", 1)
        epoch = int(head) if head.isdigit() else 0
    upstream, _, revision = v.rpartition("-") if "-" in v else (v, "", "0")
    return epoch, upstream, revision or "0"


def _deb_order(c: str) -> int:
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _deb_order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            bc = _deb_order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        si = i
        while i < len(a) and a[i].isdigit():
            i += 1
        sj = j
        while j < len(b) and b[j].isdigit():
            j += 1
        na = int(a[si:i] or 0)
        nb = int(b[sj:j] or 0)
        if na != nb:
            return na - nb
    return 0


def _deb_cmp(a: str, b: str) -> int:
    ea, ua, ra = _deb_split(a)
    eb, ub, rb = _deb_split(b)
    return (ea > eb) - (ea < eb) or _verrevcmp(ua, ub) or _verrevcmp(ra, rb)


def _deb_valid(v: str) -> bool:
    epoch, upstream, revision = _deb_split(v)
    if ":" in v and not v.split(":", 1)[0].isdigit():
        return False
    return bool(_DEB_UPSTREAM.match(upstream)) and bool(_DEB_REVISION.match(revision))


# -- RPM: rpmvercmp, with ~ (sorts before) and ^ (sorts after) ----------------


def _rpmvercmp(a: str, b: str) -> int:
    """A port of rpm's ``rpmvercmp`` (rpmio/rpmvercmp.c, rpm >= 4.15: ``~`` and ``^``)."""
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not a[i].isalnum() and a[i] not in "~^":
            i += 1
        while j < len(b) and not b[j].isalnum() and b[j] not in "~^":
            j += 1
        ca, cb = a[i : i + 1], b[j : j + 1]
        if ca == "~" or cb == "~":  # a tilde sorts before everything, even the end
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        if ca == "^" or cb == "^":  # a caret sorts after the end, before anything else
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not (ca and cb):
            break
        numeric = ca.isdigit()
        si, sj = i, j
        test = str.isdigit if numeric else str.isalpha
        while i < len(a) and a[i].isascii() and test(a[i]):
            i += 1
        while j < len(b) and b[j].isascii() and test(b[j]):
            j += 1
        seg_a, seg_b = a[si:i], b[sj:j]
        if not seg_b:  # different kinds of segment: the numeric one is newer
            return 1 if numeric else -1
        if numeric:
            na, nb = int(seg_a), int(seg_b)
            if na != nb:
                return 1 if na > nb else -1
        elif seg_a != seg_b:
            return 1 if seg_a > seg_b else -1
    if i >= len(a) and j >= len(b):
        return 0
    return -1 if i >= len(a) else 1


def _rpm_split(v: str) -> tuple[int, str, str]:
    epoch = 0
    if ":" in v:
        head, v = v.split(":", 1)
        epoch = int(head) if head.isdigit() else 0
    version, _, release = v.partition("-")
    return epoch, version, release


def _rpm_cmp(a: str, b: str) -> int:
    ea, va, ra = _rpm_split(a)
    eb, vb, rb = _rpm_split(b)
    if ea != eb:
        return 1 if ea > eb else -1
    # a version without a release matches any release, as in rpm's dependency matching
    # ("openssl = 3.0.7" is met by 3.0.7-27.el9)
    return _rpmvercmp(va, vb) or (_rpmvercmp(ra, rb) if ra and rb else 0)


# -- Perl: decimal versions (2.044 means v2.44.0) and dotted ones (v1.2.3) -----

_PERL = re.compile(r"^v?[0-9]+(\.[0-9_]+)*$")


_DIGITS = re.compile(r"[0-9]*")


def _lead(part: str) -> int:
    # a host's module may set any $VERSION ("undef" from the collector, "1.2-TRIAL"): Perl
    # numifies its leading digits, and none as 0
    return int(_DIGITS.match(part).group() or 0)  # type: ignore[union-attr]


def perl_tuple(v: str) -> tuple[int, ...]:
    """Perl's numification: ``2.044`` -> (2, 44); ``2.5`` -> (2, 500); ``v1.2.3`` -> (1, 2, 3);
    ``1.2-TRIAL`` -> (1, 200); ``undef`` -> (0,)."""
    v = v.strip()
    if v.startswith("v") or v.count(".") > 1:
        return tuple(_lead(p) for p in v.lstrip("v").replace("_", "").split("."))
    whole, _, frac = v.replace("_", "").partition(".")
    parts = [_lead(whole)]
    frac = _DIGITS.match(frac).group()  # type: ignore[union-attr]
    frac = frac + "0" * (-len(frac) % 3)
    parts += [int(frac[k : k + 3]) for k in range(0, len(frac), 3)]
    return tuple(parts)


def _perl_cmp(a: str, b: str) -> int:
    ta, tb = perl_tuple(a), perl_tuple(b)
    n = max(len(ta), len(tb))
    ta, tb = ta + (0,) * (n - len(ta)), tb + (0,) * (n - len(tb))
    return (ta > tb) - (ta < tb)


# -- Python: PEP 440 -------------------------------------------------------------


def _py_cmp(a: str, b: str) -> int:
    try:
        va, vb = Version(a), Version(b)
    except InvalidVersion:  # a non-PEP 440 version on a host: order it the Debian way
        return _deb_cmp(a, b)
    return (va > vb) - (va < vb)


def _py_valid(v: str) -> bool:
    try:
        Version(v)
    except InvalidVersion:
        return False
    return True


ECOSYSTEMS: dict[str, str] = {"dpkg": "debian", "rpm": "rpm", "python": "pep440", "perl": "perl"}
"""Collector name -> the version ordering it uses; any other collector orders the Debian way."""

_CMP = {"debian": _deb_cmp, "rpm": _rpm_cmp, "pep440": _py_cmp, "perl": _perl_cmp}
_VALID = {
    "debian": _deb_valid,
    "rpm": lambda v: bool(re.match(r"^([0-9]+:)?[A-Za-z0-9._+~^]+(-[A-Za-z0-9._+~^]+)?$", v)),
    "pep440": _py_valid,
    "perl": lambda v: bool(_PERL.match(v)),
}


def scheme_for(collector: str) -> str:
    """The ordering a collector's versions follow (``debian`` unless known otherwise)."""
    return ECOSYSTEMS.get(collector, "debian")


@lru_cache(maxsize=65536)
def compare(collector: str, a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is older than, equal to or newer than ``b``."""
    if a == b:
        return 0
    result = _CMP[scheme_for(collector)](a, b)
    return (result > 0) - (result < 0)


def is_valid(collector: str, version: str) -> bool:
    """Whether ``version`` is well-formed for the collector's ecosystem."""
    return bool(version) and _VALID[scheme_for(collector)](version)
