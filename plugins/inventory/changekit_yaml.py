"""The changekit YAML inventory format (``schemas/inventory.schema.json``)::

hosts:
  web01: {address: 10.0.0.11, tags: [prod]}
groups:
  web: {hosts: [web01], user: deploy, contacts: [web-team@example.org]}
"""

from __future__ import annotations

from typing import Any

from changekit.api import (
    INVENTORY_SETTINGS,
    InventoryDraft,
    InventoryLoader,
    InventorySource,
    hookimpl,
    validate_yaml,
)

_MARKERS = {"hosts", "groups", "version"}


def _fill(entry: Any, spec: dict) -> None:
    entry.settings.update({k: spec[k] for k in INVENTORY_SETTINGS if k in spec})
    entry.vars.update(spec.get("vars") or {})
    entry.tags.extend(str(t) for t in spec.get("tags") or [] if str(t) not in entry.tags)
    entry.contacts.extend(c for c in spec.get("contacts") or [] if c not in entry.contacts)


class ChangekitYamlLoader(InventoryLoader):
    name = "changekit"
    description = "changekit YAML inventory: hosts:, groups: (schema: changekit schema inventory)"

    def accepts(self, source: InventorySource) -> bool:
        data = source.yaml()
        return (
            isinstance(data, dict) and bool(_MARKERS & {str(k) for k in data}) and "all" not in data
        )

    def load(self, source: InventorySource) -> InventoryDraft:
        data = source.yaml() or {}
        validate_yaml(data, "inventory", path=source.path, text=source.text)
        lines = source.key_lines()
        path = str(source.path)
        draft = InventoryDraft(source=path)
        for raw_name, spec in (data.get("hosts") or {}).items():
            name, spec = str(raw_name), spec or {}
            line = lines.get(("hosts", name))
            _fill(draft.host(name, path=path, line=line), spec)
            for group in spec.get("groups") or []:
                draft.add_to_group(str(group), name, path=path, line=line)
                draft.require_group(str(group), path=path, line=line, field=f"hosts.{name}.groups")
        for raw_name, spec in (data.get("groups") or {}).items():
            name, spec = str(raw_name), spec or {}
            line = lines.get(("groups", name))
            _fill(draft.group(name, path=path, line=line), spec)
            for host in spec.get("hosts") or []:
                draft.add_to_group(name, str(host), path=path, line=line)
            for child in spec.get("children") or []:
                draft.add_child(name, str(child), path=path, line=line)
                draft.require_group(
                    str(child), path=path, line=line, field=f"groups.{name}.children"
                )
        return draft


@hookimpl(trylast=True)
def register_inventory_loaders(register):
    register(ChangekitYamlLoader())
