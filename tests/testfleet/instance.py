"""Start, stop and inspect one running fleet instance.

Each host is one process tree: ``unshare`` (private mount, UTS and PID namespaces) mounts the
host's overlay, /proc, /dev/pts and /run, sets the hostname and execs the real OpenSSH sshd
chrooted into the overlay. The mounts live only in that namespace, so they disappear when the
process is killed, even after a crash; ``stop`` only has to kill what the instance started.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.testfleet import build, inventories
from tests.testfleet.addresses import claim_prefix, claimed_states, host_address, release_prefix
from tests.testfleet.hostfiles import keygen, write_host_files
from tests.testfleet.layout import DOWN, MUTE, REKEY, Layout, get_layout

RUN_HOST = """set -e
mount -t overlay overlay -o "$2" "$1"
mount -t proc proc "$1/proc"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$1/dev/pts"
mount --bind "$1/dev/pts/ptmx" "$1/dev/ptmx"
mount -t tmpfs -o mode=0755 tmpfs "$1/run"
mkdir -m 0755 "$1/run/sshd"
hostname "$3"
exec chroot "$1" /usr/sbin/sshd -D -e -f /etc/ssh/testfleet_sshd_config
"""
# Accepts TCP connections and holds them without ever sending the SSH banner.
MUTE_LISTENER = """import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 22)); s.listen(1000); held = []
while True: held.append(s.accept()[0])
"""


def instances_dir() -> Path:
    return build.cache_dir() / "instances"


def load(state: Path) -> dict[str, Any]:
    return json.loads((state / "instance.json").read_text())


def _save(state: Path, data: dict[str, Any]) -> None:
    tmp = state / "instance.json.tmp"
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, state / "instance.json")


def _prepare_host(state: Path, layout: Layout, name: str, address: str, pub: str) -> dict:
    spec = layout.host(name)
    info: dict[str, Any] = {"address": address, "port": 22, "group": spec.group,
                            "variant": spec.variant, "role": spec.role, "host_key": None}  # fmt: skip
    if spec.role in (DOWN, MUTE):
        return info
    hdir = state / "hosts" / name
    for sub in ("upper", "work", "root"):
        (hdir / sub).mkdir(parents=True)
    base = build.base_dir()
    key = write_host_files(
        hdir / "upper", base, name=name, address=address, role=spec.role, client_pub=pub
    )
    info["host_key"] = " ".join(key.with_name(key.name + ".pub").read_text().split()[:2])
    if spec.role == REKEY:  # known_hosts gets the key above; the host gets a new one
        info["new_host_key"] = " ".join(keygen(key, f"root@{name}").split()[:2])
    variant = build.variant_dir(spec.variant) if build.VARIANTS[spec.variant] else None
    lower = f"{variant}:{base}" if variant else str(base)
    info["overlay"] = f"lowerdir={lower},upperdir={hdir / 'upper'},workdir={hdir / 'work'}"
    return info


def _launch(state: Path, name: str, info: dict[str, Any]) -> int | None:
    log = open(state / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    if info["role"] == DOWN:
        return None
    if info["role"] == MUTE:
        argv = [sys.executable, "-c", MUTE_LISTENER, info["address"], str(state)]
    else:
        argv = ["unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child",
                "--propagation", "private", "sh", "-c", RUN_HOST, "sh",
                str(state / "hosts" / name / "root"), info["overlay"], name]  # fmt: skip
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
    )
    log.close()
    return proc.pid


def _wait_ready(info: dict[str, Any], deadline: float) -> str | None:
    """None when the host answers as its role says; otherwise what is wrong."""
    if info["role"] == DOWN:
        return None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((info["address"], 22), timeout=2) as s:
                if info["role"] == MUTE:
                    return None
                s.settimeout(5)
                if s.recv(64).startswith(b"SSH-"):
                    return None
        except OSError:
            pass
        if info.get("pid") and not _alive(info["pid"]):
            return "its process exited (see the log)"
        time.sleep(0.05)
    return "did not answer on port 22 in time"


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):  # reap it if it is our own (dead) child
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _proc_start(pid: int) -> str | None:
    """A process's start time (to tell a live owner from a reused pid)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def reap_orphans() -> list[Path]:
    """Stop instances whose owner (the test session that started them) is gone."""
    reaped = []
    for state in claimed_states():  # every instance claims an address prefix, wherever it lives
        try:
            owner = load(state).get("owner")
        except (OSError, ValueError):
            continue
        if owner and _proc_start(owner["pid"]) != owner["start"]:
            stop(state)
            reaped.append(state)
    return reaped


