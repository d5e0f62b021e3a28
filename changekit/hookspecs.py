"""Every changekit hook, declared once.

Hooks are always called with keyword arguments, and grow only by adding
arguments (pluggy passes an implementation just the arguments it names).
Registries are ``register_<things>(register)``; events are
``before_<phase>`` / ``after_<phase>``.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("changekit")


# -- CLI ---------------------------------------------------------------------


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands or command groups to the ``changekit`` CLI.

    :param cli: the root ``click.Group``; call ``cli.add_command(...)`` on it.
    :return: nothing.
    """


# -- Change records and policy ----------------------------------------------


@hookspec
def check_record(record: Any, policy: Any, workspace: Any) -> Any:
    """Check one change record beyond the schema and the built-in policy.

    :param record: the ``changekit.api.ChangeRecord`` being checked.
    :param policy: the workspace's ``changekit.api.Policy``.
    :param workspace: the ``changekit.api.Workspace``.
    :return: an iterable of ``changekit.api.Problem``; ``None`` or empty means no problem.
    """


@hookspec
def register_change_templates(register: Any) -> None:
    """Offer change templates beyond the workspace's ``templates/`` folder.

    :param register: call ``register(name, data)`` with a template name and a
        record-shaped mapping of defaults.
    :return: nothing.
    """


@hookspec
def before_transition(record: Any, status: str, actor: Any, workspace: Any) -> None:
    """Inspect a record about to move to ``status``; raise ``RefusedError`` to stop it.

    :param record: the ``ChangeRecord`` in its current state.
    :param status: the status it is about to take.
    :param actor: the ``Identity`` acting.
    :param workspace: the ``Workspace``.
    :return: nothing.
    """


@hookspec
def after_transition(record: Any, previous: str, actor: Any, workspace: Any) -> None:
    """React to a record that has moved to a new status and been committed.

    :param record: the ``ChangeRecord`` in its new state.
    :param previous: the status it had before.
    :param actor: the ``Identity`` that acted.
    :param workspace: the ``Workspace``.
    :return: nothing.
    """


# -- Fleet inspection ---------------------------------------------------------


@hookspec
def register_inventory_loaders(register: Any) -> None:
    """Offer loaders for inventory file formats.

    :param register: call ``register(loader)`` with a ``changekit.api.InventoryLoader``.
    :return: nothing.
    """


@hookspec
def register_connectors(register: Any) -> None:
    """Offer ways to reach hosts (the built-in one is SSH).

    :param register: call ``register(name, factory)``; ``factory(host, options)``
        returns a ``changekit.api.Connector``.
    :return: nothing.
    """


@hookspec
def register_collectors(register: Any) -> None:
    """Offer collectors: a remote POSIX ``sh`` snippet plus a pure parser.

    :param register: call ``register(collector)`` with a ``changekit.api.Collector``.
    :return: nothing.
    """


@hookspec
def register_facts_stores(register: Any) -> None:
    """Offer places to keep snapshots and their history (built in: ``git``, ``postgres``).

    :param register: call ``register(name, factory)``; ``factory(workspace, options)``
        returns a ``changekit.api.FactsStore``. ``options`` is the ``facts`` mapping of the
        workspace's changekit.yaml; ``facts.store: NAME`` picks the store.
    :return: nothing.
    """


@hookspec
def before_scan(hosts: Any, collectors: Any, workspace: Any) -> None:
    """Inspect a scan about to start.

    :param hosts: the ``Host`` objects selected.
    :param collectors: the enabled ``Collector`` objects.
    :param workspace: the ``Workspace`` (may be ``None`` outside one).
    :return: nothing.
    """


@hookspec
def after_scan(results: Any, workspace: Any) -> None:
    """React to a finished scan.

    :param results: one ``HostResult`` per host, failed ones included; their ``snapshot`` is
        ``None`` when the scan handed the snapshots on as hosts finished (``changekit scan``
        always does: to the facts store, and to disk for ``--format json``), so that memory
        holds ``--concurrency`` snapshots, not the fleet's. Read them from the store.
    :param workspace: the ``Workspace`` (may be ``None`` outside one).
    :return: nothing.
    """


# -- Drift, reports, remediation ---------------------------------------------


@hookspec
def register_report_renderers(register: Any) -> None:
    """Offer report formats.

    :param register: call ``register(renderer)`` with a ``changekit.api.ReportRenderer``.
    :return: nothing.
    """


@hookspec
def register_review_renderers(register: Any) -> None:
    """Offer service review formats (``changekit review --format``).

    :param register: call ``register(renderer)`` with a ``changekit.api.ReviewRenderer``.
    :return: nothing.
    """


@hookspec(firstresult=True)
def package_for_module(ecosystem: str, module: str, os_family: str) -> str | None:
    """Name the OS package that provides a language module.

    :param ecosystem: the collector name of the module, e.g. ``perl`` or ``python``.
    :param module: the module or distribution name, e.g. ``PDF::API2``.
    :param os_family: ``debian`` or ``redhat`` (from the host's os-release).
    :return: the package name, or ``None`` when this implementation does not know.
        Stops at first non-None result.
    """


# -- Notices -------------------------------------------------------------------


@hookspec
def register_notice_channels(register: Any) -> None:
    """Offer channels that deliver maintenance notices.

    :param register: call ``register(channel)`` with a ``changekit.api.NoticeChannel``.
    :return: nothing.
    """
