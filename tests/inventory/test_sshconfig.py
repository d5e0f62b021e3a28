"""The user's ssh_config fills in what the inventory leaves empty, as ``ssh`` would read it."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import pytest

from changekit.errors import InputError
from changekit.inventory.load import load_inventory
from changekit.inventory.sshconfig import ENV, SshConfig
from tests.needs import need_tools

INVENTORY = """\
hosts:
  web01: {}
  web02: {user: explicit, port: 2200}
  db01: {address: 10.0.0.21}
  other.example.org: {}
"""

SSH_CONFIG = """\
# first obtained value wins, as in ssh
Include conf.d/*.conf

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

Host *
    User fallback
"""


@pytest.fixture
def files(tmp_path: Path, isolated_env: Path) -> tuple[Path, Path]:
    inv = tmp_path / "inv.yaml"
    inv.write_text(INVENTORY)
    # relative Include paths are taken from ~/.ssh, as ssh does for a user config
    (isolated_env / ".ssh" / "conf.d").mkdir(parents=True)
    (isolated_env / ".ssh" / "conf.d" / "other.conf").write_text(
        "Host other.example.org\n    Port 2200\n    User included\n"
    )
    config = tmp_path / "ssh_config"
    config.write_text(SSH_CONFIG)
    return inv, config


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
    (isolated_env / ".ssh").mkdir(exist_ok=True)
    (isolated_env / ".ssh" / "config").write_text("Host web01\n  HostName 192.0.2.99\n")
    assert load_inventory(inv_path).host("web01").address == "192.0.2.99"


def test_missing_config_is_empty(tmp_path):
    assert SshConfig(tmp_path / "nope").lookup("web01") == {}


def test_include_inside_a_block_is_conditional_and_returns_to_it(tmp_path, isolated_env):
    (isolated_env / ".ssh").mkdir()
    (isolated_env / ".ssh" / "extra").write_text("Host other\n  User o\n")
    (tmp_path / "config").write_text("Host web01\n  Include extra\n  User w\n")
    config = SshConfig(tmp_path / "config")
    assert config.lookup("web01") == {"user": "w"}
    assert config.lookup("other") == {}  # OpenSSH reads extra only for web01 (ssh -G agrees)


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


OPENSSH_CONFIG = """\
Include {conf_d}/global.conf
Host web01
    HostName 192.0.2.11
    Include {conf_d}/web01.conf
    IdentityFile /keys/id_fallback
Host web* !web03
    User webadmin
    Port 2022
    ProxyJump bastion.example.org
Host 10.0.0.*
    User dba
    Include {conf_d}/dba.conf
Match host 192.0.2.*
    Port 2299
    User matched
Match originalhost db*
    User dbadmin
Host *
    IdentityFile /keys/id_default
"""
INCLUDED = {
    "global.conf": "Host other.example.org\n  Port 2200\n  User included\n",
    # conditional includes: read only for targets the enclosing block matches
    "web01.conf": "IdentityFile /keys/id_web\nHost other2\n  User not-for-other2\n",
    "dba.conf": "Host 10.0.0.2*\n  Port 2121\nHost other3\n  User not-for-other3\n",
}


def ssh_g(config: Path, target: str) -> dict[str, str]:
    """What OpenSSH itself resolves for ``target`` (``ssh -G`` prints it and exits)."""
    need_tools("ssh", hint="apt-get install openssh-client")
    out = subprocess.run(
        ["ssh", "-G", "-F", str(config), target],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    found: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        found.setdefault(key, value)  # the first identityfile is the one tried first
    return found


@pytest.mark.parametrize(
    "target",
    [
        "web01",
        "web02",
        "web03",
        "10.0.0.21",
        "other.example.org",
        "db01",
        "192.0.2.50",
        "plain.example",
    ],
)
def test_lookup_agrees_with_openssh(tmp_path, target):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text(
        "Host other.example.org\n  Port 2200\n  User included\n"
    )
    config = tmp_path / "config"
    config.write_text(OPENSSH_CONFIG.format(conf_d=tmp_path / "conf.d"))
    ours, theirs = SshConfig(config).lookup(target), ssh_g(config, target)
    assert ours.get("address", target) == theirs["hostname"]
    assert int(ours.get("port", 22)) == int(theirs["port"])
    assert ours.get("user", pwd.getpwuid(os.getuid()).pw_name) == theirs["user"]
    assert ours.get("key_file") == theirs["identityfile"]
    assert ours.get("proxy_jump") == theirs.get("proxyjump")
