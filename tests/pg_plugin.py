"""pytest plugin: ``pg_server``, a throwaway PostgreSQL cluster for the session (tests/pgserver.py),
and ``pg_dsn``, a fresh database on it for one test. Without the server the fixtures fail under
CI=true and skip (with the reason) elsewhere; never a stand-in."""

from __future__ import annotations

import atexit
import itertools
import os
from collections.abc import Iterator

import pytest

from tests import pgserver
from tests.needs import unavailable

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.Server]:
    why = pgserver.missing_requirements()
    if why:
        unavailable(f"PostgreSQL unavailable: {why}")
    server = pgserver.start()
    atexit.register(server.stop)  # also when the session dies before teardown
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_dsn(pg_server: pgserver.Server) -> Iterator[str]:
    """A DSN to an empty database of its own, dropped after the test."""
    name = f"t{os.getpid()}_{next(_names)}"
    dsn = pg_server.create_database(name)
    yield dsn
    pg_server.drop_database(name)
