"""``pkginfo``: Solaris SVR4 packages (``pkginfo -l``).

``pkginfo -l`` prints one block per package instance, ``KEY:  value`` lines separated by
blank lines. Items are keyed by ``PKGINST`` (``SUNWgtar``; a second instance is
``SUNWgtar.2``); ``version`` is ``VERSION`` (``11.10.0,REV=2005.01.08.01.09``), ``arch``
is ``ARCH``, ``status`` says whether it is completely or partially installed.
"""

from __future__ import annotations

import re
from typing import Any

from changekit.api import Collector, hookimpl

_FIELD = re.compile(r"^\s*([A-Z]+):\s*(.*?)\s*$")


def _item(block: dict[str, str]) -> tuple[str, dict[str, Any]]:
    missing = [k for k in ("PKGINST", "VERSION") if not block.get(k)]
    if missing:
        raise ValueError(f"pkginfo block without {', '.join(missing)}: {block}")
    return block["PKGINST"], {
        "version": block["VERSION"],
        "arch": block.get("ARCH") or None,
        "status": block.get("STATUS", ""),
        "description": block.get("NAME", ""),
    }


class PkginfoCollector(Collector):
    name = "pkginfo"
    kind = "inventory"
    description = "Solaris SVR4 packages: instance, version, architecture (pkginfo -l)"

    def script(self, context: dict[str, Any]) -> str:
        return "command -v pkginfo >/dev/null 2>&1 || exit 0\npkginfo -l\n"

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        items: dict[str, dict[str, Any]] = {}
        block: dict[str, str] = {}
        for line in [*output.splitlines(), ""]:
            if not line.strip():
                if block:
                    key, item = _item(block)
                    items[key] = item
                    block = {}
                continue
            match = _FIELD.match(line)
            if match:
                block.setdefault(match.group(1), match.group(2))
            elif not block:
                raise ValueError(f"not pkginfo -l output: {line[:80]!r}")
        return dict(sorted(items.items()))


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(PkginfoCollector())
