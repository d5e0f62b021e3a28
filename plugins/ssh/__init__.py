"""Built-in SSH connector (paramiko), registered as ``ssh``."""

from __future__ import annotations

from changekit_plugins.ssh.connector import SSHConnector

from changekit.api import hookimpl


@hookimpl(trylast=True)
def register_connectors(register) -> None:
    register("ssh", SSHConnector)
