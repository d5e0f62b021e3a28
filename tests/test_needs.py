"""A missing tool fails a test under CI and skips it only on a developer's machine."""

from __future__ import annotations

import pytest

from tests.needs import need_tools


def test_missing_tool_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI: no-such-tool-xyz"):
        need_tools("no-such-tool-xyz")


def test_missing_tool_skips_elsewhere(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-xyz not installed"):
        need_tools("no-such-tool-xyz", hint="apt-get install it")


def test_present_tool_passes():
    need_tools("sh")
