"""Every example inventory: the good ones load as described, each bad one fails with its exact error."""

from __future__ import annotations

from pathlib import Path

import pytest

from changekit.errors import InputError
from changekit.inventory.load import load_inventory

EXAMPLES = Path(__file__).parent / "examples"
ROOT = Path(__file__).resolve().parents[2]
BAD = sorted(p.name for p in (EXAMPLES / "bad").iterdir() if not p.name.endswith(".error"))


def load(path: str | Path):
    return load_inventory(path, ssh_config=False)


@pytest.mark.parametrize("name", BAD)
def test_bad_inventory_fails_with_its_exact_error(name, monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    expected = (EXAMPLES / "bad" / f"{name}.error").read_text(encoding="utf-8").rstrip("\n")
    with pytest.raises(InputError) as caught:
        load(f"bad/{name}")
    assert caught.value.format() == expected


def test_every_bad_example_has_its_error_file():
    errors = {p.name.removesuffix(".error") for p in (EXAMPLES / "bad").glob("*.error")}
    assert errors == set(BAD)


def test_changekit_format_inherits_settings_vars_tags_and_contacts():
    inv = load(EXAMPLES / "good" / "changekit-full.yaml")
    web01 = inv.host("web01")
    assert web01.connect_address == "web01.example.org"
    assert (web01.user, web01.proxy_jump, web01.port) == ("deploy", "jump.example.org", 22)
    assert web01.key_file == str(Path.home() / ".ssh" / "id_web")
    assert web01.groups == {"web", "production"}
    assert web01.tags == {"canary", "prod"}
    # own contacts first, then the innermost group's, then outer ones; no duplicates
    assert web01.contacts == ["alice@example.org", "web-team@example.org", "ops@example.org"]
    # all < production < web < host
    assert web01.vars == {"ntp_server": "ntp.example.org", "http_port": 8443, "role": "web"}
    assert inv.host("web02").vars["http_port"] == 8080
    # a host named only in a group exists, with the group's settings
    assert inv.host("web03").user == "deploy" and inv.host("web03").address is None
    # the inner group's user wins over the outer group's
    db01 = inv.host("db01")
    assert (db01.user, db01.port, db01.connect_address) == ("postgres", 2222, "2001:db8::21")
    assert inv.host("lonely").groups == set() and inv.host("lonely").vars["http_port"] == 80
    assert inv.groups["production"].children == {"web", "db"}


def test_ansible_ini_reads_groups_children_vars_ranges_and_connection_vars():
    inv = load(EXAMPLES / "good" / "ansible-hosts.ini")
    assert sorted(inv.hosts) == [
        "bar.example.com",
        "foo.example.com",
        "mail.example.com",
        "one.example.com",
        "two.example.com",
        "www01.example.com",
        "www02.example.com",
        "www03.example.com",
    ]
    foo = inv.host("foo.example.com")
    assert (foo.address, foo.user) == ("192.0.2.50", "admin")  # host line beats [webservers:vars]
    assert inv.host("bar.example.com").port == 5309
    assert inv.host("www02.example.com").user == "deploy"
    assert inv.host("www02.example.com").groups == {"webservers", "southeast"}
    assert inv.host("www02.example.com").contacts == ["web-team@example.org", "oncall@example.org"]
    assert inv.host("www02.example.com").tags == {"southeast"}
    one = inv.host("one.example.com")
    assert one.key_file == str(Path.home() / ".ssh" / "db_key")
    assert one.vars["http_port"] == 8080 and one.vars["maxRequestsPerChild"] == 808
    assert inv.host("two.example.com").proxy_jump == "bastion.example.com"
    assert inv.host("www01.example.com").vars["proxy"] == "proxy.atlanta.example.com"
    assert "ansible_user" not in inv.host("www01.example.com").vars
    assert inv.host("mail.example.com").groups == set()
    assert [h.name for h in inv.select(["group:ungrouped"])] == ["mail.example.com"]


def test_ansible_yaml_reads_nesting_ranges_and_keeps_vault_values_secret():
    inv = load(EXAMPLES / "good" / "ansible.yml")
    assert {"weba.example.com", "webb.example.com", "webc.example.com"} <= set(inv.hosts)
    www04 = inv.host("www04.example.com")
    assert (www04.address, www04.port, www04.user) == ("192.0.2.4", 2201, "ops")
    assert www04.vars["db_password"] == "<ansible-vault encrypted>"
    assert www04.vars["motd"] == "{{ not a template }}" and www04.vars["unsafe_list"] == ["a", "b"]
    assert inv.host("db1.example.com").user == "postgres"
    assert inv.host("db2.example.com").groups == {"dbservers", "replicas"}
    assert [h.name for h in inv.select(["group:dbservers"])] == [
        "db1.example.com",
        "db2.example.com",
    ]


def test_ansible_folder_merges_files_and_reads_group_vars_and_host_vars():
    inv = load(EXAMPLES / "good" / "ansible-dir")
    assert sorted(inv.hosts) == ["db01", "db02", "web01", "web02"]
    web01, web02 = inv.host("web01"), inv.host("web02")
    assert (web01.address, web01.port, web01.user) == ("10.1.0.1", 2200, "ops")
    assert web01.vars == {"timezone": "UTC", "http_port": 8080}
    assert web02.port == 2202  # the inventory's host variable beats group_vars
    assert inv.host("db02").vars == {"timezone": "UTC", "backup": "nightly"}  # vaulted file skipped


def test_hostile_names_load_and_only_fail_as_connect_addresses():
    inv = load(EXAMPLES / "good" / "hostile.yaml")
    assert len(inv.hosts) == 8
    assert inv.host("web01; rm -rf /").connect_address == "192.0.2.1"
    assert inv.groups["we;rd"].hosts == {"web01; rm -rf /", "`id`"}
    for name in (
        "$(touch /tmp/pwned)",
        "`id`",
        "line\nbreak",
        "wébserveur",
        "-oProxyCommand=evil",
        "--",
        "../../etc/passwd",
    ):
        with pytest.raises(InputError, match="cannot be connected to") as caught:
            _ = inv.host(name).connect_address
        assert caught.value.field == "address" and caught.value.path.endswith("hostile.yaml")


def test_the_demo_inventory_in_the_repository_loads():
    inv = load(ROOT / "inventories")
    assert [h.name for h in inv.select(["group:production"])] == ["db01", "web01", "web02"]
    for host in inv.hosts.values():
        assert host.connect_address
