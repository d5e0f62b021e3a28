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
from changekit.inventory.model import Group, Host, Inventory
from changekit.problems import Problem

__all__ = [
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
    "Problem",
    "RefusedError",
    "TransportError",
    "hookimpl",
    "host_id",
]
