"""The connector interface. changekit's API never exposes paramiko or Fabric types."""

from __future__ import annotations

import abc
from dataclasses import dataclass


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
