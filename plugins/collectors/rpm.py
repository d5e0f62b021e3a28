"""``rpm``: RPM packages with version and architecture (``rpm -qa --queryformat``).

``%{EPOCH}`` rather than ``%{EPOCHNUM}``: RHEL 5's rpm does not know EPOCHNUM. The parser
reads both (an epoch of ``(none)`` or ``0`` is left out of the version, as rpm compares
them equally). Items are keyed by package name; when a name is installed for several
architectures (multilib), the host's main architecture keeps the plain name and the others
are keyed ``NAME.ARCH`` (rpm's own notation, e.g. ``glibc.i686``). When one name and
architecture is installed in several versions (``kernel``, ``gpg-pubkey``), ``version`` is
the highest and ``versions`` lists them all, oldest first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import cmp_to_key
from typing import Any

from changekit.api import Collector, compare_versions, hookimpl

QUERY_FORMAT = "%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH}\\n"


def _evr(epoch: str, version: str, release: str) -> str:
    if epoch in ("(none)", "0"):
        return f"{version}-{release}"
    return f"{epoch}:{version}-{release}"


def _parse_line(line: str) -> tuple[str, str, str | None]:
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(
            f"not an rpm query line (want NAME EPOCH VERSION RELEASE ARCH): {line[:80]!r}"
        )
    name, epoch, version, release, arch = fields
    if epoch != "(none)" and not epoch.isdigit():
        raise ValueError(f"rpm epoch {epoch!r} of {name} is not a number")
    return name, _evr(epoch, version, release), None if arch == "(none)" else arch


def _main_arch(entries: list[tuple[str, str, str | None]]) -> str | None:
    counts = Counter(a for _n, _v, a in entries if a and a != "noarch")
    return min(counts, key=lambda a: (-counts[a], a)) if counts else None


class RpmCollector(Collector):
    name = "rpm"
    kind = "inventory"
    description = "RPM packages: name, version (epoch:version-release), architecture"

    def script(self, context: dict[str, Any]) -> str:
        return f"command -v rpm >/dev/null 2>&1 || exit 0\nrpm -qa --queryformat '{QUERY_FORMAT}'\n"

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        entries = [_parse_line(line) for line in output.splitlines() if line.strip()]
        main = _main_arch(entries)
        by_key: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
        arches: dict[str, set[str | None]] = defaultdict(set)
        for name, _version, arch in entries:
            arches[name].add(arch)
        for name, evr, arch in entries:
            own = arches[name]
            plain = main if main in own else "noarch" if "noarch" in own else min(own, key=str)
            by_key[name if arch == plain or len(own) == 1 else f"{name}.{arch}"].append((evr, arch))
        newest_first = cmp_to_key(lambda a, b: compare_versions("rpm", b, a))
        packages: dict[str, dict[str, Any]] = {}
        for key in sorted(by_key):
            versions = sorted({evr for evr, _a in by_key[key]}, key=newest_first)
            item: dict[str, Any] = {"version": versions[0], "arch": by_key[key][0][1]}
            if len(versions) > 1:
                item["versions"] = versions[::-1]
            packages[key] = item
        return packages


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(RpmCollector())
