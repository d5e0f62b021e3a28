"""pytest plugin: the session-scoped ``fleet`` fixture (the real sshd test fleet).

With ``CHANGEKIT_TESTFLEET=/path/to/state-dir`` the tests use that running instance (start one
with ``python -m tests.testfleet start``); otherwise the session starts a fresh instance of the
default layout and stops it at the end. Without root or the needed tools the fixture fails under
CI=true and skips (with the reason) elsewhere.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.needs import in_ci
from tests.testfleet import instance
from tests.testfleet.fleet import Fleet, missing_requirements


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"test fleet unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"test fleet unavailable: {reason}")


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    """The running test fleet (tests/testfleet/README.md lists its hosts and differences)."""
    given = os.environ.get("CHANGEKIT_TESTFLEET")
    if given:
        if not (Path(given) / "instance.json").is_file():
            _unavailable(f"CHANGEKIT_TESTFLEET={given} is not a running instance's state dir")
        yield Fleet(given)
        return
    why = missing_requirements()
    if why:
        _unavailable(why)
    state = instance.start("default", owner_pid=os.getpid())
    atexit.register(instance.stop, state)  # also when the session dies before teardown
    try:
        yield Fleet(state)
    finally:
        instance.stop(state)


@pytest.fixture(scope="module")
def own_fleet() -> Iterator[Fleet]:
    """A fleet instance of the module's own, for tests that change the hosts (a package
    installed or removed) and so must not share the session's ``fleet``."""
    why = missing_requirements()
    if why:
        _unavailable(why)
    state = instance.start("default", owner_pid=os.getpid())
    try:
        yield Fleet(state)
    finally:
        instance.stop(state)
