"""The lifecycle state machine (pure logic)."""

from __future__ import annotations

import pytest

from changekit.errors import TransitionError
from changekit.records import lifecycle
from changekit.records.model import STATUSES, ChangeRecord


def rec(status: str, type_: str = "normal") -> ChangeRecord:
    return ChangeRecord({"id": "CHG-20260101-abcdef", "status": status, "type": type_})


@pytest.mark.parametrize(
    ("status", "steps"),
    [
        ("draft", ["submit", "cancel"]),
        ("submitted", ["approve", "reject", "cancel"]),
        ("approved", ["approve", "reject", "schedule", "start", "cancel"]),
        ("scheduled", ["approve", "reject", "schedule", "start", "cancel"]),
        ("in_progress", ["complete", "fail", "rollback"]),
        ("failed", ["rollback"]),
        ("rejected", ["submit", "cancel"]),
        ("completed", []),
        ("rolled_back", []),
        ("cancelled", []),
    ],
)
def test_next_steps_of_a_normal_change(status, steps):
    assert lifecycle.next_steps(rec(status)) == steps


def test_every_status_is_covered():
    targets = {s.target for s in lifecycle.STEPS.values()} | {"draft"}
    assert targets == set(STATUSES)


def test_emergency_may_start_before_approval_and_be_approved_after():
    assert "start" in lifecycle.next_steps(rec("submitted", "emergency"))
    assert lifecycle.next_steps(rec("completed", "emergency")) == ["approve"]
    assert "start" not in lifecycle.next_steps(rec("submitted", "standard"))


def test_refusal_names_the_allowed_steps():
    with pytest.raises(TransitionError) as info:
        lifecycle.require(rec("draft"), "complete")
    assert info.value.message == "cannot complete CHG-20260101-abcdef: it is draft"
    assert info.value.hint == "allowed next steps: submit, cancel"
    assert info.value.exit_code == 4
    with pytest.raises(TransitionError, match="final"):
        lifecycle.require(rec("cancelled"), "submit")
