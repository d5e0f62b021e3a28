"""The user's ssh_config fills in what the inventory leaves empty, as ``ssh`` would read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from changekit.errors import InputError
from changekit.inventory.load import load_inventory
from changekit.inventory.sshconfig import ENV, SshConfig

INVENTORY = """\
hosts:
  web01: {}
  web02: {user: explicit, port: 2200}
  db01: {address: 10.0.0.21}
  other.example.org: {}
"""

SSH_CONFIG = """\
# first obtained value wins, as in ssh
Host web01
    HostName 192.0.2.11
    IdentityFile ~/.ssh/id_web
    IdentityFile ~/.ssh/id_fallback

Host web*
    User webadmin
    Port 2022
    ProxyJump bastion.example.org

Host 10.0.0.*
    User dba
    Port 5022

Include conf.d/*.conf

Host *
    User fallback
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    inv = tmp_path / "inv.yaml"
    inv.write_text(INVENTORY)
    ssh_dir = tmp_path / "ssh"
    (ssh_dir / "conf.d").mkdir(parents=True)
    (ssh_dir / "config").write_text(SSH_CONFIG)
    (ssh_dir / "conf.d" / "other.conf").write_text(
        "Host other.example.org\n    Port 2200\n    User included\n"
    )
    return inv, ssh_dir / "config"


def test_inventory_values_win_and_ssh_config_fills_the_rest(files):
    inv_path, config = files
    inv = load_inventory(inv_path, ssh_config=config)
    web01 = inv.host("web01")
    assert (web01.address, web01.user, web01.port) == ("192.0.2.11", "webadmin", 2022)
    assert web01.key_file == str(Path.home() / ".ssh" / "id_web")
    assert web01.proxy_jump == "bastion.example.org"
    web02 = inv.host("web02")
    assert (web02.address, web02.user, web02.port) == (None, "explicit", 2200)
    # the lookup key is the address ssh would be given, not the inventory name
    db01 = inv.host("db01")
    assert (db01.address, db01.user, db01.port) == ("10.0.0.21", "dba", 5022)
    other = inv.host("other.example.org")
    assert (other.user, other.port) == ("included", 2200)  # from the Include'd file


def test_environment_variable_chooses_or_disables_the_config(files, monkeypatch):
    inv_path, config = files
    monkeypatch.setenv(ENV, str(config))
    assert load_inventory(inv_path).host("web01").address == "192.0.2.11"
    monkeypatch.setenv(ENV, "none")
    assert load_inventory(inv_path).host("web01").address is None


def test_default_is_the_users_ssh_config(files, isolated_env):
    inv_path, config = files
    (isolated_env / ".ssh").mkdir()
    (isolated_env / ".ssh" / "config").write_text("Host web01\n  HostName 192.0.2.99\n")
    assert load_inventory(inv_path).host("web01").address == "192.0.2.99"


def test_missing_config_is_empty(tmp_path):
    assert SshConfig(tmp_path / "nope").lookup("web01") == {}


def test_include_returns_to_the_including_block(tmp_path):
    (tmp_path / "extra").write_text("Host other\n  User o\n")
    (tmp_path / "config").write_text("Host web01\n  Include extra\n  User w\n")
    config = SshConfig(tmp_path / "config")
    assert config.lookup("web01") == {"user": "w"}
    assert config.lookup("other") == {"user": "o"}


def test_unparsable_config_is_a_clear_error(tmp_path):
    (tmp_path / "config").write_text("Host\n")
    with pytest.raises(InputError) as caught:
        SshConfig(tmp_path / "config")
    assert caught.value.path == str(tmp_path / "config")
    assert ENV in caught.value.hint


def test_match_blocks_still_apply(tmp_path):
    (tmp_path / "config").write_text(
        "Host web*\n  HostName 10.9.0.1\nMatch host 10.9.*\n  User matched\n  Port 2201\n"
    )
    config = SshConfig(tmp_path / "config")
    assert config.lookup("web01") == {"address": "10.9.0.1", "user": "matched", "port": "2201"}
    assert config.lookup("db01") == {}
