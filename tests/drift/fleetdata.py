"""Small in-memory fleets for the pure analyzer tests (the real fleet is in tests/testfleet)."""

from __future__ import annotations

import copy
from typing import Any

from changekit.inventory.model import Group, Host, Inventory

BASE: dict[str, Any] = {
    "dpkg": {
        "apache2": {"version": "2.4.62-1~deb12u2"},
        "libpdf-api2-perl": {"version": "2.044-1"},
        "tzdata": {"version": "2025b-0+deb12u1"},
    },
    "perl": {"PDF::API2": {"version": "2.044"}},
    "files": {"/etc/apache2/apache2.conf": {"sha256": "a" * 64}},
    "services": {"manager": "systemd", "services": {"ssh.service": {"state": "enabled"}}},
    "integrity": {},
    "preload": {"ld_so_preload_exists": False, "ld_so_preload": [], "environment": []},
}


def snapshot(host: str, scan: str, at: str, **changes: Any) -> dict[str, Any]:
    facts = copy.deepcopy(BASE)
    for key, value in changes.items():
        collector, _, item = key.partition("__")
        if item:
            item = item.replace("_COLON_", "::").replace("_", "-")
            if value is None:
                facts[collector].pop(item, None)
            else:
                facts[collector][item] = value
        else:
            facts[collector] = value
    return {
        "schema_version": 1,
        "scan_id": scan,
        "host": host,
        "collected_at": at,
        "facts": facts,
        "errors": {},
    }


def inventory(groups: dict[str, list[str]]) -> Inventory:
    inv = Inventory()
    for g, hosts in groups.items():
        inv.groups[g] = Group(g, hosts=set(hosts))
        for h in hosts:
            inv.hosts.setdefault(h, Host(h)).groups.add(g)
    return inv
