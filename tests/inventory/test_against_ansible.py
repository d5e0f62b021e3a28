"""Ansible inventories read as Ansible reads them: ``ansible-inventory --list`` (ansible-core,
the real peer) and changekit must agree on hosts, group membership and every resolved
variable. Needs ansible-core (the ``bench`` extra): skipped without it, a failure under CI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from changekit.inventory.load import load_inventory
from tests.needs import unavailable

GOOD = Path(__file__).parent / "examples" / "good"
# field -> Ansible's names for it, in the ssh connection plugin's order (the last set wins)
CONNECTION = {
    "address": ("ansible_host", "ansible_ssh_host"),
    "port": ("ansible_port", "ansible_ssh_port"),
    "user": ("ansible_user", "ansible_ssh_user"),
    "key_file": ("ansible_private_key_file", "ansible_ssh_private_key_file"),
}
ANSIBLE_NAMES = {name for names in CONNECTION.values() for name in names}


def ansible_list(path: Path, home: Path) -> dict:
    exe = Path(sys.executable).parent / "ansible-inventory"
    if not exe.exists():
        exe = Path(shutil.which("ansible-inventory") or exe)
    if not exe.exists():
        unavailable("ansible-core not installed (pip install -e '.[bench]')")
    env = {
        **os.environ,
        "HOME": str(home),
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home),
    }
    out = subprocess.run(
        [str(exe), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


def plain(value):
    """ansible-inventory's JSON marks !unsafe values as {"__ansible_unsafe": value}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def memberships(listing: dict) -> dict[str, set[str]]:
    """host -> every group it is in (nested), from ansible-inventory's JSON."""
    found: dict[str, set[str]] = {}

    def walk(group: str, parents: list[str]) -> None:
        entry = listing.get(group, {})
        for host in entry.get("hosts", []):
            found.setdefault(host, set()).update(parents + [group])
        for child in entry.get("children", []):
            walk(child, parents + [group])

    walk("all", [])
    return {h: g - {"all", "ungrouped"} for h, g in found.items()}


@pytest.mark.parametrize(
    "name",
    ["ansible-hosts.ini", "ansible.yml", "ansible-dir", "ansible-precedence", "ansible-kubespray"],
)
def test_changekit_agrees_with_ansible_inventory(name, tmp_path):
    path = GOOD / name
    if name == "ansible-dir":  # without its vault-encrypted file: Ansible would need the password
        path = Path(shutil.copytree(path, tmp_path / name))
        (path / "group_vars" / "db.yaml").unlink()
    listing = ansible_list(path, tmp_path)
    inv = load_inventory(path, ssh_config=False)
    groups = memberships(listing)
    assert set(inv.hosts) == set(groups)
    for host_name, ansible_groups in groups.items():
        host = inv.host(host_name)
        assert host.groups - {"ungrouped"} == ansible_groups, host_name
        hostvars = listing["_meta"]["hostvars"].get(host_name, {})
        for field_name, names in CONNECTION.items():
            value = next((hostvars[n] for n in reversed(names) if n in hostvars), None)
            if field_name == "key_file" and value:
                value = os.path.expanduser(value)
            assert getattr(host, field_name) == (value if field_name != "port" or value else 22), (
                host_name,
                field_name,
            )
        expected_vars = {}
        for key, value in hostvars.items():
            if isinstance(value, dict) and "__ansible_vault" in value:
                assert host.vars[key] == "<ansible-vault encrypted>"
            elif key not in ANSIBLE_NAMES and not key.startswith("changekit_"):
                expected_vars[key] = plain(value)
        assert {k: v for k, v in host.vars.items() if k in expected_vars} == expected_vars, (
            host_name
        )
        assert set(host.vars) - set(expected_vars) <= {
            k for k in hostvars if k not in expected_vars
        }, host_name
