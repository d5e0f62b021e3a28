"""``services``: unit files and their state (systemd), else the SysV ``/etc/init.d`` scripts."""

from __future__ import annotations

from typing import Any

from changekit.api import Collector, hookimpl


class ServicesCollector(Collector):
    name = "services"
    description = (
        "services: systemd unit files and state, or /etc/init.d scripts with runlevel links"
    )

    def script(self, context: dict[str, Any]) -> str:
        return """\
if command -v systemctl >/dev/null 2>&1 && [ -d /lib/systemd/system -o -d /usr/lib/systemd/system ]; then
  echo 'T systemd'
  systemctl list-unit-files --type=service --no-legend --no-pager 2>/dev/null && exit 0
fi
if [ -d /etc/init.d ]; then
  echo 'T sysv'
  for f in /etc/init.d/*; do
    [ -f "$f" ] || continue
    n=${f##*/}
    set -- /etc/rc[2-5].d/S??"$n"
    if [ -e "$1" ]; then echo "S $n enabled"; else echo "S $n disabled"; fi
  done
fi
exit 0
"""

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, Any]:
        manager = None
        services: dict[str, dict[str, str]] = {}
        for line in output.splitlines():
            if line in ("T systemd", "T sysv"):
                manager = line[2:]
                services = {}  # systemctl failed half-way: the SysV listing replaces it
                continue
            if not line.strip():
                continue
            fields = line.split()
            if manager == "systemd" and len(fields) >= 2 and "." in fields[0]:
                entry = {"state": fields[1]}
                if len(fields) >= 3:
                    entry["preset"] = fields[2]
                services[fields[0]] = entry
            elif manager == "sysv" and len(fields) == 3 and fields[0] == "S":
                services[fields[1]] = {"state": fields[2]}
            else:
                raise ValueError(f"unexpected line from the services collector: {line[:80]!r}")
        return {"manager": manager, "services": dict(sorted(services.items()))}


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(ServicesCollector())
