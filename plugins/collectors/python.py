"""``python``: distributions installed for the system Python interpreter(s).

Read from ``*.dist-info/METADATA`` and ``*.egg-info`` with ``grep``: the host needs no Python.
Directories are listed in import order (``/usr/local`` before ``/usr``, as Debian's
``sys.path`` has them); a distribution found twice keeps the first and lists the rest
under ``shadowed``.
"""

from __future__ import annotations

import re
from typing import Any

from changekit.api import Collector, hookimpl

SITE_DIRS = (
    "/usr/local/lib/python3*/dist-packages /usr/local/lib/python3*/site-packages "
    "/usr/lib/python3/dist-packages /usr/lib/python3*/site-packages /usr/lib/python3*/dist-packages "
    "/usr/lib64/python3*/site-packages /usr/local/lib64/python3*/site-packages "
    "/usr/lib/python2*/dist-packages /usr/lib/python2*/site-packages /usr/lib64/python2*/site-packages"
)
_GREP = re.compile(r"^(.*):(Name|Version): ?(.*)$")


def normalize(name: str) -> str:
    """PEP 503 name: ``PyYAML`` and ``pyyaml`` are the same distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


class PythonCollector(Collector):
    name = "python"
    kind = "inventory"
    description = "Python distributions (dist-info / egg-info) of the system interpreters"

    def script(self, context: dict[str, Any]) -> str:
        return f"""\
seen=' '
for d in {SITE_DIRS}; do
  [ -d "$d" ] || continue
  case "$seen" in *" $d "*) continue ;; esac
  seen="$seen$d "
  printf 'D %s\\n' "$d"
  find "$d/" -maxdepth 2 \\( -path '*.dist-info/METADATA' -o -path '*.egg-info/PKG-INFO' \\
    -o \\( -name '*.egg-info' -type f \\) \\) -exec grep -m2 -H -E '^(Name|Version):' {{}} + | sed 's/^/M /'
done
"""

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, str]] = {}  # metadata file -> Name/Version
        where: dict[str, str] = {}
        directory = None
        for line in output.splitlines():
            tag, _, rest = line.partition(" ")
            if tag == "D":
                directory = rest
            elif tag == "M" and directory:
                m = _GREP.match(rest)
                if not m:
                    raise ValueError(f"not a metadata line: {rest[:80]!r}")
                found.setdefault(m.group(1), {})[m.group(2)] = m.group(3).strip()
                where[m.group(1)] = directory
            elif line.strip():
                raise ValueError(f"unexpected line from the python collector: {line[:80]!r}")
        dists: dict[str, dict[str, Any]] = {}
        for path, meta in found.items():  # insertion order is import order
            if "Name" not in meta:
                continue
            key = normalize(meta["Name"])
            entry = {"version": meta.get("Version", ""), "name": meta["Name"], "path": where[path]}
            if key in dists:
                dists[key].setdefault("shadowed", []).append(entry)
            else:
                dists[key] = entry
        return dict(sorted(dists.items()))


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(PythonCollector())
