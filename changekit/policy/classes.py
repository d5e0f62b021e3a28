"""Change classes: IMAC work, standard, normal and emergency changes as the team promises them.

A class is matched on a record's type, category and template (the first class of the policy
whose ``match`` the record meets), and may promise its own lead time, approval rule, monthly
quota (per customer, per team or in total) and service days. Pure: nothing here touches git;
the gate hands in the statuses and times git proved.

Whose change it is (the customer or team a quota counts against) comes from the inventory:
the host variable the policy's ``ownership`` names (``customer``/``team`` by default, set on a
host or inherited from its groups). A record's own ``customer``/``team`` field counts only for
a change whose hosts carry no such variable, so a change cannot dodge its customer's quota by
saying it belongs to someone else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from changekit.policy import approvals as ap
from changekit.policy.access import data_of, record_id, window_of
from changekit.policy.windows import Window, openings
from changekit.problems import Problem

COUNTED = frozenset(
    {"submitted", "approved", "scheduled", "in_progress", "completed", "failed", "rolled_back"}
)
"""Statuses whose changes use up a quota: filed and not withdrawn, rejected or cancelled."""

PER = ("customer", "team", "total")

WAITING = ("submitted", "approved", "scheduled")
"""Filed and not started: the statuses the gate holds to a quota."""


@dataclass(frozen=True)
class Quota:
    count: int
    per: str = "total"
    tz: ZoneInfo = field(default=ZoneInfo("UTC"))
    """Months begin at midnight in this zone."""

    def month(self, when: datetime) -> str:
        return when.astimezone(self.tz).strftime("%Y-%m")

    def month_start(self, key: str) -> datetime:
        year, month = (int(x) for x in key.split("-"))
        return datetime(year, month, 1, tzinfo=self.tz).astimezone(UTC)

    def next_month(self, key: str) -> str:
        year, month = (int(x) for x in key.split("-"))
        return f"{year + month // 12:04d}-{month % 12 + 1:02d}"

    def describe(self) -> str:
        scope = "in total" if self.per == "total" else f"per {self.per}"
        return f"{self.count} a month {scope}"


@dataclass(frozen=True)
class ChangeClass:
    name: str
    types: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    templates: frozenset[str] | None = None
    lead_time: timedelta | None = None
    require: tuple[ap.Requirement, ...] | None = None
    """The approvals a change of this class needs; None: the policy's approval rules decide."""
    quota: Quota | None = None
    service_days: tuple[Window, ...] = ()
    exception: tuple[ap.Requirement, ...] | None = None
    """The extra approval that lets a change run over its quota or outside the service days;
    None: such a change is refused."""

    def matches(self, data: dict) -> bool:
        for wanted, key in (
            (self.types, "type"),
            (self.categories, "category"),
            (self.templates, "template"),
        ):
            if wanted is not None and data.get(key) not in wanted:
                return False
        return True

    def in_service(self, start: datetime, end: datetime) -> bool:
        return not self.service_days or any(w.contains(start, end) for w in self.service_days)

    def next_service(self, after: datetime, length: timedelta) -> datetime | None:
        """The start of the first service-day opening at or after ``after`` long enough."""
        for start, end, _w in openings(list(self.service_days), after):
            begin = max(start, after)
            if end - begin >= length:
                return begin
        return None

    def describe_days(self) -> str:
        return "; ".join(w.describe() for w in self.service_days)


def requirements(items: Iterable[dict]) -> tuple[ap.Requirement, ...]:
    return tuple(ap.Rule.from_policy({"require": list(items)}).require)


