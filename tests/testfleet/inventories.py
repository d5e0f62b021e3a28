"""The files a running fleet instance hands to its users: known_hosts, ssh_config, a changekit
YAML inventory and Ansible INI/YAML inventories, all naming the same hosts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.testfleet.layout import Layout


def known_hosts(hosts: dict[str, dict[str, Any]]) -> str:
    """One line per host with a key, under both its name and its address."""
    return "".join(
        f"{name},{h['address']} {h['host_key']}\n" for name, h in hosts.items() if h.get("host_key")
    )


def ssh_config(hosts: dict[str, dict[str, Any]], state: Path) -> str:
    blocks = [f"Host {name}\n  HostName {h['address']}\n" for name, h in hosts.items()]
    blocks.append(
        "Host *\n"
        "  User root\n"
        "  Port 22\n"
        f"  IdentityFile {state / 'id_ed25519'}\n"
        "  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {state / 'known_hosts'}\n"
        "  GlobalKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n"
        # OpenSSH's default post-quantum kex costs ~60 ms CPU per login on each side; tests
        # log in thousands of times on 2 cores (hosts still offer the Debian defaults)
        "  KexAlgorithms curve25519-sha256@libssh.org,curve25519-sha256\n"
        "  ConnectTimeout 10\n"
        "  LogLevel ERROR\n"
    )
    return "".join(blocks)


def changekit_inventory(layout: Layout, hosts: dict[str, dict[str, Any]], state: Path) -> str:
    doc: dict[str, Any] = {
        "version": 1,
        "hosts": {
            name: {
                "address": h["address"],
                "port": 22,
                "user": "root",
                "key_file": str(state / "id_ed25519"),
                **({"tags": list(layout.host(name).tags)} if layout.host(name).tags else {}),
            }
            for name, h in hosts.items()
        },
        "groups": {g: {"hosts": members} for g, members in layout.groups().items()},
    }
    for parent, children in layout.parents.items():
        doc["groups"][parent] = {"children": list(children)}
    return "# changekit test fleet inventory (generated)\n" + yaml.safe_dump(doc, sort_keys=False)


def _ansible_vars(state: Path) -> dict[str, str]:
    return {
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(state / "id_ed25519"),
        "ansible_ssh_common_args": (
            f"-o UserKnownHostsFile={state / 'known_hosts'} -o GlobalKnownHostsFile=/dev/null "
            "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes"
        ),
        "ansible_python_interpreter": "/usr/bin/python3",
    }


def ansible_ini(layout: Layout, hosts: dict[str, dict[str, Any]], state: Path) -> str:
    out = ["# changekit test fleet, Ansible INI inventory (generated)\n"]
    for group, members in layout.groups().items():
        out.append(f"[{group}]\n")
        out += [f"{n} ansible_host={hosts[n]['address']}\n" for n in members]
        out.append("\n")
    for parent, children in layout.parents.items():
        out.append(f"[{parent}:children]\n" + "".join(f"{c}\n" for c in children) + "\n")
    out.append("[all:vars]\n")
    for k, v in _ansible_vars(state).items():
        out.append(f"{k}='{v}'\n" if " " in v else f"{k}={v}\n")
    return "".join(out)


def ansible_yaml(layout: Layout, hosts: dict[str, dict[str, Any]], state: Path) -> str:
    children: dict[str, Any] = {
        g: {"hosts": {n: {"ansible_host": hosts[n]["address"]} for n in members}}
        for g, members in layout.groups().items()
    }
    for parent, kids in layout.parents.items():
        children[parent] = {"children": {k: None for k in kids}}
    doc = {"all": {"vars": _ansible_vars(state), "children": children}}
    return "# changekit test fleet, Ansible YAML inventory (generated)\n" + yaml.safe_dump(
        doc, sort_keys=False
    )


def write_all(layout: Layout, hosts: dict[str, dict[str, Any]], state: Path) -> None:
    (state / "known_hosts").write_text(known_hosts(hosts))
    (state / "ssh_config").write_text(ssh_config(hosts, state))
    (state / "inventory.yaml").write_text(changekit_inventory(layout, hosts, state))
    (state / "ansible.ini").write_text(ansible_ini(layout, hosts, state))
    (state / "ansible.yaml").write_text(ansible_yaml(layout, hosts, state))
