"""What a test needs from the machine: missing under CI is a failure, never a silent skip."""

from __future__ import annotations

import os
import shutil
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
