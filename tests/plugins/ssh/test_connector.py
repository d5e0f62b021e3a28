"""The SSH connector against a real sshd: host keys, auth, timeouts, jump hosts, file writes."""

from __future__ import annotations

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


def _host(sshd, **kw) -> Host:
    return Host(
        name="local",
        address="127.0.0.1",
        port=sshd.port,
        user="root",
        key_file=str(sshd.client_key),
        **kw,
    )


def _options(tmp_path: Path, sshd=None, **kw) -> ConnectOptions:
    kh = tmp_path / "known_hosts"
    if sshd is not None:
        kh.write_text(sshd.known_hosts_line())
    return ConnectOptions(known_hosts_file=str(kh), connect_timeout=5, **kw)


def test_runs_a_script_on_stdin_and_returns_both_streams(local_sshd, tmp_path):
    with SSHConnector(_host(local_sshd), _options(tmp_path, local_sshd)) as conn:
        result = conn.run("echo out; echo err >&2; exit 3\n", timeout=10)
    assert (result.exit_code, result.stdout, result.stderr) == (3, b"out\n", b"err\n")


def test_unknown_host_key_is_refused_with_the_fingerprint(local_sshd, tmp_path):
    options = _options(tmp_path)
    with pytest.raises(HostKeyUnknown) as err:
        SSHConnector(_host(local_sshd), options).connect()
    assert f"[127.0.0.1]:{local_sshd.port}" in err.value.message and "SHA256:" in err.value.message
    assert "--accept-new-host-keys" in err.value.hint
    assert not (tmp_path / "known_hosts").exists()


def test_accept_new_writes_known_hosts_and_ssh_agrees(local_sshd, tmp_path):
    options = _options(tmp_path, accept_new_host_keys=True)
    with SSHConnector(_host(local_sshd), options) as conn:
        assert conn.run("true", timeout=10).ok
    written = (tmp_path / "known_hosts").read_text()
    assert written == local_sshd.known_hosts_line()
    # OpenSSH itself accepts the file we wrote, with strict checking
    out = subprocess.run(
        [
            "ssh",
            "-p",
            str(local_sshd.port),
            "-i",
            str(local_sshd.client_key),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
            "root@127.0.0.1",
            "echo ok",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.stdout == "ok\n", out.stderr
    # and a second scan without accept-new now trusts it
    with SSHConnector(_host(local_sshd), _options(tmp_path)) as conn:
        assert conn.run("true", timeout=10).ok


def test_changed_host_key_is_refused_even_with_accept_new(local_sshd, tmp_path):
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other], check=True)
    pub = " ".join(Path(f"{other}.pub").read_text().split()[:2])
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{local_sshd.port} {pub}\n")
    options = ConnectOptions(
        known_hosts_file=str(tmp_path / "known_hosts"), accept_new_host_keys=True
    )
    with pytest.raises(HostKeyChanged) as err:
        SSHConnector(_host(local_sshd), options).connect()
    assert "HOST KEY CHANGED" in err.value.message and "ssh-keygen -R" in err.value.hint
    assert (tmp_path / "known_hosts").read_text().count("\n") == 1


def test_hashed_known_hosts_entries_match(local_sshd, tmp_path):
    kh = tmp_path / "known_hosts"
    kh.write_text(local_sshd.known_hosts_line())
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", kh], check=True, capture_output=True)
    assert kh.read_text().startswith("|1|")
    with SSHConnector(_host(local_sshd), ConnectOptions(known_hosts_file=str(kh))) as conn:
        assert conn.run("true", timeout=10).ok


def test_wrong_key_is_auth_failed(local_sshd, tmp_path):
    wrong = tmp_path / "wrong"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", wrong], check=True)
    host = _host(local_sshd)
    host.key_file = str(wrong)
    with pytest.raises(AuthFailed) as err:
        SSHConnector(host, _options(tmp_path, local_sshd)).connect()
    assert "root" in err.value.message


def test_hung_command_times_out(local_sshd, tmp_path):
    with SSHConnector(_host(local_sshd), _options(tmp_path, local_sshd)) as conn:
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


def test_jump_host_reaches_the_target_through_a_tunnel(local_sshd, tmp_path):
    options = _options(tmp_path, local_sshd, key_file=str(local_sshd.client_key))
    host = _host(local_sshd, proxy_jump=f"root@127.0.0.1:{local_sshd.port}")
    with SSHConnector(host, options) as conn:
        # the target sees the connection coming from the jump host's sshd (127.0.0.1)
        result = conn.run('echo "$SSH_CONNECTION"', timeout=10)
    assert result.stdout.startswith(b"127.0.0.1 ")
    assert any(k.startswith("jump:") for k in options.shared)
    options.close()


def test_output_cap_cuts_off_a_flooding_host(local_sshd, tmp_path):
    options = _options(tmp_path, local_sshd, max_output=100_000)
    with SSHConnector(_host(local_sshd), options) as conn, pytest.raises(TransportError) as err:
        conn.run("yes\n", timeout=20)
    assert "exceeded" in err.value.message


def test_put_and_remove_file_quote_hostile_paths(local_sshd, tmp_path):
    target = tmp_path / "remote dir"
    target.mkdir()
    # the remote shell starts in root's home: an injected `touch` would land there
    marker = Path("/root/ck_injected_put")
    marker.unlink(missing_ok=True)
    name = "x; touch ck_injected_put; $(touch ck_injected_put) `touch ck_injected_put`\n'\u00e9"
    path = str(target / name)
    with SSHConnector(_host(local_sshd), _options(tmp_path, local_sshd)) as conn:
        conn.put_file(path, b"data\n", mode=0o640)
        assert Path(path).read_bytes() == b"data\n"
        assert oct(Path(path).stat().st_mode & 0o777) == "0o640"
        conn.remove_file(path)
    assert not Path(path).exists()
    assert not marker.exists()
