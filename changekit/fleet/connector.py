"""The connector interface. changekit's API never exposes paramiko or Fabric types."""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from changekit.fleet.hostkeys import KnownHosts


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class Connector(abc.ABC):
    """One connection to one host. Raise ``changekit.errors.TransportError`` subclasses
    (HostUnreachable, AuthFailed, HostKeyUnknown, HostKeyChanged, CommandTimeout) on failure."""

    @abc.abstractmethod
    def connect(self) -> None:
        """Open the connection (verifying the host key) within the connect timeout."""

    @abc.abstractmethod
    def run(self, script: str, *, timeout: float, sudo: bool = False) -> CommandResult:
        """Run a POSIX ``sh`` script, fed on stdin, in one session; wait at most ``timeout`` seconds."""

    @abc.abstractmethod
    def put_file(self, path: str, data: bytes, *, mode: int = 0o644, sudo: bool = False) -> None:
        """Write ``data`` to ``path`` on the host atomically (write a temp file, then rename)."""

    @abc.abstractmethod
    def remove_file(self, path: str, *, sudo: bool = False) -> None:
        """Remove ``path`` on the host if it exists."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection; safe to call twice."""

    def __enter__(self) -> Connector:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class ConnectOptions:
    """How a scan reaches its hosts; one instance is shared by every connection of a scan."""

    connect_timeout: float = 10.0
    """Seconds for TCP connect, the SSH banner, key exchange and authentication together."""
    command_timeout: float = 300.0
    known_hosts_file: str | None = None
    """``None`` means ``~/.ssh/known_hosts``."""
    accept_new_host_keys: bool = False
    sudo: bool = False
    user: str | None = None
    """Default login when the inventory names none (else the local user)."""
    key_file: str | None = None
    """Default private key when the inventory names none."""
    max_output: int = 64 * 1024 * 1024
    """Bytes of stdout+stderr accepted from one host before the command is cut off."""
    shared: dict[str, Any] = field(default_factory=dict)
    """Per-scan caches connectors may keep here (loaded keys, jump-host connections)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def known_hosts(self) -> KnownHosts:
        """The known_hosts file, loaded once per scan."""
        with self._lock:
            kh = self.shared.get("known_hosts")
            if kh is None:
                kh = KnownHosts.load(self.known_hosts_file, accept_new=self.accept_new_host_keys)
                self.shared["known_hosts"] = kh
            return kh

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        """A per-scan value built once, under a lock (e.g. a private key loaded from disk)."""
        with self._lock:
            if key not in self.shared:
                self.shared[key] = make()
            return self.shared[key]

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` when the scan ends (e.g. to close a shared jump-host connection)."""
        with self._lock:
            self.shared.setdefault("_closers", []).append(closer)

    def close(self) -> None:
        """Close what connectors shared during the scan; safe to call twice."""
        with self._lock:
            closers = self.shared.pop("_closers", [])
        for closer in reversed(closers):
            with contextlib.suppress(Exception):  # closing is best effort
                closer()
