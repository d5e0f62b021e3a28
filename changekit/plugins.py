"""Load plugins: built-ins and third-party, through the entry-point group ``changekit``."""

from __future__ import annotations

import importlib
import os
from functools import lru_cache
from typing import Any

import pluggy

from changekit import hookspecs
from changekit.errors import NotFoundError, PluginError

ENTRY_POINT_GROUP = "changekit"

# The built-in plugins, by the entry-point name pyproject.toml gives them. They
# are loaded through the entry points like any third-party plugin; this tuple
# lets a source checkout without installed metadata still find them.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("inventory-changekit", "changekit_plugins.inventory.changekit_yaml"),
    ("inventory-ansible-ini", "changekit_plugins.inventory.ansible_ini"),
    ("inventory-ansible-yaml", "changekit_plugins.inventory.ansible_yaml"),
    ("collector-rpm", "changekit_plugins.collectors.rpm"),
    ("collector-lslpp", "changekit_plugins.collectors.aix_lslpp"),
    ("collector-swlist", "changekit_plugins.collectors.hpux_swlist"),
    ("collector-pkginfo", "changekit_plugins.collectors.solaris_pkginfo"),
    ("connector-ssh", "changekit_plugins.ssh"),
    ("reports-html", "changekit_plugins.reports.html"),
    ("reports-markdown", "changekit_plugins.reports.markdown"),
    ("reports-json", "changekit_plugins.reports.jsonfmt"),
    ("reports-csv", "changekit_plugins.reports.csvfmt"),
    ("reports-junit", "changekit_plugins.reports.junit"),
    ("reviews-html", "changekit_plugins.reviews.html"),
    ("reviews-markdown", "changekit_plugins.reviews.markdown"),
    ("reviews-json", "changekit_plugins.reviews.jsonfmt"),
    ("reviews-csv", "changekit_plugins.reviews.csvfmt"),
    ("packagemap", "changekit_plugins.packagemap"),
    ("collector-os", "changekit_plugins.collectors.os_release"),
    ("collector-dpkg", "changekit_plugins.collectors.dpkg"),
    ("collector-perl", "changekit_plugins.collectors.perl"),
    ("collector-python", "changekit_plugins.collectors.python"),
    ("collector-integrity", "changekit_plugins.collectors.integrity"),
    ("collector-preload", "changekit_plugins.collectors.preload"),
    ("collector-services", "changekit_plugins.collectors.services"),
    ("collector-files", "changekit_plugins.collectors.files"),
    ("notices-email", "changekit_plugins.notices.email"),
    ("notices-ics", "changekit_plugins.notices.ics"),
    ("notices-atom", "changekit_plugins.notices.atom"),
    ("notices-banner", "changekit_plugins.notices.banner"),
    ("notices-webhook", "changekit_plugins.notices.webhook"),
    ("factstore-git", "changekit_plugins.factstore.git"),
    ("factstore-postgres", "changekit_plugins.factstore.postgres"),
)

BLOCK_ENV = "CHANGEKIT_BLOCK_PLUGINS"
"""Comma-separated plugin names not to load (e.g. a broken third-party plugin)."""


def _blocked() -> set[str]:
    return {n.strip() for n in os.environ.get(BLOCK_ENV, "").split(",") if n.strip()}


def make_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager with every hook spec and plugin loaded."""
    pm = pluggy.PluginManager("changekit")
    pm.add_hookspecs(hookspecs)
    for name in _blocked():
        pm.set_blocked(name)
    if load_entry_points:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party plugin must not hide its name
            raise PluginError(
                f"could not load a plugin from entry-point group {ENTRY_POINT_GROUP!r}: {exc}",
                hint=f"block it with {BLOCK_ENV}=NAME, or uninstall it",
            ) from exc
    for name, module_name in BUILTIN_PLUGINS:
        if pm.has_plugin(name) or pm.is_blocked(name):
            continue
        pm.register(importlib.import_module(module_name), name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"a plugin implements a hook that does not exist: {exc}") from exc
    return pm


@lru_cache(maxsize=1)
def get_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager (tests may call ``get_manager.cache_clear()``)."""
    return make_manager()


def hook() -> pluggy.HookRelay:
    """Shortcut: ``hook().register_collectors(register=...)``."""
    return get_manager().hook


def collect(hookname: str) -> list:
    """Call a ``register_<things>(register)`` hook and return what was registered, in order."""
    found: list = []

    def register(*args):
        found.append(args[0] if len(args) == 1 else args)

    getattr(hook(), hookname)(register=register)
    return found


def by_name(hookname: str) -> dict:
    """What a ``register_<things>`` hook registered, by each thing's ``name``; the first
    registration of a name wins (plugins come before the ``trylast`` built-ins)."""
    found: dict = {}
    for thing in collect(hookname):
        found.setdefault(thing.name, thing)
    return found


def named(hookname: str, name: str, what: str) -> Any:
    """The thing ``name`` of ``by_name(hookname)``; a ``NotFoundError`` listing the others."""

    available = by_name(hookname)
    if name not in available:
        raise NotFoundError(
            f"no {what} named {name!r}", hint=f"available: {', '.join(sorted(available))}"
        )
    return available[name]
