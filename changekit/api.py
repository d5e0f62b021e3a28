"""The public plugin API. Plugins import from here and nowhere else in changekit.

Names are imported on first use (PEP 562), so a plugin that needs ``hookimpl`` and
``Collector`` does not pay for the calendar, report or notice machinery at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from changekit import hookimpl

if TYPE_CHECKING:
    from changekit.errors import (
        AuthFailed,
        ChangekitError,
        CommandTimeout,
        DuplicateKeyError,
        HostKeyChanged,
        HostKeyUnknown,
        HostUnreachable,
        InputError,
        LimitError,
        NotFoundError,
        PolicyError,
        RefusedError,
        TransportError,
    )
    from changekit.facts.backend import FactsStore, open_git_store
    from changekit.facts.carry import carry_over
    from changekit.facts.when import resolve as resolve_when
    from changekit.facts.when import scan_time
    from changekit.fleet.collector import Collector
    from changekit.fleet.connector import CommandResult, ConnectOptions, Connector
    from changekit.fleet.hostkeys import host_id
    from changekit.inventory.ansible_vars import apply_ansible_vars, parse_ansible_yaml
    from changekit.inventory.draft import SETTINGS as INVENTORY_SETTINGS
    from changekit.inventory.draft import InventoryDraft
    from changekit.inventory.loader import InventoryLoader, InventorySource
    from changekit.inventory.model import Group, Host, Inventory
    from changekit.notices.calendar import uid as calendar_uid
    from changekit.notices.calendar import upcoming as upcoming_calendar
    from changekit.notices.model import Audience, ChannelError, Notice, NoticeChannel, Receipt
    from changekit.notices.plan import NoticePlan
    from changekit.policy import Policy
    from changekit.problems import Problem
    from changekit.records.model import ChangeRecord, Identity
    from changekit.reports.renderer import ReportRenderer
    from changekit.review.render import ReviewRenderer
    from changekit.review.show import delta as figure_delta
    from changekit.review.show import number as figure_number
    from changekit.review.show import value as figure_value
    from changekit.textsafe import (
        csv_cell,
        json_document,
        json_text,
        md_code,
        md_text,
        visible,
        xml_text,
    )
    from changekit.versions import compare as compare_versions
    from changekit.yamlfile import validate as validate_yaml

_LAZY: dict[str, tuple[str, str]] = {
    "AuthFailed": ("changekit.errors", "AuthFailed"),
    "ChangekitError": ("changekit.errors", "ChangekitError"),
    "CommandTimeout": ("changekit.errors", "CommandTimeout"),
    "DuplicateKeyError": ("changekit.errors", "DuplicateKeyError"),
    "HostKeyChanged": ("changekit.errors", "HostKeyChanged"),
    "HostKeyUnknown": ("changekit.errors", "HostKeyUnknown"),
    "HostUnreachable": ("changekit.errors", "HostUnreachable"),
    "InputError": ("changekit.errors", "InputError"),
    "LimitError": ("changekit.errors", "LimitError"),
    "NotFoundError": ("changekit.errors", "NotFoundError"),
    "PolicyError": ("changekit.errors", "PolicyError"),
    "RefusedError": ("changekit.errors", "RefusedError"),
    "TransportError": ("changekit.errors", "TransportError"),
    "carry_over": ("changekit.facts.carry", "carry_over"),
    "FactsStore": ("changekit.facts.backend", "FactsStore"),
    "open_git_store": ("changekit.facts.backend", "open_git_store"),
    "resolve_when": ("changekit.facts.when", "resolve"),
    "scan_time": ("changekit.facts.when", "scan_time"),
    "Collector": ("changekit.fleet.collector", "Collector"),
    "CommandResult": ("changekit.fleet.connector", "CommandResult"),
    "ConnectOptions": ("changekit.fleet.connector", "ConnectOptions"),
    "Connector": ("changekit.fleet.connector", "Connector"),
    "host_id": ("changekit.fleet.hostkeys", "host_id"),
    "apply_ansible_vars": ("changekit.inventory.ansible_vars", "apply_ansible_vars"),
    "parse_ansible_yaml": ("changekit.inventory.ansible_vars", "parse_ansible_yaml"),
    "INVENTORY_SETTINGS": ("changekit.inventory.draft", "SETTINGS"),
    "InventoryDraft": ("changekit.inventory.draft", "InventoryDraft"),
    "InventoryLoader": ("changekit.inventory.loader", "InventoryLoader"),
    "InventorySource": ("changekit.inventory.loader", "InventorySource"),
    "Group": ("changekit.inventory.model", "Group"),
    "Host": ("changekit.inventory.model", "Host"),
    "Inventory": ("changekit.inventory.model", "Inventory"),
    "calendar_uid": ("changekit.notices.calendar", "uid"),
    "upcoming_calendar": ("changekit.notices.calendar", "upcoming"),
    "Audience": ("changekit.notices.model", "Audience"),
    "ChannelError": ("changekit.notices.model", "ChannelError"),
    "Notice": ("changekit.notices.model", "Notice"),
    "NoticeChannel": ("changekit.notices.model", "NoticeChannel"),
    "Receipt": ("changekit.notices.model", "Receipt"),
    "NoticePlan": ("changekit.notices.plan", "NoticePlan"),
    "Policy": ("changekit.policy", "Policy"),
    "Problem": ("changekit.problems", "Problem"),
    "ChangeRecord": ("changekit.records.model", "ChangeRecord"),
    "Identity": ("changekit.records.model", "Identity"),
    "ReportRenderer": ("changekit.reports.renderer", "ReportRenderer"),
    "ReviewRenderer": ("changekit.review.render", "ReviewRenderer"),
    "figure_delta": ("changekit.review.show", "delta"),
    "figure_number": ("changekit.review.show", "number"),
    "figure_value": ("changekit.review.show", "value"),
    "csv_cell": ("changekit.textsafe", "csv_cell"),
    "json_document": ("changekit.textsafe", "json_document"),
    "json_text": ("changekit.textsafe", "json_text"),
    "md_code": ("changekit.textsafe", "md_code"),
    "md_text": ("changekit.textsafe", "md_text"),
    "visible": ("changekit.textsafe", "visible"),
    "xml_text": ("changekit.textsafe", "xml_text"),
    "compare_versions": ("changekit.versions", "compare"),
    "validate_yaml": ("changekit.yamlfile", "validate"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


__all__ = [
    "carry_over",
    "FactsStore",
    "open_git_store",
    "resolve_when",
    "scan_time",
    "ChangeRecord",
    "Identity",
    "Audience",
    "ChannelError",
    "Notice",
    "NoticeChannel",
    "NoticePlan",
    "Receipt",
    "calendar_uid",
    "upcoming_calendar",
    "INVENTORY_SETTINGS",
    "InventoryDraft",
    "InventoryLoader",
    "InventorySource",
    "apply_ansible_vars",
    "compare_versions",
    "parse_ansible_yaml",
    "validate_yaml",
    "AuthFailed",
    "ChangekitError",
    "Collector",
    "CommandResult",
    "CommandTimeout",
    "ConnectOptions",
    "Connector",
    "Group",
    "Host",
    "HostKeyChanged",
    "HostKeyUnknown",
    "HostUnreachable",
    "DuplicateKeyError",
    "InputError",
    "LimitError",
    "Inventory",
    "NotFoundError",
    "PolicyError",
    "Policy",
    "Problem",
    "ReportRenderer",
    "ReviewRenderer",
    "figure_delta",
    "figure_number",
    "figure_value",
    "RefusedError",
    "TransportError",
    "hookimpl",
    "host_id",
    "csv_cell",
    "json_document",
    "json_text",
    "md_code",
    "md_text",
    "visible",
    "xml_text",
]
