"""A missing tool fails a test under CI and skips it only on a developer's machine."""

from __future__ import annotations

import pytest

from tests import fleet_plugin
from tests.needs import in_ci, need_tools, skip_summary, what_will_skip


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


def test_a_normal_user_is_told_before_pytest_that_fleet_tests_skip(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr("tests.testfleet.fleet.os.geteuid", lambda: 1000)
    skips = what_will_skip()
    assert skips["fleet"].startswith("the test fleet needs root")
    line = skip_summary(skips, in_ci())
    assert line.startswith("test: these skip here (pytest's summary lists each): fleet tests (")
    assert "\n" not in line


def test_under_ci_the_line_says_they_fail_instead():
    line = skip_summary({"browser": "chromium not installed"}, ci=True)
    assert (
        line
        == "test: CI=true, so these fail instead of skipping: browser tests (chromium not installed)"
    )


def test_nothing_missing():
    assert skip_summary({}, ci=False) == "test: every test group can run here"


def test_without_the_fleet_its_tests_fail_under_ci_and_skip_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="test fleet unavailable under CI: no root"):
        fleet_plugin._unavailable("no root")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="test fleet unavailable: no root"):
        fleet_plugin._unavailable("no root")


def test_without_postgresql_its_tests_fail_under_ci_and_say_how_to_install(monkeypatch):
    from tests import pgserver
    from tests.needs import unavailable

    monkeypatch.setattr(pgserver, "bindir", lambda: None)
    why = pgserver.missing_requirements()
    assert (
        why
        == "PostgreSQL server not installed (apt-get install postgresql (scripts/setup.sh does it as root))"
    )
    assert what_will_skip()["postgres"] == why
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI: PostgreSQL unavailable"):
        unavailable(f"PostgreSQL unavailable: {why}")
