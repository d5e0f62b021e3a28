"""Built-in SSH connector (paramiko), registered as ``ssh``."""

from __future__ import annotations

from changekit.api import hookimpl


def ssh_connector(*args, **kwargs):
    """Make an SSHConnector; paramiko is imported only when a host is really reached."""
    from changekit_plugins.ssh.connector import SSHConnector

    return SSHConnector(*args, **kwargs)


@hookimpl(trylast=True)
def register_connectors(register) -> None:
    register("ssh", ssh_connector)
