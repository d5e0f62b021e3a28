"""The public plugin API. Plugins import from here and nowhere else in changekit."""

from changekit import hookimpl
from changekit.errors import (
    AuthFailed,
    ChangekitError,
    CommandTimeout,
    HostKeyChanged,
    HostKeyUnknown,
    HostUnreachable,
    InputError,
    NotFoundError,
    PolicyError,
    RefusedError,
    TransportError,
)
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
from changekit.versions import compare as compare_versions
from changekit.yamlfile import validate as validate_yaml

__all__ = [
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
    "InputError",
    "Inventory",
    "NotFoundError",
    "PolicyError",
    "Policy",
    "Problem",
    "ReportRenderer",
    "RefusedError",
    "TransportError",
    "hookimpl",
    "host_id",
]
