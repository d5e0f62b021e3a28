"""The SSH connector against a real sshd: host keys, auth, timeouts, jump hosts, file writes."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from changekit_plugins.ssh.connector import SSHConnector

from changekit.errors import (
    AuthFailed,
    CommandTimeout,
    HostKeyChanged,
    HostKeyUnknown,
    HostUnreachable,
    TransportError,
)
from changekit.fleet.connector import ConnectOptions
from changekit.inventory.model import Host

pytestmark = pytest.mark.fleet


def _host(fleet, name: str = "web01", **kw) -> Host:
    h = fleet.hosts[name]
    return Host(
        name=name, address=h.address, port=h.port, user="root", key_file=str(fleet.key_file), **kw
    )


def _options(tmp_path: Path, fleet=None, **kw) -> ConnectOptions:
    """known_hosts: a private copy of the fleet's (tests that accept keys must not touch it)."""
    kh = tmp_path / "known_hosts"
    if fleet is not None:
        kh.write_text(fleet.known_hosts.read_text())
    return ConnectOptions(known_hosts_file=str(kh), connect_timeout=5, **kw)


def _line(fleet, name: str = "web01") -> str:
    h = fleet.hosts[name]
    return f"{h.address} {h.host_key}\n"


def test_runs_a_script_on_stdin_and_returns_both_streams(fleet, tmp_path):
    with SSHConnector(_host(fleet), _options(tmp_path, fleet)) as conn:
        result = conn.run("echo out; echo err >&2; exit 3\n", timeout=10)
    assert (result.exit_code, result.stdout, result.stderr) == (3, b"out\n", b"err\n")


def test_unknown_host_key_is_refused_with_the_fingerprint(fleet, tmp_path):
    options = _options(tmp_path)
    with pytest.raises(HostKeyUnknown) as err:
        SSHConnector(_host(fleet), options).connect()
    assert fleet.hosts["web01"].address in err.value.message and "SHA256:" in err.value.message
    assert "--accept-new-host-keys" in err.value.hint
    assert not (tmp_path / "known_hosts").exists()


def test_accept_new_writes_known_hosts_and_ssh_agrees(fleet, tmp_path):
    options = _options(tmp_path, accept_new_host_keys=True)
    with SSHConnector(_host(fleet), options) as conn:
        assert conn.run("true", timeout=10).ok
    written = (tmp_path / "known_hosts").read_text()
    assert written == _line(fleet)
    # OpenSSH itself accepts the file we wrote, with strict checking
    out = subprocess.run(
        [
            "ssh",
            "-i",
            str(fleet.key_file),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
            f"root@{fleet.hosts['web01'].address}",
            "echo ok",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.stdout == "ok\n", out.stderr
    # and a second scan without accept-new now trusts it
    with SSHConnector(_host(fleet), _options(tmp_path)) as conn:
        assert conn.run("true", timeout=10).ok


def test_changed_host_key_is_refused_even_with_accept_new(fleet, tmp_path):
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other], check=True)
    pub = " ".join(Path(f"{other}.pub").read_text().split()[:2])
    (tmp_path / "known_hosts").write_text(f"{fleet.hosts['web01'].address} {pub}\n")
    options = ConnectOptions(
        known_hosts_file=str(tmp_path / "known_hosts"), accept_new_host_keys=True
    )
    with pytest.raises(HostKeyChanged) as err:
        SSHConnector(_host(fleet), options).connect()
    assert "HOST KEY CHANGED" in err.value.message and "ssh-keygen -R" in err.value.hint
    assert (tmp_path / "known_hosts").read_text().count("\n") == 1


def test_hashed_known_hosts_entries_match(fleet, tmp_path):
    kh = tmp_path / "known_hosts"
    kh.write_text(_line(fleet))
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", kh], check=True, capture_output=True)
    assert kh.read_text().startswith("|1|")
    with SSHConnector(_host(fleet), ConnectOptions(known_hosts_file=str(kh))) as conn:
        assert conn.run("true", timeout=10).ok


def test_wrong_key_is_auth_failed(fleet, tmp_path):
    wrong = tmp_path / "wrong"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", wrong], check=True)
    host = _host(fleet)
    host.key_file = str(wrong)
    with pytest.raises(AuthFailed) as err:
        SSHConnector(host, _options(tmp_path, fleet)).connect()
    assert "root" in err.value.message


