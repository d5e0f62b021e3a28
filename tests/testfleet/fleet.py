"""``Fleet``: a handle on one running instance, what the pytest fixture ``fleet`` returns."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.testfleet import build, instance
from tests.testfleet.layout import DOWN, MUTE, SSH, Layout, get_layout

REQUIRED_TOOLS = ("debootstrap", "unshare", "chroot", "ssh", "ssh-keygen", "mount")


@dataclass(frozen=True)
class FleetHost:
    name: str
    address: str
    port: int
    group: str
    variant: str
    role: str
    """layout.SSH, DOWN, HANG, MUTE or REKEY."""
    host_key: str | None
    """``type base64`` as written to known_hosts (for rekey01: the old key)."""
    pid: int | None


def missing_requirements() -> str | None:
    """Why the fleet cannot run here, or None."""
    if os.geteuid() != 0:
        return "the test fleet needs root (overlayfs mounts, chroot, sshd on port 22)"
    missing = [t for t in REQUIRED_TOOLS if not shutil.which(t)]
    if missing:
        return f"the test fleet needs {', '.join(missing)}: run .ci/setup-fleet"
    if "overlay" not in Path("/proc/filesystems").read_text():
        return "the test fleet needs overlayfs (modprobe overlay)"
    cache = build.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    fstype = subprocess.run(
        ["stat", "-f", "-c", "%T", str(cache)], capture_output=True, text=True, check=False
    ).stdout.strip()
    if fstype == "overlayfs":
        return f"{cache} is on overlayfs, which cannot hold overlay layers: set CHANGEKIT_TESTFLEET_CACHE to a directory on ext4/xfs/tmpfs"
    with socket.socket() as s:
        try:
            s.bind(("127.254.254.254", 22))
        except OSError as e:
            return f"cannot listen on 127.x.y.z:22 ({e}): does an sshd listen on 0.0.0.0:22?"
    return None


class Fleet:
    def __init__(self, state_dir: Path | str) -> None:
        self.state_dir = Path(state_dir).resolve()
        data = instance.load(self.state_dir)
        self.layout: Layout = get_layout(data["layout"])
        self.prefix: int = data["prefix"]
        self.hosts: dict[str, FleetHost] = {
            name: FleetHost(
                name,
                h["address"],
                h["port"],
                h["group"],
                h["variant"],
                h["role"],
                h.get("host_key"),
                h.get("pid"),
            )  # fmt: skip
            for name, h in data["hosts"].items()
        }
        self.key_file = self.state_dir / "id_ed25519"
        self.known_hosts = self.state_dir / "known_hosts"
        self.ssh_config = self.state_dir / "ssh_config"
        self.inventory = self.state_dir / "inventory.yaml"
        self.ansible_ini = self.state_dir / "ansible.ini"
        self.ansible_yaml = self.state_dir / "ansible.yaml"

    def names(self, *, role: str | None = SSH, group: str | None = None) -> list[str]:
        """Host names with that role (None: any) in that group (None: any)."""
        return [
            h.name
            for h in self.hosts.values()
            if (role is None or h.role == role) and (group is None or h.group == group)
        ]

    def ssh(
        self,
        host: str,
        command: str,
        *,
        user: str = "root",
        timeout: float = 30,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` on ``host`` with the real OpenSSH client, strict host key checking."""
        return subprocess.run(
            ["ssh", "-F", str(self.ssh_config), "-l", user, host, command],
            capture_output=True, text=True, timeout=timeout, check=check, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def root(self, host: str) -> Path:
        """The host's filesystem as its sshd sees it (through /proc), for reading from outside."""
        pid = self.hosts[host].pid
        if pid is None or self.hosts[host].role in (DOWN, MUTE):
            raise ValueError(f"{host} has no filesystem (role {self.hosts[host].role})")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return Path(f"/proc/{children[0]}/root")
