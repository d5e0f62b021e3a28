"""A hook nobody tests is a hook nobody knows works (datasette's rule)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_plugins import HOOKS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_exercised_by_some_test(hook):
    used = False
    for path in (ROOT / "tests").rglob("*.py"):
        if path.name in ("test_plugins.py", "test_hook_coverage.py") and hook not in (
            "check_record",
            "register_commands",
        ):
            continue
        if re.search(rf"\b{hook}\b", path.read_text(encoding="utf-8", errors="replace")):
            used = True
            break
    assert used, f"no test mentions hook {hook}: register a throwaway implementation and call it"
