"""A record's runnable plan (``plan:``): steps per host, verification, rollback.

The plan is data the approvers saw. Each step's ``run`` is a shell script sent to the host
exactly as written, on the session's stdin; nothing from the inventory or the record is
spliced into it (the host's own name reaches it as ``$CHANGEKIT_HOST``, set from a quoted
assignment). ``plan_digest`` names the plan in dry runs and transcripts.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from changekit.drift.constraints import ConstraintError, parse_constraint
from changekit.drift.items import split_key
from changekit.drift.standards import INTEGRITY_MANAGERS, Requirement, Standard
from changekit.errors import InputError, PolicyError

DEFAULT_TIMEOUT = 600
WORDS = ("present", "absent", "enabled", "clean")


@dataclass(frozen=True)
class Step:
    name: str
    run: str
    hosts: tuple[str, ...] = ()
    """Selectors narrowing the step to some of the record's hosts (empty: all of them)."""
    timeout: int = DEFAULT_TIMEOUT
    sudo: bool | None = None
    expect_exit: tuple[int, ...] = (0,)

    def script(self, host: str) -> str:
        """What the host's shell reads: the host's name as a quoted variable, then the step."""
        return f"CHANGEKIT_HOST={shlex.quote(host)}; export CHANGEKIT_HOST\n{self.run}\n"


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    verify_commands: tuple[Step, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    rollback: tuple[Step, ...] = ()
    data: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the plan as stored (keys sorted): what the approvers approved."""
        text = json.dumps(self.data, sort_keys=True, ensure_ascii=False)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Expectation:
    """One fact a re-scan must show, on every host of the run or on ``hosts`` of them."""

    fact: str
    requirement: Requirement
    hosts: tuple[str, ...] = ()

    def standard(self, record_id: str) -> Standard:
        return Standard(
            name=f"{record_id} verification",
            applies_to=("all",),
            requirements=(self.requirement,),
        )


def _steps(raw: list[dict[str, Any]] | None, where: str) -> tuple[Step, ...]:
    out = []
    for i, s in enumerate(raw or ()):
        out.append(
            Step(
                name=str(s.get("name") or f"{where} {i + 1}"),
                run=s["run"],
                hosts=tuple(s.get("hosts") or ()),
                timeout=int(s.get("timeout") or DEFAULT_TIMEOUT),
                sudo=s.get("sudo"),
                expect_exit=tuple(s.get("expect_exit") or (0,)),
            )
        )
    return tuple(out)


def plan_of(record: Any) -> Plan:
    """The record's runnable plan; a record with only free-text steps is refused, saying why."""
    data = record.data.get("plan")
    if not data:
        raise PolicyError(
            f"{record.id} has no runnable plan: its implementation is free text, for a person",
            field="plan",
            hint="add plan.steps (commands, per-step hosts, timeout, sudo, expected exit "
            "codes), plan.verify and plan.rollback; `changekit drift --propose` writes one. "
            "Editing the plan withdraws the approvals, so it is reviewed again",
        )
    verify = data.get("verify") or {}
    expectations = []
    for i, raw in enumerate(verify.get("facts") or ()):  # refused before anything runs
        fact, hosts = (raw, ()) if isinstance(raw, str) else (raw["fact"], raw.get("hosts") or ())
        where = f"plan.verify.facts[{i}]"
        expectations.append(Expectation(fact, expectation(fact, where), tuple(hosts)))
    return Plan(
        steps=_steps(data["steps"], "step"),
        verify_commands=_steps(verify.get("commands"), "verify"),
        expectations=tuple(expectations),
        rollback=_steps(data.get("rollback"), "rollback"),
        data=data,
    )


def expectation(text: str, field_name: str) -> Requirement:
    """``dpkg:libpdf-api2-perl present``, ``perl:PDF::API2 >= 2.040``, ``dpkg:gcc absent``,
    ``services:ssh enabled``, ``integrity:dpkg clean`` as a standard's requirement."""
    key, _, rest = text.strip().partition(" ")
    rest = rest.strip()
    try:
        collector, item = split_key(key)
    except ValueError:
        raise _bad(text, field_name, "it starts with COLLECTOR:ITEM") from None
    if collector == "integrity":
        if rest != "clean" or item not in INTEGRITY_MANAGERS:
            raise _bad(text, field_name, f"integrity:{'|'.join(INTEGRITY_MANAGERS)} clean")
        return Requirement(
            kind="integrity", collector="integrity", item="", severity="high", id=text,
            manager=item,
        )  # fmt: skip
    if rest in ("absent", "enabled"):
        return Requirement(kind=rest, collector=collector, item=item, severity="high", id=text)
    constraint = None
    if rest and rest != "present":
        try:
            constraint = parse_constraint(collector, rest.removeprefix("present").strip())
        except ConstraintError as exc:
            raise _bad(text, field_name, f"a version constraint ({exc})") from None
    return Requirement(
        kind="present", collector=collector, item=item, severity="high", id=text,
        constraint=constraint,
    )  # fmt: skip


def _bad(text: str, field_name: str, why: str) -> InputError:
    return InputError(
        f"cannot read the expectation {text!r}: {why}",
        field=field_name,
        hint="write COLLECTOR:ITEM followed by present, absent, enabled, a version constraint "
        "(>= 2.040) or, for integrity:dpkg|rpm|any, clean",
    )
