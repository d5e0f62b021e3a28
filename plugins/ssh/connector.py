"""The paramiko SSH connector: one transport per host, the script fed to ``sh -s`` on stdin."""

from __future__ import annotations

import getpass
import logging
import select
import shlex
import socket
import threading
import time

import paramiko
from changekit_plugins.ssh.auth import authenticate, keys_to_offer

from changekit.api import (
    CommandResult,
    CommandTimeout,
    ConnectOptions,
    Connector,
    Host,
    HostUnreachable,
    TransportError,
    host_id,
)

# paramiko logs each failed handshake with a traceback; our errors already say what happened.
logging.getLogger("paramiko").addHandler(logging.NullHandler())
logging.getLogger("paramiko").propagate = False

# OpenSSH's host key type -> the algorithm names paramiko negotiates for it.
_KEY_ALGOS = {
    "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
}


def parse_jump(spec: str) -> tuple[str | None, str, int]:
    """``[user@]host[:port]`` (the first hop of an OpenSSH ProxyJump value)."""
    hop = spec.split(",")[0].strip()
    user, _, hostport = hop.rpartition("@")
    host, port = hostport, 22
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else 22
    elif hostport.count(":") == 1:
        host, p = hostport.split(":")
        port = int(p)
    return user or None, host, port


class SSHConnector(Connector):
    def __init__(self, host: Host, options: ConnectOptions) -> None:
        self.host = host
        self.options = options
        self.user = host.user or options.user or getpass.getuser()
        self.transport: paramiko.Transport | None = None

    # -- connecting ------------------------------------------------------------

    def connect(self) -> None:
        deadline = time.monotonic() + self.options.connect_timeout
        sock = self._socket(deadline)
        self.transport = open_transport(
            sock,
            self.host.connect_address,
            self.host.port,
            self.user,
            self.host.key_file,
            self.options,
            deadline,
            self.host.name,
        )

    def _socket(self, deadline: float):
        address, port = self.host.connect_address, self.host.port
        if self.host.proxy_jump and self.host.proxy_jump.lower() != "none":
            jump = self._jump_transport(deadline)
            try:
                return jump.open_channel(
                    "direct-tcpip",
                    (address, port),
                    ("127.0.0.1", 0),
                    timeout=max(0.1, deadline - time.monotonic()),
                )
            except (paramiko.SSHException, OSError) as exc:
                raise HostUnreachable(
                    f"{self.host.name}: jump host {self.host.proxy_jump} could not reach {address}:{port}: {exc}"
                ) from None
        return tcp_connect(address, port, deadline, self.host.name)

    def _jump_transport(self, deadline: float) -> paramiko.Transport:
        # One connection per jump host per scan, shared by every host behind it.
        spec = self.host.proxy_jump or ""
        slot = self.options.cached(f"jump:{spec}", lambda: {"lock": threading.Lock(), "t": None})
        with slot["lock"]:
            t = slot["t"]
            if t is None or not t.is_active():
                user, jhost, jport = parse_jump(spec)
                sock = tcp_connect(jhost, jport, deadline, f"jump host {jhost}")
                t = open_transport(
                    sock,
                    jhost,
                    jport,
                    user or self.user,
                    self.host.key_file,  # like ssh -J with one IdentityFile: the same key
                    self.options,
                    deadline,
                    f"jump host {jhost}",
                )
                slot["t"] = t
                self.options.on_close(t.close)
            return t

    # -- running ----------------------------------------------------------------

    def run(self, script: str, *, timeout: float, sudo: bool = False) -> CommandResult:
        command = "sudo -n sh -s" if sudo else "sh -s"
        return self._exec(command, script.encode(), timeout)

    def put_file(self, path: str, data: bytes, *, mode: int = 0o644, sudo: bool = False) -> None:
        q = shlex.quote(path)
        inner = (
            f'umask 077; t=$(mktemp {q}.XXXXXX) && cat >"$t" && chmod {mode:o} "$t" '
            f'&& mv -f "$t" {q} || {{ rm -f "$t"; exit 1; }}'
        )
        command = ("sudo -n " if sudo else "") + "sh -c " + shlex.quote(inner)
        result = self._exec(command, data, self.options.command_timeout)
        if not result.ok:
            raise TransportError(
                f"{self.host.name}: could not write {path}: {result.stderr.decode(errors='replace').strip()}"
            )

    def remove_file(self, path: str, *, sudo: bool = False) -> None:
        command = ("sudo -n " if sudo else "") + "rm -f -- " + shlex.quote(path)
        result = self._exec(command, b"", self.options.command_timeout)
        if not result.ok:
            raise TransportError(
                f"{self.host.name}: could not remove {path}: {result.stderr.decode(errors='replace').strip()}"
            )

    def _exec(self, command: str, stdin: bytes, timeout: float) -> CommandResult:
        if self.transport is None:
            self.connect()
        assert self.transport is not None
        deadline = time.monotonic() + timeout
        try:
            chan = self.transport.open_session(timeout=timeout)
        except (paramiko.SSHException, OSError) as exc:
            raise TransportError(f"{self.host.name}: could not open a session: {exc}") from None
        try:
            chan.settimeout(timeout)
            chan.exec_command(command)
            chan.sendall(stdin)
            chan.shutdown_write()
            return self._collect(chan, deadline, timeout)
        except TimeoutError:
            raise CommandTimeout(
                f"{self.host.name}: the command did not finish within {timeout:g}s"
            ) from None
        except (paramiko.SSHException, OSError) as exc:
            raise TransportError(f"{self.host.name}: the session broke: {exc}") from None
        finally:
            chan.close()

    def _collect(self, chan: paramiko.Channel, deadline: float, timeout: float) -> CommandResult:
        """Read stdout and stderr until the channel's EOF, then take the exit status.

        sshd sends the exit status when the remote shell exits, which can be before it has
        forwarded the output still in the pipe (a background writer, a large last section,
        stderr written last): the end of the output is the channel's EOF, not the status.
        OpenSSH sends that EOF only once both stdout and stderr are closed on the host, so a
        process left holding them open runs into the deadline.
        """
        out, err, size = [], [], 0
        fd = chan.fileno()
        while True:
            # EOF first, then drain: once paramiko has seen the EOF no more data can arrive,
            # so an empty drain after it means everything has been read.
            ended = chan.eof_received or chan.closed
            chunk = b""
            if chan.recv_ready():
                chunk = chan.recv(65536)
                out.append(chunk)
            elif chan.recv_stderr_ready():
                chunk = chan.recv_stderr(65536)
                err.append(chunk)
            elif ended:
                break
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                select.select([fd], [], [], min(left, 1.0))
                continue
            size += len(chunk)
            if size > self.options.max_output:
                raise TransportError(
                    f"{self.host.name}: output exceeded {self.options.max_output} bytes; cut off",
                    hint="disable the collector that prints so much, or raise the output cap",
                )
        # The status may trail the EOF; a channel closed without one was killed (exit-signal).
        while not chan.exit_status_ready() and not chan.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            chan.status_event.wait(min(left, 1.0))
        status = chan.recv_exit_status() if chan.exit_status_ready() else -1
        return CommandResult(status, b"".join(out), b"".join(err))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None


