"""What a test needs from the machine: missing under CI is a failure, never a silent skip."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def unavailable(why: str) -> NoReturn:
    """Fail under CI=true (CI must have everything); skip, saying why, on a developer's machine."""
    if in_ci():
        pytest.fail(f"required in CI: {why}", pytrace=False)
    pytest.skip(why)


def need_tools(*tools: str, hint: str = "") -> None:
    """Every tool must be on PATH; ``hint`` says how to install the missing ones."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        unavailable(f"{', '.join(missing)} not installed" + (f" ({hint})" if hint else ""))


def _missing(*tools: str) -> str | None:
    gone = [t for t in tools if shutil.which(t) is None]
    return f"{', '.join(gone)} not installed" if gone else None


def what_will_skip() -> dict[str, str]:
    """The test groups that cannot run on this machine, each with the reason (what the tests
    above would say); scripts/test.sh prints it before pytest starts."""
    from tests.pgserver import missing_requirements as postgres_missing
    from tests.testfleet.fleet import missing_requirements  # the fleet modules are not tiny

    found = {
        "fleet": missing_requirements(),
        "postgres": postgres_missing(),
        "browser": _missing("chromium") and _missing("chromium-browser"),
        "rpm": _missing("rpm", "rpmbuild"),
        "ssh": _missing("ssh", "ssh-keygen"),
        "dpkg": _missing("dpkg"),
        "ansible": None
        if (Path(sys.executable).parent / "ansible-inventory").exists()
        else _missing("ansible-inventory"),
    }
    return {group: why for group, why in found.items() if why}


def skip_summary(skips: dict[str, str], ci: bool) -> str:
    """One line: which groups skip and why (under CI: which fail, since nothing skips there)."""
    if not skips:
        return "test: every test group can run here"
    groups = "; ".join(f"{group} tests ({why})" for group, why in skips.items())
    if ci:
        return f"test: CI=true, so these fail instead of skipping: {groups}"
    return f"test: these skip here (pytest's summary lists each): {groups}"


if __name__ == "__main__":
    print(skip_summary(what_will_skip(), in_ci()))
