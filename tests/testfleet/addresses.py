"""Loopback addresses for fleet instances: each running instance owns one 127.<a>.0.0/16 block,
so several test sessions can run fleets at the same time. Linux answers on all of 127.0.0.0/8
through ``lo`` (the 127.0.0.1/8 route), so nothing has to be configured."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

from tests.testfleet import build

FIRST, LAST = 100, 199
STALE_AFTER = 120  # seconds a claim may exist without a live process (a starting instance)


def _claims() -> Path:
    d = build.cache_dir() / "prefixes"
    d.mkdir(parents=True, exist_ok=True)
    return d


def host_address(prefix: int, index: int) -> str:
    return f"127.{prefix}.{index // 250}.{index % 250 + 1}"


def _claim_is_stale(claim: Path) -> bool:
    try:
        state = Path((claim / "owner").read_text().strip())
        age = time.time() - (claim / "owner").stat().st_mtime
    except OSError:
        return time.time() - claim.stat().st_mtime > STALE_AFTER
    if not (state / "instance.json").exists():
        return age > STALE_AFTER
    from tests.testfleet.instance import load

    pids = [h.get("pid") for h in load(state).get("hosts", {}).values() if h.get("pid")]
    if any(os.path.exists(f"/proc/{p}") for p in pids):
        return False
    return age > STALE_AFTER


def _in_use(prefix: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((f"127.{prefix}.0.1", 22))
        except OSError:
            return True
    return False


def claim_prefix(state: Path) -> int:
    """Atomically claim a free prefix for the instance at ``state``."""
    for prefix in range(FIRST, LAST + 1):
        claim = _claims() / str(prefix)
        try:
            claim.mkdir()
        except FileExistsError:
            if not _claim_is_stale(claim):
                continue
            shutil.rmtree(claim, ignore_errors=True)
            try:
                claim.mkdir()
            except FileExistsError:
                continue
        if _in_use(prefix):  # something outside our registry listens there
            shutil.rmtree(claim, ignore_errors=True)
            continue
        (claim / "owner").write_text(str(state))
        return prefix
    raise RuntimeError(f"no free 127.X prefix in {FIRST}..{LAST}; stop old instances")


def release_prefix(state: Path) -> None:
    for claim in _claims().iterdir():
        try:
            if Path((claim / "owner").read_text().strip()) == state:
                shutil.rmtree(claim, ignore_errors=True)
        except OSError:
            continue


def claimed_states() -> list[Path]:
    """The state directories of every instance holding a prefix."""
    out = []
    for claim in _claims().iterdir():
        try:
            out.append(Path((claim / "owner").read_text().strip()))
        except OSError:
            continue
    return out
