"""Policy and drift read a record's host selectors in the same grammar that filing accepts."""

from __future__ import annotations

from changekit.inventory.model import Group, Host, Inventory
from changekit.inventory.selectors import hosts_of
from changekit.policy.hosts import resolve


def inventory() -> Inventory:
    hosts = {
        "web1": Host("web1", groups={"web"}, tags={"prod"}),
        "web2": Host("web2", groups={"web"}),
        "db1": Host("db1", groups={"db"}, tags={"prod"}),
    }
    groups = {"web": Group("web", hosts={"web1", "web2"}), "db": Group("db", hosts={"db1"})}
    return Inventory(hosts=hosts, groups=groups)


def test_intersection_and_exclusion_resolve_to_hosts():
    inv = inventory()
    assert resolve({"hosts": ["group:web&tag:prod"]}, inv).names == {"web1"}
    assert resolve({"hosts": ["!db1"]}, inv).names == {"web1", "web2"}


def test_unknown_group_in_an_old_record_names_no_host_instead_of_failing():
    assert hosts_of(inventory(), "group:gone") == []
    assert resolve({"hosts": ["group:gone"]}, inventory()).names == {"group:gone"}
