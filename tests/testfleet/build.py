"""Build and cache the base root filesystem (debootstrap) and one overlay layer per variant.

Everything is built into a temporary directory and renamed into place when complete, under a
file lock, so concurrent test sessions never build twice and a crashed build leaves nothing
that looks finished. Mounts happen only inside private mount namespaces (``unshare --mount``),
so they vanish with the build process, even when it is killed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.testfleet.layout import VARIANTS

SUITE = "bookworm"
MIRROR = os.environ.get("CHANGEKIT_TESTFLEET_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
TAIL_LINES = 20  # of a failed build phase's output, printed with the build log's path
INCLUDE = [
    "openssh-server", "sudo", "python3", "perl", "libpdf-api2-perl", "apache2", "tzdata",
    "procps", "iproute2", "python3-apt",  # python3-apt: for Ansible package_facts (bench)
]  # fmt: skip
# Run chrooted inside the fresh rootfs after debootstrap (never on the build machine itself).
BASE_SETUP = "\n".join(
    [
        f"echo 'deb {MIRROR} {SUITE} main' > /etc/apt/sources.list",
        f"echo 'deb {MIRROR} {SUITE}-updates main' >> /etc/apt/sources.list",
        f"echo 'deb {SECURITY_MIRROR} {SUITE}-security main' >> /etc/apt/sources.list",
        # no service may start while packages are installed into a host
        "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d",
        "chmod 755 /usr/sbin/policy-rc.d",
        "apt-get update -q",
        "rm -f /etc/ssh/ssh_host_*",
        "useradd -m -s /bin/bash ops",
        "usermod -p '*' ops",  # no password, but not locked (sshd refuses '!' accounts)
        "echo 'ops ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/ops",
        "chmod 440 /etc/sudoers.d/ops",
        "mkdir -p -m 700 /root/.ssh /home/ops/.ssh",
        "chown ops:ops /home/ops/.ssh",
    ]
)


def cache_dir() -> Path:
    return Path(os.environ.get("CHANGEKIT_TESTFLEET_CACHE", "/var/cache/changekit-testfleet"))


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def base_key() -> str:
    return _key(SUITE, MIRROR, ",".join(INCLUDE), BASE_SETUP)


def base_dir() -> Path:
    return cache_dir() / f"base-{base_key()}" / "rootfs"


def variant_dir(name: str) -> Path:
    return cache_dir() / "variants" / f"{name}-{_key(base_key(), VARIANTS[name])}" / "upper"


def log(msg: str) -> None:
    print(f"testfleet: {msg}", file=sys.stderr, flush=True)


def build_log() -> Path:
    return cache_dir() / "build.log"


def run_phase(what: str, argv: list[str], *, env: dict[str, str] | None = None) -> None:
    """Run one build phase with its output kept in the build log, saying only ``what`` it does.

    debootstrap, apt, debconf and tzdata print warnings a newcomer takes for errors (``E: Can
    not write log (Is /dev/pts mounted?)``); they belong in the log. On failure, print the log's
    path and the phase's last lines, then raise ``CalledProcessError``.
    """
    path = build_log()
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"{what} (output in {path})")
    with open(path, "ab") as fh:
        fh.write(f"\n=== {time.strftime('%F %T')} {what}\n$ {shlex.join(argv)}\n".encode())
        fh.flush()
        start = fh.tell()
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh)
    if done.returncode:
        with open(path, "rb") as fh:
            fh.seek(start)
            tail = fh.read().decode(errors="replace").splitlines()[-TAIL_LINES:]
        log(f"{what} failed (exit {done.returncode}); the last lines of {path}:")
        print("\n".join(f"    {line}" for line in tail), file=sys.stderr, flush=True)
        raise subprocess.CalledProcessError(done.returncode, argv)


@contextmanager
def build_lock() -> Iterator[None]:
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / "build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _in_root(what: str, root: Path, script: str, *, overlay: str | None = None) -> None:
    """Run ``script`` with /bin/sh -e chrooted into ``root``, with /proc, the host's DNS config
    and a shared apt package cache mounted, all in a private mount namespace."""
    debs = cache_dir() / "apt-archives"
    (debs / "partial").mkdir(parents=True, exist_ok=True)
    mount = f"mount -t overlay overlay -o {overlay} {root}\n" if overlay else ""
    outer = (
        "set -e\n"
        f"{mount}mount -t proc proc {root}/proc\n"
        f"mount --bind {debs} {root}/var/cache/apt/archives\n"
        f"rm -f {root}/etc/resolv.conf\n"
        f"cp -L /etc/resolv.conf {root}/etc/resolv.conf\n"
        f'exec chroot {root} /bin/sh -ec "$1"\n'
    )
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
           "LANG": "C.UTF-8", "HOME": "/root"}  # fmt: skip
    run_phase(
        what,
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", outer, "sh", script],
        env=env,
    )


def _fresh_tmp(final: Path) -> Path:
    tmp = final.parent.parent / f"tmp-{final.parent.name}"
    if tmp.exists():  # left by a crashed build: start again
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def _with_retries(final: Path, step: Callable[[Path], None], attempts: int = 3) -> Path:
    """Run ``step`` in a fresh temp dir; again on failure (mirrors have bad minutes)."""
    for attempt in range(1, attempts + 1):
        tmp = _fresh_tmp(final)
        try:
            step(tmp)
            return tmp
        except subprocess.CalledProcessError as e:
            if attempt == attempts:
                raise
            log(f"{final.parent.name}: {e}; trying again ({attempt}/{attempts})")
            time.sleep(5 * attempt)
    raise AssertionError("unreachable")


def _debootstrap(tmp: Path) -> None:
    (cache_dir() / "debs").mkdir(exist_ok=True)
    run_phase(
        f"base rootfs: debootstrap {SUITE} with {len(INCLUDE)} packages (a minute or more)",
        ["debootstrap", "--variant=minbase", f"--cache-dir={cache_dir() / 'debs'}",
         f"--include={','.join(INCLUDE)}", SUITE, str(tmp / "rootfs"), MIRROR],
    )  # fmt: skip
    _in_root("base rootfs: apt sources, user ops, sudo", tmp / "rootfs", BASE_SETUP)


def _apply_variant(tmp: Path, base: Path, name: str) -> None:
    for sub in ("upper", "work", "root"):
        (tmp / sub).mkdir()
    opts = f"lowerdir={base},upperdir={tmp / 'upper'},workdir={tmp / 'work'}"
    _in_root(f"variant {name}: apt/dpkg in an overlay", tmp / "root", VARIANTS[name], overlay=opts)


def build_base() -> Path:
    """The cached base rootfs, built first if needed (about a minute with a reachable mirror)."""
    final = base_dir()
    if final.is_dir():
        return final
    with build_lock():
        if final.is_dir():
            return final
        started = time.monotonic()
        tmp = _with_retries(final, _debootstrap)
        took = round(time.monotonic() - started, 1)
        (tmp / "build.json").write_text(json.dumps({"seconds": took, "key": base_key()}))
        os.rename(tmp, final.parent)
        log(f"base rootfs built in {took}s: {final}")
    return final


def build_variant(name: str) -> Path | None:
    """The cached overlay layer for ``name`` (None for the plain base)."""
    if not VARIANTS[name]:
        return None
    final = variant_dir(name)
    if final.is_dir():
        return final
    base = build_base()
    with build_lock():
        if final.is_dir():
            return final
        started = time.monotonic()
        tmp = _with_retries(final, lambda tmp: _apply_variant(tmp, base, name))
        for sub in ("work", "root"):
            shutil.rmtree(tmp / sub)
        os.rename(tmp, final.parent)
        log(f"variant {name} built in {time.monotonic() - started:.1f}s")
    return final


def build_all(variants: set[str]) -> dict[str, Path | None]:
    build_base()
    return {v: build_variant(v) for v in sorted(variants)}


def prune(in_use: set[str]) -> list[Path]:
    """Remove cached bases and layers of older recipes that no running instance uses
    (``in_use``: the overlay option strings of running hosts)."""
    current = {base_dir().parent} | {variant_dir(v).parent for v in VARIANTS}
    candidates = [*cache_dir().glob("base-*"), *cache_dir().glob("variants/*")]
    removed = []
    with build_lock():
        for d in candidates:
            if d not in current and not any(str(d) in opts for opts in in_use):
                shutil.rmtree(d)
                removed.append(d)
    return removed
