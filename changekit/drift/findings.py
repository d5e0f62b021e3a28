"""Findings: one deviation on one host, with a stable id, a severity and its evidence.

A finding's id depends only on what deviates (kind, scope, rule, host, item), never on
the versions seen, so the same deviation keeps its id from scan to scan: a change record
can name it in ``links.findings`` and a later scan can say it is gone.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

from changekit.problems import SEVERITIES

KINDS = ("standard", "peers", "time")

OPEN = "open"
WAIVED = "waived"
EXPLAINED = "explained"
"""A time finding whose change is covered by a change record proven approved (an emergency
change: approved or started) before the scan that first saw the change."""
RECORDED_LATE = "recorded_late"
"""A time finding whose change a change record covers, but one proven approved (or started)
only after the scan that first saw the change, or never: the change ran unapproved."""
RESOLVED = "resolved"
"""Gone from the latest scan after a completed change that linked it."""
STATUSES = (OPEN, WAIVED, EXPLAINED, RECORDED_LATE, RESOLVED)
FLAGGED = (OPEN, RECORDED_LATE)
"""Statuses that need someone's attention: listed by default and counted by ``--fail-on``."""


def finding_id(kind: str, scope: str, rule: str, host: str, item: str) -> str:
    """``F-`` plus 12 hex digits of a hash of what deviates; the same deviation, the same id."""
    digest = hashlib.sha256("\x1f".join((kind, scope, rule, host, item)).encode()).hexdigest()
    return f"F-{digest[:12]}"


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass
class Finding:
    kind: str
    """``standard``, ``peers`` or ``time``."""
    scope: str
    """The standard's name, the peer group (``group:web``) or ``SCAN..SCAN`` for time."""
    rule: str
    """What was checked: a requirement (``present perl:PDF::API2``) or a peer/time rule."""
    host: str
    item: str
    """``<collector>:<item>`` (``dpkg:apache2``, ``files:/etc/apache2/apache2.conf``)."""
    expected: str
    actual: str
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    """``scan_id``, ``collected_at`` and, where there is one, ``hash`` / ``version``."""
    since: str | None = None
    """ISO time of the first scan in the unbroken run of scans that show this finding."""
    status: str = OPEN
    waiver: str | None = None
    change: str | None = None
    """The change record that explains (time) or resolved this finding."""
    remediation: dict[str, Any] | None = None
    hosts: list[str] | None = None
    """Every host a finding is about when it is more than ``host`` (a ``split``: each side of
    a group that disagrees with no majority); ``host`` is then the first of them."""
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = finding_id(self.kind, self.scope, self.rule, self.host, self.item)

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def flagged(self) -> bool:
        return self.status in FLAGGED

    @property
    def all_hosts(self) -> list[str]:
        return self.hosts or [self.host]

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: _copied(getattr(self, f.name)) for f in fields(self)}
        return {"id": data.pop("id"), **{k: v for k, v in data.items() if v is not None}}


_SCALARS = (str, int, float, bool, type(None))


def _copied(value: Any) -> Any:
    """What ``dataclasses.asdict`` makes of a field's value (dicts, lists and tuples rebuilt,
    anything else deep-copied), without its generic recursion: drift prints tens of
    thousands of findings, and ``asdict`` was a third of a fleet's ``drift --format json``."""
    if isinstance(value, _SCALARS):
        return value
    if type(value) is dict:
        return {_copied(k): _copied(v) for k, v in value.items()}
    if type(value) is list:
        return [_copied(v) for v in value]
    if type(value) is tuple:
        return tuple(_copied(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return copy.deepcopy(value)


@dataclass
class Check:
    """One requirement checked on one host (a JUnit test case; the unit of conformance)."""

    host: str
    requirement: str
    scope: str
    passed: bool
    finding: str | None = None
    """The finding id when it did not pass."""