def tcp_connect(address: str, port: int, deadline: float, label: str) -> socket.socket:
    try:
        sock = socket.create_connection(
            (address, port), timeout=max(0.1, deadline - time.monotonic())
        )
    except TimeoutError:
        raise HostUnreachable(
            f"{label}: no answer from {address}:{port} (connect timeout)"
        ) from None
    except OSError as exc:
        raise HostUnreachable(
            f"{label}: cannot connect to {address}:{port}: {exc.strerror or exc}"
        ) from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def open_transport(
    sock,
    address: str,
    port: int,
    user: str,
    key_file: str | None,
    options: ConnectOptions,
    deadline: float,
    label: str,
) -> paramiko.Transport:
    """Handshake, check the host key against known_hosts, authenticate; all before ``deadline``."""
    known = options.known_hosts()
    wanted = list(known.keys_for(host_id(address, port)))
    t = paramiko.Transport(sock)
    left = max(0.1, deadline - time.monotonic())
    t.banner_timeout = t.handshake_timeout = t.auth_timeout = left
    if wanted:  # prefer the key types we already know, as OpenSSH does
        algos = [a for k in wanted for a in _KEY_ALGOS.get(k, [k])]
        opts = t.get_security_options()
        supported = list(opts.key_types)
        opts.key_types = [a for a in algos if a in supported] + [
            a for a in supported if a not in algos
        ]
    try:
        try:
            t.start_client(timeout=left)
        except paramiko.SSHException as exc:
            if time.monotonic() >= deadline or "banner" in str(exc).lower():
                raise CommandTimeout(
                    f"{label}: login did not complete within {options.connect_timeout:g}s ({exc})"
                ) from None
            raise HostUnreachable(f"{label}: SSH negotiation failed: {exc}") from None
        except (EOFError, OSError) as exc:
            raise HostUnreachable(
                f"{label}: connection closed during SSH negotiation: {exc}"
            ) from None
        if not t.is_active() or not t.initial_kex_done:  # start_client gives up silently
            raise CommandTimeout(
                f"{label}: login did not complete within {options.connect_timeout:g}s"
            )
        key = t.get_remote_server_key()
        known.check(address, port, key.get_name(), key.get_base64())
        t.auth_timeout = max(0.1, deadline - time.monotonic())
        try:
            authenticate(t, user, keys_to_offer(key_file, options), f"{label} ({user}@{address})")
        except paramiko.SSHException as exc:
            if time.monotonic() >= deadline:
                raise CommandTimeout(
                    f"{label}: login did not complete within {options.connect_timeout:g}s"
                ) from None
            raise HostUnreachable(f"{label}: authentication broke off: {exc}") from None
    except BaseException:
        t.close()
        raise
    return t