def start(
    layout_name: str = "default", state: Path | None = None, *, owner_pid: int | None = None
) -> Path:
    """Build what is missing, start every host; return the instance's state directory.
    With ``owner_pid``, the instance is stopped by a later ``start`` once that process is gone
    (a killed test session), instead of running forever."""
    layout = get_layout(layout_name)
    started = time.monotonic()
    build.build_all(layout.variants())
    reap_orphans()
    state = state or instances_dir() / f"{layout.name}-{uuid.uuid4().hex[:8]}"
    state.mkdir(parents=True)
    (state / "logs").mkdir()
    prefix = claim_prefix(state)
    data: dict[str, Any] = {"layout": layout.name, "prefix": prefix, "status": "starting",
                            "started_at": time.time(), "hosts": {}}  # fmt: skip
    if owner_pid:
        data["owner"] = {"pid": owner_pid, "start": _proc_start(owner_pid)}
    _save(state, data)
    try:
        pub = keygen(state / "id_ed25519", "changekit-testfleet")
        addrs = {h.name: host_address(prefix, i) for i, h in enumerate(layout.hosts)}
        with ThreadPoolExecutor(16) as pool:
            infos = pool.map(lambda n: _prepare_host(state, layout, n, addrs[n], pub), addrs)
            data["hosts"] = dict(zip(addrs, infos, strict=True))
        inventories.write_all(layout, data["hosts"], state)
        for name, info in data["hosts"].items():
            info["pid"] = _launch(state, name, info)
        _save(state, data)
        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(32) as pool:
            problems = dict(
                zip(
                    data["hosts"],
                    pool.map(lambda i: _wait_ready(i, deadline), data["hosts"].values()),
                    strict=True,
                )
            )
        bad = {n: p for n, p in problems.items() if p}
        if bad:
            raise RuntimeError(
                f"test fleet hosts failed to start: {bad} (logs in {state / 'logs'})"
            )
    except BaseException:
        stop(state)
        raise
    data["status"] = "running"
    data["start_seconds"] = round(time.monotonic() - started, 2)
    _save(state, data)
    build.log(f"{len(data['hosts'])} hosts up in {data['start_seconds']}s: {state}")
    return state


def _our_pids(state: Path) -> set[int]:
    """Processes whose command line names this instance's state directory (catches what a
    crashed ``start`` launched before it could record the pid)."""
    needle = str(state).encode()
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids - {os.getpid()}


def stop(state: Path, *, remove: bool = True) -> None:
    """Kill every process of the instance and forget it. Idempotent; safe after a crash."""
    state = state.resolve()
    if not state.exists():
        return
    try:
        recorded = {h["pid"] for h in load(state)["hosts"].values() if h.get("pid")}
    except (OSError, ValueError, KeyError):
        recorded = set()
    pids = (recorded & {p for p in recorded if _alive(p)}) | _our_pids(state)
    # SIGKILL straight away: unshare --fork ignores SIGTERM, and --kill-child then kills the
    # host's sshd (PID 1 of its namespace), which takes every process of the host with it.
    for sig in (signal.SIGKILL, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.05)
        pids = {p for p in pids if _alive(p)}
        if not pids:
            break
    _unmount_leftovers(state)
    release_prefix(state)
    if remove:
        shutil.rmtree(state, ignore_errors=True)


def _unmount_leftovers(state: Path) -> None:
    """Mounts live in the hosts' namespaces; this only guards against a mount made outside."""
    prefix = str(state) + "/"
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for mnt in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", mnt], check=False)


def overlays_in_use() -> set[str]:
    """The overlay options of every host of every claimed instance."""
    used = set()
    for state in claimed_states():
        try:
            used |= {h.get("overlay", "") for h in load(state)["hosts"].values()}
        except (OSError, ValueError, KeyError):
            continue
    return used


def status(state: Path) -> dict[str, Any]:
    data = load(state)
    for info in data["hosts"].values():
        info["alive"] = bool(info.get("pid")) and _alive(info["pid"])
    return data