def from_policy(data: dict, tz_at: Any, duration: Any) -> ChangeClass:
    """One class from its policy entry; ``tz_at(value, field)`` and ``duration(text)`` parse."""
    match = data.get("match") or {}

    def names(key: str) -> frozenset[str] | None:
        return frozenset(match[key]) if key in match else None

    days = []
    for i, entry in enumerate(data.get("service_days") or ()):
        tz = tz_at(entry["timezone"], ["service_days", i, "timezone"])
        days.append(Window.from_policy({"name": f"{data['name']} service day", **entry}, tz))
    quota = None
    if "quota" in data:
        q = data["quota"]
        qtz = (
            tz_at(q["timezone"], ["quota", "timezone"])
            if q.get("timezone")
            else days[0].tz
            if days
            else ZoneInfo("UTC")
        )
        quota = Quota(int(q["count"]), q.get("per", "total"), qtz)
    return ChangeClass(
        name=data["name"],
        types=names("type"),
        categories=names("category"),
        templates=names("template"),
        lead_time=duration(data["lead_time"]) if data.get("lead_time") else None,
        require=requirements(data["require"]) if "require" in data else None,
        quota=quota,
        service_days=tuple(days),
        exception=requirements(data["exception"]["require"]) if data.get("exception") else None,
    )


def owners(record: Any, inventory: Any | None, per: str, variable: str) -> frozenset[str]:
    """The customers (or teams) a change belongs to: the named variable of its hosts, else
    the record's own field. Empty when neither says (such a change counts only in total)."""
    data = data_of(record)
    found: set[str] = set()
    if inventory is not None:
        from changekit.inventory.selectors import hosts_of

        for selector in data.get("hosts") or ():
            for host in hosts_of(inventory, str(selector)):
                value = host.vars.get(variable)
                if value not in (None, ""):
                    found.add(str(value))
    if not found and data.get(per):
        found.add(str(data[per]))
    return frozenset(found)


@dataclass(frozen=True)
class Use:
    """One change that uses a quota: when it counts and when it was filed (for the order)."""

    id: str
    month: str
    owners: frozenset[str]
    filed: datetime
    seq: int = 0
    """Its place among the changes filed in the same second (``Policy.filing_order``)."""


def when_counted(record: Any, now: datetime) -> datetime:
    """The moment a change counts in a month: its window's start, else when it was submitted."""
    from changekit.policy.access import last_history_time

    win = window_of(record)
    if win is not None:
        return win[0]
    return last_history_time(record, "submitted") or now


def use_of(
    cls: ChangeClass,
    record: Any,
    inventory: Any,
    variable: str,
    now: datetime,
    filed: datetime | None = None,
    seq: int = 0,
) -> Use:
    assert cls.quota is not None
    from changekit.policy.access import last_history_time

    quota = cls.quota
    scope = owners(record, inventory, quota.per, variable) if quota.per != "total" else frozenset()
    filed = filed or last_history_time(record, "submitted") or now
    month = quota.month(when_counted(record, now))
    return Use(str(record_id(record)), month, scope, filed, seq)


def rank(use: Use, others: Iterable[Use], owner: str | None) -> int:
    """How many changes of the month (for ``owner``) were filed before ``use``, plus one."""
    before = 1
    for other in others:
        if other.id == use.id or other.month != use.month:
            continue
        if owner is not None and owner not in other.owners:
            continue
        if (other.filed, other.seq, other.id) < (use.filed, use.seq, use.id):
            before += 1
    return before


def over_quota(cls: ChangeClass, use: Use, others: list[Use]) -> tuple[str | None, int] | None:
    """``(owner, rank)`` of the first scope in which ``use`` is over the quota, else None."""
    assert cls.quota is not None
    scopes: list[str | None] = sorted(use.owners) if cls.quota.per != "total" else [None]
    for owner in scopes or [None]:
        place = rank(use, others, owner)
        if place > cls.quota.count:
            return owner, place
    return None


