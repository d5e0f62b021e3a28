"""Who hears about a change: the contacts of the affected hosts and services, nobody else."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from changekit.errors import InputError
from changekit.inventory.model import Host, Inventory
from changekit.notices.config import NoticesConfig
from changekit.notices.contacts import contact_key, parse_contact
from changekit.notices.model import Audience


def affected_hosts(record: dict[str, Any], inventory: Inventory) -> list[Host]:
    """The hosts a record's selectors name, resolved against the inventory."""
    try:
        return inventory.select(list(record.get("hosts") or []))
    except InputError as exc:
        exc.field = "hosts"
        exc.hint = f"{record.get('id')} names hosts the inventory does not know; fix the record or the inventory"
        raise


def reader_zone(record: dict[str, Any], config: NoticesConfig, contact: str | None = None) -> str:
    """The zone times are shown in: the audience's own, else the team's, else the window's."""
    return (
        (config.audience_zone(contact) if contact else None)
        or config.data.get("timezone")
        or (record.get("window") or {}).get("timezone")
        or "UTC"
    )


def audiences_for(
    record: dict[str, Any], hosts: list[Host], config: NoticesConfig
) -> list[Audience]:
    """Contacts of the affected hosts (their groups' included), of the affected services,
    and any extra audiences the record names; each reader once, in a stable order.

    Readers are matched by address (``DBA <dba@example.org>`` is ``dba@example.org``), so
    the zone and name ``notices.yaml`` gives them apply whatever display name a source uses."""
    names: list[str] = []
    for host in hosts:
        names.extend(host.contacts)
    for service in record.get("services") or []:
        names.extend(config.service_contacts(service))
    names.extend((record.get("announcement") or {}).get("audiences") or [])
    seen: dict[str, Audience] = {}
    for name in names:
        key, shown = parse_contact(name)
        if not key:
            continue
        if key not in seen:
            seen[key] = Audience(
                name=key,
                timezone=reader_zone(record, config, key),
                display_name=config.audience_name(key) or shown or None,
            )
        elif shown and not seen[key].display_name:
            seen[key] = replace(seen[key], display_name=shown)
    return list(seen.values())


def find_audience(audiences: list[Audience], contact: str) -> Audience | None:
    """The affected reader ``contact`` names (by address, any display name or case)."""
    key = contact_key(contact)
    return next((a for a in audiences if a.name == key), None)
