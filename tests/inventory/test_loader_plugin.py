"""A third-party inventory format is a small plugin through register_inventory_loaders."""

from __future__ import annotations

import pytest

from changekit.api import InventoryDraft, InventoryLoader, InventorySource, hookimpl
from changekit.errors import PluginError
from changekit.inventory.load import inventory_loaders, load_inventory
from changekit.plugins import get_manager


class CsvLoader(InventoryLoader):
    name = "csv"

    def accepts(self, source: InventorySource) -> bool:
        return source.suffix == ".csv"

    def load(self, source: InventorySource) -> InventoryDraft:
        draft = InventoryDraft()
        for line in source.text.splitlines()[1:]:
            name, address, group = line.split(",")
            draft.host(name).settings["address"] = address
            draft.add_to_group(group, name)
            draft.group(group)
        return draft


class CsvPlugin:
    @hookimpl
    def register_inventory_loaders(self, register):
        register(CsvLoader())


class BrokenPlugin:
    @hookimpl
    def register_inventory_loaders(self, register):
        register("not a loader")


@pytest.fixture
def plugin():
    pm = get_manager()
    instance = CsvPlugin()
    pm.register(instance, name="csv-test")
    yield
    pm.unregister(name="csv-test")


def test_builtin_loaders_are_registered():
    assert {"changekit", "ansible-ini", "ansible-yaml"} <= {
        loader.name for loader in inventory_loaders()
    }


def test_a_plugin_loader_reads_its_format(plugin, tmp_path):
    path = tmp_path / "fleet.csv"
    path.write_text("name,address,group\nweb01,192.0.2.1,web\n")
    inv = load_inventory(path, ssh_config=False)
    assert inv.host("web01").connect_address == "192.0.2.1"
    assert inv.host("web01").groups == {"web"}


def test_a_plugin_registering_garbage_is_named(tmp_path):
    pm = get_manager()
    pm.register(BrokenPlugin(), name="broken-test")
    try:
        with pytest.raises(PluginError, match="not an InventoryLoader"):
            inventory_loaders()
    finally:
        pm.unregister(name="broken-test")
