"""The git facts store (snapshots as files in the workspace's history), registered as ``git``:
the default when the workspace names no other store."""

from __future__ import annotations

from typing import Any

from changekit.api import hookimpl


def git_store(workspace: Any, options: dict[str, Any]) -> Any:
    from changekit.api import open_git_store

    return open_git_store(workspace)


@hookimpl(trylast=True)
def register_facts_stores(register) -> None:
    register("git", git_store)
