"""``os``: os-release, kernel, architecture, hostname."""

from __future__ import annotations

import shlex
from typing import Any

from changekit.api import Collector, hookimpl

FAMILIES = {
    "debian": "debian",
    "ubuntu": "debian",
    "rhel": "redhat",
    "fedora": "redhat",
    "centos": "redhat",
    "rocky": "redhat",
    "almalinux": "redhat",
    "suse": "suse",
    "sles": "suse",
    "alpine": "alpine",
}


class OsCollector(Collector):
    name = "os"
    description = "os-release, kernel, architecture, hostname"

    def script(self, context: dict[str, Any]) -> str:
        return """\
for f in /etc/os-release /usr/lib/os-release; do
  if [ -r "$f" ]; then sed 's/^/R /' "$f"; break; fi
done
printf 'S %s\\n' "$(uname -s)"
printf 'K %s\\n' "$(uname -r)"
printf 'M %s\\n' "$(uname -m)"
printf 'H %s\\n' "$(hostname 2>/dev/null || uname -n)"
"""

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, Any]:
        release: dict[str, str] = {}
        found: dict[str, str] = {}
        for line in output.splitlines():
            tag, _, rest = line.partition(" ")
            if tag == "R":
                key, eq, value = rest.partition("=")
                if not eq or not key.strip():
                    continue  # comments and blank lines in os-release
                try:
                    release[key.strip()] = " ".join(shlex.split(value))
                except ValueError:
                    release[key.strip()] = value.strip("\"'")
            elif tag in ("S", "K", "M", "H") and tag not in found:
                found[tag] = rest.strip()
            elif line.strip():
                raise ValueError(f"unexpected line from the os collector: {line[:80]!r}")
        if not found.get("K") or not found.get("M"):
            raise ValueError("no kernel or architecture in the os collector's output")
        ids = [release.get("ID", "")] + release.get("ID_LIKE", "").split()
        family = next(
            (FAMILIES[i] for i in ids if i in FAMILIES), ids[0] or found.get("S", "").lower()
        )
        return {
            "id": release.get("ID", ""),
            "version_id": release.get("VERSION_ID", ""),
            "pretty_name": release.get("PRETTY_NAME", ""),
            "family": family,
            "system": found.get("S", ""),
            "kernel": found["K"],
            "arch": found["M"],
            "hostname": found.get("H", ""),
            "os_release": release,
        }


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(OsCollector())
