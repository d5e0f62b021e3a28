"""``changekit inventory list|show|groups``: what hosts changekit sees, and how it reaches them.

``inventory_options`` and ``load_from_options`` are shared with other commands that take
``-i INVENTORY`` (e.g. ``scan``), so every command finds hosts the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from changekit.cli.output import format_option, print_json, print_table
from changekit.errors import InputError
from changekit.inventory.load import load_inventory
from changekit.inventory.model import Host, Inventory
from changekit.inventory.sshconfig import ENV as SSH_CONFIG_ENV
from changekit.yamlfile import dump_yaml


def inventory_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``-i/--inventory`` and ``--ssh-config`` to a command."""

    @click.option(
        "-i",
        "--inventory",
        "inventory",
        metavar="PATH",
        help="Inventory file or folder (changekit YAML, Ansible INI/YAML), or host1,host2, "
        "[default: changekit.yaml's inventory:, else the workspace's inventories/].",
    )
    @click.option(
        "--ssh-config",
        "ssh_config",
        metavar="PATH",
        help=f"OpenSSH client config to honour [default: ${SSH_CONFIG_ENV} or ~/.ssh/config; "
        "'none' ignores it]. Inventory values win over it.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def load_from_options(
    ctx: click.Context, inventory: str | None, ssh_config: str | None
) -> Inventory:
    """The inventory a command's ``-i``/``--ssh-config`` options (and its workspace) name."""
    workspace = ctx.obj.workspace_or_none() if ctx.obj is not None else None
    config: str | bool | None = ssh_config
    if ssh_config is not None and ssh_config.strip().lower() == "none":
        config = False
    return load_inventory(inventory, workspace, ssh_config=config)


def _shown(text: str) -> str:
    """A name safe to print on one line: control characters escaped, the rest kept."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _short(items: Any) -> str:
    return ",".join(_shown(i) for i in sorted(items))


@click.group()
def inventory() -> None:
    """Show the hosts and groups of the inventory, as changekit resolves them."""


@inventory.command("list")
@click.argument("selectors", nargs=-1)
@inventory_options
@format_option()
@click.pass_context
def list_hosts(
    ctx: click.Context,
    selectors: tuple[str, ...],
    inventory: str | None,
    ssh_config: str | None,
    fmt: str,
) -> None:
    """List hosts matching SELECTORS (names, globs, group:NAME, tag:NAME, A&B, !SEL)."""
    hosts = load_from_options(ctx, inventory, ssh_config).select(selectors)
    if fmt == "json":
        print_json([h.as_dict() for h in hosts])
        return
    rows = [
        (_shown(h.name), _shown(_target(h)), h.port, h.user or "", _short(h.groups), _short(h.tags))
        for h in hosts
    ]
    print_table(("host", "address", "port", "user", "groups", "tags"), rows)


def _target(host: Host) -> str:
    address = host.address or host.name
    return f"{address} (unusable: {host.address_problem})" if host.address_problem else address


@inventory.command("show")
@click.argument("host")
@inventory_options
@format_option("yaml", "json", default="yaml")
@click.pass_context
def show_host(
    ctx: click.Context, host: str, inventory: str | None, ssh_config: str | None, fmt: str
) -> None:
    """Show everything changekit knows about HOST: address, groups, vars, contacts."""
    found = load_from_options(ctx, inventory, ssh_config).host(host)
    data = found.as_dict()
    if fmt == "json":
        print_json(data)
        return
    if problem := found.address_problem:
        data["address_problem"] = problem
    click.echo(dump_yaml(data), nl=False)


@inventory.command("groups")
@inventory_options
@format_option()
@click.pass_context
def list_groups(
    ctx: click.Context, inventory: str | None, ssh_config: str | None, fmt: str
) -> None:
    """List groups with their children and how many hosts each has (nested included)."""
    inv = load_from_options(ctx, inventory, ssh_config)
    counts = {name: len(inv.match(f"group:{name}")) for name in inv.groups}
    if fmt == "json":
        print_json(
            [
                {
                    "name": g.name,
                    "hosts": counts[g.name],
                    "children": sorted(g.children),
                    "tags": sorted(g.tags),
                    "contacts": g.contacts,
                    "vars": g.vars,
                }
                for g in sorted(inv.groups.values(), key=lambda g: g.name)
            ]
        )
        return
    rows = [
        (_shown(g.name), counts[g.name], _short(g.children), ", ".join(g.contacts))
        for g in sorted(inv.groups.values(), key=lambda g: g.name)
    ]
    print_table(("group", "hosts", "children", "contacts"), rows)


@inventory.command("check")
@inventory_options
@click.pass_context
def check_inventory(ctx: click.Context, inventory: str | None, ssh_config: str | None) -> None:
    """Check the inventory loads and every host's address can be connected to.

    Exits 3 when a file is invalid or an address is not a DNS name or IP (for CI)."""
    inv = load_from_options(ctx, inventory, ssh_config)
    hosts = sorted(inv.hosts.values(), key=lambda h: h.name)
    bad = [h for h in hosts if h.address_problem]
    for host in bad:
        where = f"{host.path}:{host.line}: " if host.path and host.line else ""
        target = _shown(host.address or host.name)
        click.echo(
            f"{where}host '{_shown(host.name)}': '{target}' cannot be connected to: "
            f"{host.address_problem}",
            err=True,
        )
    if bad:
        raise InputError(
            f"{len(bad)} of {len(hosts)} hosts have an address that cannot be connected to",
            path=inv.source,
            hint="give each an address: (or ansible_host=) that is a DNS name or an IP address; "
            "reach a host behind a ProxyCommand through a jump host (ProxyJump) instead",
        )
    silent = sum(1 for h in hosts if not h.contacts)
    click.echo(f"{len(hosts)} hosts, {len(inv.groups)} groups: every address can be connected to")
    if silent:
        click.echo(
            f"note: {silent} hosts have no contacts, so change notices reach no one for them"
        )
