"""Who must approve a record, and whether the approvals it has are enough."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from changekit.policy.access import causes_outage, data_of, email_of

ANYONE = None


@dataclass(frozen=True)
class Requirement:
    count: int
    groups: tuple[str, ...] | None
    """Approver groups; None means anyone but the requester."""

    def describe(self) -> str:
        who = " or ".join(self.groups) if self.groups else "anyone but the requester"
        return f"{self.count} from {who}"


@dataclass(frozen=True)
class Rule:
    types: frozenset[str] | None
    risks: frozenset[str] | None
    outage: bool | None
    require: tuple[Requirement, ...]

    def matches(self, data: Mapping[str, Any]) -> bool:
        if self.types is not None and data.get("type") not in self.types:
            return False
        if self.risks is not None and data.get("risk") not in self.risks:
            return False
        return self.outage is None or causes_outage(data) == self.outage

    @classmethod
    def from_policy(cls, data: dict) -> Rule:
        when = data.get("when") or {}
        return cls(
            types=frozenset(when["type"]) if "type" in when else None,
            risks=frozenset(when["risk"]) if "risk" in when else None,
            outage=when.get("outage"),
            require=tuple(
                Requirement(r["count"], tuple(r["from"]) if r.get("from") else ANYONE)
                for r in data["require"]
            ),
        )


DEFAULT_RULES = (Rule(None, None, None, (Requirement(1, ANYONE),)),)


def matching(
    requirements: tuple[Requirement, ...],
    approvers: dict[str, set[str]],
    acting: dict[str, str | None],
) -> int:
    """How many requirement slots distinct approvers fill (each approver fills at most one).

    ``approvers`` maps email -> the groups the person is in; ``acting`` maps email -> the
    group the approval says it was given for (``as``), which then is the only one it counts for.
    A bipartite matching by augmenting paths: the counts are tiny.
    """
    slots = [req for req in requirements for _ in range(req.count)]
    owner: dict[int, str] = {}

    def eligible(email: str, req: Requirement) -> bool:
        if req.groups is None:
            return True
        groups = approvers[email]
        as_group = acting.get(email)
        if as_group:
            groups = groups & {as_group}
        return bool(groups & set(req.groups))

    def assign(email: str, seen: set[int]) -> bool:
        for i, req in enumerate(slots):
            if i in seen or not eligible(email, req):
                continue
            seen.add(i)
            if i not in owner or assign(owner[i], seen):
                owner[i] = email
                return True
        return False

    for email in approvers:
        assign(email, set())
    return len(owner)


def approver_emails(approvals: Iterable[Any], requester: str) -> dict[str, str | None]:
    """Distinct approver emails (the requester dropped) -> the group they acted for."""
    out: dict[str, str | None] = {}
    for entry in approvals:
        if not isinstance(entry, Mapping):
            continue
        email = email_of(entry.get("by"))
        if email and person_of(email) != person_of(requester):
            out.setdefault(email, entry.get("as"))
    return out


@functools.lru_cache(maxsize=4096)
def person_of(email: str) -> str:
    """``ada+review@example.org`` -> ``ada@example.org``: plus-addressing reaches the same mailbox,
    so it is the same person (the requester must not approve from a second address)."""
    local, at, domain = email.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}{at}{domain}" if at else local


def requester_email(record: Any) -> str:
    return email_of(data_of(record).get("requester"))
