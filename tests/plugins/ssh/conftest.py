"""A real OpenSSH sshd on 127.0.0.1 for connector tests (the fleet tests use the full fleet)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _need(tool: str) -> str:
    path = shutil.which(tool) or (
        f"/usr/sbin/{tool}" if os.path.exists(f"/usr/sbin/{tool}") else None
    )
    if not path:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is required (apt-get install openssh-server openssh-client)")
        pytest.skip(f"{tool} not installed")
    return path


class LocalSshd:
    def __init__(self, root: Path, port: int, client_key: Path, host_pub: str) -> None:
        self.root = root
        self.port = port
        self.client_key = client_key
        self.host_pub = host_pub  # "type base64"

    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.host_pub}\n"


@pytest.fixture(scope="session")
def local_sshd(tmp_path_factory: pytest.TempPathFactory):
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("the sshd tests run as root (sshd must switch users)")
        pytest.skip("needs root")
    sshd = _need("sshd")
    keygen = _need("ssh-keygen")
    root = tmp_path_factory.mktemp("sshd")
    subprocess.run(
        [keygen, "-q", "-t", "ed25519", "-N", "", "-f", root / "host_ed25519"], check=True
    )
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", root / "client"], check=True)
    (root / "authorized_keys").write_text((root / "client.pub").read_text())
    os.chmod(root, 0o755)
    port = _free_port()
    Path("/run/sshd").mkdir(exist_ok=True)
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root}/host_ed25519\n"
        f"AuthorizedKeysFile {root}/authorized_keys\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nUsePAM no\nStrictModes no\nMaxStartups 1000:100:1000\n"
        f"PidFile {root}/sshd.pid\nLogLevel ERROR\n"
    )
    with open(root / "log", "wb") as log:
        proc = subprocess.Popen([sshd, "-D", "-e", "-f", root / "sshd_config"], stderr=log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"sshd did not start: {(root / 'log').read_text()}")
    host_pub = " ".join((root / "host_ed25519.pub").read_text().split()[:2])
    yield LocalSshd(root, port, root / "client", host_pub)
    proc.terminate()
    proc.wait(10)
