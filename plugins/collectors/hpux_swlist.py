"""``swlist``: HP-UX bundles and products (SD-UX ``swlist``).

Plain ``swlist`` lists the installed bundles and the products not contained in a bundle
(patches such as ``PHKL_40918`` included): ``  TAG  REVISION  TITLE`` lines under ``#``
comment headers. Listings at other levels (``swlist -l product``/``-l fileset``) have the
same line shape and parse the same (dotted tags such as ``PROD.FILESET`` are filesets).
HP-UX does not report an architecture per product, so ``arch`` is ``None``.
"""

from __future__ import annotations

import re
from typing import Any

from changekit.api import Collector, hookimpl

_ENTRY = re.compile(r"^\s+(\S+)\s+(\S+)(?:\s+(.*?))?\s*$")


def _level(tag: str, section: str) -> str:
    return "fileset" if "." in tag else section


class SwlistCollector(Collector):
    name = "swlist"
    kind = "inventory"
    description = "HP-UX bundles and products: tag, revision, title (swlist)"

    def script(self, context: dict[str, Any]) -> str:
        return "command -v swlist >/dev/null 2>&1 || exit 0\nswlist\n"

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        items: dict[str, dict[str, Any]] = {}
        section = "product"
        for line in output.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("#"):
                if "Bundle(s):" in stripped:
                    section = "bundle"
                elif "Product(s)" in stripped:
                    section = "product"
                continue
            match = _ENTRY.match(line)
            if not match:
                raise ValueError(
                    f"not a swlist entry (want '  TAG  REVISION  TITLE'): {line[:80]!r}"
                )
            tag, revision, title = match.groups()
            items[tag] = {
                "version": revision,
                "arch": None,
                "level": _level(tag, section),
                "description": title or "",
            }
        return items


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(SwlistCollector())
