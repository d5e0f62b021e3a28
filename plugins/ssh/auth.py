"""Which keys to offer: the host's key file, the scan's default key, the agent, ~/.ssh/id_*.

Keys are loaded once per scan (``ConnectOptions.cached``): parsing a private key costs
more than the key exchange, and 200 hosts usually share one key.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import paramiko

from changekit.api import AuthFailed, CommandTimeout, ConnectOptions

DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")


def _load(path: str) -> paramiko.PKey:
    try:
        return paramiko.PKey.from_path(os.path.expanduser(path))
    except FileNotFoundError:
        raise AuthFailed(f"private key file not found: {path}", path=path) from None
    except paramiko.PasswordRequiredException:
        raise AuthFailed(
            f"private key {path} is encrypted",
            path=path,
            hint="load it into ssh-agent (ssh-add) so changekit can use the agent",
        ) from None
    except (paramiko.SSHException, ValueError) as exc:
        raise AuthFailed(f"cannot read private key {path}: {exc}", path=path) from None


def _agent_keys() -> list:
    if not os.environ.get("SSH_AUTH_SOCK"):
        return []
    try:
        return list(paramiko.Agent().get_keys())
    except paramiko.SSHException:
        return []


def keys_to_offer(key_file: str | None, options: ConnectOptions) -> list:
    """Keys in the order OpenSSH would try them; no key file given means agent + defaults."""
    chosen = key_file or options.key_file
    if chosen:
        return [options.cached(f"key:{chosen}", lambda: _load(chosen))]
    keys = list(options.cached("agent", _agent_keys))
    for name in DEFAULT_KEYS:
        path = Path.home() / ".ssh" / name
        if path.exists():
            try:
                keys.append(options.cached(f"key:{path}", functools.partial(_load, str(path))))
            except AuthFailed:
                continue  # an encrypted default key is skipped, as ssh does without a tty
    return keys


def authenticate(transport: paramiko.Transport, user: str, keys: list, where: str) -> None:
    """Try each key; raise ``AuthFailed`` naming the host and user when none is accepted."""
    if not keys:
        raise AuthFailed(
            f"{where}: no SSH key to offer for {user}",
            hint="set ansible_ssh_private_key_file / IdentityFile, run ssh-agent, or create ~/.ssh/id_ed25519",
        )
    last = ""
    for key in keys:
        try:
            transport.auth_publickey(user, key)
        except paramiko.BadAuthenticationType as exc:
            raise AuthFailed(
                f"{where}: the host does not accept public keys (it offers {', '.join(exc.allowed_types)})"
            ) from None
        except paramiko.AuthenticationException as exc:
            last = str(exc)
            if "timeout" in last.lower():
                raise CommandTimeout(
                    f"{where}: login did not complete (authentication timed out)"
                ) from None
            continue
        if transport.is_authenticated():
            return
    raise AuthFailed(
        f"{where}: authentication failed for user {user!r} ({len(keys)} key(s) offered){': ' + last if last else ''}",
        hint="check the user and that the key is in the host's authorized_keys",
    )
