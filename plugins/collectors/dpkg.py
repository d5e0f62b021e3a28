"""``dpkg``: Debian packages with version, architecture and status (``dpkg-query -W``)."""

from __future__ import annotations

from typing import Any

from changekit.api import Collector, hookimpl

# dpkg's db:Status-Abbrev second letter -> status word (see dpkg-query(1)).
STATES = {
    "n": "not-installed",
    "c": "config-files",
    "H": "half-installed",
    "U": "unpacked",
    "F": "half-configured",
    "W": "triggers-awaited",
    "t": "triggers-pending",
    "i": "installed",
}
PRESENT = {"H", "U", "F", "W", "t", "i"}
"""States in which the package's files are on disk; the others are not listed as installed."""


class DpkgCollector(Collector):
    name = "dpkg"
    kind = "inventory"
    description = "Debian packages: name, version, architecture, status"

    def script(self, context: dict[str, Any]) -> str:
        return """\
command -v dpkg-query >/dev/null 2>&1 || exit 0
dpkg-query -W -f='${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n'
"""

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, str]]:
        packages: dict[str, dict[str, str]] = {}
        for line in output.splitlines():
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != 4 or not fields[0] or len(fields[3]) < 2:
                raise ValueError(f"not a dpkg-query line: {line[:80]!r}")
            name, version, arch, abbrev = fields
            state = abbrev[1]
            if state not in STATES:
                raise ValueError(f"unknown dpkg status {abbrev!r} for {name}")
            if state not in PRESENT:
                continue
            key = name if name not in packages else f"{name}:{arch}"
            packages[key] = {"version": version, "arch": arch, "status": STATES[state]}
        return packages


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(DpkgCollector())
