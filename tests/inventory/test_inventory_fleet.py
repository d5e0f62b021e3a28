"""Inventories against the real sshd test fleet: the formats agree on the fleet's hosts, and
hosts named only by name are reached through the user's ssh_config (HostName, User,
IdentityFile) exactly as ``ssh`` would reach them."""

from __future__ import annotations

import json

import pytest

from changekit.inventory.load import load_inventory

pytestmark = pytest.mark.fleet


def resolved(path):
    inv = load_inventory(path, ssh_config=False)
    hosts = {
        n: (h.connect_address, h.port, h.user, h.key_file, frozenset(h.groups))
        for n, h in inv.hosts.items()
    }
    return hosts


def test_changekit_and_ansible_inventories_of_the_fleet_agree(fleet):
    ours = resolved(fleet.inventory)
    assert ours == resolved(fleet.ansible_ini) == resolved(fleet.ansible_yaml)
    for name, host in fleet.hosts.items():
        assert ours[name][:3] == (host.address, host.port, "root")


def scan(run_cli, fleet, inventory, *names, ssh_config):
    result = run_cli(
        "scan", *names, "-i", str(inventory), "--ssh-config", ssh_config,
        "--known-hosts", str(fleet.known_hosts), "--collectors", "os", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {s["host"]: s for s in json.loads(result.stdout)["snapshots"]}


def test_names_only_inventory_reaches_hosts_through_ssh_config(fleet, run_cli, tmp_path):
    names = [fleet.names(group="web")[0], fleet.names(group="db")[-1]]
    inventory = tmp_path / "names.yaml"
    inventory.write_text("hosts:\n" + "".join(f"  {n}:\n" for n in names))
    # the fleet's ssh_config has "Host NAME / HostName 127.x.y.z" and User, IdentityFile
    snapshots = scan(run_cli, fleet, inventory, *names, ssh_config=str(fleet.ssh_config))
    assert {n: s["address"] for n, s in snapshots.items()} == {
        n: fleet.hosts[n].address for n in names
    }
    assert all(s["facts"]["os"]["id"] == "debian" for s in snapshots.values())


def test_ansible_ini_inventory_connects_with_its_own_variables(fleet, run_cli):
    name = fleet.names(group="app")[0]
    snapshots = scan(run_cli, fleet, fleet.ansible_ini, name, ssh_config="none")
    assert snapshots[name]["address"] == fleet.hosts[name].address
