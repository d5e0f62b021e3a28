"""``lslpp``: AIX installp filesets and AIX Toolbox RPMs (``lslpp -Lc``).

``lslpp -Lc`` prints one colon-separated line per fileset or RPM (``#`` starts the header):
``Package Name:Fileset:Level:State:PTF Id:Fix State:Type:Description:...``. Filesets are
keyed by fileset name (``bos.rte``); RPMs (type ``R``) by package name (``bash``), and an
RPM whose name is also a fileset's is keyed ``rpm:NAME``. AIX does not report an
architecture per fileset, so ``arch`` is ``None``.
"""

from __future__ import annotations

import re
from typing import Any

from changekit.api import Collector, hookimpl

TYPES = {
    "F": "fileset",
    "P": "product",
    "C": "component",
    "T": "feature",
    "R": "rpm",
    "E": "efix",
    " ": "fileset",
    "": "fileset",
}
STATES = {
    "A": "applied",
    "B": "broken",
    "C": "committed",
    "E": "efix-locked",
    "O": "obsolete",
    "?": "inconsistent",
}


_DATE_TAIL = re.compile(r"\d\d:\d\d:\d\d \S+ \d{4}$")
_TAIL_FIELDS = 10
"""Fields after Description: Destination Dir. ... Install Path, Build Date."""


def _description(rest: list[str]) -> str:
    """The Description field, which may itself contain colons (``Net::SMTP``)."""
    if len(rest) >= 3 and _DATE_TAIL.search(":".join(rest[-3:])):
        rest = [
            *rest[:-3],
            ":".join(rest[-3:]),
        ]  # an RPM's build date, "Tue Mar 20 00:40:38 EDT 2018"
    kept = rest[:-_TAIL_FIELDS] if len(rest) > _TAIL_FIELDS else rest[:1]
    return ":".join(kept).strip()


class LslppCollector(Collector):
    name = "lslpp"
    kind = "inventory"
    description = "AIX filesets and RPMs: name, level, state (lslpp -Lc)"

    def script(self, context: dict[str, Any]) -> str:
        return "command -v lslpp >/dev/null 2>&1 || exit 0\nlslpp -Lc\n"

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        items: dict[str, dict[str, Any]] = {}
        rpms: list[tuple[str, dict[str, Any]]] = []
        for line in output.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split(":")
            if len(fields) < 8 or not fields[1].strip() or not fields[2].strip():
                raise ValueError(f"not an lslpp -Lc line: {line[:80]!r}")
            package, fileset, level, state, _ptf, fix_state, kind = (f.strip() for f in fields[:7])
            description = _description(fields[7:])
            if kind not in TYPES:
                raise ValueError(f"unknown lslpp type {kind!r} for {fileset}")
            code = fix_state or state
            item = {
                "version": level,
                "arch": None,
                "type": TYPES[kind],
                "state": STATES.get(code, code or None),
                "description": description,
            }
            if TYPES[kind] == "rpm":
                rpms.append((package, item))
            else:
                items.setdefault(fileset, item)
        for package, item in rpms:
            items.setdefault(package if package not in items else f"rpm:{package}", item)
        return dict(sorted(items.items()))


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(LslppCollector())
