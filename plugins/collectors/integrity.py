"""``integrity``: package files changed since install (``dpkg --verify`` / ``rpm -Va``).

Facts are keyed by path: ``{path: {"manager", "flags", "config", "missing", "package",
"sha256"}}``. ``flags`` is the tool's 9-column verify string (``??5??????``: the digest
differs); ``package`` is the dpkg package that owns the file (``dpkg -S``, in the same
session); ``sha256`` is the content hash of an edited dpkg conffile, so peers with two
different edits of ``apache2.conf`` are told apart (only edited conffiles are hashed).
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
        return r"""if command -v dpkg >/dev/null 2>&1 && [ -d /var/lib/dpkg/info ]; then
  v=$(dpkg --verify 2>/dev/null)
  echo 'T dpkg'; [ -n "$v" ] && printf '%s\n' "$v"
  # which package owns each changed file: one dpkg -S for all, the paths as arguments
  echo 'T dpkg-owner'
  [ -n "$v" ] && printf '%s\n' "$v" | sed -n 's#^[^/]*\(/.*\)$#\1#p' \
    | xargs -r -d '\n' dpkg -S 2>/dev/null
  # edited conffiles are compared among peers: their content hash tells two edits apart
  echo 'T conffile-sha256'
  [ -n "$v" ] && printf '%s\n' "$v" | sed -n 's#^..5[^ ]* *c \(/.*\)$#\1#p' \
    | xargs -r -d '\n' sha256sum 2>/dev/null
fi
if command -v rpm >/dev/null 2>&1 && rpm -q rpm >/dev/null 2>&1; then
  echo 'T rpm'; rpm -Va --nodeps --noscripts 2>/dev/null
fi
exit 0
"""

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        changed: dict[str, dict[str, Any]] = {}
        owners: dict[str, str] = {}
        hashes: dict[str, str] = {}
        manager = None
        for line in output.splitlines():
            if line in ("T dpkg", "T rpm", "T dpkg-owner", "T conffile-sha256"):
                manager = line[2:]
                continue
            if not line.strip():
                continue
            if manager == "dpkg-owner":
                # "pkg[:arch][, other]: /path"; diversions and other notes have no such form
                owner, sep, path = line.partition(": /")
                if sep and not owner.startswith(("diversion ", "local diversion")):
                    owners["/" + path] = owner.split(",")[0].strip().split(":")[0]
                continue
            if manager == "conffile-sha256":
                digest, sep, path = line.partition("  ")
                if sep and len(digest) == 64:
                    hashes[path] = digest
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
        for path, package in owners.items():
            if path in changed:
                changed[path]["package"] = package
        for path, digest in hashes.items():
            if path in changed and changed[path]["config"]:
                changed[path]["sha256"] = digest
        return dict(sorted(changed.items()))


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(IntegrityCollector())
