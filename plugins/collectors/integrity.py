"""``integrity``: package files changed since install (``dpkg --verify`` / ``rpm -Va``).

Facts are keyed by path: ``{path: {"manager", "flags", "config", "missing", "package",
"sha256"}}``. ``flags`` is the tool's 9-column verify string (``??5??????``: the digest
differs); ``package`` is the dpkg package that owns the file (``dpkg -S``, in the same
session); ``sha256`` is the content hash of an edited dpkg conffile, so peers with two
different edits of ``apache2.conf`` are told apart (only edited conffiles are hashed).

On dpkg hosts a repeat scan re-hashes only the files whose inode, size or change time moved
since the last verified scan (integrity_dpkg.py); on rpm hosts it runs ``rpm -V`` only on the
packages with such a file or a new install (integrity_rpm.py). A full verify runs on a schedule,
on demand, or whenever the host's baseline is not the one the last stored snapshot recorded
(integrity_plan.py). How each run went is the snapshot's ``runs.integrity`` (``run_info``).
"""

from __future__ import annotations

import re
from typing import Any

from changekit.api import Collector, hookimpl

from . import hostcache
from .integrity_dpkg import SCRIPT as DPKG_SCRIPT
from .integrity_rpm import SCRIPT as RPM_SCRIPT

_LINE = re.compile(r"^(missing|[?.SM5DLUGTP]{8,9}) +([cdglr]?) *(/.*)$")
_SECTIONS = ("T dpkg", "T rpm", "T dpkg-owner", "T conffile-sha256", "T dpkg-hashed")
_COUNTS = ("files", "hashed", "carried")


class IntegrityCollector(Collector):
    name = "integrity"
    description = "package files modified or missing since install (dpkg --verify, rpm -Va)"

    def script(self, context: dict[str, Any]) -> str:
        return hostcache.head(hostcache.plan_for(self.name, context)) + DPKG_SCRIPT + RPM_SCRIPT

    def parse(self, output: str, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        changed: dict[str, dict[str, Any]] = {}
        owners: dict[str, str] = {}
        hashes: dict[str, str] = {}
        manager = None
        for line in output.splitlines():
            if line in _SECTIONS:
                manager = line[2:]
                continue
            if not line.strip() or line.startswith("T meta ") or manager == "dpkg-hashed":
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

    def run_info(self, output: str, context: dict[str, Any]) -> dict[str, Any] | None:
        """How the dpkg verify ran: ``mode`` (full/incremental), ``why`` a full one, the
        counts of ``files``, ``hashed`` and ``carried``, the host baseline's sha256
        (``baseline``, ``None`` when none was kept), when the last full verify ran
        (``full_at``) and the first re-hashed paths (``hashed_paths``). ``None`` without dpkg."""
        meta: dict[str, str] = {}
        hashed: list[str] = []
        in_hashed = False
        for line in output.splitlines():
            if line.startswith("T meta "):
                key, _, value = line[7:].partition(" ")
                meta[key] = value
            elif line in _SECTIONS:
                in_hashed = line == "T dpkg-hashed"
            elif in_hashed and line.startswith("/"):
                hashed.append(line)
        info = hostcache.run_info(meta, _COUNTS, self.name, context)
        if info is None:
            return None
        if info["mode"] == "incremental":
            info["hashed_paths"] = hashed
        return info


@hookimpl(trylast=True)
def register_collectors(register) -> None:
    register(IntegrityCollector())
