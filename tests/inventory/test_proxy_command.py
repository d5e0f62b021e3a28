"""A ProxyCommand in Ansible's ssh args: the bastion pattern (``ssh -W %h:%p bastion``) is the
jump host it amounts to; any other command is refused with its reason, never bypassed by a
direct connection."""

from __future__ import annotations

import json

import pytest

from changekit.errors import InputError
from changekit.inventory.ansible_vars import jump_of_proxy_command
from changekit.inventory.load import load_inventory

INVENTORY = """\
[bastion]
bastion ansible_host=198.51.100.5

[kube_node]
node1 ansible_host=10.0.0.1
node2 ansible_host=10.0.0.2 ansible_ssh_common_args='-o ProxyCommand="aws ssm start-session --target %h"'

[kube_node:vars]
ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p -q -p 2222 admin@198.51.100.5"'
"""


@pytest.mark.parametrize(
    ("command", "jump"),
    [
        ("ssh -W %h:%p -q bastion", "bastion"),
        ("ssh -q -W [%h]:%p -l ops -p 2200 bastion.example.org", "ops@bastion.example.org:2200"),
        ("/usr/bin/ssh -W %h:%p admin@10.0.0.9", "admin@10.0.0.9"),
        ("ssh -i ~/.ssh/other -W %h:%p bastion", None),  # another key: not the same jump
        ("ssh bastion nc %h %p", None),
        ("aws ssm start-session --target %h", None),
        ("ssh -W %h:%p bastion; touch /tmp/x", None),
    ],
)
def test_only_the_plain_bastion_pattern_is_a_jump(command, jump):
    assert jump_of_proxy_command(command) == jump


def test_inventory_honours_the_bastion_and_refuses_any_other_command(tmp_path, run_cli):
    path = tmp_path / "hosts.ini"
    path.write_text(INVENTORY)
    inv = load_inventory(path, ssh_config=False)
    assert inv.host("node1").proxy_jump == "admin@198.51.100.5:2222"
    assert inv.host("node1").proxy_command is None
    node2 = inv.host("node2")
    assert node2.proxy_jump is None and node2.proxy_command == "aws ssm start-session --target %h"
    with pytest.raises(InputError) as err:
        node2.connect_address  # noqa: B018 - the scan asks this before it connects
    assert "ProxyCommand" in err.value.message and "does not run" in err.value.message
    shown = run_cli("inventory", "show", "node2", "-i", str(path), "--format", "json")
    assert json.loads(shown.stdout)["proxy_command"] == "aws ssm start-session --target %h"
    checked = run_cli("inventory", "check", "-i", str(path))
    assert checked.exit_code == 3
    assert "node2" in checked.stderr and "which changekit does not run" in checked.stderr
    assert "node1" not in checked.stderr
    assert "Traceback" not in checked.output
