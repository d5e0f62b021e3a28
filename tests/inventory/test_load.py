"""Where the inventory comes from, and merging several files."""

from __future__ import annotations

from pathlib import Path

import pytest

from changekit.errors import InputError
from changekit.inventory.load import load_inventory
from changekit.workspace import Workspace


def workspace(tmp_path: Path, config: str = "") -> Workspace:
    (tmp_path / "changekit.yaml").write_text(config)
    return Workspace(tmp_path)


def test_default_is_every_file_in_the_workspace_inventories_folder(tmp_path):
    ws = workspace(tmp_path)
    (tmp_path / "inventories" / "site-b").mkdir(parents=True)
    (tmp_path / "inventories" / "a.yaml").write_text(
        "groups:\n  web:\n    hosts: [web01]\n    user: deploy\n"
    )
    (tmp_path / "inventories" / "site-b" / "hosts").write_text("[web]\nweb02\n[web:vars]\nteam=b\n")
    (tmp_path / "inventories" / "notes.md").write_text("# not an inventory\n")
    (tmp_path / "inventories" / ".hidden.yaml").write_text("{broken")
    inv = load_inventory(None, ws, ssh_config=False)
    assert sorted(inv.hosts) == ["web01", "web02"]
    # a group declared in one file and given vars in another is one group
    assert inv.host("web02").user == "deploy" and inv.host("web01").vars == {"team": "b"}


def test_inventory_key_in_changekit_yaml(tmp_path):
    ws = workspace(tmp_path, "inventory: [ops/hosts.ini, extra.yaml]\n")
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "hosts.ini").write_text("web01\n")
    (tmp_path / "extra.yaml").write_text("hosts:\n  db01:\n")
    assert sorted(load_inventory(None, ws, ssh_config=False).hosts) == ["db01", "web01"]


def test_explicit_path_wins_over_the_workspace(tmp_path):
    ws = workspace(tmp_path)
    (tmp_path / "inventories").mkdir()
    (tmp_path / "inventories" / "a.yaml").write_text("hosts:\n  web01:\n")
    other = tmp_path / "other.ini"
    other.write_text("db01\n")
    assert list(load_inventory(other, ws, ssh_config=False).hosts) == ["db01"]


def test_comma_separated_host_list_like_ansible():
    inv = load_inventory("web01,web02.example.org,", ssh_config=False)
    assert sorted(inv.hosts) == ["web01", "web02.example.org"]


def test_missing_inventory_and_no_workspace_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="inventory not found") as caught:
        load_inventory(tmp_path / "nope.yaml")
    assert caught.value.path == str(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="no inventory given"):
        load_inventory(None, None)
    ws = workspace(tmp_path)
    with pytest.raises(InputError, match="inventory not found") as caught:
        load_inventory(None, ws)
    assert "inventories/" in caught.value.hint


def test_yaml_syntax_error_in_a_yaml_file_is_reported_as_such(tmp_path):
    path = tmp_path / "inv.yaml"
    path.write_text("hosts: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_inventory(path, ssh_config=False)


def test_ini_hosts_file_without_extension_and_empty_file(tmp_path):
    (tmp_path / "hosts").write_text("web01 ansible_host=10.0.0.1\n")
    assert load_inventory(tmp_path / "hosts", ssh_config=False).host("web01").address == "10.0.0.1"
    (tmp_path / "empty.ini").write_text("")
    assert load_inventory(tmp_path / "empty.ini", ssh_config=False).hosts == {}


def test_huge_host_range_is_refused_not_expanded(tmp_path):
    (tmp_path / "hosts").write_text("[web]\nweb[0:99999999]\n")
    with pytest.raises(InputError, match="more than 100000") as caught:
        load_inventory(tmp_path / "hosts", ssh_config=False)
    assert caught.value.line == 2


def test_host_vars_cannot_escape_the_vars_folder_with_a_hostile_name(tmp_path):
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "secret").write_text("ansible_host: 10.6.6.6\n")
    (tmp_path / "hosts").write_text('"../secret"\n')
    inv = load_inventory(tmp_path / "hosts", ssh_config=False)
    assert inv.host("../secret").address is None


def test_windows_editor_files_with_bom_and_crlf(tmp_path):
    (tmp_path / "hosts").write_bytes(
        b"\xef\xbb\xbf[web]\r\nweb01 ansible_port=2200\r\n[web:vars]\r\nteam=a\r\n"
    )
    inv = load_inventory(tmp_path / "hosts", ssh_config=False)
    assert inv.host("web01").port == 2200 and inv.host("web01").vars == {"team": "a"}
    (tmp_path / "inv.yaml").write_bytes(b"\xef\xbb\xbfhosts:\r\n  db01:\r\n    port: 2201\r\n")
    assert load_inventory(tmp_path / "inv.yaml", ssh_config=False).host("db01").port == 2201
