"""``integrity``: package files changed since install (``dpkg --verify`` / ``rpm -Va``).

Facts are keyed by path: ``{path: {"manager", "flags", "config", "missing"}}``. ``flags`` is
the tool's 9-column verify string (``??5??????``: the digest differs).
"""

from __future__ import annotations

import re
from typing import Any

from changekit.api import Collector, hookimpl

_LINE = re.compile(r"^(missing|[?.SM5DLUGTP]{8,9}) +([cdglr]?) *(/.*)$")


class IntegrityCollector(Collector):
    name = "integrity"
    description = "package files modified or missing since install (dpkg --verify, rpm -Va)"

    def script(self, context: dict[str, Any]) -> str:
        return """\
if command -v dpkg >/dev/null 2>&1 && [ -d /var/lib/dpkg/info ]; then
  echo 'T dpkg'; dpkg --verify 2>/dev/null
fi
if command -v rpm >/dev/null 2>&1 && rpm -q rpm >/dev/null 2>&1; then
  echo 'T rpm'; rpm -Va --nodeps --noscripts 2>/dev/null
fi
exit 0
"""

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        changed: dict[str, dict[str, Any]] = {}
        manager = None
        for line in output.splitlines():
            if line in ("T dpkg", "T rpm"):
                manager = line[2:]
                continue
            if not line.strip():
                continue
            m = _LINE.match(line)
            if not m or manager is None:
                raise ValueError(f"not a verify line: {line[:80]!r}")
            flags, attr, path = m.groups()
            changed[path] = {
                "manager": manager,
                "flags": flags,
                "config": attr == "c",
                "missing": flags == "missing",
            }
        return dict(sorted(changed.items()))


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(IntegrityCollector())