def test_hung_command_times_out(fleet, tmp_path):
    with SSHConnector(_host(fleet), _options(tmp_path, fleet)) as conn:
        start = time.monotonic()
        with pytest.raises(CommandTimeout):
            conn.run("sleep 60\n", timeout=1.5)
        assert time.monotonic() - start < 15


def test_host_that_never_sends_a_banner_times_out(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    host = Host(name="mute", address="127.0.0.1", port=server.getsockname()[1], user="root")
    options = ConnectOptions(known_hosts_file=str(tmp_path / "kh"), connect_timeout=1.5)
    start = time.monotonic()
    with pytest.raises(CommandTimeout) as err:
        SSHConnector(host, options).connect()
    assert "login did not complete" in err.value.message
    assert time.monotonic() - start < 15
    server.close()


def test_closed_port_is_unreachable(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    host = Host(name="down", address="127.0.0.1", port=port, user="root")
    with pytest.raises(HostUnreachable):
        SSHConnector(host, ConnectOptions(known_hosts_file=str(tmp_path / "kh"))).connect()


def test_jump_host_reaches_the_target_through_a_tunnel(fleet, tmp_path):
    options = _options(tmp_path, fleet)
    host = _host(fleet, "web02", proxy_jump=f"root@{fleet.hosts['web01'].address}")
    with SSHConnector(host, options) as conn:
        assert conn.run("hostname", timeout=10).stdout == b"web02\n"
    # one shared connection to the jump host, closed when the scan's options close
    [slot] = [v for k, v in options.shared.items() if k.startswith("jump:")]
    assert slot["t"].is_active()
    options.close()
    assert not slot["t"].is_active()


def test_output_cap_cuts_off_a_flooding_host(fleet, tmp_path):
    options = _options(tmp_path, fleet, max_output=100_000)
    with SSHConnector(_host(fleet), options) as conn, pytest.raises(TransportError) as err:
        conn.run("yes\n", timeout=20)
    assert "exceeded" in err.value.message


def test_put_and_remove_file_quote_hostile_paths(fleet, tmp_path):
    root = fleet.root("web01")
    # the remote shell starts in root's home: an injected `touch` would land there (or in /)
    markers = [root / "root" / "ck_injected_put", root / "ck_injected_put"]
    name = "x; touch ck_injected_put; $(touch ck_injected_put) `touch ck_injected_put`\n'\u00e9"
    path = f"/tmp/{name}"
    with SSHConnector(_host(fleet), _options(tmp_path, fleet)) as conn:
        conn.put_file(path, b"data\n", mode=0o640)
        seen = root / path.lstrip("/")
        assert seen.read_bytes() == b"data\n"
        assert oct(seen.stat().st_mode & 0o777) == "0o640"
        conn.remove_file(path)
    assert not seen.exists()
    assert not any(m.exists() for m in markers)


def test_default_key_in_home_is_used_when_the_inventory_names_none(fleet, tmp_path, isolated_env):
    ssh_dir = isolated_env / ".ssh"
    ssh_dir.mkdir(exist_ok=True)
    shutil.copy(fleet.key_file, ssh_dir / "id_ed25519")
    (ssh_dir / "id_ed25519").chmod(0o600)
    host = _host(fleet)
    host.key_file = None
    with SSHConnector(host, _options(tmp_path, fleet)) as conn:
        assert conn.run("true", timeout=10).ok


def test_ssh_agent_keys_are_offered(fleet, tmp_path, monkeypatch):
    agent = subprocess.run(["ssh-agent", "-s"], capture_output=True, text=True, check=True).stdout
    env = dict(re.findall(r"(SSH_AUTH_SOCK|SSH_AGENT_PID)=([^;]+);", agent))
    try:
        monkeypatch.setenv("SSH_AUTH_SOCK", env["SSH_AUTH_SOCK"])
        subprocess.run(
            ["ssh-add", "-q", str(fleet.key_file)],
            check=True,
            capture_output=True,
            env={**os.environ, **env},
        )
        host = _host(fleet)
        host.key_file = None
        with SSHConnector(host, _options(tmp_path, fleet)) as conn:
            assert conn.run("true", timeout=10).ok
    finally:
        os.kill(int(env["SSH_AGENT_PID"]), signal.SIGTERM)