def quota_problem(
    cls: ChangeClass, use: Use, others: list[Use], next_slot: str | None, variable: str = ""
) -> Problem | None:
    found = over_quota(cls, use, others)
    if found is None:
        return None
    owner, place = found
    assert cls.quota is not None
    who = f" for {owner}" if owner else ""
    why = ""
    if cls.quota.per != "total" and not use.owners:
        per = cls.quota.per
        why = (
            f" (it has no {per}: its hosts carry no `{variable or per}` variable and the record "
            f"no `{per}` field, so it counts against every {cls.name} change of the month)"
        )
    hint = next_slot or ""
    if cls.exception:
        needs = "; ".join(r.describe() for r in cls.exception)
        hint = f"{hint}; or it needs the extra approval of {needs}" if hint else f"it needs {needs}"
    return Problem(
        "over-quota",
        f"{cls.name} changes{who} are limited to {cls.quota.describe()}; this is number "
        f"{place} in {use.month}{why}",
        record=use.id,
        field="window",
        hint=hint or None,
    )


class ClassRules:
    """What a record's class asks of it. A mixin of ``Policy`` (needs ``classes``,
    ``ownership``, ``groups_of`` and the approval methods)."""

    def class_of(self, record: Any) -> ChangeClass | None:
        data = data_of(record)
        for cls in self.classes:
            if cls.matches(data):
                return cls
        return None

    def class_name(self, record: Any) -> str:
        """The record's class, or its type when the policy names no class that fits."""
        cls = self.class_of(record)
        return cls.name if cls else str(data_of(record).get("type") or "unclassified")

    def owner_variable(self, per: str) -> str:
        return self.ownership.get(per, per)

    def owners_of(self, record: Any, inventory: Any | None, per: str) -> frozenset[str]:
        return owners(record, inventory, per, self.owner_variable(per))

    def exception_granted(self, record: Any, approvals: Iterable[Any] | None) -> bool:
        """Whether the approvals that count cover the class's rule and its exception too."""
        cls = self.class_of(record)
        if cls is None or not cls.exception:
            return False
        needed = tuple(self.required_approvals(record)) + cls.exception
        entries = data_of(record).get("approvals") or () if approvals is None else approvals
        acting = ap.approver_emails(entries, ap.requester_email(record))
        people = {email: self.groups_of(email) for email in acting}
        return ap.matching(needed, people, acting) >= sum(r.count for r in needed)

    def quota_uses(
        self, cls: ChangeClass, records: Iterable[Any], inventory: Any, now: datetime
    ) -> list[Use]:
        """Every change of ``cls`` that uses its quota (cached per collection of records)."""
        key = (id(records), cls.name)
        cache = self.__dict__.setdefault("_quota_cache", {})
        if key not in cache:
            variable = self.owner_variable(cls.quota.per) if cls.quota else ""
            cache[key] = (
                records,  # held, so its id is not reused while cached
                [
                    use_of(
                        cls,
                        r,
                        inventory,
                        variable,
                        now,
                        seq=self.filing_order.get(str(record_id(r)), 0),
                    )
                    for r in records
                    if data_of(r).get("status") in COUNTED and self.class_of(r) is cls
                ],
            )
        return cache[key][1]

    def quota_check(
        self,
        record: Any,
        records: Iterable[Any],
        inventory: Any | None,
        now: datetime,
        approvals: Iterable[Any] | None = None,
        filing: bool = False,
    ) -> list[Problem]:
        """Over its class's quota: refused with the first month that has room, unless the
        class names an exception approval and the record has it. ``filing``: the record is
        being submitted now, so it comes after every change filed before."""
        cls = self.class_of(record)
        if cls is None or cls.quota is None:
            return []
        variable = self.owner_variable(cls.quota.per)
        last = datetime.max.replace(tzinfo=UTC) if filing else None
        seq = self.filing_order.get(str(record_id(record)), 0)
        use = use_of(cls, record, inventory, variable, now, last, seq)
        others = self.quota_uses(cls, records, inventory, now)
        if over_quota(cls, use, others) is None or self.exception_granted(record, approvals):
            return []
        hint = self._quota_hint(cls, record, use, others, inventory, now)
        return [quota_problem(cls, use, others, hint, variable)]  # type: ignore[list-item]

    def _quota_hint(
        self,
        cls: ChangeClass,
        record: Any,
        use: Use,
        others: list[Use],
        inventory: Any,
        now: datetime,
        after: datetime | None = None,
    ) -> str:
        """The first slot in a later month with room that also passes the windows, freezes,
        service days and lead time (a month's first opening may be inside the notice), at
        or after ``after``."""
        from changekit.policy.access import announced_at

        assert cls.quota is not None
        lead = self.lead_for(record)
        earliest = max(now, (announced_at(record) or now) + lead) if lead else now
        earliest = max(earliest, after) if after else earliest
        last = datetime.max.replace(tzinfo=UTC)
        month = use.month
        for _ in range(24):
            month = cls.quota.next_month(month)
            if over_quota(cls, Use(use.id, month, use.owners, last), others) is not None:
                continue
            slot = self.next_allowed(record, inventory, max(earliest, cls.quota.month_start(month)))
            if slot is None:
                return (
                    "no allowed slot in the next 400 days: check the policy's windows and freezes"
                )
            landed = Use(use.id, cls.quota.month(slot[0]), use.owners, last)
            if over_quota(cls, landed, others) is None:
                return self._slot_text(record, slot, cls.quota.tz)  # whose months they are
        full = "no month of the next two years has room for it"
        return full if cls.exception else f"{full}, and the class names no exception approval"

    def displaced(
        self, changed: list[Any], pool: list[Any], inventory: Any | None, now: datetime
    ) -> list[Problem]:
        """Over-quota problems ``changed`` records cause the others of ``pool`` not yet
        started. A ``--base`` check judges only a pull request's records: one filed before a
        change the base approved since ranks first, and would push that one over its quota
        unseen until after the merge."""
        mine = {str(record_id(r)) for r in changed}
        rest_by_id = {str(record_id(r)): r for r in pool if str(record_id(r)) not in mine}
        rest = list(rest_by_id.values())
        out: list[Problem] = []
        for cls in self.classes:
            if cls.quota is None:
                continue
            uses = self.quota_uses(cls, pool, inventory, now)
            theirs = [u for u in uses if u.id in mine]
            for use in uses:
                record = rest_by_id.get(use.id)
                if record is None or data_of(record).get("status") not in WAITING:
                    continue  # (a started change is judged against its quota no more)
                before = sorted(
                    u.id
                    for u in theirs
                    if u.month == use.month
                    and (cls.quota.per == "total" or u.owners & use.owners or not use.owners)
                )
                if not before or not (found := self.quota_check(record, pool, inventory, now)):
                    continue
                if self.quota_check(record, rest, inventory, now):
                    continue  # over it without the pull request too: not its doing
                why = f"this pull request puts it over the quota ({', '.join(before)} was filed before it)"
                out += [Problem(**{**p.as_dict(), "message": f"{why}: {p.message}"}) for p in found]
        return out

    def _room_hint(
        self, record: Any, records: Any, inventory: Any, after: datetime, now: datetime
    ) -> str:
        """The next allowed slot at or after ``after`` in a month its class's quota has room
        in: the next service day may be in a month that is full."""
        cls = self.class_of(record)
        slot = self.next_allowed(record, inventory, after) if cls and cls.quota else None
        if cls is None or cls.quota is None or slot is None:
            return self._next_hint(record, inventory, after)
        pool = getattr(records, "records", records)  # a ConflictIndex holds the list
        variable = self.owner_variable(cls.quota.per)
        seq = self.filing_order.get(str(record_id(record)), 0)
        use = use_of(cls, record, inventory, variable, now, None, seq)
        others = self.quota_uses(cls, pool, inventory, now)
        landed = Use(use.id, cls.quota.month(slot[0]), use.owners, use.filed, seq)
        if over_quota(cls, landed, others) is None:
            return self._slot_text(record, slot)
        return self._quota_hint(cls, record, landed, others, inventory, now, after)
