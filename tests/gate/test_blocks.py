"""Reading fields of old record versions without parsing them whole must give what a full parse gives."""

from __future__ import annotations

import yaml

from changekit.gate.blocks import Current, block, split
from changekit.policy import SUBSTANCE_FIELDS, substance

NOW = b"""id: CHG-20260101-aaaaaa
title: Patch
type: normal
risk: low
requester:
  name: R
  email: r@example.org
hosts:
- web1
window:
  start: '2030-01-01T02:00:00+00:00'
  end: '2030-01-01T03:00:00+00:00'
  timezone: UTC
implementation: |
  step one
  step two
approvals:
- by:
    name: A
    email: a@example.org
  at: '2026-01-01T00:00:00+00:00'
status: completed
history:
- status: draft
"""


def current() -> Current:
    return Current(NOW, yaml.safe_load(NOW))


def full(raw: bytes) -> dict:
    return yaml.safe_load(raw)


def test_split_and_block():
    parts = split(NOW)
    assert list(parts) == [
        "id",
        "title",
        "type",
        "risk",
        "requester",
        "hosts",
        "window",
        "implementation",
        "approvals",
        "status",
        "history",
    ]
    assert block(NOW, "hosts") == b"hosts:\n- web1\n"
    assert block(NOW, "nothing") is None
    assert block(NOW + b"hosts: [db1]\n", "hosts") is False


def check_same_as_full_parse(raw: bytes) -> None:
    version = current().version(raw)
    data = full(raw)
    assert version.approvals() == data.get("approvals")
    assert version.substance() == {k: data.get(k) for k in SUBSTANCE_FIELDS}


def test_identical_and_later_versions():
    check_same_as_full_parse(NOW)
    check_same_as_full_parse(NOW.replace(b"status: completed", b"status: approved"))


def test_changed_substance_fields_are_seen():
    check_same_as_full_parse(NOW.replace(b"- web1", b"- web1\n- db1"))
    check_same_as_full_parse(NOW.replace(b"step two", b"step three"))
    check_same_as_full_parse(NOW.replace(b"risk: low", b"risk: high"))


def test_duplicate_key_after_approvals_is_not_missed():
    # YAML's last duplicate wins; a sneaky second `hosts:` after approvals must be read
    sneaky = NOW + b"hosts:\n- db1\n"
    version = current().version(sneaky)
    assert version.substance()["hosts"] == full(sneaky)["hosts"] == ["db1"]


def test_anchors_and_flow_style_fall_back_to_a_full_parse():
    aliased = NOW.replace(b"hosts:\n- web1", b"hosts: &h\n- web1").replace(
        b"status: completed", b"services: *h\nstatus: completed"
    )
    check_same_as_full_parse(aliased)
    flow = yaml.safe_dump(full(NOW), default_flow_style=True).encode()
    check_same_as_full_parse(flow)


def test_other_key_order_is_still_right():
    data = full(NOW)
    reordered = yaml.safe_dump(
        {"approvals": data["approvals"], **{k: v for k, v in data.items() if k != "approvals"}},
        sort_keys=False,
    ).encode()
    check_same_as_full_parse(reordered)
    assert substance(full(reordered)) == substance(data)
