"""Per-host files written into a host's fresh overlay upper layer before its sshd starts:
host key, sshd config, authorized keys, hostname. Written offline into the upper directory, so
the lower layers (base, variant) stay untouched and shared."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.testfleet.layout import HANG

SSHD_CONFIG = """\
# changekit test fleet host {name}
ListenAddress {address}:22
HostKey /etc/ssh/testfleet_host_ed25519_key
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
# the default (10:30:100) drops connections when a whole fleet scan arrives at once
MaxStartups 1000:100:1000
MaxSessions 100
AuthorizedKeysFile .ssh/authorized_keys
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
"""
HANG_CONFIG = "# login succeeds, then every command hangs\nForceCommand /bin/sleep 100000\n"


def keygen(path: Path, comment: str) -> str:
    """Make a new ed25519 key pair at ``path``; return the public key line."""
    for p in (path, path.with_name(path.name + ".pub")):
        p.unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


def ensure_dir(upper: Path, base: Path, rel: str) -> Path:
    """Create ``upper/rel`` with each directory's mode and owner copied from the base, so the
    merged view keeps the real attributes (sshd's StrictModes checks them)."""
    cur_u, cur_b = upper, base
    for part in Path(rel).parts:
        cur_u, cur_b = cur_u / part, cur_b / part
        if not cur_u.is_dir():
            cur_u.mkdir()
            st = cur_b.stat()
            os.chown(cur_u, st.st_uid, st.st_gid)
            os.chmod(cur_u, st.st_mode & 0o7777)
    return cur_u


def _write(path: Path, text: str, mode: int, uid: int = 0, gid: int = 0) -> None:
    path.write_text(text)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def write_host_files(
    upper: Path, base: Path, *, name: str, address: str, role: str, client_pub: str
) -> Path:
    """Populate one host's upper layer; return the host private key path (inside ``upper``)."""
    ssh_dir = ensure_dir(upper, base, "etc/ssh")
    config = SSHD_CONFIG.format(name=name, address=address) + (HANG_CONFIG if role == HANG else "")
    _write(ssh_dir / "testfleet_sshd_config", config, 0o644)
    etc = ensure_dir(upper, base, "etc")
    _write(etc / "hostname", name + "\n", 0o644)
    _write(etc / "hosts", f"127.0.0.1\tlocalhost\n{address}\t{name}\n", 0o644)
    _write(ensure_dir(upper, base, "root/.ssh") / "authorized_keys", client_pub + "\n", 0o600)
    ops = (base / "home/ops").stat()
    _write(
        ensure_dir(upper, base, "home/ops/.ssh") / "authorized_keys",
        client_pub + "\n",
        0o600,
        ops.st_uid,
        ops.st_gid,
    )
    key = ssh_dir / "testfleet_host_ed25519_key"
    keygen(key, f"root@{name}")
    return key
