"""``notices.yaml``: channels, reminders, audiences' zones and service users.

It sits beside ``changekit.yaml`` rather than inside it so the notice settings
(SMTP host, webhook targets) can be owned and reviewed separately from the
approval policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from changekit.errors import InputError
from changekit.notices.contacts import contact_key
from changekit.records.times import zone
from changekit.workspace import Workspace
from changekit.yamlfile import load_yaml, position, validate

CONFIG_NAME = "notices.yaml"
DEFAULT_REMINDERS = ("P1D",)
CHANNEL_SECTIONS = ("email", "ics", "atom", "banner", "webhook")


@dataclass
class NoticesConfig:
    data: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def section(self, channel: str) -> dict[str, Any] | None:
        """A channel's settings, or ``None`` when the channel is not configured."""
        return self.data.get(channel)

    @property
    def configured_channels(self) -> list[str]:
        return [c for c in self.data if c not in _NON_CHANNEL_KEYS]

    def default_channels(self) -> list[str]:
        return list(self.data.get("channels") or self.configured_channels)

    def reminders(self) -> list[str]:
        return list(self.data.get("reminders") or DEFAULT_REMINDERS)

    def audience(self, contact: str) -> dict[str, Any]:
        """A reader's settings, matched by address: ``DBA <dba@example.org>`` in the
        inventory finds ``dba@example.org:`` here, whatever the case or display name."""
        key = contact_key(contact)
        for name, spec in (self.data.get("audiences") or {}).items():
            if contact_key(name) == key:
                return spec or {}
        return {}

    def audience_zone(self, contact: str) -> str | None:
        return self.audience(contact).get("timezone")

    def audience_name(self, contact: str) -> str | None:
        return self.audience(contact).get("name")

    def service_contacts(self, service: str) -> list[str]:
        return list((self.data.get("services") or {}).get(service) or [])


_NON_CHANNEL_KEYS = {"timezone", "channels", "reminders", "contact", "audiences", "services"}


def load_config(workspace: Workspace) -> NoticesConfig:
    """Load ``notices.yaml``; a workspace without one has no channels configured."""
    path = workspace.root / CONFIG_NAME
    if not path.is_file():
        return NoticesConfig(path=None)
    data, text = load_yaml(path)
    data = {} if data is None else data  # an empty file: no channels yet
    shown = workspace.relpath(path)
    validate(data, "notices", path=shown, text=text)
    config = NoticesConfig(data=data, path=path)
    zones = [(["timezone"], data.get("timezone"))] + [
        (["audiences", name, "timezone"], (spec or {}).get("timezone"))
        for name, spec in (data.get("audiences") or {}).items()
    ]
    for where, name in zones:
        if name:
            try:
                zone(name, field=".".join(where))
            except InputError as exc:
                exc.path = shown
                exc.line, exc.column = position(text, where)
                raise
    seen: dict[str, str] = {}
    for name in data.get("audiences") or {}:
        other = seen.setdefault(contact_key(name), name)
        if other != name:
            line, column = position(text, ["audiences", name])
            raise InputError(
                f"audiences {other!r} and {name!r} are the same reader",
                path=shown,
                line=line,
                column=column,
                field=f"audiences.{name}",
                hint="audiences match by address, whatever the display name or case: keep one",
            )
    for name in data.get("channels") or []:
        if name not in config.configured_channels and name in CHANNEL_SECTIONS:
            raise InputError(
                f"channel {name!r} is listed but has no settings",
                path=shown,
                field="channels",
                hint=f"add a {name}: section, or remove {name!r} from channels",
            )
    return config


def parse_duration(text: str, *, field: str = "reminders") -> timedelta:
    """An ISO 8601 duration such as ``P1D`` or ``PT2H``."""
    try:
        from icalendar import vDuration  # only when a reminder is configured

        value = vDuration.from_ical(text)
    except (ValueError, TypeError):
        raise InputError(
            f"{text!r} is not an ISO 8601 duration",
            field=field,
            hint="write it like P1D (a day), PT2H (two hours) or P1DT12H",
        ) from None
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise InputError(
            f"{text!r} must be a positive duration", field=field, hint="e.g. P1D or PT2H"
        )
    return value
