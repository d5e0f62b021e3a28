"""Choosing the facts store: ``facts.store`` in changekit.yaml, plugins through
``register_facts_stores``, and a clear error for every bad setting."""

from __future__ import annotations

import pytest

from changekit.errors import ChangekitError, InputError
from changekit.facts.backend import ShardedFactsStore, facts_stores, open_store
from changekit.facts.store import SnapshotStore
from changekit.plugins import get_manager
from tests.facts.contract import make_workspace


def test_git_is_the_default_and_postgres_is_built_in(tmp_path):
    assert {"git", "postgres"} <= set(facts_stores())
    git_store = open_store(make_workspace(tmp_path))
    assert isinstance(git_store, SnapshotStore)
    assert not getattr(git_store, "concurrent_writers", False)  # scan --shard refuses it


def test_a_plugin_store_is_picked_by_name_and_may_replace_a_built_in(tmp_path):
    from changekit.api import hookimpl

    opened = []

    class Plugin:
        @hookimpl
        def register_facts_stores(self, register):
            register("memo", lambda ws, options: opened.append(("memo", options)) or "memo-store")
            register("git", lambda ws, options: "replaced-git")

    pm = get_manager()
    plugin = Plugin()
    pm.register(plugin, name="throwaway-store")
    try:
        ws = make_workspace(tmp_path, "facts:\n  store: memo\n  path: x\n")
        assert open_store(ws) == "memo-store"
        assert opened == [("memo", {"store": "memo", "path": "x"})]
        assert facts_stores()["git"](ws, {}) == "replaced-git"
    finally:
        pm.unregister(plugin)


@pytest.mark.parametrize(
    "config, field, says",
    [
        ("facts: [postgres]\n", "facts", "must be a mapping"),
        ("facts:\n  store: 3\n", "facts.store", "must be a store name"),
        ("facts:\n  store: mongo\n", "facts.store", "no facts store named 'mongo'"),
        ("facts:\n  store: postgres\n", "facts.dsn", "no database is named"),
    ],
)
def test_bad_settings_are_named(tmp_path, config, field, says):
    with pytest.raises(InputError, match=says) as err:
        open_store(make_workspace(tmp_path, config))
    assert err.value.field == field
    assert err.value.hint


def test_the_dsn_may_come_from_the_environment(tmp_path, monkeypatch, pg_dsn):
    monkeypatch.setenv("CHANGEKIT_FACTS_DSN", pg_dsn)
    store = open_store(make_workspace(tmp_path, "facts:\n  store: postgres\n"))
    assert store.hosts() == []
    assert isinstance(store, ShardedFactsStore) and store.concurrent_writers
    store.close()


def test_an_unreachable_database_is_one_clear_error(tmp_path):
    ws = make_workspace(tmp_path, f"facts:\n  store: postgres\n  dsn: 'host={tmp_path} port=1'\n")
    with pytest.raises(ChangekitError, match="could not connect to the facts database") as err:
        open_store(ws).hosts()
    assert "facts.dsn" in err.value.hint
