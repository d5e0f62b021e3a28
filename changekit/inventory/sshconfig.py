"""Honour the user's OpenSSH client config, the way ``ssh`` itself would.

What an inventory says explicitly (``address:``, ``ansible_host=``, ``ansible_port=``,
``ansible_user=`` ...) is treated like options on the ``ssh`` command line: it wins.
The ssh_config fills in only what the inventory leaves empty: HostName, Port, User,
IdentityFile (the first one) and ProxyJump. That is what happens today when Ansible
runs ``ssh -o Port=... -o User=... TARGET`` for the same inventory.

The lookup key is the target ``ssh`` would be given: the host's address when the
inventory has one, else its name; ``Host`` patterns, ``Match`` and "first obtained
value wins" are paramiko's implementation of ssh_config(5); ``Include`` is expanded as
OpenSSH does it (``changekit.inventory.sshinclude``). tests/inventory/test_sshconfig.py
compares the result with OpenSSH's own ``ssh -G``.

The file is ``~/.ssh/config``, or ``$CHANGEKIT_SSH_CONFIG`` when set (``none`` or an
empty value: use no ssh_config at all), or the path a command's ``--ssh-config`` gives.
A missing file is the same as an empty one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import paramiko

from changekit.errors import InputError
from changekit.inventory.sshinclude import expand_includes

ENV = "CHANGEKIT_SSH_CONFIG"


def default_path() -> Path | None:
    """The ssh_config to use when no option names one; ``None`` means none at all."""
    value = os.environ.get(ENV)
    if value is not None:
        return None if value.strip().lower() in ("", "none") else Path(value).expanduser()
    return Path("~/.ssh/config").expanduser()


class _Config(paramiko.SSHConfig):
    def _does_match(self, match_list: Any, *args: Any, **kwargs: Any) -> Any:
        # paramiko asks the OS for the local user name for every block of every lookup,
        # Match or not; skipping blocks without Match makes a 10,000-host lookup 10x faster.
        if not match_list:
            return False
        return super()._does_match(match_list, *args, **kwargs)  # type: ignore[misc]


class SshConfig:
    """A parsed ssh_config; ``lookup(target)`` returns inventory settings it supplies."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        text = expand_includes(self.path, Path("~/.ssh").expanduser())
        try:
            self._config = _Config.from_text(text)
        except paramiko.ssh_exception.ConfigParseError as exc:
            raise InputError(
                f"cannot parse ssh_config: {exc}",
                path=self.path,
                hint=f"fix the file, or set {ENV}=none to ignore it",
            ) from None

    def lookup(self, target: str) -> dict[str, Any]:
        try:
            found = self._config.lookup(target)
        except Exception as exc:  # Match exec without invoke, canonicalisation failures ...
            raise InputError(
                f"ssh_config lookup for {target!r} failed: {exc}",
                path=self.path,
                hint=f"simplify the matching Host/Match block, or set {ENV}=none",
            ) from None
        settings: dict[str, Any] = {}
        if found.get("hostname") and found["hostname"] != target:
            settings["address"] = found["hostname"]
        if "port" in found:
            settings["port"] = found["port"]
        if "user" in found:
            settings["user"] = found["user"]
        if found.get("identityfile"):
            settings["key_file"] = found["identityfile"][0]
        if found.get("proxyjump") and found["proxyjump"].lower() != "none":
            settings["proxy_jump"] = found["proxyjump"]
        return settings


def load_ssh_config(path: str | Path | None | bool = None) -> SshConfig | None:
    """The ssh_config to honour: ``None`` for the default, ``False`` for none, or a path."""
    if path is False:
        return None
    chosen = default_path() if path is None or path is True else Path(path).expanduser()
    if chosen is None:
        return None
    return SshConfig(chosen)
